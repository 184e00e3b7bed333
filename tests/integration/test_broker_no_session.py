"""The broker WITHOUT persistence restarted on the same port: it comes back
with no session for the daemon (no subscriptions, nothing queued), so the
daemon must see session_present=0 on reconnect and subscribe again
(collector/ingest.c on_connected). Every QoS 1 reading published after the
daemon is back is stored.

test_broker_restart.py covers the persistent broker, where the session
survives and the no-session branch only runs at first connect; this test is
the one that fails if the daemon subscribed only once per process."""

import json

import harness

DB = harness.DB
N = 400
TOPIC = "lifeline/d3/drainage/level-7"


class TestBrokerNoSession(harness.TestCase):
    def test_resubscribe_after_broker_lost_session(self):
        broker = self.mosquitto(persistence=False)
        influx = self.influx()
        ll = self.lifeline(broker, influx)  # waits for the first SUBSCRIBE
        self.assertEqual(broker.subscriptions(), 1)
        base = (harness.now_ms() // 1000 - 3600) * 1000
        payloads = [json.dumps({"ts": base + i * 100, "water_level": i / 1000}) for i in range(N)]

        harness.publish(broker.port, TOPIC, payloads[:N // 2])
        self.wait_count(influx, "drainage", "water_level", N // 2)

        connects = broker.connects()
        self.assertEqual(broker.stop(), 0)
        harness.wait_until(lambda: ll.metric("lifeline_mqtt_connected") == 0, 15,
                           "lifeline to notice the broker is gone")
        broker.start()  # same port, empty: no session, no subscription
        self.assertFalse(broker.persistence)
        harness.wait_until(lambda: broker.connects() > connects, 20,
                           "lifeline to reconnect to the restarted broker")
        # The broker only routes to a subscription it has: wait for the
        # daemon's new SUBSCRIBE before publishing (no other client subscribes).
        harness.wait_until(lambda: broker.subscriptions() == 2, 20,
                           "lifeline to subscribe again to the broker without its session")
        harness.wait_until(lambda: "reconnected" in ll.log_text()
                           and "session_present=0" in ll.log_text().split("reconnected", 1)[1],
                           10, "the daemon to log its reconnect without a session")
        harness.wait_until(lambda: ll.metric("lifeline_mqtt_connected") == 1, 10,
                           "lifeline_mqtt_connected 1 again")

        harness.publish(broker.port, TOPIC, payloads[N // 2:])
        self.wait_count(influx, "drainage", "water_level", N)
        pts = influx.points(DB, "drainage")
        self.assertEqual([(p["time"], p["water_level"]) for p in pts],
                         [(base + i * 100, i / 1000) for i in range(N)])
        self.assertEqual(broker.subscriptions(), 2)
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
