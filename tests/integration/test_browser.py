"""The live page in a real browser: headless Chromium driven by
tests/browser/live.mjs (playwright-core) against the daemon with the real
broker and InfluxDB. Checks the overview's counts, that a reading published
over MQTT appears within 2 s without a reload, that a hostile device name
renders as text, the device list's filters, the 24 h chart drawn from
InfluxDB, map tiles fetched from a tile server (a local one, serving a PNG)
and the map without them, the embedded coverage report's figures, wall mode,
the language switch and an acknowledgement from the page. Screenshots of
every view go to the test's directory and to build/screenshots/.

Fails (does not skip) when node or chromium is missing, naming the Debian
package; `npm ci` runs in tests/browser when node_modules is absent."""

import csv
import http.server
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess
import threading
import zlib

import harness

BROWSER_DIR = os.path.join(harness.SOURCE_DIR, "tests", "browser")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
HOSTILE = "<script>alert(1)</script>"
HEADER = ["asset_id", "name", "category", "district", "lat", "lon", "status", "upgraded_on",
          "device_id", "model", "report_interval_s"]
ROWS = [
    ["GGT-WS-1", "顾官屯镇 一号泵房", "water_supply", "顾官屯镇", "37.3946", "116.2757", "upgraded",
     "2026-01-29", "ws-001", "PT-1", ""],
    ["GGT-WS-2", "顾官屯镇 二号泵房", "water_supply", "顾官屯镇", "37.4015", "116.2742", "upgraded",
     "2026-02-01", "ws-002", "PT-1", "1"],
    ["XY-MC-1", HOSTILE, "manhole_cover", "许营镇", "37.3835", "116.4128", "upgraded",
     "2026-03-14", "mc-001", "NB-JG01", ""],
    ["XY-MC-2", "许营镇 湖滨路窨井盖", "manhole_cover", "许营镇", "37.3901", "116.4020", "upgraded",
     "2026-03-14", "mc-002", "NB-JG01", ""],
    ["JZ-DR-1", "九州街道 长河路积水点", "drainage", "九州街道", "37.4664", "116.3324", "upgraded",
     "2026-07-14", "dr-001", "LV-2", ""],
    ["JZ-DR-2", "九州街道 退役水位计", "drainage", "九州街道", "37.4600", "116.3300", "retired",
     "", "", "", ""],
]


def write_registry(path):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(ROWS)
    with open(path, "w", encoding="utf-8") as f:
        f.write(out.getvalue())


def browser_missing():
    """None when node, chromium and playwright-core are there (npm ci runs
    when playwright-core is not); else what is missing and how to get it."""
    if not shutil.which("node"):
        return "node is not installed: install the Debian packages nodejs and npm (scripts/setup)"
    if not os.path.exists(CHROMIUM):
        return ("%s is not there: install the Debian package chromium (scripts/setup), or set "
                "CHROMIUM to a Chromium binary" % CHROMIUM)
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        if not shutil.which("npm"):
            return "npm is not installed: install the Debian package npm (scripts/setup)"
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                           capture_output=True, timeout=300)
        if r.returncode != 0:
            return "npm ci in %s failed (%d): %s" % (BROWSER_DIR, r.returncode,
                                                     r.stderr.decode("utf-8", "replace")[-2000:])
    return None


