"""`lifeline run` killed with SIGKILL three times under a steady QoS 1 stream
and restarted each time on the same data_dir: every reading is stored exactly
once. Paho acknowledges a QoS 1 message before our callback runs, so what a
SIGKILL can take is what Paho had acknowledged and not yet handed over, plus
what the WAL had appended and not yet written to the kernel; this test
measures that window and expects it to be empty.
wal_append writes the record (into the page cache) before the callback
returns, whatever wal.fsync_ms; only the fdatasync is group-committed, and a
SIGKILL does not empty the page cache. The test runs with the default
wal.fsync_ms (100); LIFELINE_KILL_FSYNC_MS=N runs it with N instead (see
docs/operations.md)."""

import json
import os
import signal
import subprocess
import threading
import time

import harness

DB = harness.DB
RATE = 400  # messages per second
KILLS = 3
PERIOD = 3.0  # seconds between kills
TOPIC = "lifeline/d4/sewage/station-1"
FSYNC_MS = os.environ.get("LIFELINE_KILL_FSYNC_MS")  # None: the configuration default


class Publisher(threading.Thread):
    """Feeds mosquitto_pub -l at a steady rate; self.sent counts lines handed over."""

    def __init__(self, port, base):
        super().__init__(daemon=True)
        self.base = base
        self.sent = 0
        self.stop_flag = threading.Event()
        self.proc = subprocess.Popen(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-t", TOPIC,
             "-l", "-i", "kill-test-pub"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def run(self):
        t0 = time.monotonic()
        while not self.stop_flag.is_set():
            due = int((time.monotonic() - t0) * RATE)
            lines = []
            while self.sent < due:
                lines.append(json.dumps({"ts": self.base + self.sent, "w01018": self.sent / 8}))
                self.sent += 1
            if lines:
                self.proc.stdin.write(("\n".join(lines) + "\n").encode())
                self.proc.stdin.flush()
            time.sleep(0.005)

    def finish(self):
        self.stop_flag.set()
        self.join()
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        err = self.proc.stderr.read()
        if self.proc.returncode != 0:
            raise AssertionError("mosquitto_pub exited %d: %s" % (self.proc.returncode, err))
        return self.sent


class TestWalKill(harness.TestCase):
    def test_sigkill_under_stream(self):
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx,
                           {"wal": {"fsync_ms": int(FSYNC_MS)}} if FSYNC_MS is not None else {})
        base = (harness.now_ms() // 1000 - 3600) * 1000
        pub = Publisher(broker.port, base)
        pub.start()
        kill_at = []
        try:
            for _ in range(KILLS):
                deadline = time.monotonic() + PERIOD
                harness.wait_until(lambda: time.monotonic() >= deadline, PERIOD + 1, "next kill")
                received = ll.metric("lifeline_messages_received_total")
                self.assertGreater(received, 0, "the daemon takes messages before the kill")
                kill_at.append(pub.sent)
                ll.proc.send_signal(signal.SIGKILL)
                self.assertEqual(ll.kill(), -signal.SIGKILL)
                self.start_lifeline(ll, broker, subscribe=False)
            deadline = time.monotonic() + PERIOD
            harness.wait_until(lambda: time.monotonic() >= deadline, PERIOD + 1, "stream end")
        finally:
            sent = pub.finish()

        def all_stored():
            return influx.count(DB, "sewage", "w01018") >= sent

        try:
            harness.wait_until(all_stored, 30, "%d readings stored" % sent, interval=0.2)
        except AssertionError:
            pass  # counted and reported below
        pts = influx.points(DB, "sewage")
        stored = {p["time"] - base for p in pts}
        missing = sorted(set(range(sent)) - stored)
        per_kill = [0] * KILLS
        for i in missing:
            k = min(range(KILLS), key=lambda j: abs(kill_at[j] - i))
            per_kill[k] += 1
        print("sent=%d stored=%d lost=%d lost_per_kill=%s kills_at=%s fsync_ms=%s rate=%d/s"
              % (sent, len(stored), len(missing), per_kill, kill_at, FSYNC_MS or "default",
                 RATE))
        self.assertEqual(len(pts), len(stored), "one point per reading")
        self.assertEqual(stored - set(range(sent)), set())
        for p in pts:
            self.assertEqual(p["w01018"], (p["time"] - base) / 8)
        self.assertEqual(missing, [], "readings lost to SIGKILL")
        self.assertEqual(ll.quarantine(), [])
        self.assertEqual(ll.stop(), 0)


if __name__ == "__main__":
    harness.main()
