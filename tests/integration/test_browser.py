"""The live page in a real browser: headless Chromium driven by
tests/browser/live.mjs (playwright-core) against the daemon with the real
broker and InfluxDB. Checks the overview's counts, that a reading published
over MQTT appears within 2 s without a reload, that a hostile device name
renders as text, the language switch, and (when the alert engine is built
in) an acknowledgement from the page. Screenshots of every view go to the
test's directory and to build/screenshots/.

Skipped when node or chromium is missing; `npm ci` runs in tests/browser
when node_modules is absent."""

import csv
import io
import json
import os
import shutil
import subprocess
import unittest

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


def node_ready():
    if not shutil.which("node") or not os.path.exists(CHROMIUM):
        return False
    if not os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "playwright-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR, check=True,
                       capture_output=True, timeout=300)
    return True


class TestBrowser(harness.TestCase):
    def test_live_page(self):
        if not node_ready():
            raise unittest.SkipTest("node or %s missing (scripts/setup installs them)" % CHROMIUM)
        broker = self.mosquitto()
        influx = self.influx()
        influx.create_db(harness.DB)
        reg = os.path.join(self.tmp, "assets.csv")
        write_registry(reg)
        token = "op-" + os.urandom(8).hex()
        ll = self.lifeline(broker, influx, {"registry": {"assets": reg},
                                            "http": {"token_env": "LIFELINE_TEST_TOKEN"}},
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
        shots = os.path.join(self.tmp, "screenshots")
        expect = {"url": ll.url, "mqtt_port": broker.port, "shots": shots, "counts": counts,
                  "hostile_id": "XY-MC-1", "hostile_name": HOSTILE,
                  "live": {"id": "GGT-WS-1", "device": "ws-001", "category": "water_supply"},
                  "alert": {"id": str(alerts[0]["id"])}, "token": token}
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
        for name in ("overview", "devices", "device", "map", "alerts", "coverage"):
            self.assertTrue(os.path.getsize(os.path.join(shots, name + ".png")) > 1000, name)
        _, body, _ = harness.http("GET", ll.url + "/api/v1/alerts?state=firing")
        acked = json.loads(body)["alerts"]
        self.assertEqual([(a["id"], a["acknowledged"]) for a in acked], [(alerts[0]["id"], True)])


if __name__ == "__main__":
    harness.main()
