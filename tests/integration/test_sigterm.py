"""SIGTERM: the daemon flushes what is pending and exits 0 promptly. With
InfluxDB up, readings it had received are in the database when it has exited;
with InfluxDB down, it still exits promptly and the write-ahead log keeps the
readings, which the next run writes."""

import json
import time

import harness

DB = harness.DB
N = 50
TOPIC = "lifeline/d1/manhole_cover/cover-3"
EXIT_DEADLINE = 5.0


def payloads(base):
    return [json.dumps({"ts": base + i, "tilt": 1.5 + i / 10, "open": False}) for i in range(N)]


class TestSigterm(harness.TestCase):
    def stop_timed(self, ll):
        t0 = time.monotonic()
        rc = ll.stop(timeout=EXIT_DEADLINE)
        return rc, time.monotonic() - t0

    def test_sigterm_flushes_pending(self):
        broker = self.mosquitto()
        influx = self.influx()
        # a batch that would wait 30 s: only the SIGTERM flush can write it in time
        ll = self.lifeline(broker, influx, {"influx": {"batch_age_ms": 30000}})
        base = (harness.now_ms() // 1000 - 600) * 1000
        harness.publish(broker.port, TOPIC, payloads(base))
        self.wait_metric(ll, "lifeline_messages_received_total", N)
        written_before = influx.count(DB, "manhole_cover", "tilt")
        if written_before:
            print("note: %d of %d points were written before SIGTERM" % (written_before, N))
        rc, took = self.stop_timed(ll)
        self.assertEqual(rc, 0, "exit status after SIGTERM")
        self.assertLess(took, EXIT_DEADLINE)
        pts = influx.points(DB, "manhole_cover")
        self.assertEqual([(p["time"], p["tilt"], p["open"]) for p in pts],
                         [(base + i, 1.5 + i / 10, False) for i in range(N)])

    def test_sigterm_with_influx_down_keeps_wal(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        self.assertEqual(influx.stop(), 0)
        base = (harness.now_ms() // 1000 - 900) * 1000
        harness.publish(broker.port, TOPIC, payloads(base))
        self.wait_metric(ll, "lifeline_messages_received_total", N)
        self.wait_health(ll, 503)
        rc, took = self.stop_timed(ll)
        self.assertEqual(rc, 0, "exit status after SIGTERM with InfluxDB down")
        self.assertLess(took, EXIT_DEADLINE)

        influx.start()
        self.assertEqual(influx.count(DB, "manhole_cover", "tilt"), 0)
        # same config, same data_dir: the WAL replays; nothing new is published
        self.start_lifeline(ll, broker, subscribe=False)
        self.wait_count(influx, "manhole_cover", "tilt", N, timeout=20)
        pts = influx.points(DB, "manhole_cover")
        self.assertEqual([(p["time"], p["tilt"], p["open"]) for p in pts],
                         [(base + i, 1.5 + i / 10, False) for i in range(N)])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
