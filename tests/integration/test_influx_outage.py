"""InfluxDB stopped in the middle of a steady QoS 1 stream and started again:
every reading is stored exactly once (one point per distinct timestamp, with
its own values), and /healthz answered 503 while the database was away."""

import json

import harness

DB = harness.DB
N = 2000
CHUNK = 200
TOPIC = "lifeline/d1/water_supply/pump-1"


def reading(base, i):
    return {"ts": base + i * 1000, "flow": i * 0.25, "pressure_out": round(0.2 + (i % 100) / 1000, 3)}


class TestInfluxOutage(harness.TestCase):
    def publish_chunk(self, broker, base, start):
        harness.publish(broker.port, TOPIC,
                        [json.dumps(reading(base, i)) for i in range(start, start + CHUNK)])

    def test_outage_mid_stream(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        base = (harness.now_ms() // 1000 - 3 * 3600) * 1000
        chunks = list(range(0, N, CHUNK))

        # before: the daemon writes and is healthy
        for start in chunks[:3]:
            self.publish_chunk(broker, base, start)
        harness.wait_until(lambda: ll.metric("lifeline_points_written_total") > 0, 20,
                           "first points written")
        self.wait_health(ll, 200)

        # outage: stream goes on, the daemon must keep it and say it is unhealthy
        self.assertEqual(influx.stop(), 0)
        for start in chunks[3:7]:
            self.publish_chunk(broker, base, start)
        body = self.wait_health(ll, 503)
        self.assertIsInstance(body, dict, body)
        self.assertIn("status", body)
        self.assertIn("reason", body)
        self.assertTrue(ll.alive())

        # back: the rest of the stream, and the backlog drains
        influx.start()
        for start in chunks[7:]:
            self.publish_chunk(broker, base, start)
        self.wait_count(influx, "water_supply", "flow", N)
        pts = influx.points(DB, "water_supply")
        self.assertEqual(len(pts), N)
        self.assertEqual(len({p["time"] for p in pts}), N)
        for i, p in enumerate(pts):
            r = reading(base, i)
            self.assertEqual(p, {"time": r["ts"], "device": "pump-1", "district": "d1",
                                 "flow": r["flow"], "pressure_out": r["pressure_out"]})
        self.wait_health(ll, 200)
        self.wait_metric(ll, "lifeline_messages_received_total", N)
        self.wait_metric(ll, "lifeline_queue_depth", 0)
        written = ll.metric("lifeline_points_written_total")
        self.assertGreaterEqual(written, N)
        # a batch whose answer was lost to the outage is written again: the
        # same points, which InfluxDB keeps once; say how many
        print("sent=%d stored=%d lost=%d points_written=%d written_twice=%d"
              % (N, len(pts), N - len(pts), written, written - N))
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
