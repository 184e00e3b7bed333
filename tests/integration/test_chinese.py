"""Chinese districts, device names and string values pass through MQTT, the
WAL and line protocol into InfluxDB byte-exact; ts given as ISO 8601 with the
China offset (+08:00), with and without milliseconds."""

import datetime
import json

import harness

DB = harness.DB
CST = datetime.timezone(datetime.timedelta(hours=8))


def iso_cst(ms, with_ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, CST)
    if with_ms:
        return t.isoformat(timespec="milliseconds")  # 2026-11-29T12:10:27.123+08:00
    return t.isoformat(timespec="seconds")


class TestChinese(harness.TestCase):
    def test_chinese_tags_and_strings(self):
        broker = self.mosquitto()
        influx = self.influx()
        self.lifeline(broker, influx)
        base = (harness.now_ms() // 1000 - 7200) * 1000
        cases = [
            # district, device, ts (ms), with_ms, status
            ("顾官屯镇", "二次供水泵房1号", base + 250, True, "正常运行"),
            ("许营镇", "许营镇水厂出水口（东）", base + 60000, False, "水压偏低，请检查"),
            ("九州街道", "九州社区加压站", base + 120999, True, "泵故障 — 已派单 №7"),
        ]
        for district, device, ms, with_ms, status in cases:
            self.assertIn("+08:00", iso_cst(ms, with_ms))
            body = {"ts": iso_cst(ms, with_ms), "pressure_out": 0.28, "status": status,
                    "备注": "二次供水"}
            harness.publish(broker.port, "lifeline/%s/water_supply/%s" % (district, device),
                            json.dumps(body, ensure_ascii=False))
        pts = self.wait_points(influx, "water_supply", len(cases))
        want = [{"time": ms, "district": district, "device": device, "pressure_out": 0.28,
                 "status": status, "备注": "二次供水"}
                for district, device, ms, _, status in cases]
        self.assertEqual(pts, want)
        self.assertEqual(influx.tag_values(DB, "water_supply", "district"),
                         sorted(c[0] for c in cases))
        self.assertEqual(influx.tag_values(DB, "water_supply", "device"),
                         sorted(c[1] for c in cases))
        # byte-exact: the UTF-8 encodings match, not merely a normalised form
        for p, w in zip(pts, want):
            for k in ("district", "device", "status"):
                self.assertEqual(p[k].encode("utf-8"), w[k].encode("utf-8"))
        self.assertEqual(influx.field_types(DB, "water_supply"),
                         {"pressure_out": "float", "status": "string", "备注": "string"})


if __name__ == "__main__":
    harness.main()
