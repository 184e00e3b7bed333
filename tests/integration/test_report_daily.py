"""report.daily: the daemon writes <data_dir>/reports/coverage-YYYY-MM-DD.json
and .html, the report of the 7 days before today's China-time midnight, at
start when today's files are missing (and then five minutes after each
midnight; collector/report_server.c). Readings published for yesterday
before the daemon with report.daily starts are in it: every group's figures
equal what this test computes from the registry CSV and what it published.
A file that is there is not written again: delete the HTML, restart, the
HTML comes back and the JSON is untouched."""

import csv
import datetime
import json
import os
import subprocess

import harness
from test_report import DAY_MS, TZ_MS, day_of, expected_figures, parse_day
from test_report_demo import Tables, expected_rows, pct, with_reported

FIELDS = {"water_supply": "pressure_out", "drainage": "water_level", "bridge_tunnel": "tilt"}
PER_DEVICE = 3


def date_of(day):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=day)).isoformat()


class TestReportDaily(harness.TestCase):
    def test_daily_report_written_at_start(self):
        reg = os.path.join(self.tmp, "assets.csv")
        with open(reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"),
                            "--count", "90", "--seed", "4"], stdout=f, check=True)
        # the day the daemon names its report after: five minutes after midnight
        today = day_of(harness.now_ms() - 5 * 60000)
        to_ms = today * DAY_MS - TZ_MS
        from_ms = to_ms - 7 * DAY_MS
        noon = to_ms - DAY_MS + 12 * 3600000  # yesterday 12:00 China time

        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"registry": {"assets": reg}})
        # upgraded before the period's last day, one of each of three categories
        # per district where there is one: readings at yesterday noon
        sent = {}
        with open(reg, encoding="utf-8-sig", newline="") as f:
            rows = [r for r in csv.DictReader(f)
                    if r["status"] == "upgraded" and r["device_id"]
                    and r["category"] in FIELDS and parse_day(r["upgraded_on"]) <= today - 2]
        picked = {}
        for r in rows:
            picked.setdefault((r["category"], r["district"]), r)
        self.assertGreaterEqual(len(picked), 4)
        for (cat, dist), r in sorted(picked.items()):
            dev = r["device_id"]
            stamps = [noon + i * 60000 for i in range(PER_DEVICE)]
            harness.publish(broker.port, "lifeline/%s/%s/%s" % (dist, cat, dev),
                             [json.dumps({"ts": t, FIELDS[cat]: 0.5 + i / 10})
                              for i, t in enumerate(stamps)])
            sent[dev] = {"sent": PER_DEVICE, "last_ts": stamps[-1]}
        n = PER_DEVICE * len(picked)
        self.wait_metric(ll, "lifeline_points_written_total", n, timeout=30)
        reports = os.path.join(ll.data_dir, "reports")
        self.assertFalse(os.path.exists(reports), "report.daily is off by default")
        self.assertEqual(ll.stop(), 0)

        # report.daily on: today's files are missing, so they are written at start
        ll.config["report"] = {"daily": True}
        ll.write_config()
        self.start_lifeline(ll, broker, subscribe=False)
        base = os.path.join(reports, "coverage-%s" % date_of(today))
        harness.wait_until(lambda: os.path.exists(base + ".json") and os.path.exists(base + ".html"),
                           30, "the daily report files %s.{json,html}" % base)
        self.assertEqual(sorted(os.listdir(reports)),
                         ["coverage-%s.html" % date_of(today), "coverage-%s.json" % date_of(today)])
        with open(base + ".json", "rb") as f:
            json_bytes = f.read()
        rep = json.loads(json_bytes)
        self.assertEqual(rep["schema"], "lifeline.coverage/1")
        self.assertEqual(rep["lang"], "zh")  # report.lang's default
        self.assertEqual(rep["period"], {"from": from_ms, "to": to_ms,
                                         "to_day": date_of(today - 1)})
        fed = {"by_device": sent}
        want = expected_rows(with_reported(expected_figures(reg, fed, from_ms, to_ms, rep["now"]),
                                           reg, fed))
        got = {(g["category"], g["district"]): g
               for sec in ("groups", "categories", "districts") for g in rep[sec]}
        got[(None, None)] = rep["total"]
        self.assertEqual(sorted(got, key=repr), sorted(want, key=repr))
        for key, w in want.items():
            for k in ("assets", "upgraded", "planned", "legacy", "online", "effective",
                      "expected", "stored", "reported"):
                self.assertEqual(got[key][k], w[k], (key, k))
        self.assertEqual(rep["total"]["stored"], n)
        # the registry's counts: every row not retired
        with open(reg, encoding="utf-8-sig", newline="") as f:
            regrows = [r for r in csv.DictReader(f) if r["status"] != "retired"]
        self.assertEqual(rep["total"]["assets"], len(regrows))

        # the HTML: the same total, in Chinese
        with open(base + ".html", encoding="utf-8") as f:
            page = f.read()
        self.assertIn("城市生命线设备改造覆盖率报告", page)
        self.assertIn("%s 00:00 – %s 00:00" % (date_of(today - 7), date_of(today)), page)
        p = Tables()
        p.feed(page)
        total_rows = [r for t in p.tables if t[0][:2] == ["类别", "设施总数"]
                      for r in t if r[0] == "合计"]
        t = want[(None, None)]
        self.assertEqual(total_rows, [[
            "合计", str(t["assets"]), str(t["upgraded"]), str(t["planned"]), str(t["legacy"]),
            pct(t["coverage"]), str(got[(None, None)]["online"]), pct(t["completeness"]),
            str(t["effective"]), pct(t["effective_coverage"])]])
        self.assertEqual(ll.log_text().count("daily report written"), 2)

        # a file that is there is kept: only the missing HTML is written again
        self.assertEqual(ll.stop(), 0)
        os.unlink(base + ".html")
        self.start_lifeline(ll, broker, subscribe=False)
        harness.wait_until(lambda: os.path.exists(base + ".html"), 30,
                           "the missing daily HTML to be written again")
        with open(base + ".json", "rb") as f:
            self.assertEqual(f.read(), json_bytes)
        self.assertEqual(ll.log_text().count("daily report written"), 3)
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
