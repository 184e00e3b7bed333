"""Validation against the category profile and the registry: an
out-of-range value is quarantined with reason range and a detail naming
field, value and bounds; a device the registry does not list is stored with
the tag unregistered=true (policy flag) or quarantined with reason
unknown_device (policy quarantine)."""

import json

import harness
import knowledge

DB = harness.DB
T = (harness.now_ms() // 1000 - 300) * 1000


class TestValidation(harness.TestCase):
    def start(self, policy):
        reg = knowledge.write_registry(self.tmp + "/assets.csv", [
            ("P-1", "water_supply", "顾官屯镇", "pump-1", "PX")])
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"registry": {"assets": reg,
                                                         "unknown_devices": policy}})
        return broker, influx, ll

    def test_range_and_flag(self):
        broker, influx, ll = self.start("flag")
        harness.publish(broker.port, "lifeline/d1/water_supply/pump-1",
                        [json.dumps({"ts": T, "pressure_out": 2.3}),
                         json.dumps({"ts": T + 1, "pressure_out": 0.31})])
        harness.publish(broker.port, "lifeline/d9/water_supply/stray",
                        json.dumps({"ts": T + 2, "pressureOut": 0.2}))
        pts = self.wait_points(influx, "water_supply", 2)
        self.assertEqual(pts, [
            {"time": T + 1, "asset": "P-1", "device": "pump-1", "district": "顾官屯镇",
             "model": "PX", "pressure_out": 0.31},
            {"time": T + 2, "device": "stray", "district": "d9", "unregistered": "true",
             "pressure_out": 0.2}])
        self.wait_metric(ll, 'lifeline_rejected_total{reason="range"}', 1)
        q = ll.quarantine()
        self.assertEqual([(r["topic"], r["reason"], r["detail"]) for r in q],
                         [("lifeline/d1/water_supply/pump-1", "range",
                           "field 'pressure_out' = 2.3 outside 0..1.6 MPa")])
        self.wait_metric(ll, "lifeline_unknown_devices", 1)

    def test_quarantine_unknown(self):
        broker, influx, ll = self.start("quarantine")
        harness.publish(broker.port, "lifeline/d9/water_supply/stray",
                        json.dumps({"ts": T, "pressure_out": 0.2}))
        harness.publish(broker.port, "lifeline/d1/water_supply/pump-1",
                        json.dumps({"ts": T + 1, "pressure_out": 0.3}))
        self.wait_points(influx, "water_supply", 1)
        self.wait_metric(ll, 'lifeline_rejected_total{reason="unknown_device"}', 1)
        q = ll.quarantine()
        self.assertEqual([(r["reason"], r["detail"]) for r in q],
                         [("unknown_device", "device 'stray' is not in the registry "
                           "(registry.unknown_devices is quarantine)")])


if __name__ == "__main__":
    harness.main()
