"""InfluxDB v2 write API (org, bucket, token) against VictoriaMetrics: the
readings arrive as metrics <measurement>_<field> labelled with the tags.
VictoriaMetrics stores booleans as 1/0 and string fields as 0, so only
numbers and booleans are asserted."""

import json

import harness


class TestV2Victoria(harness.TestCase):
    def test_v2_writes_reach_victoria(self):
        broker = self.mosquitto()
        vm = self.victoria()
        ll = harness.Lifeline(self.tmp, broker.port, vm.url, {
            "influx": {"api": "v2", "database": None, "org": "lifeline-org",
                       "bucket": "lifeline", "token_env": "LIFELINE_TEST_TOKEN"}})
        ll.env["LIFELINE_TEST_TOKEN"] = "test-token"
        self.services.append(ll)
        self.start_lifeline(ll, broker)

        base = (harness.now_ms() // 1000 - 300) * 1000
        # decimals VictoriaMetrics keeps exactly (it stores about 12 significant digits)
        readings = [(base + i * 1000, round(0.30 + i / 100, 2), i % 2 == 0) for i in range(5)]
        harness.publish(broker.port, "lifeline/许营镇/water_supply/pump-7",
                        [json.dumps({"ts": t, "pressure_out": p, "pump_running": r})
                         for t, p, r in readings])

        def complete():
            series = {s[0]: s for s in vm.export()}
            s = series.get("water_supply_pressure_out")
            return series if s and len(s[3]) == len(readings) else None

        series = harness.wait_until(complete, 20, "5 samples in victoria-metrics")
        labels = {"device": "pump-7", "district": "许营镇"}
        self.assertEqual(series["water_supply_pressure_out"],
                         ("water_supply_pressure_out", labels,
                          [p for _, p, _ in readings], [t for t, _, _ in readings]))
        self.assertEqual(series["water_supply_pump_running"],
                         ("water_supply_pump_running", labels,
                          [1 if r else 0 for _, _, r in readings], [t for t, _, _ in readings]))
        self.assertEqual(sorted(series), ["water_supply_pressure_out",
                                          "water_supply_pump_running"])
        self.wait_metric(ll, "lifeline_points_written_total", len(readings))
        self.assertGreaterEqual(ll.metric("lifeline_write_requests_total", status="204"), 1)
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
