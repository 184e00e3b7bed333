"""wal.full_policy drop_oldest: with InfluxDB down and a small wal.max_bytes,
the daemon keeps taking messages and deletes the oldest segments to make
room. Every reading is accounted for: stored + dropped == sent, where
dropped is lifeline_wal_dropped_unread_records (records deleted before the
pipeline read them; those it had read, up to one batch, still reach the
database from memory), and the newest readings are the ones kept."""

import json

import harness

DB = harness.DB
N = 6000
TOPIC = "lifeline/d1/water_supply/pump-8"
SEGMENT = 65536  # the smallest wal.segment_bytes
MAX = 4 * SEGMENT  # about 2,500 records of ~100 bytes: N does not fit


def payloads(base):
    # flow stays inside the water_supply profile's 0..1000 m³/h
    return [json.dumps({"ts": base + i, "flow": i / 8}) for i in range(N)]


class TestWalFullDrop(harness.TestCase):
    def test_drop_oldest(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {
            "wal": {"segment_bytes": SEGMENT, "max_bytes": MAX, "full_policy": "drop_oldest"},
            # at most one batch is held in memory: the rest must wait in the log
            "influx": {"batch_lines": 500}})
        self.assertEqual(influx.stop(), 0)
        base = (harness.now_ms() // 1000 - 7200) * 1000
        harness.publish(broker.port, TOPIC, payloads(base))

        # every message is taken: nothing waits at the broker
        self.wait_metric(ll, "lifeline_messages_received_total", N, timeout=20)
        m = ll.metrics()
        dropped = m["lifeline_wal_dropped_unread_records"]
        self.assertGreater(dropped, 0)
        self.assertGreaterEqual(m["lifeline_wal_dropped_records"], dropped)
        self.assertEqual(m["lifeline_wal_paused"], 0)
        self.assertEqual(m["lifeline_wal_pauses_total"], 0)
        self.assertLessEqual(m["lifeline_wal_used_bytes"], MAX)
        self.assertIn("dropped oldest segment", ll.log_text())

        influx.start()
        self.wait_metric(ll, "lifeline_wal_pending_records", 0, timeout=30)
        self.wait_metric(ll, "lifeline_pending_lines", 0)
        pts = influx.points(DB, "water_supply")
        stored = {p["time"] - base for p in pts}
        print("sent=%d stored=%d lost=%d dropped=%d (deleted uncommitted: %d)"
              % (N, len(stored), N - len(stored), dropped, m["lifeline_wal_dropped_records"]))
        self.assertEqual(len(pts), len(stored))
        self.assertEqual(len(stored) + dropped, N)
        self.assertEqual(ll.metric("lifeline_wal_dropped_unread_records"), dropped)
        # the newest readings survive: everything after the last dropped one
        missing = sorted(set(range(N)) - stored)
        self.assertEqual(stored >= set(range(missing[-1] + 1, N)), True)
        self.assertGreater(N - 1 - missing[-1], 1000)
        for p in pts:
            self.assertEqual(p["flow"], (p["time"] - base) / 8)
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
