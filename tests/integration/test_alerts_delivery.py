"""Alert delivery end to end: the alert engine and the notifier together,
with the real mosquitto and influxd and a local webhook receiver.

A feeder outage silences several registered manhole covers of one town at
once: their offline alerts fire on time, their retained states appear on
lifeline/alerts/... (and are replaced by the resolved state when they report
again), every transition is a point of measurement `alert`, each webhook gets
ONE grouped message for the town's fired alerts and one for the resolved
ones, and the daemon's own data counts see only the readings. A webhook that
answers 500 twice is retried and delivered exactly once while readings keep
flowing into InfluxDB."""

import datetime
import http.server
import json
import subprocess
import threading

import alerts_util as au
import harness

DB = harness.DB
TOWN = "顾官屯镇"
TOPIC = "lifeline/%s/manhole_cover/%s"
CHECK_MS = 200
# scheduling on a shared 2-core machine: the engine's own promise is CHECK_MS
SLACK_MS = 400
INTERVAL_S = 2
MISSES = 2
WINDOW_MS = 1500


class Receiver:
    """A webhook receiver on a free loopback port, in a thread. Records every
    POST as (path, content type, parsed JSON body, status answered, epoch ms
    of its arrival). For a
    path, `fail[path]` is a list of statuses to answer first (then 200), and
    `gate[path]` an Event the next 200 answer waits for."""

    def __init__(self):
        self.posts = []
        self.fail = {}
        self.gate = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                arrived = harness.now_ms()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    todo = outer.fail.get(self.path) or []
                    status = todo.pop(0) if todo else 200
                    gate = outer.gate.get(self.path) if status == 200 else None
                if gate is not None:
                    gate.wait(30)
                with outer.lock:
                    outer.posts.append((self.path, self.headers.get("Content-Type"),
                                        json.loads(body.decode("utf-8")), status, arrived))
                answer = b'{"errcode":0,"errmsg":"ok"}' if status == 200 else b"oops"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, fmt, path):
        return "%s=http://127.0.0.1:%d%s" % (fmt, self.port, path)

    def received(self, path):
        with self.lock:
            return [p for p in self.posts if p[0] == path]

    def close(self):
        for g in self.gate.values():
            g.set()
        self.server.shutdown()
        self.server.server_close()


def iso(ms):
    return (datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000))


def retained(broker, n):
    """Subscribes afresh to lifeline/alerts/# and returns {topic: JSON body}
    of the n messages it is offered at once (a fresh subscription only gets
    retained ones); None when fewer came within 2 s."""
    r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                        "-v", "-t", "lifeline/alerts/#", "-C", str(n), "-W", "2"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    if r.returncode != 0:
        return None
    out = {}
    for line in r.stdout.decode("utf-8").splitlines():
        topic, body = line.split(" ", 1)
        out[topic] = json.loads(body)
    return out


