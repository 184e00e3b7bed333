"""The live view's JSON API and stream: /api/v1/devices (filters, registered
assets that never reported, unregistered devices), /api/v1/devices/{id},
/api/v1/stream (a reading published over MQTT arrives as an SSE event,
filtered), the page and its Content-Security-Policy."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.parse

import harness
import knowledge

ROWS = [
    # asset, category, district, device, model
    ("A-WS-1", "water_supply", "顾官屯镇", "ws-001", "PT-1"),
    ("A-WS-2", "water_supply", "许营镇", "ws-002", "PT-1"),
    ("A-MC-1", "manhole_cover", "顾官屯镇", "mc-001", "MC-9"),
]


def get_json(ll, path):
    status, body, headers = harness.http("GET", ll.url + path)
    return status, json.loads(body.decode("utf-8")), headers


class SSE:
    """A minimal Server-Sent Events reader over a raw socket."""

    def __init__(self, port, path, headers=""):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n%s\r\n"
                           % (path, headers)).encode())
        self.data = b""
        self.head = None

    def events(self, timeout):
        """Reads until `timeout`; returns the (event, data) pairs seen so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            self.data += chunk
        return self.parse()

    def wait_events(self, enough, timeout, what):
        """Reads until enough(events so far) is true; returns those events.
        Fails the test after `timeout` s (a loaded machine may take a while
        to answer; waiting costs nothing when it does not)."""
        return harness.wait_until(lambda: (lambda ev: ev if enough(ev) else None)(self.events(0.1)),
                                  timeout, what)

    def parse(self):
        text = self.data
        if self.head is None and b"\r\n\r\n" in text:
            self.head, _, _ = text.partition(b"\r\n\r\n")
        body = text.partition(b"\r\n\r\n")[2]
        # chunked transfer encoding: strip the chunk size lines
        out = b""
        while body:
            size_line, sep, rest = body.partition(b"\r\n")
            if not sep:
                break
            size = int(size_line, 16)
            if size == 0 or len(rest) < size + 2:
                if len(rest) >= size:
                    out += rest[:size]
                break
            out += rest[:size]
            body = rest[size + 2:]
        events = []
        for block in out.decode("utf-8").split("\n\n")[:-1]:
            ev, data = "message", []
            for line in block.split("\n"):
                if line.startswith("event: "):
                    ev = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
            if data:
                events.append((ev, json.loads("\n".join(data))))
        return events

    def close(self):
        self.sock.close()


