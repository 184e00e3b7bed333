#!/usr/bin/env python3
"""Measures how fast a backlog drains after an InfluxDB outage: N readings
are published while InfluxDB is down (they wait in the write-ahead log), then
InfluxDB starts and the time until all N are stored is reported.

    LIFELINE_BIN=build/lifeline python3 scripts/bench_drain.py [N]

Uses the integration harness (real mosquitto, influxd, lifeline run)."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
TOPIC = "lifeline/d1/water_supply/bench-1"


class Bench(harness.TestCase):
    def test_drain(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"influx": {"batch_age_ms": 1000}})
        self.assertEqual(influx.stop(), 0)
        base = (harness.now_ms() // 1000 - 86400) * 1000
        lines = [json.dumps({"ts": base + i, "pressure_out": 0.3 + (i % 100) / 1000,
                             "flow": i % 1000 / 4, "pump_running": True}) for i in range(N)]
        t0 = time.monotonic()
        # mosquitto_pub -l can exit before a very long input is all published:
        # chunks of 5,000 keep every message.
        for k in range(0, N, 5000):
            harness.publish(broker.port, TOPIC, lines[k:k + 5000], timeout=600)
        harness.wait_until(lambda: ll.metric("lifeline_wal_pending_records") >= N, 600,
                           "backlog in the wal", interval=0.5)
        t_in = time.monotonic() - t0
        m = ll.metrics()
        influx.start()
        t1 = time.monotonic()
        harness.wait_until(lambda: ll.metric("lifeline_wal_pending_records") == 0, 600,
                           "backlog drained", interval=0.2)
        t_drain = time.monotonic() - t1
        stored = influx.count(harness.DB, "water_supply", "flow")
        print("readings=%d intake_s=%.1f wal_bytes=%d drain_s=%.1f drain_rate=%.0f/s stored=%d"
              % (N, t_in, m["lifeline_wal_bytes"], t_drain, N / t_drain, stored))
        self.assertEqual(stored, N)
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
