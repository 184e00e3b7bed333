"""MQTT user name and password against a real mosquitto with a password file
and anonymous clients refused: the daemon logs in with mqtt.username and the
password from mqtt.password_file or from the variable named by
mqtt.password_env, and readings reach InfluxDB. With a wrong password the
broker refuses it: the daemon says so (an error naming the user, never the
password), stays up and unhealthy, stores nothing, and keeps retrying, so
that it logs in once the broker accepts the password."""

import json
import os

import harness

DB = harness.DB
USER = "lifeline"
PASSWORD = "s3cret pass:with#signs"  # spaces and signs survive file, env and broker
WRONG = "not-the-password"
PUBLISHER = "sensor-gateway"  # a second account, for the test's own publisher
BASE = (harness.now_ms() // 1000 - 2400) * 1000
N = 3
ENV_NAME = "LIFELINE_TEST_MQTT_PASSWORD"


class TestMqttAuth(harness.TestCase):
    def broker(self):
        # the first user's credentials are the broker's client_args
        return self.mosquitto(users={PUBLISHER: "gateway-pw", USER: PASSWORD})

    def password_file(self, password):
        path = os.path.join(self.tmp, "mqtt-password")
        with open(path, "w") as f:
            f.write(password + "\n")
        os.chmod(path, 0o600)
        return path

    def overrides(self, **mqtt):
        return {"mqtt": dict({"username": USER, "reconnect_min_s": 1, "reconnect_max_s": 1},
                             **mqtt)}

    def publish(self, broker, device):
        ts = [BASE + device * 1000 + i for i in range(N)]
        harness.publish(broker.port, "lifeline/d2/drainage/gauge-%d" % device,
                        [json.dumps({"ts": t, "water_level": 0.5 + i}) for i, t in enumerate(ts)],
                        args=broker.client_args)
        return [(t, "gauge-%d" % device, 0.5 + i) for i, t in enumerate(ts)]

    def assert_delivered(self, broker, influx, ll, device):
        self.wait_health(ll, 200)
        want = self.publish(broker, device)
        pts = self.wait_points(influx, "drainage", N)
        self.assertEqual([(p["time"], p["device"], p["water_level"]) for p in pts], want)
        # the broker logged the session as authenticated with our user name
        self.assertIn(" as %s (p2, c0, k30, u'%s')." % (harness.CLIENT_ID, USER),
                      broker.log_text())
        self.assertNotIn(PASSWORD, ll.log_text())

    def test_password_file(self):
        broker = self.broker()
        influx = self.influx()
        ll = self.lifeline(broker, influx,
                           self.overrides(password_file=self.password_file(PASSWORD)))
        self.assert_delivered(broker, influx, ll, 1)

    def test_password_env(self):
        broker = self.broker()
        influx = self.influx()
        ll = self.lifeline(broker, influx, self.overrides(password_env=ENV_NAME), start=False)
        ll.env[ENV_NAME] = PASSWORD
        self.start_lifeline(ll, broker)
        self.assert_delivered(broker, influx, ll, 2)

    def test_wrong_password_refused_and_retried(self):
        broker = self.broker()
        influx = self.influx()
        ll = self.lifeline(broker, influx, self.overrides(password_file=self.password_file(WRONG)),
                           start=False)
        ll.start()
        refusal = ("error ingest: connect refused by the broker url=tcp://127.0.0.1:%d code=5 "
                   'reason="not authorized" username=%s' % (broker.port, USER))
        harness.wait_until(lambda: ll.log_text().count(refusal) >= 2, 15,
                           "two refused logins in the daemon's log")
        self.assertGreaterEqual(broker.count_in_log("disconnected, not authorised."), 2)
        self.assertIn('fix="check mqtt.username, the password and the broker\'s acl"',
                      ll.log_text())
        self.assertNotIn(WRONG, ll.log_text())
        self.assertTrue(ll.alive(), "the daemon must keep running")
        self.assertEqual(ll.healthz(), (503, {"status": "unhealthy",
                                              "reason": "not connected to the mqtt broker"}))
        self.assertEqual(broker.connects(), 0)
        self.publish(broker, 3)  # nobody subscribed: the broker drops these
        self.assertEqual(ll.metric("lifeline_messages_received_total"), 0)
        self.assertEqual(influx.measurements(DB), [])

        # still retrying: once the broker accepts that password, it logs in
        subs = broker.subscriptions()
        broker.set_password(USER, WRONG)
        self.wait_health(ll, 200)
        self.assertEqual(broker.connects(), 1)
        # /healthz says 200 once connected; the subscription follows it, and
        # what is published before the broker has it reaches nobody
        harness.wait_until(lambda: broker.subscriptions() > subs, harness.START_TIMEOUT,
                           "lifeline to subscribe to %s" % harness.TOPIC_FILTER)
        want = self.publish(broker, 4)
        pts = self.wait_points(influx, "drainage", N)
        self.assertEqual([(p["time"], p["device"], p["water_level"]) for p in pts], want)


if __name__ == "__main__":
    harness.main()