class TestLiveApi(harness.TestCase):
    def start(self):
        broker = self.mosquitto()
        influx = self.influx()
        path = knowledge.write_registry(os.path.join(self.tmp, "assets.csv"), ROWS)
        ll = self.lifeline(broker, influx, {"registry": {"assets": path}})
        return broker, influx, ll

    def test_devices_and_stream(self):
        broker, influx, ll = self.start()
        status, doc, _ = get_json(ll, "/api/v1/devices")
        self.assertEqual(status, 200)
        self.assertEqual([d["id"] for d in doc["devices"]], ["A-MC-1", "A-WS-1", "A-WS-2"])
        self.assertEqual({d["state"] for d in doc["devices"]}, {"never"})
        ws1 = doc["devices"][1]
        self.assertEqual((ws1["name"], ws1["district"], ws1["device"], ws1["lat"]),
                         ("water_supply A-WS-1", "顾官屯镇", "ws-001", 37.39))

        stream = SSE(ll.http_port, "/api/v1/stream?since=%d&district=%s"
                     % (doc["version"], urllib.parse.quote("顾官屯镇")))
        hello = stream.wait_events(len, 10, "the hello event")
        self.assertEqual(hello[0][0], "hello")
        self.assertIn(b"text/event-stream", stream.head)

        t0 = time.monotonic()
        now = harness.now_ms()
        harness.publish(broker.port, "lifeline/x/water_supply/ws-002",
                        json.dumps({"ts": now, "pressure_out": 0.22}))
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        json.dumps({"ts": now, "pressure_out": 0.31, "pump_running": True}))
        got = []
        harness.wait_until(lambda: got.extend(stream.events(0.2)) or
                           any(e == "reading" for e, _ in got), 10, "a reading event")
        elapsed = time.monotonic() - t0
        readings = [d for e, d in got if e == "reading"]
        # the district filter keeps 许营镇's ws-002 out
        self.assertEqual([d["id"] for d in readings], ["A-WS-1"])
        self.assertEqual(readings[0]["values"]["pressure_out"],
                         {"value": 0.31, "unit": "MPa", "type": "float", "ts_ms": now})
        self.assertEqual(readings[0]["values"]["pump_running"]["value"], True)
        self.assertEqual(readings[0]["state"], "online")
        self.assertLess(elapsed, 5)
        stream.close()

        status, one, _ = get_json(ll, "/api/v1/devices/A-WS-2")
        self.assertEqual(status, 200)
        harness.wait_until(lambda: get_json(ll, "/api/v1/devices/A-WS-2")[1]["readings"] == 1,
                           10, "A-WS-2 to have its reading")
        status, one, _ = get_json(ll, "/api/v1/devices/A-WS-2")
        self.assertEqual(one["values"]["pressure_out"]["value"], 0.22)
        self.assertEqual(one["last_ts_ms"], now)

        status, doc, _ = get_json(ll, "/api/v1/devices?state=never")
        self.assertEqual([d["id"] for d in doc["devices"]], ["A-MC-1"])
        status, doc, _ = get_json(ll, "/api/v1/devices?state=online&category=water_supply")
        self.assertEqual([d["id"] for d in doc["devices"]], ["A-WS-1", "A-WS-2"])
        status, doc, _ = get_json(ll, "/api/v1/devices?q=ws-00")
        self.assertEqual(doc["count"], 2)
        status, doc, _ = get_json(ll, "/api/v1/devices?state=bogus")
        self.assertEqual(status, 400)
        status, doc, _ = get_json(ll, "/api/v1/devices/nope")
        self.assertEqual(status, 404)

        # an unregistered device shows up under its device id
        harness.publish(broker.port, "lifeline/x/drainage/dr-77",
                        json.dumps({"water_level": 1.5}))
        harness.wait_until(lambda: get_json(ll, "/api/v1/devices/dr-77")[0] == 200, 10,
                           "the unregistered device")
        status, d, _ = get_json(ll, "/api/v1/devices/dr-77")
        self.assertEqual((d["registered"], d["category"], d["values"]["water_level"]["unit"]),
                         (False, "drainage", "m"))

    def test_reload_updates_the_listing(self):
        """SIGHUP: a new asset is listed (never reported), a removed one that
        never reported is gone, and an unregistered device the registry now
        names is listed under its asset."""
        broker, _, ll = self.start()
        harness.publish(broker.port, "lifeline/x/drainage/dr-5", json.dumps({"water_level": 1.1}))
        harness.wait_until(lambda: get_json(ll, "/api/v1/devices/dr-5")[0] == 200, 10,
                           "the unregistered device")
        knowledge.write_registry(os.path.join(self.tmp, "assets.csv"),
                                 ROWS[:2] + [("A-DR-5", "drainage", "九州街道", "dr-5", "LV")])
        ll.proc.send_signal(signal.SIGHUP)
        harness.wait_until(lambda: [d["id"] for d in get_json(ll, "/api/v1/devices")[1]["devices"]]
                           == ["A-DR-5", "A-WS-1", "A-WS-2"], 10, "the reloaded listing")
        self.assertEqual(get_json(ll, "/api/v1/devices/dr-5")[0], 404)
        self.assertEqual(get_json(ll, "/api/v1/devices/A-DR-5")[1]["state"], "never")

    def test_resume_from_last_event_id(self):
        """A reconnecting client (Last-Event-ID) gets what changed while it was away."""
        broker, _, ll = self.start()
        _, doc, _ = get_json(ll, "/api/v1/devices")
        first = SSE(ll.http_port, "/api/v1/stream?since=%d" % doc["version"])
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        json.dumps({"pressure_out": 0.3}))
        harness.wait_until(lambda: any(e == "reading" for e, _ in first.events(0.2)), 10,
                           "the first reading")
        last_id = first.data.decode().split("id: ")[-1].split("\n")[0]
        first.close()
        # away: ws-002 reports
        harness.publish(broker.port, "lifeline/x/water_supply/ws-002",
                        json.dumps({"pressure_out": 0.25}))
        harness.wait_until(lambda: get_json(ll, "/api/v1/devices/A-WS-2")[1]["readings"] == 1,
                           10, "ws-002 stored")
        # back, with the stale ?since= of the page and the newer Last-Event-ID
        again = SSE(ll.http_port, "/api/v1/stream?since=%d" % doc["version"],
                    "Last-Event-ID: %s\r\n" % last_id)
        got = []
        harness.wait_until(lambda: got.extend(again.events(0.2)) or
                           any(e == "reading" for e, _ in again.parse()), 10, "the missed reading")
        self.assertEqual([d["id"] for e, d in again.parse() if e == "reading"], ["A-WS-2"])
        again.close()

    def test_alert_transitions_on_the_stream(self):
        broker, _, ll = self.start()
        mine = SSE(ll.http_port, "/api/v1/stream?category=water_supply")
        other = SSE(ll.http_port, "/api/v1/stream?category=manhole_cover")
        self.assertEqual(mine.wait_events(len, 10, "hello")[0][0], "hello")
        self.assertEqual(other.wait_events(len, 10, "hello")[0][0], "hello")
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        json.dumps({"pressure_out": 0.3, "pump_fault": True}))
        got = []
        harness.wait_until(lambda: got.extend(mine.events(0.2)) or
                           any(e == "alert" for e, _ in mine.parse()), 15, "an alert event")
        alerts = [d for e, d in mine.parse() if e == "alert"]
        self.assertEqual(alerts[0]["transition"], "fired")
        self.assertEqual((alerts[0]["alert"]["device"], alerts[0]["alert"]["rule"]),
                         ("ws-001", "fault:pump_fault"))
        # The other stream must not get it. Rather than wait some fixed time
        # for nothing: a manhole cover reading published now comes after the
        # alert (a stream takes the alerts before the readings at each poll),
        # so once the other stream has that reading it has passed the alert.
        harness.publish(broker.port, "lifeline/x/manhole_cover/mc-001", json.dumps({"tilt": 1.0}))
        seen = other.wait_events(lambda ev: any(e == "reading" for e, _ in ev), 10,
                                 "the manhole cover reading on the other stream")
        self.assertEqual([(e, d.get("id")) for e, d in seen], [("hello", None),
                                                                ("reading", "A-MC-1")])
        mine.close()
        other.close()

    def test_stream_device_filter(self):
        """?device= names the asset id or the device id; it filters readings
        and alert transitions alike."""
        broker, _, ll = self.start()
        by_asset = SSE(ll.http_port, "/api/v1/stream?device=A-WS-1")
        by_device = SSE(ll.http_port, "/api/v1/stream?device=ws-001")
        other = SSE(ll.http_port, "/api/v1/stream?device=ws-002")
        for s in (by_asset, by_device, other):
            self.assertEqual(s.events(2)[0][0], "hello")
        harness.publish(broker.port, "lifeline/x/water_supply/ws-002",
                        json.dumps({"pressure_out": 0.21}))
        harness.publish(broker.port, "lifeline/x/manhole_cover/mc-001",
                        json.dumps({"tilt": 1.0}))
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        json.dumps({"pressure_out": 0.3, "pump_fault": True}))
        for s in (by_asset, by_device):
            harness.wait_until(lambda: s.events(0.2) and
                               {"reading", "alert"} <= {e for e, _ in s.parse()}, 15,
                               "a reading and an alert for ws-001")
        # a later reading of ws-002 ends what `other` may see: alert events
        # that went before it in the ring are sent before it
        harness.publish(broker.port, "lifeline/x/water_supply/ws-002",
                        json.dumps({"pressure_out": 0.22}))
        harness.wait_until(lambda: other.events(0.2) and
                           [d["values"]["pressure_out"]["value"] for e, d in other.parse()
                            if e == "reading"][-1:] == [0.22], 10, "ws-002's second reading")
        for s in (by_asset, by_device):
            evs = s.parse()
            self.assertEqual({d["id"] for e, d in evs if e == "reading"}, {"A-WS-1"})
            alerts = [d["alert"] for e, d in evs if e == "alert"]
            self.assertEqual([(a["device"], a["asset"], a["rule"]) for a in alerts],
                             [("ws-001", "A-WS-1", "fault:pump_fault")])
        self.assertEqual({e for e, _ in other.parse()}, {"hello", "reading"})
        self.assertEqual({d["id"] for e, d in other.parse() if e == "reading"}, {"A-WS-2"})
        for s in (by_asset, by_device, other):
            s.close()

    def test_sigterm_with_streams_open(self):
        """Open streams end with the daemon: SIGTERM exits 0, promptly."""
        broker, _, ll = self.start()
        streams = [SSE(ll.http_port, "/api/v1/stream") for _ in range(3)]
        for s in streams:
            self.assertEqual(s.wait_events(len, 10, "hello")[0][0], "hello")
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        json.dumps({"pressure_out": 0.3}))
        harness.wait_until(lambda: any(e == "reading" for e, _ in streams[0].events(0.2)), 10,
                           "a reading event")
        self.assertEqual(ll.metric("lifeline_live_streams"), 3)
        t0 = time.monotonic()
        self.assertEqual(ll.stop(), 0)
        self.assertLess(time.monotonic() - t0, 5)
        for s in streams:
            s.close()

    def test_page_and_headers(self):
        _, _, ll = self.start()
        status, body, headers = harness.http("GET", ll.url + "/")
        self.assertEqual(status, 200)
        self.assertIn(b"<html", body.lower())
        h = {k.lower(): v for k, v in headers.items()}
        self.assertEqual(h["content-security-policy"],
                         "default-src 'self'; script-src 'self'; style-src 'self'")
        self.assertTrue(h["content-type"].startswith("text/html"))
        status, _, _ = harness.http("GET", ll.url + "/ui/nothing.js")
        self.assertEqual(status, 404)
        self.assertEqual(get_json(ll, "/api/v1/settings")[:2], (200, {"map_tile_url": None}))

    def test_map_tiles_csp(self):
        """http.map_tile_url: the page (and only the page) may load images
        from the tile server's origin, and learns the template."""
        broker = self.mosquitto()
        influx = self.influx()
        tiles = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png?style=dark"
        ll = self.lifeline(broker, influx, {"http": {"map_tile_url": tiles}})
        page_csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                    "img-src 'self' http://127.0.0.1:9")
        for path in ("/", "/ui/app.js", "/ui/index.html"):
            status, _, headers = harness.http("GET", ll.url + path)
            self.assertEqual(status, 200, path)
            self.assertEqual(headers["Content-Security-Policy"], page_csp, path)
        status, doc, headers = get_json(ll, "/api/v1/settings")
        self.assertEqual((status, doc), (200, {"map_tile_url": tiles}))
        self.assertEqual(headers["Content-Security-Policy"],
                         "default-src 'self'; script-src 'self'; style-src 'self'")
        self.assertEqual(harness.http("GET", ll.url + "/report")[2]["Content-Security-Policy"],
                         "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                         "frame-ancestors 'self'")
        ll.stop()
        # a bad template stops the daemon before it starts, naming key and fix
        ll.config["http"]["map_tile_url"] = "https://{s}.tiles.example/{z}/{x}/{y}.png"
        ll.write_config()
        r = subprocess.run(ll.command(), capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("http.map_tile_url: 'https://{s}.tiles.example/{z}/{x}/{y}.png' has a "
                      "placeholder in the host (such as {s}); fix: name one host, e.g. "
                      "'https://tiles.example/{z}/{x}/{y}.png'", r.stderr.decode("utf-8"))


if __name__ == "__main__":
    harness.main()