class TestAlertsDelivery(harness.TestCase):
    def setUp(self):
        super().setUp()
        self.rx = Receiver()

    def tearDown(self):
        self.rx.close()
        super().tearDown()

    def start(self, rows, notify):
        reg = au.write_registry(self.tmp + "/assets.csv", rows)
        broker = self.mosquitto()
        influx = self.influx()
        over = au.config(reg, offline_misses=MISSES, check_interval_ms=CHECK_MS)
        over["notify"] = notify
        ll = self.lifeline(broker, influx, over)
        harness.wait_until(lambda: ll.log_text().count("broker link up"), 10, "link up")
        return broker, influx, ll

    def report(self, broker, device, ts, tilt):
        harness.publish(broker.port, TOPIC % (TOWN, device),
                        [json.dumps({"ts": ts, "tilt": tilt})])

    def report_all(self, broker, readings):
        """Publishes {device: (ts, tilt)} at once, back to back in one MQTT
        connection (a feeder outage is simultaneous). One mosquitto_pub per
        device, even run side by side, spread them over more than the
        group window on a loaded machine, which split the town's group."""
        harness.publish_together(broker.port, [(TOPIC % (TOWN, d),
                                                json.dumps({"ts": ts, "tilt": tilt}))
                                               for d, (ts, tilt) in readings.items()])

    def test_feeder_outage(self):
        # more than a chat message lists (20), fewer than a JSON message carries
        devices = ["GGT-MC-%02d" % i for i in range(1, 26)]
        rows = [("A-%02d" % i, "南大街%d号井" % i, "manhole_cover", TOWN, d, INTERVAL_S)
                for i, d in enumerate(devices, 1)]
        broker, influx, ll = self.start(rows, {
            "webhooks": [self.rx.url("json", "/json"), self.rx.url("wecom", "/wecom?key=K")],
            "group_window_ms": WINDOW_MS})
        base = (harness.now_ms() // 1000) * 1000
        before = harness.now_ms()
        self.report_all(broker, {d: (base + i, 1.0) for i, d in enumerate(devices)})
        sent = dict.fromkeys(devices, (before, harness.now_ms()))

        # offline fires within one check interval of each device's deadline
        deadline = INTERVAL_S * MISSES * 1000
        fired = {}
        for d, row in zip(devices, rows):
            a = au.wait_alert(ll, device=d, state="firing", timeout=20)
            lo, hi = sent[d]
            # the deadline runs from when the daemon received the reading,
            # which a loaded machine delivers a while after mosquitto_pub returned
            seen = au.last_seen(ll, row[0])
            self.assertLessEqual(lo, seen, d)
            self.assertGreaterEqual(a["fired_ms"], lo + deadline, d)
            self.assertGreaterEqual(a["fired_ms"], seen + deadline, d)
            self.assertLessEqual(a["fired_ms"], seen + deadline + CHECK_MS + SLACK_MS,
                                 "%s fired %d ms after its deadline (received %+d ms after "
                                 "mosquitto_pub returned)"
                                 % (d, a["fired_ms"] - seen - deadline, seen - hi))
            self.assertEqual((a["rule"], a["district"], a["category"], a["severity"],
                              a["summary_zh"]),
                             ("offline", TOWN, "manhole_cover", "major",
                              "离线：4 秒无数据（应每 2 秒上报，已漏报 2 次）"))
            fired[d] = a
        self.assertEqual(len({a["id"] for a in fired.values()}), len(devices))

        # retained firing states, one topic per alert
        topic = {d: "lifeline/alerts/%s/manhole_cover/%s/offline" % (TOWN, d) for d in devices}
        states = harness.wait_until(
            lambda: (lambda r: r if r and all(x["state"] == "firing" for x in r.values())
                     else None)(retained(broker, len(devices))),
            30, "retained firing states")
        self.assertEqual(sorted(states), sorted(topic.values()))
        for d in devices:
            s = states[topic[d]]
            self.assertEqual((s["fired_at"], s["resolved_at"], s["acknowledged"]),
                             (iso(fired[d]["fired_ms"]), None, False))
            self.assertEqual((s["id"], s["rule"], s["device"], s["asset"], s["name"],
                              s["district"], s["state"], s["transition"], s["summary_zh"]),
                             (fired[d]["id"], "offline", d, fired[d]["asset"], fired[d]["name"],
                              TOWN, "firing", "fired", fired[d]["summary_zh"]))

        # one grouped webhook message per destination for the town's fired alerts
        harness.wait_until(lambda: self.rx.received("/json") and self.rx.received("/wecom?key=K"),
                           WINDOW_MS / 1000 + 10, "the grouped fired messages")
        j = self.rx.received("/json")[0]
        self.assertEqual(j[1], "application/json; charset=utf-8")
        # sent when the town's window, opened by its first alert, closed
        first = min(a["fired_ms"] for a in fired.values())
        self.assertGreaterEqual(j[4], first + WINDOW_MS)
        self.assertLessEqual(j[4], first + WINDOW_MS + 1000)
        self.assertEqual((j[2]["district"], j[2]["count"]), (TOWN, len(devices)))
        self.assertEqual(sorted((e["device"], e["transition"], e["state"], e["id"])
                                for e in j[2]["events"]),
                         [(d, "fired", "firing", fired[d]["id"]) for d in devices])
        # each JSON event is exactly the alert's MQTT body
        self.assertEqual(sorted(j[2]["events"], key=lambda e: e["device"]),
                         [states[topic[d]] for d in devices])
        w = self.rx.received("/wecom?key=K")[0]
        self.assertEqual(w[2]["msgtype"], "markdown")
        content = w[2]["markdown"]["content"].split("\n")
        self.assertEqual(content[0], "**%s 告警 %d 条**" % (TOWN, len(devices)))
        self.assertEqual(content[-1], "…另有 %d 条" % (len(devices) - 20))
        lines = {"【重要】%s 窨井盖 %s %s %s" % (TOWN, fired[d]["name"], d, fired[d]["summary_zh"])
                 for d in devices}
        self.assertEqual(len(content[1:-1]), 20)
        self.assertEqual(len(set(content[1:-1])), 20)
        self.assertLessEqual(set(content[1:-1]), lines)

        # the devices report again: resolved, and the retained state replaced
        self.report_all(broker, {d: (base + 1000 + i, 2.0) for i, d in enumerate(devices)})
        resolved = {}
        for d in devices:
            r = resolved[d] = au.wait_alert(ll, device=d, state="resolved")
            self.assertEqual(r["id"], fired[d]["id"])
        states = harness.wait_until(
            lambda: (lambda r: r if r and all(x["state"] == "resolved" for x in r.values())
                     else None)(retained(broker, len(devices))),
            30, "retained resolved states")
        self.assertEqual(sorted(states), sorted(topic.values()))
        self.assertEqual(sorted((s["device"], s["transition"], s["id"], s["fired_at"],
                                 s["resolved_at"]) for s in states.values()),
                         [(d, "resolved", fired[d]["id"], iso(fired[d]["fired_ms"]),
                           iso(resolved[d]["resolved_ms"])) for d in devices])

        harness.wait_until(lambda: len(self.rx.received("/json")) >= 2
                           and len(self.rx.received("/wecom?key=K")) >= 2,
                           WINDOW_MS / 1000 + 10, "the grouped resolved messages")
        j = self.rx.received("/json")[1]
        self.assertEqual((j[2]["district"], j[2]["count"]), (TOWN, len(devices)))
        self.assertEqual(sorted((e["device"], e["transition"], e["state"]) for e in j[2]["events"]),
                         [(d, "resolved", "resolved") for d in devices])
        content = self.rx.received("/wecom?key=K")[1][2]["markdown"]["content"].split("\n")
        self.assertEqual(content[0], "**%s 告警 %d 条**" % (TOWN, len(devices)))
        self.assertEqual((len(content), content[-1]), (22, "…另有 %d 条" % (len(devices) - 20)))
        for line in content[1:-1]:
            self.assertTrue(line.startswith("【已恢复】%s 窨井盖 " % TOWN), line)

        # every transition is a point of measurement alert
        pts = self.wait_points(influx, "alert", 2 * len(devices))
        got = sorted((p["device"], p["transition"], p["state"], p["rule"], p["district"],
                      p["category"], p["severity"], p["asset"], p["id"], p["name"])
                     for p in pts)
        want = sorted((d, t, s, "offline", TOWN, "manhole_cover", "major", fired[d]["asset"],
                       fired[d]["id"], fired[d]["name"])
                      for d in devices for t, s in (("fired", "firing"), ("resolved", "resolved")))
        self.assertEqual(got, want)
        for p in pts:
            if p["transition"] == "fired":
                self.assertEqual(p["time"], fired[p["device"]]["fired_ms"])

        # the daemon's own data counts see the readings only
        readings = self.wait_points(influx, "manhole_cover", 2 * len(devices))
        self.assertEqual(sorted(p["tilt"] for p in readings),
                         [1.0] * len(devices) + [2.0] * len(devices))
        self.wait_metric(ll, "lifeline_own_alert_messages_total", 2 * len(devices))
        self.wait_metric(ll, "lifeline_points_written_total", 2 * len(devices))
        m = ll.metrics()
        self.assertEqual(m.get("lifeline_readings_accepted_total"), 2 * len(devices))
        self.assertEqual(m.get("lifeline_notify_webhook_delivered_total"), 4)
        self.assertEqual(m.get("lifeline_notify_webhook_failed_total"), 0)
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(influx.measurements(DB), ["alert", "manhole_cover"])
        self.assertEqual((m.get("lifeline_notify_events_total"),
                          m.get("lifeline_notify_mqtt_published_total"),
                          m.get("lifeline_notify_dropped_total")),
                         (2 * len(devices), 2 * len(devices), 0))
        # nothing more was sent: one message per window and destination
        self.assertEqual(len(self.rx.received("/json")), 2)
        self.assertEqual(len(self.rx.received("/wecom?key=K")), 2)
        self.stop_clean(ll)

    def test_failing_webhook_is_retried_once_delivered(self):
        rows = [("A-1", "南大街1号井", "manhole_cover", TOWN, "GGT-MC-01", 1),
                ("A-2", "南大街2号井", "manhole_cover", TOWN, "GGT-MC-02", 300)]
        self.rx.fail["/flaky"] = [500, 500]
        gate = self.rx.gate["/flaky"] = threading.Event()
        broker, influx, ll = self.start(rows, {
            "webhooks": [self.rx.url("json", "/flaky")], "group_window_ms": 100,
            "retry_min_ms": 200, "retry_max_ms": 1000, "timeout_ms": 20000})
        base = (harness.now_ms() // 1000) * 1000
        self.report(broker, "GGT-MC-01", base, 1.0)
        a = au.wait_alert(ll, device="GGT-MC-01", state="firing", timeout=20)
        # two 500 answers, and the third attempt waits at the receiver
        harness.wait_until(lambda: len(self.rx.received("/flaky")) == 2, 15,
                           "two failed attempts")
        harness.wait_until(lambda: ll.metric("lifeline_notify_webhook_retries_total") == 2, 10,
                           "two retries counted")
        # readings flow meanwhile (tilt below the profile's 10° alarm)
        n = 20
        tilts = [i / 4 for i in range(n)]
        harness.publish(broker.port, TOPIC % (TOWN, "GGT-MC-02"),
                        [json.dumps({"ts": base + 1 + i, "tilt": t}) for i, t in enumerate(tilts)])
        pts = self.wait_points(influx, "manhole_cover", n + 1)
        self.assertEqual([p["tilt"] for p in pts], [1.0] + tilts)
        self.assertEqual(ll.metric("lifeline_notify_webhook_delivered_total"), 0)
        gate.set()
        self.wait_metric(ll, "lifeline_notify_webhook_delivered_total", 1)
        posts = self.rx.received("/flaky")
        self.assertEqual([p[3] for p in posts], [500, 500, 200])
        self.assertEqual([p[2] for p in posts], [posts[0][2]] * 3)
        self.assertEqual([(e["id"], e["transition"]) for e in posts[0][2]["events"]],
                         [(a["id"], "fired")])
        # the next message goes once: the delivered one is not sent again
        self.report(broker, "GGT-MC-01", base + 100, 2.0)
        au.wait_alert(ll, device="GGT-MC-01", state="resolved")
        self.wait_metric(ll, "lifeline_notify_webhook_delivered_total", 2)
        posts = self.rx.received("/flaky")
        self.assertEqual([p[3] for p in posts], [500, 500, 200, 200])
        self.assertEqual([(e["id"], e["transition"]) for e in posts[3][2]["events"]],
                         [(a["id"], "resolved")])
        m = ll.metrics()
        self.assertEqual((m.get("lifeline_notify_webhook_retries_total"),
                          m.get("lifeline_notify_webhook_failed_total")), (2, 0))
        self.wait_metric(ll, "lifeline_points_written_total", n + 2)
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual([(x["device"], x["rule"]) for x in au.alerts(ll)],
                         [("GGT-MC-01", "offline")])
        self.stop_clean(ll)

    def stop_clean(self, ll):
        """SIGTERM: the daemon exits 0 with nothing left to deliver, and a
        sanitizer build has nothing to say."""
        self.assertEqual(ll.stop(), 0)
        log = ll.log_text()
        for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "given up",
                    "dropped"):
            self.assertNotIn(bad, log)


if __name__ == "__main__":
    harness.main()
