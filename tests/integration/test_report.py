"""`lifeline report` and the daemon's /api/v1/coverage and /report against
the real broker and InfluxDB, fed by `lifeline sim --registry`: every figure
of every category x district group equals what this test computes from the
registry CSV, the profiles and the simulator's summary; an unregistered
sensor is listed; the HTML renders in headless Chromium to a non-blank PNG
and carries the figures and the Chinese labels."""

import csv
import datetime
import json
import math
import os
import shutil
import struct
import subprocess
import time
import unittest
import zlib

import harness

DB = harness.DB
DAY_MS = 86400000
TZ_MS = 8 * 3600000


def profile_intervals():
    out = {}
    d = os.path.join(harness.SOURCE_DIR, "devices", "profiles")
    for name in os.listdir(d):
        with open(os.path.join(d, name), encoding="utf-8") as f:
            out[name[:-5]] = json.load(f)["report_interval_s"]
    return out


def day_of(ms):
    return (ms + TZ_MS) // DAY_MS


def parse_day(s):
    """upgraded_on as days since 1970 (YYYY-MM-DD or Excel's YYYY/M/D)."""
    y, m, d = (int(x) for x in s.replace("/", "-").split("-"))
    return (datetime.date(y, m, d) - datetime.date(1970, 1, 1)).days


