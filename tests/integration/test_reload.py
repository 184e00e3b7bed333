"""SIGHUP reloads the registry without losing a message: readings of a new
device published before, during and after the reload are all stored; those
after it carry the new asset's tags. A broken registry on reload is refused
and the old one stays in use."""

import json
import signal
import threading

import harness
import knowledge

DB = harness.DB
T = (harness.now_ms() // 1000 - 1200) * 1000
N = 300


def payloads(first, n):
    return [json.dumps({"ts": T + i, "water_level": 1.0}) for i in range(first, first + n)]


class TestReload(harness.TestCase):
    def test_sighup_registers_new_device(self):
        path = self.tmp + "/assets.csv"
        old = [("P-1", "drainage", "许营镇", "lv-1", "")]
        knowledge.write_registry(path, old)
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"registry": {"assets": path}})
        topic = "lifeline/d1/drainage/new-1"
        harness.publish(broker.port, topic, payloads(0, N))  # before: unregistered
        self.wait_count(influx, "drainage", "water_level", N)

        knowledge.write_registry(path, old + [("N-1", "drainage", "九州街道", "new-1", "LV2")])
        during = threading.Thread(target=harness.publish, args=(broker.port, topic,
                                                                 payloads(N, N)))
        during.start()
        ll.proc.send_signal(signal.SIGHUP)
        during.join()
        self.wait_metric(ll, "lifeline_knowledge_generation", 2)
        harness.publish(broker.port, topic, payloads(2 * N, N))  # after: registered
        self.wait_count(influx, "drainage", "water_level", 3 * N)
        pts = influx.points(DB, "drainage")
        self.assertEqual(sorted(p["time"] for p in pts), [T + i for i in range(3 * N)])
        for p in pts[:N]:
            self.assertEqual((p.get("unregistered"), p.get("asset")), ("true", None))
        for p in pts[2 * N:]:
            self.assertEqual({k: p.get(k) for k in ("asset", "district", "model", "unregistered")},
                             {"asset": "N-1", "district": "九州街道", "model": "LV2",
                              "unregistered": None})
        self.assertEqual(ll.quarantine(), [])
        self.wait_metric(ll, "lifeline_unknown_devices", 0)

        # a broken registry is refused; the one in use stays
        with open(path, "a", encoding="utf-8") as f:
            f.write("N-1,dup,drainage,x,,,upgraded,2026-01-01,other,,\n")
        ll.proc.send_signal(signal.SIGHUP)
        self.wait_metric(ll, "lifeline_reload_failures_total", 1)
        self.assertEqual(ll.metric("lifeline_knowledge_generation"), 2)
        harness.publish(broker.port, topic, payloads(3 * N, 1))
        self.wait_count(influx, "drainage", "water_level", 3 * N + 1)
        last = influx.points(DB, "drainage")[-1]
        self.assertEqual(last.get("asset"), "N-1")
        self.assertIn("asset_id: 'N-1' repeats line 3", ll.log_text())

    def test_sighup_changed_row_needs_escaping(self):
        """The pipeline remembers, per registered asset, that its tags need
        no escaping (plain_tags): a reload that gives the same device a
        district and a model with a blank and '=' must be escaped, not
        copied as the old row's answer said."""
        path = self.tmp + "/assets.csv"
        knowledge.write_registry(path, [("M-1", "drainage", "许营镇", "mv-1", "LV1")])
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"registry": {"assets": path}})
        topic = "lifeline/d1/drainage/mv-1"
        harness.publish(broker.port, topic, payloads(0, N))
        self.wait_count(influx, "drainage", "water_level", N)

        knowledge.write_registry(path, [("M-1", "drainage", "九州 街道=东", "mv-1", "LV 2")])
        ll.proc.send_signal(signal.SIGHUP)
        self.wait_metric(ll, "lifeline_knowledge_generation", 2)
        harness.publish(broker.port, topic, payloads(N, N))
        self.wait_count(influx, "drainage", "water_level", 2 * N)
        pts = influx.points(DB, "drainage")
        self.assertEqual(sorted(p["time"] for p in pts), [T + i for i in range(2 * N)])
        for p in pts[:N]:
            self.assertEqual((p.get("district"), p.get("model")), ("许营镇", "LV1"))
        for p in pts[N:]:
            self.assertEqual((p.get("district"), p.get("model")), ("九州 街道=东", "LV 2"))
        self.assertEqual(ll.quarantine(), [])


if __name__ == "__main__":
    harness.main()
