"""Device ids (and a district) holding the characters line protocol treats
specially: each reading is stored as one point whose tag has exactly the id
from the topic, and no extra tag, series or measurement appears (a
`x,district=fake` id must not inject a tag)."""

import json

import harness

DB = harness.DB

DEVICES = [
    "pump room 1",             # space
    "a,b",                     # comma
    "k=v",                     # equals sign
    'say "hi"',                # double quotes
    "it's",                    # single quote
    "back\\slash",             # backslash, not trailing
    "x,district=fake",         # tag injection
    "y district=fake2 flow=9", # field injection
]

# Line protocol cannot carry these tag values unambiguously: InfluxDB 1.x
# reads a backslash before a special character as an escape and has no escape
# for the backslash itself, and a trailing backslash escapes the separator.
# They are refused with a reason, never stored altered.
UNREPRESENTABLE = [
    "\\ ,\\=",   # a backslash before ' ' and before '='
    "tail\\",      # a trailing backslash
]


class TestHostileIds(harness.TestCase):
    def test_hostile_device_ids(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        base = (harness.now_ms() // 1000 - 600) * 1000
        sent = []
        # levels below the drainage profile's 2 m high-water alarm, so that
        # no `alert` measurement joins the one checked below
        for i, device in enumerate(DEVICES):
            district = "d 1,=x" if i == 0 else "d1"
            topic = "lifeline/%s/drainage/%s" % (district, device)
            harness.publish(broker.port, topic,
                            json.dumps({"ts": base + i, "water_level": (5 + i) / 10}))
            sent.append({"time": base + i, "device": device, "district": district,
                         "water_level": (5 + i) / 10})
        for device in UNREPRESENTABLE:
            harness.publish(broker.port, "lifeline/d1/drainage/%s" % device,
                            json.dumps({"ts": base, "water_level": 0.5}))
        pts = self.wait_points(influx, "drainage", len(DEVICES))
        self.assertEqual(pts, sent)
        self.assertEqual(influx.measurements(DB), ["drainage"])
        self.assertEqual(influx.tag_keys(DB, "drainage"), ["device", "district"])
        self.assertEqual(influx.tag_values(DB, "drainage", "device"), sorted(DEVICES))
        self.assertEqual(influx.tag_values(DB, "drainage", "district"), ["d 1,=x", "d1"])
        self.assertEqual(influx.field_types(DB, "drainage"), {"water_level": "float"})
        self.assertEqual(len(influx.series(DB)), len(DEVICES))
        self.wait_metric(ll, "lifeline_points_written_total", len(DEVICES))
        self.wait_metric(ll, 'lifeline_rejected_total{reason="malformed"}', len(UNREPRESENTABLE))
        q = ll.quarantine()
        self.assertEqual(sorted(r["topic"] for r in q),
                         sorted("lifeline/d1/drainage/%s" % d for d in UNREPRESENTABLE))
        for r in q:
            self.assertEqual(r["reason"], "malformed")
            self.assertIn("backslash", r["detail"])


if __name__ == "__main__":
    harness.main()
