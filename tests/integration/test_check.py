"""`lifeline check -c FILE`: a good file gives exit 0 and one line starting
"ok:"; a bad one gives exit 1 and one line per problem, "FILE: KEY: problem;
fix: ...", naming each key."""

import json
import os
import subprocess

import harness


class TestCheck(harness.TestCase):
    def write(self, name, cfg):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump(cfg, f, indent=2)
        return path

    def good_config(self):
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        return {
            "data_dir": data,
            "log": {"level": "info"},
            "mqtt": {"url": "tcp://127.0.0.1:1883", "client_id": "lifeline-test",
                     "topics": ["lifeline/#"], "qos": 1},
            "influx": {"url": "http://127.0.0.1:8086", "api": "v1", "database": "lifeline",
                       "batch_age_ms": 200, "retry_min_ms": 100, "retry_max_ms": 1000},
            "http": {"listen": "127.0.0.1:8080"},
            "wal": {"fsync_ms": 20},
        }

    def check(self, path):
        r = subprocess.run([harness.lifeline_bin(), "check", "-c", path],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
        out = (r.stdout + r.stderr).decode("utf-8", "replace")
        return r.returncode, [line for line in out.splitlines() if line.strip()]

    def test_good_file(self):
        path = self.write("good.json", self.good_config())
        rc, lines = self.check(path)
        self.assertEqual(rc, 0, lines)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("ok:"), lines)

    def test_bad_keys(self):
        cfg = self.good_config()
        cfg["mqtt"]["qso"] = 1   # misspelled key
        cfg["mqtt"]["qos"] = 3   # out of range
        path = self.write("bad.json", cfg)
        rc, lines = self.check(path)
        self.assertEqual(rc, 1, lines)
        for key in ("mqtt.qso", "mqtt.qos"):
            hits = [line for line in lines if line.startswith("%s: %s: " % (path, key))]
            self.assertEqual(len(hits), 1, "one line for %s in %r" % (key, lines))
            self.assertIn("; fix: ", hits[0])
            self.assertGreater(len(hits[0].split("; fix: ", 1)[1].strip()), 0, hits[0])
        self.assertFalse([line for line in lines if line.startswith("ok:")], lines)

    def test_rule_fields_checked_against_profiles(self):
        rules = os.path.join(self.tmp, "rules.json")
        with open(rules, "w") as f:
            json.dump({"rules": [
                {"name": "low", "field": "presure_out", "comparison": "<", "threshold": 0.2,
                 "category": "water_supply"},
                {"name": "alias", "field": "pressureOut", "comparison": "<", "threshold": 0.2},
            ]}, f)
        cfg = self.good_config()
        cfg["alerts"] = {"rules_file": rules}
        # vendor extras accepted (the default): the misspelling is a warning, the alias an error
        rc, lines = self.check(self.write("extras.json", cfg))
        self.assertEqual(rc, 1, lines)
        self.assertIn("%s: rules[0].field: 'presure_out' is not a field of the profiles of its "
                      "categories: the rule fires only on readings that carry it as a vendor "
                      "extra; did you mean 'pressure_out'?" % rules, lines)
        self.assertIn("%s: rules[1].field: 'pressureOut' is an alias: readings carry the "
                      "canonical name; fix: write \"pressure_out\"" % rules, lines)
        # extras refused: the misspelling is an error too
        cfg["validate"] = {"unknown_fields": "reject"}
        rc, lines = self.check(self.write("reject.json", cfg))
        self.assertEqual(rc, 1, lines)
        self.assertIn("2 errors in %s and its registry or profiles"
                      % os.path.join(self.tmp, "reject.json"), lines)
        # fixed: ok, and the daemon's check says nothing more
        with open(rules, "w") as f:
            json.dump({"rules": [{"name": "low", "field": "pressure_out", "comparison": "<",
                                  "threshold": 0.2, "category": "water_supply"}]}, f)
        rc, lines = self.check(self.write("fixed.json", cfg))
        self.assertEqual(rc, 0, lines)
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("ok:") and "1 alert rule" in lines[0], lines)

    def test_missing_file(self):
        path = os.path.join(self.tmp, "absent.json")
        rc, lines = self.check(path)
        self.assertEqual(rc, 1, lines)
        self.assertTrue(any(path in line for line in lines), lines)


if __name__ == "__main__":
    harness.main()
