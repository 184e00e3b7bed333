"""A firing alert survives a restart: same id, still firing (and still
acknowledged), not raised again; last-seen times survive too, so offline
detection carries on."""

import json

import alerts_util as au
import harness

TOPIC = "lifeline/许营镇/manhole_cover/%s"


class TestAlertsRestart(harness.TestCase):
    def test_firing_alert_survives_restart(self):
        reg = au.write_registry(self.tmp + "/assets.csv", [
            ("MH-1", "井盖一号", "manhole_cover", "许营镇", "mh-1", 2),
            ("MH-2", "井盖二号", "manhole_cover", "许营镇", "mh-2", 3600)])
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, au.config(reg))
        harness.publish(broker.port, TOPIC % "mh-2", [json.dumps({"open": True})])
        harness.publish(broker.port, TOPIC % "mh-1", [json.dumps({"tilt": 1.0})])
        opened = au.wait_alert(ll, device="mh-2", state="firing")
        offline = au.wait_alert(ll, device="mh-1", state="firing", timeout=20)
        self.assertEqual((opened["rule"], offline["rule"]), ("fault:open", "offline"))
        ll.stop()
        first_run = ll.log_text()
        ll.start()
        harness.wait_until(lambda: "state loaded" in ll.log_text()[len(first_run):], 10,
                           "the state to be loaded")
        now = {a["rule"]: a for a in au.alerts(ll, state="firing")}
        self.assertEqual(now["fault:open"], opened)
        self.assertEqual((now["offline"]["id"], now["offline"]["fired_ms"]),
                         (offline["id"], offline["fired_ms"]))
        # the device comes back: the same alert resolves
        harness.publish(broker.port, TOPIC % "mh-1", [json.dumps({"tilt": 1.0})])
        au.wait_alert(ll, device="mh-1", state="resolved")
        second_run = ll.log_text()[len(first_run):]
        self.assertNotIn("alerts: fired", second_run)


if __name__ == "__main__":
    harness.main()
