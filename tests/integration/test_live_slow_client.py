"""A slow live-stream client never slows ingestion, and a client that falls
behind is told to resynchronise: streams that never read while 2500 devices
publish do not hold up a single point, and a stream that starts (or wakes up)
more than 2000 changed devices behind gets a `resync` event instead of a
flood."""

import json
import os
import socket
import subprocess
import time

import harness
from test_live_api import SSE

DEVICES = 2500


class TestLiveSlowClient(harness.TestCase):
    def test_stalled_streams_and_resync(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"alerts": {"enabled": False}})
        # clients that never read: tiny receive buffers, so the server's
        # sends block almost at once
        stalled = []
        for _ in range(4):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", ll.http_port))
            s.sendall(b"GET /api/v1/stream?since=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            stalled.append(s)
        _, body, _ = harness.http("GET", ll.url + "/api/v1/devices")
        v0 = json.loads(body)["version"]

        t0 = time.monotonic()
        log = os.path.join(self.tmp, "sim.log")
        with open(log, "wb") as f:
            r = subprocess.run([harness.lifeline_bin(), "sim", "-c", ll.conf, "--devices",
                                str(DEVICES), "--count", str(DEVICES), "--format", "json",
                                "--rate", "5000", "--seed", "3"], stdin=subprocess.DEVNULL,
                               stdout=f, stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(r.returncode, 0, harness.tail(log))
        # every reading reaches the database while four streams are stalled
        self.wait_metric(ll, "lifeline_points_written_total", DEVICES, timeout=60)
        elapsed = time.monotonic() - t0
        self.assertEqual(ll.healthz()[0], 200)
        _, body, _ = harness.http("GET", ll.url + "/api/v1/devices")
        doc = json.loads(body)
        self.assertEqual(doc["count"], DEVICES)
        print("2500 readings stored in %.1f s with 4 stalled streams" % elapsed)

        # a stream asking for everything since before the burst is told to start over
        behind = SSE(ll.http_port, "/api/v1/stream?since=%d" % v0)
        events = behind.wait_events(lambda ev: len(ev) >= 2, 10, "hello and resync")
        self.assertEqual([e for e, _ in events], ["hello", "resync"])
        self.assertEqual(events[1][1], {"version": doc["version"], "reason": "behind"})
        # and from the version it was given, it goes on normally
        harness.publish(broker.port, "lifeline/x/water_supply/late-1",
                        json.dumps({"pressure_out": 0.4}))
        events = behind.wait_events(lambda ev: any(e == "reading" and d.get("id") == "late-1"
                                                   for e, d in ev), 10, "the next reading")
        # no flood of the burst's devices between the resync and that reading
        self.assertEqual([(e, d.get("id")) for e, d in events][1:],
                         [("resync", None), ("reading", "late-1")])
        behind.close()
        for s in stalled:
            s.close()
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
