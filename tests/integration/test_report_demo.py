"""The coverage report for the demo's registry (the registry scripts/demo
writes with scripts/gen-assets: same --count and --seed, read from
scripts/demo), fed by `lifeline sim --registry` as the demo does, is correct
against figures this test computes from the registry CSV and the simulator's
summary: every category x district group, every category total, every
district total and the overall total, in all four formats (JSON, CSV,
Markdown, HTML) and both languages (zh, en). Each format is parsed as what it
is: JSON with json, CSV with csv, Markdown table rows, HTML table cells with
html.parser."""

import csv
import datetime
import html.parser
import json
import os
import re
import subprocess

import harness
from test_report import expected_figures

DAY_MS = 86400000

CATEGORY_NAMES = {  # collector/report_i18n.c: what the report calls each category
    "water_supply": ("二次供水", "Water supply"),
    "drainage": ("排水防涝", "Drainage"),
    "sewage": ("污水处理", "Sewage"),
    "manhole_cover": ("窨井盖", "Manhole covers"),
    "bridge_tunnel": ("桥梁隧道", "Bridges and tunnels"),
    "surveillance": ("视频监控", "Video surveillance"),
}
LABELS = {
    "zh": dict(total="合计", detail="明细", by_category="按类别", by_district="按街镇",
               category="类别", district="街镇", cat_x_district="类别 × 街镇明细",
               assets="设施总数"),
    "en": dict(total="Total", detail="detail", by_category="By category",
               by_district="By district", category="Category", district="District",
               cat_x_district="Category × district", assets="Assets"),
}
COUNTS = ("assets", "upgraded", "planned", "legacy", "online", "effective", "expected",
          "stored", "reported")


def demo_registry_args():
    """(count, seed) of the registry scripts/demo generates by default."""
    with open(os.path.join(harness.SOURCE_DIR, "scripts", "demo"), encoding="utf-8") as f:
        text = f.read()
    count = re.search(r'^ASSETS=\$\{DEMO_ASSETS:-(\d+)\}$', text, re.M)
    seed = re.search(r'scripts/gen-assets --count "\$ASSETS" --seed (\d+) ', text)
    assert count and seed, "scripts/demo no longer says how it makes its registry"
    return int(count.group(1)), int(seed.group(1))


def pct(ratio, sign=True):
    """report_pct / the CSV's numbers: one decimal, '—' / '' for none."""
    if ratio is None:
        return "—" if sign else ""
    return ("%.1f%%" if sign else "%.1f") % (ratio * 100.0)


def ratios(r):
    r = dict(r)
    r["coverage"] = r["upgraded"] / r["assets"] if r["assets"] else 0.0
    r["effective_coverage"] = r["effective"] / r["assets"] if r["assets"] else 0.0
    r["completeness"] = r["stored"] / r["expected"] if r["expected"] else None
    return r


def expected_rows(groups):
    """{(category or None, district or None): figures} for the groups, the
    category totals, the district totals and the overall total."""
    out = {}
    for (cat, dist), g in groups.items():
        for key in ((cat, dist), (cat, None), (None, dist), (None, None)):
            acc = out.setdefault(key, dict.fromkeys(COUNTS, 0))
            for k in COUNTS:
                acc[k] += g[k]
    return {k: ratios(v) for k, v in out.items()}


