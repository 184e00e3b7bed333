"""Bad messages of every kind are quarantined with the right reason, counted
in /metrics, and do not stop the daemon: a good message after them is stored."""

import json

import harness

DB = harness.DB
RECENT = (harness.now_ms() // 1000 - 60) * 1000

# (topic suffix after lifeline/, payload bytes, reason, stored as payload_b64)
BAD = [
    ("d1/water_supply/bad-json", b'{"ts": 1, "pressure_out": ', "malformed", False),
    ("d1/water_supply/not-object", b'[1, 2, 3]', "malformed", False),
    ("d1/water_supply/binary", b'\xff\xfe\x00\x01garbage\x80', "malformed", True),
    ("d1/water_supply/bad-utf8-in-string", b'{"pressure_out": 0.3, "status": "\xc3\x28"}',
     "malformed", True),
    ("only/two", b'{"pressure_out": 0.3}', "topic", False),
    ("d1/water_supply/bad-ts", b'{"ts": "yesterday", "pressure_out": 0.3}', "timestamp", False),
    ("d1/water_supply/no-fields", b'{"ts": %d}' % RECENT, "no_fields", False),
]


class TestMalformed(harness.TestCase):
    def test_bad_messages_are_quarantined(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        for suffix, payload, _, _ in BAD:
            harness.publish_raw(broker.port, "lifeline/" + suffix, payload)
        good_ts = RECENT + 1
        harness.publish(broker.port, "lifeline/d1/water_supply/good",
                        json.dumps({"ts": good_ts, "pressure_out": 0.33}))

        pts = self.wait_points(influx, "water_supply", 1)
        self.assertEqual(pts, [{"time": good_ts, "device": "good", "district": "d1",
                                "pressure_out": 0.33}])
        self.assertTrue(ll.alive())

        records = harness.wait_until(lambda: len(ll.quarantine()) >= len(BAD) and ll.quarantine(),
                                     10, "%d quarantine records" % len(BAD))
        self.assertEqual(len(records), len(BAD), records)
        by_topic = {r.get("topic"): r for r in records}
        for suffix, payload, reason, binary in BAD:
            topic = "lifeline/" + suffix
            self.assertIn(topic, by_topic, records)
            r = by_topic[topic]
            self.assertEqual(r["reason"], reason, r)
            self.assertIsInstance(r["time"], str, r)
            self.assertIsInstance(r["detail"], str, r)
            self.assertTrue(r["detail"], r)
            if binary:
                self.assertNotIn("payload", r, r)
                self.assertEqual(r["payload_b64"], harness.b64(payload), r)
            else:
                self.assertNotIn("payload_b64", r, r)
                self.assertEqual(r["payload"], payload.decode("utf-8"), r)
            self.assertLessEqual(set(r), {"time", "topic", "reason", "detail", "payload",
                                          "payload_b64"}, r)

        want = {}
        for _, _, reason, _ in BAD:
            want[reason] = want.get(reason, 0) + 1
        for reason, n in want.items():
            self.wait_metric(ll, 'lifeline_rejected_total{reason="%s"}' % reason, n)
        self.wait_metric(ll, "lifeline_messages_received_total", len(BAD) + 1)
        self.wait_metric(ll, "lifeline_points_written_total", 1)
        self.assertEqual(influx.measurements(DB), ["water_supply"])
        self.assertTrue(ll.alive())
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
