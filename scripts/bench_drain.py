#!/usr/bin/env python3
"""Measures how a backlog drains after an InfluxDB outage: N readings are
published while InfluxDB is down (they wait in the write-ahead log), then
InfluxDB starts and the time until all N are stored is reported. With
--live R, new readings keep arriving at R readings/s (another device) from
the start of the outage until the backlog is gone, and must all be stored
too. Lifeline's resident memory is sampled every 0.25 s throughout, and the
mean batch size of the drain is computed from /metrics.

    LIFELINE_BIN=build/lifeline python3 scripts/bench_drain.py [N] [--live R]

Uses the integration harness (real mosquitto, influxd, lifeline run)."""

import argparse
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import harness  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("n", nargs="?", type=int, default=100000, help="backlog readings (100000)")
ap.add_argument("--live", type=float, default=0.0, metavar="R",
                help="readings/s published during outage and drain (0: none)")
ARGS = ap.parse_args()
N = ARGS.n
TOPIC = "lifeline/d1/water_supply/bench-1"
LIVE_TOPIC = "lifeline/d1/water_supply/live-1"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """VmRSS of pid every 0.25 s, each sample tagged with the phase."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.phase, self.samples = pid, "start", []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.samples.append((self.phase, rss_kb(self.pid)))
            except OSError:
                return
            self.done.wait(0.25)

    def peak(self, phase):
        v = [kb for p, kb in self.samples if p == phase]
        return (min(v) / 1024, max(v) / 1024) if v else (0.0, 0.0)


class Live(threading.Thread):
    """Publishes R readings/s (one second's worth per mosquitto_pub) until stopped."""

    def __init__(self, port, rate, base):
        super().__init__(daemon=True)
        self.port, self.rate, self.base = port, rate, base
        self.sent = 0
        self.stop = threading.Event()
        self.error = None

    def run(self):
        per = max(1, int(self.rate))
        t = time.monotonic()
        try:
            while not self.stop.is_set():
                lines = [json.dumps({"ts": self.base + self.sent + i, "flow": 1.5,
                                     "pressure_out": 0.3}) for i in range(per)]
                harness.publish(self.port, LIVE_TOPIC, lines, timeout=120)
                self.sent += per
                t += 1.0
                self.stop.wait(max(0.0, t - time.monotonic()))
        except Exception as e:  # reported by the test
            self.error = e


class Bench(harness.TestCase):
    def test_drain(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"influx": {"batch_age_ms": 1000}})
        sampler = Sampler(ll.proc.pid)
        sampler.start()
        self.assertEqual(influx.stop(), 0)
        sampler.phase = "outage"
        base = (harness.now_ms() // 1000 - 86400) * 1000
        live = None
        if ARGS.live > 0:
            live = Live(broker.port, ARGS.live, base - 86400 * 1000)
            live.start()
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
        sampler.phase = "drain"
        influx.start()
        t1 = time.monotonic()
        harness.wait_until(lambda: ll.metric("lifeline_wal_pending_records") < 100, 600,
                           "backlog drained", interval=0.1)
        t_drain = time.monotonic() - t1
        m2 = ll.metrics()
        live_sent = 0
        if live:
            live.stop.set()
            live.join(180)
            self.assertIsNone(live.error)
            live_sent = live.sent
        sampler.phase = "after"
        harness.wait_until(lambda: ll.metric("lifeline_wal_pending_records") == 0, 120,
                           "everything stored", interval=0.1)
        sampler.done.set()
        stored = influx.count(harness.DB, "water_supply", "pump_running")
        rows = influx.rows(harness.DB, 'SELECT count("flow") FROM "water_supply" '
                                       'WHERE "device" = \'live-1\'')
        live_stored = rows[0]["count"] if rows else 0
        points = m2["lifeline_points_written_total"] - m["lifeline_points_written_total"]
        batches = m2["lifeline_batches_written_total"] - m["lifeline_batches_written_total"]
        s0 = sampler.peak("start")
        so = sampler.peak("outage")
        sd = sampler.peak("drain")
        print("readings=%d live_rate=%g intake_s=%.1f wal_bytes=%d drain_s=%.1f "
              "drain_rate=%.0f/s batches=%d mean_batch=%.0f stored=%d live_sent=%d "
              "live_stored=%d rss_mb_start=%.1f rss_mb_outage=%.1f-%.1f rss_mb_drain=%.1f-%.1f"
              % (N, ARGS.live, t_in, m["lifeline_wal_bytes"], t_drain, N / t_drain, batches,
                 points / batches if batches else 0, stored, live_sent, live_stored, s0[1],
                 so[0], so[1], sd[0], sd[1]))
        self.assertEqual(stored, N)
        self.assertEqual(live_stored, live_sent)
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