def with_reported(groups, reg_path, summary):
    """expected_figures plus `reported`: upgraded assets that sent anything."""
    sent = summary["by_device"]
    for g in groups.values():
        g["reported"] = 0
    with open(reg_path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["status"].strip().lower() == "retired":
                continue
            d = sent.get(row["device_id"]) if row["device_id"] else None
            if d and d["sent"] and row["status"].strip().lower() == "upgraded":
                groups[(row["category"], row["district"])]["reported"] += 1
    return groups


class Tables(html.parser.HTMLParser):
    """Every <table> of a page as a list of rows, each a list of cell texts
    (th and td alike)."""

    def __init__(self):
        super().__init__()
        self.tables, self.row, self.cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


class TestReportDemo(harness.TestCase):
    def run_cmd(self, args, timeout=120):
        log = os.path.join(self.tmp, "cmd.log")
        with open(log, "wb") as f:
            r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=f,
                               stderr=subprocess.STDOUT, timeout=timeout)
        self.assertEqual(r.returncode, 0, harness.tail(log))

    def report(self, fmt, lang):
        """Runs `lifeline report`; returns (output bytes, now before, now after)."""
        out = os.path.join(self.tmp, "report-%s.%s" % (lang, fmt))
        before = harness.now_ms()
        self.run_cmd([harness.lifeline_bin(), "report", "-c", self.ll.conf, "--format", fmt,
                      "--lang", lang, "--from", self.period[0], "--to", self.period[1],
                      "-o", out])
        after = harness.now_ms()
        with open(out, "rb") as f:
            return f.read(), before, after

    def expected_at(self, now):
        groups = expected_figures(self.reg, self.summary, self.from_ms, self.to_ms, now)
        return expected_rows(with_reported(groups, self.reg, self.summary))

    def report_rows(self, fmt, lang):
        """The report and the figures expected for it. `online` depends on the
        time the report is made: when a device's offline deadline falls
        between the start and the end of the command, the report is made
        again (at most 3 times)."""
        for _ in range(3):
            data, before, after = self.report(fmt, lang)
            want = self.expected_at(before)
            if want == self.expected_at(after):
                return data, want
        self.fail("online kept changing while %s %s reports were made" % (fmt, lang))

    def test_demo_registry_every_format_and_language(self):
        count, seed = demo_registry_args()
        self.reg = os.path.join(self.tmp, "assets.csv")
        with open(self.reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"),
                            "--count", str(count), "--seed", str(seed)], stdout=f, check=True)
        broker = self.mosquitto()
        influx = self.influx()
        self.ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                                 "registry": {"assets": self.reg}})
        summary = os.path.join(self.tmp, "summary.json")
        # as the demo: every payload format; a fixed count and seed
        self.run_cmd([harness.lifeline_bin(), "sim", "-c", self.ll.conf, "--summary", summary,
                      "--registry", self.reg, "--format", "mixed", "--count", "600",
                      "--rate", "3000", "--seed", "11"])
        with open(summary, encoding="utf-8") as f:
            self.summary = json.load(f)
        self.assertEqual((self.summary["totals"]["sent"], self.summary["totals"]["failed"]),
                         (600, 0))
        self.wait_metric(self.ll, "lifeline_points_written_total", 600, timeout=30)

        now = harness.now_ms()
        fmt = "%Y-%m-%dT%H:%M:%S+00:00"
        start = datetime.datetime.fromtimestamp((now - DAY_MS) // 1000, datetime.timezone.utc)
        end = datetime.datetime.fromtimestamp(now // 1000 + 600, datetime.timezone.utc)
        self.period = (start.strftime(fmt), end.strftime(fmt))
        self.from_ms, self.to_ms = (now - DAY_MS) // 1000 * 1000, (now // 1000 + 600) * 1000

        for lang in ("zh", "en"):
            with self.subTest(fmt="json", lang=lang):
                self.check_json(lang)
            with self.subTest(fmt="csv", lang=lang):
                self.check_csv(lang)
            with self.subTest(fmt="md", lang=lang):
                self.check_md(lang)
            with self.subTest(fmt="html", lang=lang):
                self.check_html(lang)
        self.assertEqual(self.ll.stop(), 0)

    def sanity(self, want):
        """The demo's registry and this feed give figures worth checking."""
        total = want[(None, None)]
        self.assertEqual(len([k for k in want if k[0] and k[1]]), 18)  # 6 categories x 3 districts
        self.assertGreater(total["assets"], 250)
        self.assertTrue(0 < total["upgraded"] < total["assets"])
        self.assertTrue(total["planned"] > 0 and total["legacy"] > 0)
        self.assertTrue(0 < total["online"] <= total["upgraded"])
        self.assertTrue(0 < total["effective"] < total["upgraded"])
        self.assertTrue(0 < total["stored"] < total["expected"])

    def check_json(self, lang):
        data, _, _ = self.report("json", lang)
        rep = json.loads(data)
        self.assertEqual(rep["lang"], lang)
        self.assertEqual((rep["period"]["from"], rep["period"]["to"]), (self.from_ms, self.to_ms))
        want = self.expected_at(rep["now"])
        self.sanity(want)
        got = {}
        for section in ("groups", "categories", "districts"):
            for r in rep[section]:
                got[(r["category"], r["district"])] = r
        got[(None, None)] = rep["total"]
        self.assertEqual(sorted(got, key=repr), sorted(want, key=repr))
        for key, w in want.items():
            g = got[key]
            for k in COUNTS:
                self.assertEqual(g[k], w[k], (key, k))
            for k in ("coverage", "effective_coverage", "completeness"):
                if w[k] is None:
                    self.assertIsNone(g[k], (key, k))
                else:  # written with %.6g
                    self.assertEqual(g[k], float("%.6g" % w[k]), (key, k))
            cat, dist = key
            self.assertEqual(g["category_label"],
                             CATEGORY_NAMES[cat][lang == "en"] if cat else None)
            self.assertEqual(g["district_label"], dist)

    def check_csv(self, lang):
        data, want = self.report_rows("csv", lang)
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"))
        text = data[3:].decode("utf-8")
        self.assertNotIn("\n", text.replace("\r\n", ""), "CSV lines end in CRLF")
        rows = list(csv.reader(text.splitlines()))
        lab = LABELS[lang]
        self.assertEqual(rows[0][4], lab["assets"])
        levels = {lab["detail"]: "group", lab["by_category"]: "category",
                  lab["by_district"]: "district", lab["total"]: "total"}
        got = {}
        for r in rows[1:]:
            self.assertEqual(len(r), 13, r)
            level = levels[r[0]]
            cat = r[1] or None
            dist = None if r[3] == lab["total"] else r[3]
            self.assertEqual(level, {(True, True): "group", (True, False): "category",
                                     (False, True): "district",
                                     (False, False): "total"}[(cat is not None,
                                                               dist is not None)], r)
            self.assertEqual(r[2], CATEGORY_NAMES[cat][lang == "en"] if cat else lab["total"])
            self.assertNotIn((cat, dist), got)
            got[(cat, dist)] = r[4:]
        self.assertEqual(sorted(got, key=repr), sorted(want, key=repr))
        for key, w in want.items():
            self.assertEqual(got[key], [str(w["assets"]), str(w["upgraded"]), str(w["planned"]),
                                        str(w["legacy"]), pct(w["coverage"], False),
                                        str(w["online"]), pct(w["completeness"], False),
                                        str(w["effective"]),
                                        pct(w["effective_coverage"], False)], key)

    def check_md(self, lang):
        data, want = self.report_rows("md", lang)
        lab = LABELS[lang]
        sections = {}
        name = None
        for line in data.decode("utf-8").splitlines():
            if line.startswith("### "):
                name = line[4:]
                sections[name] = []
            elif name and line.startswith("| ") and not line.startswith("|---"):
                sections[name].append([c.strip() for c in line.strip("|").split(" | ")])
        cat_by_name = {v[lang == "en"]: k for k, v in CATEGORY_NAMES.items()}

        def figures(w):
            return [str(w["assets"]), str(w["upgraded"]), pct(w["coverage"]), str(w["online"]),
                    pct(w["completeness"]), pct(w["effective_coverage"])]

        total_label = "**%s**" % lab["total"]
        # by category, then total
        rows = sections[lab["by_category"]]
        self.assertEqual(rows[0][0], lab["category"])
        got = {}
        for r in rows[1:]:
            key = (None, None) if r[0] == total_label else (cat_by_name[r[0]], None)
            got[key] = r[1:]
        self.assertEqual(got, {k: figures(w) for k, w in want.items() if k[1] is None})
        # by district, then total
        rows = sections[lab["by_district"]]
        self.assertEqual(rows[0][0], lab["district"])
        got = {}
        for r in rows[1:]:
            got[(None, None) if r[0] == total_label else (None, r[0])] = r[1:]
        self.assertEqual(got, {k: figures(w) for k, w in want.items() if k[0] is None})
        # category x district
        rows = sections[lab["cat_x_district"]]
        self.assertEqual(rows[0][:2], [lab["category"], lab["district"]])
        got = {}
        for r in rows[1:]:
            got[(cat_by_name[r[0]], r[1])] = r[2:]
        self.assertEqual(got, {k: figures(w) for k, w in want.items() if k[0] and k[1]})

    def check_html(self, lang):
        data, want = self.report_rows("html", lang)
        p = Tables()
        p.feed(data.decode("utf-8"))
        p.close()
        lab = LABELS[lang]
        cat_by_name = {v[lang == "en"]: k for k, v in CATEGORY_NAMES.items()}

        def figures(w):
            return [str(w["assets"]), str(w["upgraded"]), str(w["planned"]), str(w["legacy"]),
                    pct(w["coverage"]), str(w["online"]), pct(w["completeness"]),
                    str(w["effective"]), pct(w["effective_coverage"])]

        # the category table and the district table: one label column, then
        # the 9 figures; the detail table: two label columns (the targets
        # table also starts with the category, then the target)
        cat_t = [t for t in p.tables if t[0][:2] == [lab["category"], lab["assets"]]]
        dist_t = [t for t in p.tables if t[0][:2] == [lab["district"], lab["assets"]]]
        det_t = [t for t in p.tables
                 if t[0][:3] == [lab["category"], lab["district"], lab["assets"]]]
        self.assertEqual((len(cat_t), len(dist_t), len(det_t)), (1, 1, 1))
        got = {}
        for r in cat_t[0][1:]:
            got[(None, None) if r[0] == lab["total"] else (cat_by_name[r[0]], None)] = r[1:]
        self.assertEqual(got, {k: figures(w) for k, w in want.items() if k[1] is None})
        got = {}
        for r in dist_t[0][1:]:
            got[(None, None) if r[0] == lab["total"] else (None, r[0])] = r[1:]
        self.assertEqual(got, {k: figures(w) for k, w in want.items() if k[0] is None})
        got = {}
        for r in det_t[0][1:]:
            got[(cat_by_name[r[0]], r[1])] = r[2:]
        self.assertEqual(got, {k: figures(w) for k, w in want.items() if k[0] and k[1]})


if __name__ == "__main__":
    harness.main()
