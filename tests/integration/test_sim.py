"""`lifeline sim` against the real broker, InfluxDB and `lifeline run`: what
the summary says was sent is what is stored, device by device, and the
malformed readings it injected are in quarantine and /metrics."""

import json
import os
import signal
import subprocess

import harness

DB = harness.DB
# a field every reading of the category carries
FIRST_FIELD = {"water_supply": "pressure_in", "drainage": "water_level", "sewage": "w00000",
               "manhole_cover": "tilt", "bridge_tunnel": "tilt", "surveillance": "storage_pct"}


class TestSim(harness.TestCase):
    def run_sim(self, ll, args, timeout=120):
        summary = os.path.join(self.tmp, "summary.json")
        log = os.path.join(self.tmp, "sim.log")
        with open(log, "wb") as f:
            r = subprocess.run([harness.lifeline_bin(), "sim", "-c", ll.conf, "--summary", summary]
                               + args, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                               timeout=timeout)
        self.assertEqual(r.returncode, 0, harness.tail(log))
        with open(summary, encoding="utf-8") as f:
            return json.load(f)

    def stored_by_device(self, influx, categories):
        out = {}
        for cat in categories:
            for row in influx.rows(DB, 'SELECT count(%s) FROM %s GROUP BY "device"'
                                   % (harness.influxql_ident(FIRST_FIELD[cat]),
                                      harness.influxql_ident(cat))):
                out[row["device"]] = row["count"]
        return out

    def test_sent_equals_stored(self):
        broker = self.mosquitto()
        influx = self.influx()
        # faulty devices raise alerts, whose retained MQTT states Lifeline also
        # receives (and skips); this test counts device messages only
        ll = self.lifeline(broker, influx, {"alerts": {"enabled": False}})
        s = self.run_sim(ll, ["--devices", "30", "--count", "600", "--format", "json", "--qos", "1",
                              "--rate", "3000", "--seed", "7",
                              "--fault", "malformed=0.03,range=0.03,silent=0.1"])
        t = s["totals"]
        self.assertEqual((t["devices"], t["sent"], t["acked"], t["failed"]), (30, 600, 600, 0), t)
        self.assertEqual(len(s["by_device"]), 30)
        self.assertEqual(sum(d["sent"] for d in s["by_device"].values()), 600)
        self.assertEqual(sorted(s["by_category"]), sorted(FIRST_FIELD))
        self.assertEqual({d["district"] for d in s["by_device"].values()},
                         {"顾官屯镇", "许营镇", "九州街道"})
        malformed = s["faults"]["malformed"]
        rng = s["faults"]["range"]
        # seed 7 injects some of each, or the test would prove nothing
        self.assertGreater(malformed, 0, s["faults"])
        self.assertGreater(rng, 0, s["faults"])
        self.assertGreater(s["faults"]["silent"], 0, s["faults"])
        self.assertEqual(t["malformed"], malformed)

        # Every malformed message is quarantined as such, and counted. The
        # sim has finished sending, not the daemon storing: wait for all the
        # records it must write (malformed and range) before counting them.
        records = harness.wait_until(
            lambda: (lambda q: len(q) >= malformed + rng and q)(ll.quarantine()), 30,
            "%d quarantine records" % (malformed + rng))
        reasons = {}
        for r in records:
            reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        self.assertEqual(reasons.get("malformed", 0), malformed, reasons)
        self.wait_metric(ll, 'lifeline_rejected_total{reason="malformed"}', malformed)
        # Out-of-range values are quarantined with reason "range" by the
        # category profiles' checks.
        range_q = reasons.get("range", 0)
        self.assertEqual(range_q, rng, reasons)
        self.wait_metric(ll, 'lifeline_rejected_total{reason="range"}', rng)
        self.assertEqual(set(reasons) - {"malformed", "range"}, set(), reasons)

        want = {}
        for dev, d in s["by_device"].items():
            n = d["sent"] - d["faults"].get("malformed", 0) - d["faults"].get("range", 0)
            if n:
                want[dev] = n
        total = sum(want.values())
        self.assertEqual(total, 600 - malformed - rng)
        self.wait_metric(ll, "lifeline_points_written_total", total, timeout=30)
        self.assertEqual(self.stored_by_device(influx, FIRST_FIELD), want)
        self.wait_metric(ll, "lifeline_messages_received_total", 600)

        # A silent device stopped early: it sent at most 10 readings.
        for dev, d in s["by_device"].items():
            if d["faults"].get("silent"):
                self.assertLessEqual(d["sent"], 10, (dev, d))
        self.assertEqual(ll.stop(), 0)

    def test_sigint_stops_with_summary(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        summary = os.path.join(self.tmp, "summary.json")
        log = open(os.path.join(self.tmp, "sim.log"), "wb")
        proc = subprocess.Popen([harness.lifeline_bin(), "sim", "-c", ll.conf, "--summary",
                                 summary, "--devices", "12", "--rate", "200", "--format", "json"],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            harness.wait_until(lambda: ll.metric("lifeline_messages_received_total") >= 50, 20,
                               "50 messages from the simulator")
            proc.send_signal(signal.SIGINT)
            self.assertEqual(proc.wait(15), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        with open(summary, encoding="utf-8") as f:
            s = json.load(f)
        self.assertTrue(s["interrupted"])
        t = s["totals"]
        self.assertGreaterEqual(t["sent"], 50)
        self.assertEqual((t["acked"], t["failed"]), (t["sent"], 0), t)
        self.wait_metric(ll, "lifeline_points_written_total", t["sent"], timeout=30)
        self.assertEqual(sum(self.stored_by_device(influx, FIRST_FIELD).values()), t["sent"])
        self.assertEqual(ll.stop(), 0)

    def test_raw_engine_qos0(self):
        """--engine raw (batched QoS 0 writes, no Paho) delivers the same."""
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        s = self.run_sim(ll, ["--devices", "12", "--count", "300", "--format", "json", "--qos", "0",
                              "--engine", "raw", "--connections", "2", "--rate", "5000"])
        t = s["totals"]
        self.assertEqual((s["engine"], t["sent"], t["acked"], t["failed"]), ("raw", 300, 300, 0))
        self.wait_metric(ll, "lifeline_points_written_total", 300, timeout=30)
        self.assertEqual(self.stored_by_device(influx, FIRST_FIELD),
                         {dev: d["sent"] for dev, d in s["by_device"].items()})
        self.assertEqual(ll.stop(), 0)

    def test_raw_engine_qos1(self):
        """--engine raw at QoS 1 (the benchmark's load generator) keeps at most
        --inflight messages unacknowledged and delivers every one."""
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx)
        s = self.run_sim(ll, ["--devices", "12", "--count", "600", "--format", "json", "--qos", "1",
                              "--engine", "raw", "--connections", "2", "--inflight", "8",
                              "--rate", "5000"])
        t = s["totals"]
        self.assertEqual((s["engine"], t["sent"], t["acked"], t["failed"]), ("raw", 600, 600, 0))
        self.wait_metric(ll, "lifeline_points_written_total", 600, timeout=30)
        self.assertEqual(self.stored_by_device(influx, FIRST_FIELD),
                         {dev: d["sent"] for dev, d in s["by_device"].items()})
        self.assertEqual(ll.stop(), 0)

    def test_mixed_formats_from_registry(self):
        """The upgraded assets of a generated registry, sewage in HJ 212,
        manhole covers in Alink, the rest plain JSON: every reading that is
        neither malformed nor out of range is stored under its device."""
        reg = os.path.join(self.tmp, "assets.csv")
        with open(reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"), "--count",
                            "120", "--seed", "3"], stdout=f, check=True)
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                            "registry": {"assets": reg}})
        s = self.run_sim(ll, ["--registry", reg, "--format", "mixed", "--count", "400",
                              "--rate", "2000", "--seed", "5",
                              "--fault", "malformed=0.03,range=0.03,tilt=0.1,flag_d=0.1"])
        t = s["totals"]
        self.assertEqual((t["sent"], t["acked"], t["failed"]), (400, 400, 0), t)
        formats = {d["format"] for d in s["by_device"].values()}
        self.assertEqual(formats, {"json", "alink", "hj212"})
        f = s["faults"]
        self.assertTrue(f["malformed"] and f["range"] and f["tilt"] and f["flag_d"], f)
        want = {}
        for dev, d in s["by_device"].items():
            n = d["sent"] - d["faults"].get("malformed", 0) - d["faults"].get("range", 0)
            if n:
                want[dev] = n
        total = sum(want.values())
        self.wait_metric(ll, "lifeline_points_written_total", total, timeout=30)
        self.assertEqual(self.stored_by_device(influx, FIRST_FIELD), want)
        self.wait_metric(ll, 'lifeline_rejected_total{reason="malformed"}', f["malformed"])
        self.wait_metric(ll, 'lifeline_rejected_total{reason="range"}', f["range"])
        self.wait_metric(ll, "lifeline_unknown_devices", 0)
        self.assertEqual(ll.stop(), 0)

    def test_onenet_from_registry(self):
        """Every device of a generated registry speaking OneNET: the default
        subscription names $sys/+/+/thing/property/post, the registry gives
        each device its category and district, and every reading is stored."""
        reg = os.path.join(self.tmp, "assets.csv")
        with open(reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"), "--count",
                            "60", "--seed", "4"], stdout=f, check=True)
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                            "registry": {"assets": reg},
                                            "alerts": {"enabled": False}})
        s = self.run_sim(ll, ["--registry", reg, "--format", "onenet", "--count", "300",
                              "--rate", "2000", "--seed", "9"])
        t = s["totals"]
        self.assertEqual((t["sent"], t["acked"], t["failed"]), (300, 300, 0), t)
        self.assertEqual({d["format"] for d in s["by_device"].values()}, {"onenet"})
        self.wait_metric(ll, "lifeline_points_written_total", 300, timeout=30)
        self.assertEqual(self.stored_by_device(influx, FIRST_FIELD),
                         {dev: d["sent"] for dev, d in s["by_device"].items()})
        districts = set()
        for cat in FIRST_FIELD:
            districts.update(influx.tag_values(DB, cat, "district"))
        self.assertEqual(districts, {d["district"] for d in s["by_device"].values()})
        self.assertEqual(ll.stop(), 0)

    def test_hj212_in_the_configured_zone(self):
        """With hj212.time_zone -05:30, the simulator writes DataTime in that
        zone and the daemon reads it back: each device's stored times are
        exactly the device times of the summary (an HJ 212 station is known
        by its MN only: the registry names its category)."""
        reg = os.path.join(self.tmp, "assets.csv")
        with open(reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"), "--count",
                            "40", "--seed", "4"], stdout=f, check=True)
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None},
                                            "registry": {"assets": reg},
                                            "hj212": {"time_zone": "-05:30"},
                                            "alerts": {"enabled": False}})
        s = self.run_sim(ll, ["--registry", reg, "--format", "hj212", "--count", "60",
                              "--rate", "600", "--seed", "2"])
        self.assertEqual(s["totals"]["sent"], 60)
        self.wait_metric(ll, "lifeline_points_written_total", 60, timeout=30)
        for dev, d in s["by_device"].items():
            cat = d["category"]
            times = sorted(r["time"] for r in influx.rows(
                DB, 'SELECT %s FROM %s WHERE "device" = %s'
                % (harness.influxql_ident(FIRST_FIELD[cat]), harness.influxql_ident(cat),
                   harness.influxql_string(dev))))
            self.assertEqual(len(times), d["sent"], dev)
            self.assertEqual((times[0], times[-1]), (d["first_ts"], d["last_ts"]), dev)
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
