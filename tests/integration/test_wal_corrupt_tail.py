"""A damaged write-ahead log tail (garbage appended, or the last record cut
short, as a crash in the middle of a write or a bad disk leaves it): the
daemon starts anyway, logs the damage, reports lifeline_wal_corrupt_bytes,
and stores every record before the damage once InfluxDB is up."""

import glob
import json
import os

import harness

DB = harness.DB
N = 500
TOPIC = "lifeline/d3/drainage/level-2"
GARBAGE = b"\xab" * 100


def payloads(base):
    return [json.dumps({"ts": base + i, "water_level": i / 1000}) for i in range(N)]


class TestWalCorruptTail(harness.TestCase):
    def fill_wal_and_stop(self):
        """Daemon with InfluxDB down: N records stay in the log; returns
        (broker, influx, daemon, base, last segment path)."""
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        self.assertEqual(influx.stop(), 0)
        base = (harness.now_ms() // 1000 - 3600) * 1000
        harness.publish(broker.port, TOPIC, payloads(base))
        self.wait_metric(ll, "lifeline_wal_pending_records", N, timeout=20)
        self.assertEqual(ll.stop(timeout=25), 0)
        segs = sorted(glob.glob(os.path.join(ll.data_dir, "wal", "*.seg")))
        self.assertEqual(len(segs), 1)  # 500 small records: one segment
        return broker, influx, ll, base, segs[-1]

    def restart_and_check(self, broker, influx, ll, base, kept, corrupt):
        self.start_lifeline(ll, broker, subscribe=False)
        log = ll.log_text()
        self.assertIn("warn wal: corrupt segment, truncating file=", log)
        m = ll.metrics()
        self.assertEqual(m["lifeline_wal_corrupt_bytes"], corrupt)
        self.assertEqual(m["lifeline_wal_replayed_records"], kept)
        influx.start()
        self.wait_count(influx, "drainage", "water_level", kept)
        self.wait_metric(ll, "lifeline_wal_pending_records", 0)
        pts = influx.points(DB, "drainage")
        print("sent=%d stored=%d lost=%d (damaged tail: %d bytes)"
              % (N, len(pts), N - len(pts), corrupt))
        self.assertEqual([(p["time"], p["water_level"]) for p in pts],
                         [(base + i, i / 1000) for i in range(kept)])
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)

    def test_garbage_appended(self):
        broker, influx, ll, base, seg = self.fill_wal_and_stop()
        with open(seg, "ab") as f:
            f.write(GARBAGE)
        self.restart_and_check(broker, influx, ll, base, N, len(GARBAGE))

    def test_last_record_truncated(self):
        broker, influx, ll, base, seg = self.fill_wal_and_stop()
        size = os.path.getsize(seg)
        last_len = 34 + len(TOPIC) + len(payloads(base)[-1])  # WAL_RECORD_OVERHEAD + topic + payload
        cut = 7
        os.truncate(seg, size - cut)
        self.restart_and_check(broker, influx, ll, base, N - 1, last_len - cut)


if __name__ == "__main__":
    harness.main()
