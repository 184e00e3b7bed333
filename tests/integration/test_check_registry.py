"""`lifeline check -c FILE` also loads the asset registry named by
registry.assets: a good one adds "registry N assets" to the summary; a bad one
gives exit 1 and one line per problem, "CSV:LINE: COLUMN: problem; fix: ...",
with LINE the physical line where the row starts."""

import json
import os
import subprocess

import harness

HEADER = "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model\n"


class TestCheckRegistry(harness.TestCase):
    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def config(self, assets):
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        cfg = {"data_dir": data, "registry": {"assets": assets}}
        return self.write("lifeline.json", json.dumps(cfg, ensure_ascii=False))

    def check(self, path):
        r = subprocess.run([harness.lifeline_bin(), "check", "-c", path],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        out = (r.stdout + r.stderr).decode("utf-8")  # strict: Chinese must arrive intact
        return r.returncode, [line for line in out.splitlines() if line.strip()]

    def test_duplicate_id_and_bad_date(self):
        csv = self.write("assets.csv", HEADER +
                         'GGT-WS-000001,"顾官屯镇 人民路12号二次供水泵房",water_supply,顾官屯镇,'
                         "37.40,116.27,upgraded,2025-06-30,ws-000001,LL-PT300\n"
                         '"XY-MC-000002","许营镇 建设路,光明街交叉口\n窨井盖",manhole_cover,'
                         "许营镇,,,legacy,,,\n"
                         "GGT-WS-000001,重复的泵房,water_supply,顾官屯镇,,,planned,,,\n"
                         "JZ-SV-000004,九州街道 视频监控点,surveillance,九州街道,,,upgraded,"
                         "2025-02-30,3714000001320000004,IPC-4MP\n")
        rc, lines = self.check(self.config(csv))
        self.assertEqual(rc, 1, lines)
        # the second row spans lines 3-4, so the duplicate is on line 5, the bad date on 6
        self.assertIn("%s:5: asset_id: 'GGT-WS-000001' repeats line 2; fix: give each asset its "
                      "own asset_id, or delete one of the two rows" % csv, lines)
        self.assertIn("%s:6: upgraded_on: '2025-02-30' is not a valid date; fix: write "
                      "YYYY-MM-DD (or YYYY/MM/DD as Excel does), e.g. 2025-06-30, years 1970 to "
                      "2099" % csv, lines)
        problems = [line for line in lines if line.startswith(csv + ":")]
        self.assertEqual(len(problems), 2, lines)
        for line in problems:
            self.assertIn("; fix: ", line)
        self.assertIn("2 errors in %s and its registry or profiles" % os.path.join(self.tmp, "lifeline.json"),
                      lines)
        self.assertFalse([line for line in lines if line.startswith("ok:")], lines)

    def test_example_registry(self):
        example = os.path.join(harness.SOURCE_DIR, "config", "assets.example.csv")
        rc, lines = self.check(self.config(example))
        self.assertEqual(rc, 0, lines)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("ok:"), lines)
        self.assertTrue(lines[0].endswith(", registry 300 assets, 6 categories"), lines)

    def test_unreadable_registry(self):
        missing = os.path.join(self.tmp, "absent.csv")
        rc, lines = self.check(self.config(missing))
        self.assertEqual(rc, 1, lines)
        self.assertIn("%s: cannot read the registry: No such file or directory; fix: check "
                      "registry.assets and that the service user may read the file" % missing,
                      lines)


if __name__ == "__main__":
    harness.main()