def expected_figures(reg_path, summary, from_ms, to_ms, now_ms, misses=3, threshold=0.9):
    """The report's groups, computed independently from the registry CSV and
    what the simulator says it sent (nothing was dropped: no faults)."""
    intervals = profile_intervals()
    to_day = day_of(to_ms - 1)
    sent = summary["by_device"]
    groups = {}
    with open(reg_path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            status = row["status"].strip().lower()
            if status == "retired":
                continue
            g = groups.setdefault((row["category"], row["district"]), dict(
                assets=0, upgraded=0, planned=0, legacy=0, online=0, effective=0,
                expected=0, stored=0))
            g["assets"] += 1
            up = status == "upgraded" and parse_day(row["upgraded_on"]) <= to_day
            if not up:
                g["legacy" if status == "legacy" else "planned"] += 1
                continue
            g["upgraded"] += 1
            interval = int(row["report_interval_s"] or 0) or intervals[row["category"]]
            start = max(from_ms, parse_day(row["upgraded_on"]) * DAY_MS - TZ_MS)
            expected = max(0, (to_ms - start) // (interval * 1000))
            d = sent.get(row["device_id"]) if row["device_id"] else None
            n = d["sent"] if d else 0
            stored = min(n, expected)
            g["expected"] += expected
            g["stored"] += stored
            if expected:
                g["effective"] += stored / expected >= threshold - 1e-9
            else:
                g["effective"] += n > 0
            if d and d["last_ts"] >= now_ms - interval * 1000 * misses:
                g["online"] += 1
    return groups


def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA PNG with zlib: (width, height, rows of bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


class TestReport(harness.TestCase):
    def run_cmd(self, args, timeout=120):
        log = os.path.join(self.tmp, "cmd.log")
        with open(log, "wb") as f:
            r = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=f,
                               stderr=subprocess.STDOUT, timeout=timeout)
        self.assertEqual(r.returncode, 0, harness.tail(log))

    def report(self, ll, fmt, lang, period, name):
        out = os.path.join(self.tmp, name)
        self.run_cmd([harness.lifeline_bin(), "report", "-c", ll.conf, "--format", fmt,
                      "--lang", lang, "--from", period[0], "--to", period[1], "-o", out])
        with open(out, "rb") as f:
            return f.read()

    def test_report_matches_what_was_sent(self):
        reg = os.path.join(self.tmp, "assets.csv")
        with open(reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"),
                            "--count", "120", "--seed", "3"], stdout=f, check=True)
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                            "registry": {"assets": reg},
                                            "report": {"targets": ["manhole_cover=90@2026-06-30"]}})
        summary = os.path.join(self.tmp, "summary.json")
        self.run_cmd([harness.lifeline_bin(), "sim", "-c", ll.conf, "--summary", summary,
                      "--registry", reg, "--format", "mixed", "--count", "400", "--rate", "2000",
                      "--seed", "5"])
        with open(summary, encoding="utf-8") as f:
            s = json.load(f)
        self.assertEqual((s["totals"]["sent"], s["totals"]["failed"]), (400, 0))
        # a sensor the registry does not know
        harness.publish(broker.port, "lifeline/九州街道/drainage/ghost-1",
                        ['{"water_level": 1.5}'])
        self.wait_metric(ll, "lifeline_points_written_total", 401, timeout=30)

        now = harness.now_ms()
        fmt = "%Y-%m-%dT%H:%M:%S+00:00"
        start = datetime.datetime.fromtimestamp((now - DAY_MS) // 1000, datetime.timezone.utc)
        end = datetime.datetime.fromtimestamp(now // 1000 + 600, datetime.timezone.utc)
        period = (start.strftime(fmt), end.strftime(fmt))
        rep = json.loads(self.report(ll, "json", "en", period, "r.json"))
        from_ms, to_ms = rep["period"]["from"], rep["period"]["to"]
        self.assertEqual((from_ms, to_ms), ((now - DAY_MS) // 1000 * 1000, (now // 1000 + 600) * 1000))
        want = expected_figures(reg, s, from_ms, to_ms, rep["now"])
        got = {(g["category"], g["district"]): g for g in rep["groups"]}
        self.assertEqual(sorted(got), sorted(want))
        for key, w in want.items():
            g = got[key]
            for k, v in w.items():
                self.assertEqual(g[k], v, (key, k, g))
            self.assertAlmostEqual(g["coverage"], w["upgraded"] / w["assets"], places=5)
            self.assertAlmostEqual(g["effective_coverage"], w["effective"] / w["assets"], places=5)
            if w["expected"]:
                self.assertAlmostEqual(g["completeness"], w["stored"] / w["expected"], places=5)
            else:
                self.assertIsNone(g["completeness"])
        total = rep["total"]
        for k in ("assets", "upgraded", "online", "effective", "expected", "stored"):
            self.assertEqual(total[k], sum(w[k] for w in want.values()), k)
        self.assertGreater(total["online"], 0)
        self.assertGreater(total["upgraded"], total["effective"])
        mc = [t for t in rep["targets"] if t["category"] == "manhole_cover"][0]
        self.assertEqual((mc["target"], mc["target_date"]), (0.9, "2026-06-30"))
        unreg = [d["device"] for d in rep["unregistered"]["items"]]
        self.assertEqual(unreg, ["ghost-1"])

        # the daemon serves the same figures
        status, body, _ = harness.http("GET", ll.url + "/api/v1/coverage?from=%s&to=%s"
                                       % (period[0].replace("+", "%2B"),
                                          period[1].replace("+", "%2B")), timeout=30)
        self.assertEqual(status, 200, body)
        api = json.loads(body)
        self.assertEqual([(g["category"], g["district"], g["assets"], g["upgraded"], g["stored"])
                          for g in api["groups"]],
                         [(g["category"], g["district"], g["assets"], g["upgraded"], g["stored"])
                          for g in rep["groups"]])
        status, body, headers = harness.http("GET", ll.url + "/report?lang=en", timeout=30)
        self.assertEqual(status, 200)
        self.assertIn("Effective coverage", body.decode("utf-8"))
        status, body, _ = harness.http("GET", ll.url + "/report?lang=fr", timeout=30)
        self.assertEqual(status, 400)

        # CSV and Markdown, both languages
        c = self.report(ll, "csv", "zh", period, "r.csv")
        self.assertTrue(c.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(c[3:].decode("utf-8").splitlines()))
        self.assertEqual(rows[-1][4:6], [str(total["assets"]), str(total["upgraded"])])
        md = self.report(ll, "md", "en", period, "r.md").decode("utf-8")
        self.assertIn("| **Total** | %d | %d |" % (total["assets"], total["upgraded"]), md)

        # HTML in Chinese, rendered by Chromium
        html = self.report(ll, "html", "zh", period, "r.html").decode("utf-8")
        for label in ("城市生命线设备改造覆盖率报告", "改造覆盖率", "有效覆盖率", "数据完整率",
                      "顾官屯镇", "许营镇", "九州街道", "窨井盖", "ghost-1"):
            self.assertIn(label, html)
        self.assertIn("%.1f%%" % (total["coverage"] * 100), html)
        self.assertIn("%.1f%%" % (total["effective_coverage"] * 100), html)
        self.assertNotIn("<script", html)
        self.render_png(os.path.join(self.tmp, "r.html"))
        self.assertEqual(ll.stop(), 0)

    def render_png(self, html_path):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        # scripts/setup installs it: a missing browser is a broken set-up, not a skip
        self.assertTrue(chromium, "chromium is not installed: run scripts/setup")
        png = os.path.join(self.tmp, "report.png")
        profile = os.path.join(self.tmp, "chromium-profile")
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile]
        self.run_cmd(args + ["--screenshot=" + png, "--window-size=1240,1754",
                             "file://" + html_path], timeout=120)
        w, h, bpp, rows = png_pixels(png)
        self.assertEqual((w, h), (1240, 1754))
        colours = set()
        for row in rows[::7]:
            for i in range(0, len(row), bpp * 5):
                colours.add(row[i:i + 3])
        self.assertGreater(len(colours), 50, "the screenshot is (nearly) blank")
        if os.environ.get("LIFELINE_REPORT_PNG"):
            shutil.copy(png, os.environ["LIFELINE_REPORT_PNG"])
        dom = subprocess.run(args + ["--dump-dom", "file://" + html_path],
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        self.assertEqual(dom.returncode, 0, dom.stderr[-2000:])
        self.assertIn("有效覆盖率", dom.stdout.decode("utf-8"))


if __name__ == "__main__":
    harness.main()
