"""One plain-JSON reading of each device category, read back from InfluxDB:
every value exact, with the right timestamp, tags and field types. Numbers
are stored as floats, booleans as booleans, strings as strings; a nested
object is flattened with '_'; ts in epoch ms or epoch s."""

import json

import harness

DB = harness.DB
BASE = (harness.now_ms() // 1000 - 3600) * 1000  # an hour ago, whole second

# (category, district, device, payload without ts, expected fields, ts in payload, time)
CASES = [
    ("water_supply", "d1", "pump-room-01",
     {"pressure": {"in": 0.21, "out": 0.31}, "tank_level": 3.25, "flow": 118.6,
      "pump_running": True, "pump_freq": 42.5, "chlorine": 0.35, "turbidity": 0.12, "ph": 7.2,
      "status": "ok"},
     {"pressure_in": 0.21, "pressure_out": 0.31, "tank_level": 3.25, "flow": 118.6,
      "pump_running": True, "pump_freq": 42.5, "chlorine": 0.35, "turbidity": 0.12, "ph": 7.2,
      "status": "ok"},
     BASE + 123, BASE + 123),
    ("drainage", "d2", "rain-gauge-07",
     {"water_level": 1.84, "rainfall_5min": 3.5, "rainfall_1h": 27, "flow": 0.875,
      "supply_voltage": 12.1},
     {"water_level": 1.84, "rainfall_5min": 3.5, "rainfall_1h": 27.0, "flow": 0.875,
      "supply_voltage": 12.1},
     BASE + 1001, BASE + 1001),
    ("sewage", "d3", "hj212-station-3",
     {"w00000": 46.2, "w01018": 194.2, "w21003": 1.2, "w21001": 15.8, "w21011": 0.41,
      "w01001": 7.05},
     {"w00000": 46.2, "w01018": 194.2, "w21003": 1.2, "w21001": 15.8, "w21011": 0.41,
      "w01001": 7.05},
     BASE + 2002, BASE + 2002),
    ("manhole_cover", "d4", "cover-0042",
     {"tilt": 12.5, "open": False, "water_level": 0.35, "gas_ch4": 4, "battery_v": 3.52,
      "rsrp": -95, "snr": 12.5},
     {"tilt": 12.5, "open": False, "water_level": 0.35, "gas_ch4": 4.0, "battery_v": 3.52,
      "rsrp": -95.0, "snr": 12.5},
     BASE + 3003, BASE + 3003),
    ("bridge_tunnel", "d5", "bridge-2-strain-1",
     {"tilt": 0.02, "displacement": -1.75, "strain": 125.5, "acceleration": 0.0031,
      "crack_width": 0.18},
     {"tilt": 0.02, "displacement": -1.75, "strain": 125.5, "acceleration": 0.0031,
      "crack_width": 0.18},
     BASE + 4004, BASE + 4004),
    # epoch seconds
    ("surveillance", "d6", "cam-17",
     {"online": True, "video_loss": False, "storage_pct": 63.5, "temperature": -5.5},
     {"online": True, "video_loss": False, "storage_pct": 63.5, "temperature": -5.5},
     BASE // 1000 + 5, BASE + 5000),
]


def expected_type(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, str):
        return "string"
    return "float"


class TestCategories(harness.TestCase):
    def test_one_reading_per_category(self):
        broker = self.mosquitto()
        influx = self.influx()
        # readings past profile alarms raise alerts, whose `alert` measurement
        # would join the list below; alerts have their own tests
        ll = self.lifeline(broker, influx, {"alerts": {"enabled": False}})
        for cat, district, device, payload, _, ts, _ in CASES:
            body = dict(payload, ts=ts)
            harness.publish(broker.port, "lifeline/%s/%s/%s" % (district, cat, device),
                            json.dumps(body))
        for cat, district, device, _, fields, _, t in CASES:
            pts = self.wait_points(influx, cat, 1)
            want = dict(fields, time=t, device=device, district=district)
            self.assertEqual(pts[0], want, cat)
            # booleans must come back as JSON booleans, not as 1/0
            for k, v in fields.items():
                self.assertIs(type(pts[0][k]) is bool, isinstance(v, bool), (cat, k))
            self.assertEqual(influx.field_types(DB, cat),
                             {k: expected_type(v) for k, v in fields.items()}, cat)
            self.assertEqual(influx.tag_keys(DB, cat), ["device", "district"], cat)
        self.assertEqual(influx.measurements(DB), sorted(c[0] for c in CASES))
        self.wait_metric(ll, "lifeline_messages_received_total", len(CASES))
        self.wait_metric(ll, "lifeline_points_written_total", len(CASES))
        self.assertEqual(ll.quarantine(), [])


if __name__ == "__main__":
    harness.main()
