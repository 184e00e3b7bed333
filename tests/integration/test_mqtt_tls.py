"""MQTT over TLS against a real mosquitto with certificates made by openssl
(harness.Certs): with the CA and verification on, readings reach InfluxDB;
a broker that requires a client certificate accepts the daemon's; a broker
certificate for another host name is refused while verification is on (the
daemon stays unhealthy, says why, keeps retrying, stores nothing) and
accepted with verification off, which shows that the host name check is what
refused it."""

import json
import os
import subprocess

import harness

DB = harness.DB
TOPIC = "lifeline/d1/manhole_cover/cover-tls-%d"
BASE = (harness.now_ms() // 1000 - 1800) * 1000  # half an hour ago, whole second
N = 3


def tls_overrides(broker, certs, scheme="ssl", **tls):
    mqtt = {"url": "%s://localhost:%d" % (scheme, broker.port),
            # fast retries, so that a refused attempt is seen to repeat
            "reconnect_min_s": 1, "reconnect_max_s": 1,
            "tls": dict({"ca_file": certs.ca, "verify": True}, **tls)}
    return {"mqtt": mqtt}


class TestMqttTls(harness.TestCase):
    def setUp(self):
        super().setUp()
        self.certs = harness.Certs(self.tmp)

    def publish(self, broker, device, extra_args=()):
        """Publishes N readings over TLS (mosquitto_pub checks the broker's
        certificate against the same CA) and returns the expected points."""
        topic = TOPIC % device
        ts = [BASE + device * 1000 + i for i in range(N)]
        harness.publish(broker.port, topic,
                        [json.dumps({"ts": t, "tilt": 1.25 + i, "open": False})
                         for i, t in enumerate(ts)],
                        args=broker.client_args + ["-h", "localhost"] + list(extra_args))
        return [(t, "cover-tls-%d" % device, 1.25 + i, False) for i, t in enumerate(ts)]

    def assert_delivered(self, broker, influx, ll, device, extra_args=()):
        self.wait_health(ll, 200)
        want = self.publish(broker, device, extra_args)
        pts = self.wait_points(influx, "manhole_cover", N)
        self.assertEqual([(p["time"], p["device"], p["tilt"], p["open"]) for p in pts], want)

    def assert_refused(self, broker, influx, ll, reason):
        """The daemon is up but not connected: it fails to connect at least
        twice (so it keeps retrying), each time logging `reason`; /healthz
        says 503; the broker saw no MQTT session from it; nothing arrives."""
        harness.wait_until(lambda: ll.log_text().count("connect failed") >= 2, 15,
                           "two failed connection attempts in the daemon's log")
        failures = [l for l in ll.log_text().splitlines() if "connect failed" in l]
        for line in failures:
            self.assertIn("url=ssl://localhost:%d" % broker.port, line)
            self.assertIn(reason, line)
        self.assertTrue(ll.alive(), "the daemon must keep running")
        status, body = ll.healthz()
        self.assertEqual((status, body), (503, {"status": "unhealthy",
                                                "reason": "not connected to the mqtt broker"}))
        self.assertEqual(broker.connects(), 0, "the broker must not have seen an MQTT session")
        self.assertEqual(ll.metric("lifeline_messages_received_total"), 0)
        self.assertEqual(influx.measurements(DB), [])

    def test_server_verified_with_ca(self):
        broker = self.mosquitto(tls=self.certs.broker_tls())
        influx = self.influx()
        ll = self.lifeline(broker, influx, tls_overrides(broker, self.certs))
        self.assert_delivered(broker, influx, ll, 1)
        self.assertIn("info ingest: connected url=ssl://localhost:%d" % broker.port,
                      ll.log_text())

    def test_mqtts_scheme(self):
        broker = self.mosquitto(tls=self.certs.broker_tls())
        influx = self.influx()
        ll = self.lifeline(broker, influx, tls_overrides(broker, self.certs, scheme="mqtts"))
        self.assert_delivered(broker, influx, ll, 2)

    def test_client_certificate_required(self):
        broker = self.mosquitto(tls=self.certs.broker_tls(), require_certificate=True)
        influx = self.influx()
        cert, key = self.certs.client
        # the broker really does require one: a client without is turned away
        r = subprocess.run(
            ["mosquitto_pub", "-h", "localhost", "-p", str(broker.port), "-t", "lifeline/x",
             "-m", "x"] + broker.client_args, capture_output=True, timeout=20)
        self.assertNotEqual(r.returncode, 0, "mosquitto_pub without a client certificate")
        ll = self.lifeline(broker, influx,
                           tls_overrides(broker, self.certs, cert_file=cert, key_file=key))
        self.assert_delivered(broker, influx, ll, 3, ["--cert", cert, "--key", key])

    def test_client_certificate_missing_is_explained(self):
        broker = self.mosquitto(tls=self.certs.broker_tls(), require_certificate=True)
        influx = self.influx()
        ll = self.lifeline(broker, influx, tls_overrides(broker, self.certs), start=False)
        ll.start()
        # TLS 1.3: the broker checks our certificate after our side of the
        # handshake; its alert may or may not arrive before the connection drops
        self.assert_refused(broker, influx, ll,
                            'tls_error="the broker closed the connection after the tls '
                            'handshake')
        self.assert_refused(broker, influx, ll,
                            'it may require a client certificate it trusts '
                            '(mqtt.tls.cert_file)"')

    def test_wrong_host_name_refused_with_verify(self):
        broker = self.mosquitto(tls=self.certs.broker_tls(self.certs.wrong_host))
        influx = self.influx()
        ll = self.lifeline(broker, influx, tls_overrides(broker, self.certs), start=False)
        ll.start()
        # a client that skips the host name check gets in and publishes: the
        # broker itself works, and nothing of this may reach the daemon
        self.publish(broker, 4, ["--insecure"])
        self.assert_refused(broker, influx, ll,
                            'tls_error="the broker\'s '
                            'certificate is not valid for host name localhost"')

    def test_wrong_ca_refused(self):
        other = harness.Certs(os.path.join(self.tmp, "other-ca"))
        broker = self.mosquitto(tls=self.certs.broker_tls())
        influx = self.influx()
        ll = self.lifeline(broker, influx, tls_overrides(broker, other), start=False)
        ll.start()
        self.assert_refused(broker, influx, ll,
                            'tls_error="tls alert sent: unknown CA; '
                            'openssl: certificate verify failed"')

    def test_wrong_host_name_accepted_without_verify(self):
        broker = self.mosquitto(tls=self.certs.broker_tls(self.certs.wrong_host))
        influx = self.influx()
        ll = self.lifeline(broker, influx, tls_overrides(broker, self.certs, verify=False))
        self.assert_delivered(broker, influx, ll, 5, ["--insecure"])


if __name__ == "__main__":
    harness.main()
