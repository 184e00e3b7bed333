"""Notifications, the parts that need no alert engine: Lifeline never ingests
its own alert states although `lifeline/#` is subscribed (they are skipped
and counted, not quarantined), the daemon runs with webhooks configured, and
a bad notify.webhooks entry is refused by `lifeline check` with a fix."""

import json
import os
import subprocess

import harness

DB = harness.DB
RECENT = (harness.now_ms() // 1000 - 60) * 1000


class TestNotify(harness.TestCase):
    def test_own_alert_messages_are_skipped(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, overrides={
            "notify": {"webhooks": ["json=http://127.0.0.1:%d/hook" % harness.free_port()],
                       "group_window_ms": 100}})
        alert = {"id": 1, "rule": "offline", "device": "GGT-MC-0012", "state": "firing",
                 "district": "顾官屯镇", "category": "manhole_cover", "ts": RECENT}
        # retained, as Lifeline publishes them: also offered again on resubscribe
        harness.publish(broker.port, "lifeline/alerts/顾官屯镇/manhole_cover/GGT-MC-0012/offline",
                        json.dumps(alert, ensure_ascii=False), args=["-r"])
        harness.publish(broker.port, "lifeline/顾官屯镇/manhole_cover/GGT-MC-0012",
                        json.dumps({"ts": RECENT + 1, "tilt": 2.5}))
        pts = self.wait_points(influx, "manhole_cover", 1)
        self.assertEqual(pts, [{"time": RECENT + 1, "device": "GGT-MC-0012",
                                "district": "顾官屯镇", "tilt": 2.5}])
        harness.wait_until(lambda: ll.metric("lifeline_own_alert_messages_total") == 1, 10,
                           "the alert message counted as our own")
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(influx.measurements(DB), ["manhole_cover"])
        m = ll.metrics()
        self.assertEqual(m.get("lifeline_notify_events_total"), 0)
        self.assertEqual(m.get("lifeline_notify_webhook_failed_total"), 0)
        self.assertEqual(ll.metric("lifeline_rejected_total", reason="topic"), 0)

    def test_bad_webhook_is_refused_by_check(self):
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        cfg = {"data_dir": data,
               "notify": {"webhooks": ["slack=https://hooks.example/x",
                                       "wecom=ftp://qyapi.weixin.qq.com/x"],
                          "lang": "fr"}}
        path = os.path.join(self.tmp, "bad.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        r = subprocess.run([harness.lifeline_bin(), "check", "-c", path],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        out = (r.stdout + r.stderr).decode("utf-8")
        self.assertEqual(r.returncode, 1, out)
        self.assertIn(path + ": notify.webhooks[0]: 'slack=https://hooks.example/x' is not "
                      "FORMAT=URL with FORMAT json, wecom or dingtalk; fix: write e.g. "
                      "\"wecom=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY\"", out)
        self.assertIn(path + ": notify.webhooks[1]: the URL after 'wecom=' is not http:// or "
                      "https:// with a host", out)
        self.assertIn(path + ": notify.lang: ", out)


if __name__ == "__main__":
    harness.main()
