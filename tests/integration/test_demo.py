"""scripts/demo, smoke test: run with --no-setup (the binary this build made,
no apt, no build), a run directory in the test's directory and free ports;
it prints the live page's address; the page is served and /api/v1/devices
shows the demo's three districts with devices online whose reading counts
keep growing (live); Ctrl-C (SIGINT to its process group, as a terminal
sends it) stops everything it started: no process of this demo is left."""

import json
import os
import re
import signal
import subprocess
import urllib.parse

import harness

DISTRICTS = ("顾官屯镇", "许营镇", "九州街道")  # DOMAIN.md; scripts/gen-assets
ADDRESS_TIMEOUT = 150.0  # influxd start-up and the first points on a loaded machine
STOP_TIMEOUT = 60.0      # the demo gives each part 15 s


def processes_of(marker):
    """{pid: argv} of every process whose command line mentions marker (the
    demo's run directory is in the command line of everything it starts)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        args = [a.decode("utf-8", "replace") for a in argv if a]
        if any(marker in a for a in args):
            out[int(d)] = args
    return out


def alive(pid):
    """True unless pid is gone or a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class TestDemo(harness.TestCase):
    def setUp(self):
        super().setUp()
        self.demo = None
        self.run_dir = os.path.join(self.tmp, "demo-run")

    def tearDown(self):
        # On failure: end what this demo started, by pid (found by its run directory).
        if self.demo is not None and self.demo.poll() is None:
            self.demo.kill()
            self.demo.wait()
        for pid in processes_of(self.run_dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        super().tearDown()

    def devices(self, http_port):
        status, body, _ = harness.http("GET", "http://127.0.0.1:%d/api/v1/devices" % http_port)
        self.assertEqual(status, 200, body[:300])
        return json.loads(body)["devices"]

    def readings_by_district(self, http_port):
        """{district: (devices online, readings)} for the devices heard from."""
        out = {}
        for d in self.devices(http_port):
            on, n = out.get(d["district"], (0, 0))
            out[d["district"]] = (on + (d["state"] == "online"), n + d["readings"])
        return out

    def test_demo_starts_shows_districts_live_and_stops(self):
        ports = {name: harness.free_port() for name in ("mqtt", "influx", "influx-rpc", "http")}
        out_path = os.path.join(self.tmp, "demo.out")
        cmd = [os.path.join(harness.SOURCE_DIR, "scripts", "demo"), "--no-setup",
               "--bin", os.path.abspath(harness.lifeline_bin()), "--run-dir", self.run_dir]
        for name, port in ports.items():
            cmd += ["--%s-port" % name, str(port)]
        with open(out_path, "wb") as out:
            self.demo = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

        def text():
            with open(out_path, "rb") as f:
                return f.read().decode("utf-8", "replace")

        def address():
            if self.demo.poll() is not None:
                raise harness.GiveUp("scripts/demo exited %d:\n%s"
                                     % (self.demo.returncode, text()))
            return re.search(r"Live page +(http://127\.0\.0\.1:(\d+)/)", text())

        m = harness.wait_until(address, ADDRESS_TIMEOUT, "scripts/demo to print the page address")
        self.assertEqual(int(m.group(2)), ports["http"])
        url = m.group(1)
        self.assertNotIn("setup:", text())  # --no-setup: no apt, no build
        self.assertNotIn("build:", text())

        # everything it started is running, each found by the run directory
        started = processes_of(self.run_dir)
        kinds = sorted({os.path.basename(a[0]) + (" " + a[1] if a[0].endswith("lifeline") else "")
                        for pid, a in started.items() if pid != self.demo.pid})
        for kind in ("influxd", "lifeline run", "lifeline sim", "mosquitto"):
            self.assertIn(kind, kinds, started)

        # the page, and the three districts live
        status, body, headers = harness.http("GET", url)
        self.assertEqual(status, 200)
        self.assertIn("text/html", headers.get("Content-Type", ""))
        first = {}

        def online_everywhere():
            first.clear()
            first.update(self.readings_by_district(ports["http"]))
            return all(first.get(d, (0, 0))[0] > 0 for d in DISTRICTS) and first
        harness.wait_until(online_everywhere, 60, "devices online in each of %s" % (DISTRICTS,),
                           interval=0.5)
        self.assertEqual(sorted(first), sorted(DISTRICTS))
        snap = dict(first)

        def grown():
            now = self.readings_by_district(ports["http"])
            return all(now[d][1] > snap[d][1] for d in DISTRICTS)
        harness.wait_until(grown, 60, "readings to keep arriving in every district",
                           interval=0.5)
        for d in DISTRICTS:  # the filter the page uses
            status, body, _ = harness.http("GET", "http://127.0.0.1:%d/api/v1/devices?%s" % (
                ports["http"], urllib.parse.urlencode({"district": d, "state": "online"})))
            self.assertEqual(status, 200)
            listed = json.loads(body)["devices"]
            self.assertTrue(listed and all(x["district"] == d for x in listed), d)

        # Ctrl-C: SIGINT to the demo's process group, as a terminal does
        os.killpg(self.demo.pid, signal.SIGINT)
        try:
            rc = self.demo.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("scripts/demo still running %.0f s after SIGINT:\n%s"
                      % (STOP_TIMEOUT, text()))
        self.assertEqual(rc, 130, text())
        harness.wait_until(lambda: not [p for p in started if alive(p)], 10,
                           "every process the demo started to be gone")
        self.assertEqual({p: a for p, a in processes_of(self.run_dir).items() if alive(p)}, {})
        for name in ("sim", "lifeline", "influxd", "mosquitto"):
            self.assertIn("demo: stopped %s" % name, text())
        self.assertNotIn("did not stop", text())
        for port in ports.values():
            self.assertFalse(harness.port_open(port), "port %d still open" % port)


if __name__ == "__main__":
    harness.main()
