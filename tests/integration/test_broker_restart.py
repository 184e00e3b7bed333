"""The broker (with persistence) restarted on the same port in the middle of
a QoS 1 stream: readings published before and after are all stored, because
the daemon reconnects with its persistent session (and resubscribes when the
broker lost it)."""

import json

import harness

DB = harness.DB
N = 1000
TOPIC = "lifeline/d2/drainage/level-9"


class TestBrokerRestart(harness.TestCase):
    def test_restart_mid_stream(self):
        broker = self.mosquitto(persistence=True)
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        base = (harness.now_ms() // 1000 - 3600) * 1000
        payloads = [json.dumps({"ts": base + i * 100, "water_level": i / 1000}) for i in range(N)]

        harness.publish(broker.port, TOPIC, payloads[:N // 2])
        connects = broker.connects()
        self.assertEqual(broker.stop(), 0)
        harness.wait_until(lambda: ll.metric("lifeline_mqtt_connected") == 0, 15,
                           "lifeline to notice the broker is gone")
        broker.start()
        harness.publish(broker.port, TOPIC, payloads[N // 2:])
        harness.wait_until(lambda: broker.connects() > connects, 20,
                           "lifeline to reconnect to the restarted broker")
        harness.wait_until(lambda: ll.metric("lifeline_mqtt_connected") == 1, 10,
                           "lifeline_mqtt_connected 1 again")

        self.wait_count(influx, "drainage", "water_level", N)
        pts = influx.points(DB, "drainage")
        self.assertEqual([(p["time"], p["water_level"]) for p in pts],
                         [(base + i * 100, i / 1000) for i in range(N)])
        # a message in flight at the stop may come again: harmless, same point
        self.assertGreaterEqual(ll.metric("lifeline_points_written_total"), N)
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
