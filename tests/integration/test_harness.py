"""The harness itself, without the daemon: brokers, databases and helpers do
what the area tests assume (publish reaches a subscriber, a persistent broker
keeps a queued QoS 1 message across a restart, InfluxDB and VictoriaMetrics
store and return line protocol exactly)."""

import threading

import harness


class TestHarness(harness.TestCase):
    def test_mosquitto_publish_subscribe(self):
        broker = self.mosquitto()
        sub = harness.subscribe(broker.port, "t/#", 3)
        harness.wait_until(lambda: broker.count_in_log(" 1 t/#\n") >= 1, 10,
                           "mosquitto_sub to subscribe")
        harness.publish(broker.port, "t/a", ['{"a": 1}', '{"b": "二"}'])
        harness.publish(broker.port, "t/b", '{"c": true}')
        self.assertEqual(sub.collect(), ['{"a": 1}', '{"b": "二"}', '{"c": true}'])

    def test_mosquitto_persistence_across_restart(self):
        broker = self.mosquitto(persistence=True)
        # a persistent session (-c) with a subscription, then gone
        r = harness.subprocess.run(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-c",
             "-i", "keeper", "-t", "k/#", "-E"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 0, r.stderr)
        harness.publish(broker.port, "k/1", "queued-before-restart")
        self.assertEqual(broker.stop(), 0)
        self.assertFalse(harness.port_open(broker.port))
        broker.start()
        harness.publish(broker.port, "k/2", "queued-after-restart")
        r = harness.subprocess.run(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-c",
             "-i", "keeper", "-t", "k/#", "-C", "2", "-W", "10"], capture_output=True, timeout=15)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode().splitlines(),
                         ["queued-before-restart", "queued-after-restart"])
        self.assertEqual(broker.connects("keeper"), 2)

    def test_mosquitto_many_lines(self):
        broker = self.mosquitto()
        sub = harness.subscribe(broker.port, "m", 1500)
        harness.wait_until(lambda: broker.count_in_log(" 1 m\n") >= 1, 10, "subscribe")
        harness.publish(broker.port, "m", ["%d" % i for i in range(1500)])
        self.assertEqual(sub.collect(), ["%d" % i for i in range(1500)])

    def test_influx_write_query_restart(self):
        influx = self.influx()
        t = harness.now_ms()
        lines = [
            'water_supply,device=p\\ 1,district=顾官屯镇 pressure_out=0.31,pump_running=true,'
            'status="正常 \\"ok\\"" %d' % t,
            'water_supply,device=x\\,district\\=fake,district=d flow=12 %d' % (t + 1),
        ]
        self.assertEqual(influx.write(harness.DB, lines), 204)
        pts = influx.points(harness.DB, "water_supply")
        self.assertEqual(pts, [
            {"time": t, "device": "p 1", "district": "顾官屯镇", "pressure_out": 0.31,
             "pump_running": True, "status": '正常 "ok"'},
            {"time": t + 1, "device": "x,district=fake", "district": "d", "flow": 12},
        ])
        self.assertEqual(influx.field_types(harness.DB, "water_supply"),
                         {"flow": "float", "pressure_out": "float", "pump_running": "boolean",
                          "status": "string"})
        self.assertEqual(influx.tag_keys(harness.DB, "water_supply"), ["device", "district"])
        self.assertEqual(len(influx.series(harness.DB)), 2)
        self.assertEqual(influx.count(harness.DB, "water_supply", "flow"), 1)
        self.assertEqual(influx.stop(), 0)
        self.assertFalse(harness.port_open(influx.port))
        influx.start()
        self.assertEqual(len(influx.points(harness.DB, "water_supply")), 2)

    def test_victoria_write_export(self):
        vm = self.victoria()
        t = harness.now_ms()
        status = vm.write(['drainage,device=d1,district=许营镇 water_level=1.25,ok=true,s="x" %d'
                           % t], path="/api/v2/write",
                          params={"org": "o", "bucket": "b", "precision": "ms"})
        self.assertEqual(status, 204)
        series = harness.wait_until(vm.export, 10, "victoria to export series")
        names = {s[0]: s for s in series}
        self.assertIn("drainage_water_level", names, series)
        _, labels, values, stamps = names["drainage_water_level"]
        labels.pop("db", None)
        self.assertEqual(labels, {"device": "d1", "district": "许营镇"})
        self.assertEqual((values, stamps), ([1.25], [t]))
        print("victoria series:", series)

    def test_ports_claimed_across_processes(self):
        mine = {harness.free_port() for _ in range(20)}
        self.assertEqual(len(mine), 20)
        for port in mine:
            with open(harness.os.path.join(harness.PORT_CLAIMS, str(port))) as f:
                self.assertEqual(int(f.read()), harness.os.getpid())
        # another test process is never handed a port this one holds
        code = ("import sys; sys.path.insert(0, %r); import harness; "
                "print(' '.join(str(harness.free_port()) for _ in range(3000)))"
                % harness.os.path.dirname(harness.__file__))
        proc = harness.subprocess.Popen([harness.sys.executable, "-c", code],
                                        stdout=harness.subprocess.PIPE,
                                        stderr=harness.subprocess.PIPE)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, err)
        theirs = {int(p) for p in out.split()}
        self.assertEqual(len(theirs), 3000)
        self.assertEqual(mine & theirs, set())

        # and that process released its claims when it exited. Another test
        # process (ctest -j2, or other checkouts on this machine) may claim a
        # released port at once: a claim that is left is one holding its pid.
        def owner(port):
            try:
                with open(harness.os.path.join(harness.PORT_CLAIMS, str(port))) as f:
                    return int(f.read().strip() or "0")
            except (OSError, ValueError):
                return None

        left = [p for p in theirs if owner(p) == proc.pid]
        self.assertEqual(left, [])

    def test_port_taken_before_start_moves_service(self):
        # A program outside the tests takes the port between free_port() and
        # the service binding it: the first start moves to new ports.
        taken = harness.socket.socket()
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        self.addCleanup(taken.close)
        port = taken.getsockname()[1]
        picks = iter([port])
        real = harness.free_port
        harness.free_port = lambda: next(picks, None) or real()
        try:
            broker = harness.Mosquitto(self.tmp)
            influx = harness.Influx(self.tmp)
        finally:
            harness.free_port = real
        self.assertEqual(broker.port, port)
        self.assertNotEqual(influx.port, port)
        broker.start()
        self.addCleanup(broker.kill)
        self.assertNotEqual(broker.port, port)
        self.assertIn("Address already in use", broker.log_text())
        harness.publish(broker.port, "t", "x")
        # a restart keeps its port and tries it again until it is free
        self.assertEqual(broker.stop(), 0)
        blocker = harness.socket.socket()
        blocker.setsockopt(harness.socket.SOL_SOCKET, harness.socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", broker.port))
        blocker.listen(1)
        release = threading.Timer(1.2, blocker.close)
        release.start()
        self.addCleanup(release.cancel)
        moved = broker.port
        refused = broker.log_text().count("Address already in use")
        broker.start()
        self.assertEqual(broker.port, moved)
        self.assertGreater(broker.log_text().count("Address already in use"), refused)
        harness.publish(broker.port, "t", "y")

    def test_prometheus_parser(self):
        m = harness.parse_prometheus(
            '# HELP x y\n# TYPE x counter\nx 3\n'
            'lifeline_rejected_total{reason="malformed"} 2\n'
            'lifeline_write_requests_total{status="204"} 7\n'
            'h_bucket{le="+Inf",b="q\\"z"} 1\n')
        self.assertEqual(m, {"x": 3.0, 'lifeline_rejected_total{reason="malformed"}': 2.0,
                             'lifeline_write_requests_total{status="204"}': 7.0,
                             'h_bucket{b="q"z",le="+Inf"}': 1.0})


if __name__ == "__main__":
    harness.main()
