"""One reading in each payload format reaches InfluxDB with the registry's
tags: Alink (device = deviceName, per-parameter times become separate
points, aliases renamed, RSRP magnitude normalised), HJ 212 (device = MN,
kind from CN, DataTime in UTC+8), OneNET. The default mqtt.topics and
mqtt.decoders are used."""

import json

import harness
import knowledge

DB = harness.DB
T = (harness.now_ms() // 1000 - 600) * 1000  # ten minutes ago, whole second
MN = "010000A8900016F000169DC0"


class TestDecoders(harness.TestCase):
    def test_each_format(self):
        reg = knowledge.write_registry(self.tmp + "/assets.csv", [
            ("A-1", "manhole_cover", "许营镇", "cover-a1", "WX-10"),
            ("S-1", "sewage", "顾官屯镇", MN, "HJ-S"),
            ("C-1", "surveillance", "九州街道", "cam-9", ""),
        ])
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                            "registry": {"assets": reg}})
        harness.publish(broker.port, "/sys/pk1/cover-a1/thing/event/property/post", json.dumps({
            "id": "1", "version": "1.0", "method": "thing.event.property.post",
            "params": {"tiltAngle": {"value": 12.5, "time": T},
                       "RSRP": {"value": 114, "time": T + 1000}, "batteryLevel": 87}}))
        seg = ("QN=20250101000000000;ST=32;CN=2011;PW=123456;MN=%s;Flag=4;CP=&&DataTime=%s;"
               "w01018-Rtd=194.2,w01018-Flag=N;w21003-Rtd=1.2,w21003-Flag=N&&"
               % (MN, knowledge.china_time(T)))
        harness.publish(broker.port, "hj212/station-1", knowledge.hj212_frame(seg))
        harness.publish(broker.port, "$sys/prod1/cam-9/thing/property/post", json.dumps({
            "id": "2", "version": "1.0",
            "params": {"videoLoss": {"value": False, "time": T},
                       "storagePct": {"value": 63.5, "time": T}}}))

        tags = {"asset": "A-1", "device": "cover-a1", "district": "许营镇", "model": "WX-10"}
        pts = self.wait_points(influx, "manhole_cover", 2)
        self.assertEqual(pts, [dict(tags, time=T, tilt=12.5),
                               dict(tags, time=T + 1000, battery_pct=87.0, rsrp=-114.0,
                                    rsrp_normalised=True)])
        pts = self.wait_points(influx, "sewage", 1)
        self.assertEqual(pts, [{"time": T, "asset": "S-1", "device": MN, "district": "顾官屯镇",
                                "kind": "rtd", "model": "HJ-S", "w01018": 194.2,
                                "w01018_flag": "N", "w21003": 1.2, "w21003_flag": "N"}])
        pts = self.wait_points(influx, "surveillance", 1)
        self.assertEqual(pts, [{"time": T, "asset": "C-1", "device": "cam-9",
                                "district": "九州街道", "video_loss": False,
                                "storage_pct": 63.5}])
        self.wait_metric(ll, "lifeline_rsrp_normalised_total", 1)
        self.wait_metric(ll, "lifeline_unknown_devices", 0)
        self.assertEqual(ll.quarantine(), [])

    def test_unregistered_thing_model_device(self):
        """An Alink device the registry does not list names no category: it is
        quarantined as unknown_device even with the flag policy, and listed."""
        reg = knowledge.write_registry(self.tmp + "/assets.csv", [
            ("A-1", "manhole_cover", "许营镇", "cover-a1", "WX-10")])
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                            "registry": {"assets": reg}})
        harness.publish(broker.port, "/sys/pk1/stranger/thing/event/property/post",
                        json.dumps({"params": {"tilt": 1.0}, "time": T}))
        self.wait_metric(ll, 'lifeline_rejected_total{reason="unknown_device"}', 1)
        q = ll.quarantine()
        self.assertEqual([(r["reason"], r["detail"]) for r in q],
                         [("unknown_device", "device 'stranger' is not in the registry and the "
                           "message does not name its category")])
        self.wait_metric(ll, "lifeline_unknown_devices", 1)


if __name__ == "__main__":
    harness.main()