def png(width, height, rgb):
    """A solid-colour PNG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    raw = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class TileServer:
    """A tile server on a free loopback port: every /tiles/Z/X/Y.png is one
    PNG; the paths asked for are kept."""

    def __init__(self):
        tile = png(256, 256, (46, 58, 80))
        seen = self.paths = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append(self.path)
                ok = re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", self.path)
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "image/png" if ok else "text/plain")
                self.send_header("Content-Length", str(len(tile) if ok else 0))
                self.end_headers()
                if ok:
                    self.wfile.write(tile)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def merc(lat, lon):
    """Web Mercator world coordinates (0..1, y down)."""
    r = math.radians(lat)
    return (lon + 180) / 360, (1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2


def expected_tiles(rows, width=1000, height=640, pad=40):
    """The zoom the page's 1000 x 640 map must pick for these assets (tiles
    256 to 512 units wide) and the tile under each asset at that zoom."""
    pts = [merc(float(r[4]), float(r[5])) for r in rows]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    k = min((width - 2 * pad) / (max(xs) - min(xs)), (height - 2 * pad) / (max(ys) - min(ys)))
    z = int(math.floor(math.log2(k / 256)))
    return z, {(z, int(x * 2 ** z), int(y * 2 ** z)) for x, y in pts}


class TestBrowser(harness.TestCase):
    def test_live_page(self):
        missing = browser_missing()
        if missing:
            self.fail(missing)
        tiles = TileServer()
        self.addCleanup(tiles.stop)
        broker = self.mosquitto()
        influx = self.influx()
        influx.create_db(harness.DB)
        reg = os.path.join(self.tmp, "assets.csv")
        write_registry(reg)
        token = "op-" + os.urandom(8).hex()
        tile_prefix = "http://127.0.0.1:%d/tiles/" % tiles.port
        ll = self.lifeline(broker, influx, {"registry": {"assets": reg},
                                            "http": {"token_env": "LIFELINE_TEST_TOKEN",
                                                     "map_tile_url": tile_prefix
                                                     + "{z}/{x}/{y}.png"}},
                           start=False)
        ll.env["LIFELINE_TEST_TOKEN"] = token
        self.start_lifeline(ll, broker)
        now = harness.now_ms()
        # ws-002 reports every second: after 3 s of silence it is offline
        harness.publish(broker.port, "lifeline/x/water_supply/ws-002",
                        json.dumps({"ts": now, "pressure_out": 0.2}))
        for hours in range(20, 0, -2):  # history for the chart
            harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                            json.dumps({"ts": now - hours * 3600 * 1000,
                                        "pressure_out": 0.25 + hours / 100}))
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        json.dumps({"ts": now, "pressure_out": 0.3, "pump_running": True,
                                    "pump_fault": True}))
        harness.publish(broker.port, "lifeline/x/manhole_cover/mc-001",
                        json.dumps({"ts": now, "tilt": 1.5, "battery_v": 3.5}))

        def state_of(dev_id):
            _, body, _ = harness.http("GET", ll.url + "/api/v1/devices/" + dev_id)
            return json.loads(body)["state"]

        # the chart's points: the ten past readings and the latest, one per
        # 10 min interval; pressure_out 0.27 to 0.45 (booleans are not charted)
        self.wait_count(influx, "water_supply", "pressure_out", 12)
        chart = {"field": "pressure_out", "points": 11, "axis": ["0.27", "0.36", "0.45"]}
        harness.wait_until(lambda: state_of("GGT-WS-2") == "offline", 15, "ws-002 offline")
        harness.wait_until(lambda: state_of("XY-MC-1") == "online", 15, "mc-001 online")
        # retired assets are not counted; online GGT-WS-1, XY-MC-1; offline
        # GGT-WS-2; never XY-MC-2, JZ-DR-1
        counts = {"total": 5, "online": 2, "offline": 1, "never": 2, "mapped": 6, "firing": 1}

        def firing():  # the profile's pump_fault alarm
            _, body, _ = harness.http("GET", ll.url + "/api/v1/alerts?state=firing")
            return json.loads(body)["alerts"]

        alerts = harness.wait_until(firing, 15, "the pump_fault alert to fire")
        self.assertEqual([(a["device"], a["rule"]) for a in alerts],
                         [("ws-001", alerts[0]["rule"])])
        # the device list's filters, each on its own, then two together
        state = {"GGT-WS-1": "online", "GGT-WS-2": "offline", "XY-MC-1": "online"}
        selections = [{"district": "许营镇"}, {"category": "drainage"}, {"state": "online"},
                      {"state": "offline"}, {"state": "never"},
                      {"district": "许营镇", "state": "online"}]
        filters = [{"select": sel, "rows": sorted(
            r[0] for r in ROWS
            if r[3] == sel.get("district", r[3]) and r[2] == sel.get("category", r[2])
            and state.get(r[0], "never") == sel.get("state", state.get(r[0], "never")))}
            for sel in selections]
        self.assertEqual(filters[-1]["rows"], ["XY-MC-1"])
        # the embedded report: 5 assets (the retired one left out), all upgraded,
        # 2 online now (ws-002 went quiet)
        live_rows = [r for r in ROWS if r[6] != "retired"]
        coverage = {"title": "城市生命线设备改造覆盖率报告",
                    "kpis": {"改造覆盖率": ["100.0%", "%d / %d" % (len(live_rows), len(live_rows))],
                             "当前在线": ["2", None]},
                    "districts": sorted({r[3] for r in ROWS})}
        shots = os.path.join(self.tmp, "screenshots")
        expect = {"url": ll.url, "mqtt_port": broker.port, "shots": shots, "counts": counts,
                  "hostile_id": "XY-MC-1", "hostile_name": HOSTILE,
                  "live": {"id": "GGT-WS-1", "device": "ws-001", "category": "water_supply"},
                  "alert": {"id": str(alerts[0]["id"])}, "token": token, "chart": chart,
                  "filters": filters, "coverage": coverage, "tiles": tile_prefix}
        env = dict(os.environ, LIFELINE_EXPECT=json.dumps(expect), CHROMIUM=CHROMIUM)
        r = subprocess.run(["node", os.environ.get("DBG_SCRIPT", os.path.join(BROWSER_DIR, "live.mjs"))], env=env,
                           capture_output=True, timeout=180, cwd=BROWSER_DIR)
        out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
        print(out)
        build_shots = os.path.join(os.path.dirname(os.path.abspath(harness.lifeline_bin())),
                                   "screenshots")
        if os.path.isdir(shots):
            shutil.copytree(shots, build_shots, dirs_exist_ok=True)
        self.assertEqual(r.returncode, 0, out)
        for name in ("overview", "devices", "devices-filtered", "device", "map", "alerts",
                     "coverage", "wall", "wall-map"):
            self.assertTrue(os.path.getsize(os.path.join(shots, name + ".png")) > 1000, name)
        # the tile server was asked for the tile under every asset, at the
        # zoom that fits them all into the map
        zoom, under_assets = expected_tiles(ROWS)
        fetched = set()
        for path in tiles.paths:
            m = re.fullmatch(r"/tiles/(\d+)/(\d+)/(\d+)\.png", path)
            self.assertTrue(m, path)
            fetched.add(tuple(int(g) for g in m.groups()))
        self.assertEqual({t[0] for t in fetched}, {zoom})
        self.assertLessEqual(under_assets, fetched)
        _, body, _ = harness.http("GET", ll.url + "/api/v1/alerts?state=firing")
        acked = json.loads(body)["alerts"]
        self.assertEqual([(a["id"], a["acknowledged"]) for a in acked], [(alerts[0]["id"], True)])


if __name__ == "__main__":
    harness.main()
