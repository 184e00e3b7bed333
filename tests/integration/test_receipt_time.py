"""A reading without ts is stamped with the time Lifeline received it, and the
point says so with the boolean field ts_on_receipt=true (a receive-time stamp
is not idempotent on redelivery, so readers must be able to tell)."""

import json

import harness

DB = harness.DB


class TestReceiptTime(harness.TestCase):
    def test_reading_without_ts(self):
        broker = self.mosquitto()
        influx = self.influx()
        self.lifeline(broker, influx)
        before = harness.now_ms()
        harness.publish(broker.port, "lifeline/d1/surveillance/cam-1",
                        json.dumps({"online": True, "storage_pct": 41.5}))
        pts = self.wait_points(influx, "surveillance", 1)
        after = harness.now_ms()
        p = pts[0]
        self.assertLessEqual(before, p["time"], "stamped before the test published")
        self.assertLessEqual(p["time"], after, "stamped after it was stored")
        self.assertEqual(p, {"time": p["time"], "device": "cam-1", "district": "d1",
                             "online": True, "storage_pct": 41.5, "ts_on_receipt": True})
        self.assertEqual(influx.field_types(DB, "surveillance"),
                         {"online": "boolean", "storage_pct": "float",
                          "ts_on_receipt": "boolean"})

    def test_reading_with_ts_has_no_receipt_flag(self):
        broker = self.mosquitto()
        influx = self.influx()
        self.lifeline(broker, influx)
        ts = (harness.now_ms() // 1000 - 30) * 1000 + 7
        harness.publish(broker.port, "lifeline/d1/surveillance/cam-2",
                        json.dumps({"ts": ts, "online": False}))
        pts = self.wait_points(influx, "surveillance", 1)
        self.assertEqual(pts, [{"time": ts, "device": "cam-2", "district": "d1",
                                "online": False}])


if __name__ == "__main__":
    harness.main()
