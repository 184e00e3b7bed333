"""wal.full_policy pause: with InfluxDB down and a small wal.max_bytes, the
daemon stops reading from the broker before the log is full (one log line,
lifeline_wal_paused 1), the broker queues the rest for the persistent
session, and once InfluxDB is back the backlog drains, intake resumes and
every reading is stored exactly once."""

import json

import harness

DB = harness.DB
N = 6000
TOPIC = "lifeline/d1/water_supply/pump-7"
SEGMENT = 65536  # the smallest wal.segment_bytes
MAX = 4 * SEGMENT  # about 2,500 records of ~100 bytes: N does not fit


def payloads(base):
    # flow stays inside the water_supply profile's 0..1000 m³/h
    return [json.dumps({"ts": base + i, "flow": i / 8}) for i in range(N)]


class TestWalFullPause(harness.TestCase):
    def test_pause_then_resume(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {
            "wal": {"segment_bytes": SEGMENT, "max_bytes": MAX, "full_policy": "pause"}})
        self.assertEqual(influx.stop(), 0)
        base = (harness.now_ms() // 1000 - 7200) * 1000
        harness.publish(broker.port, TOPIC, payloads(base))

        self.wait_metric(ll, "lifeline_wal_paused", 1, timeout=20)
        self.wait_metric(ll, "lifeline_mqtt_connected", 0)
        m = ll.metrics()
        self.assertEqual(m["lifeline_wal_pauses_total"], 1)
        self.assertEqual(m["lifeline_wal_max_bytes"], MAX)
        self.assertGreaterEqual(m["lifeline_wal_used_bytes"], MAX * 0.9)
        self.assertLessEqual(m["lifeline_wal_used_bytes"], MAX)
        self.assertEqual(m["lifeline_wal_dropped_records"], 0)
        taken = m["lifeline_messages_received_total"]
        self.assertLess(taken, N, "the broker must hold the rest")
        self.assertEqual(ll.log_text().count("pausing mqtt intake: the wal is nearly full"), 1)
        status, body = ll.healthz()
        self.assertEqual(status, 503)
        self.assertIn("paused", body["reason"])

        influx.start()
        self.wait_count(influx, "water_supply", "flow", N, timeout=40)
        pts = influx.points(DB, "water_supply")
        stored = len({p["time"] for p in pts})
        print("sent=%d stored=%d lost=%d (taken before the pause: %d)"
              % (N, stored, N - stored, taken))
        self.assertEqual([(p["time"], p["flow"]) for p in pts],
                         [(base + i, i / 8) for i in range(N)])
        self.wait_metric(ll, "lifeline_wal_paused", 0)
        self.assertEqual(ll.log_text().count("resuming mqtt intake"),
                         ll.metric("lifeline_wal_pauses_total"))
        self.wait_metric(ll, "lifeline_wal_pending_records", 0)
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
