"""GET /api/v1/devices/{id}/history (collector/live_history.c) against the
real InfluxDB: readings published over MQTT with known timestamps and values
come back as the exact JSON the device page charts (fields in order, the mean
per interval, points oldest first, booleans left out, the window honoured),
by asset tag for registered assets and by device tag for unregistered ones;
an unknown device is 404, a bad `hours` 400, a database that does not answer
502."""

import json
import os
import urllib.parse

import harness
import knowledge

HOUR = 3600 * 1000

ROWS = [
    # asset, category, district, device, model
    ("A-WS-1", "water_supply", "顾官屯镇", "ws-001", "PT-1"),
    ("A-WS-2", "water_supply", "许营镇", "ws-002", "PT-1"),
    ("X'Q\\1", "drainage", "九州街道", "dr-q", "LV-2"),  # InfluxQL quoting
]


def history(ll, dev, query=""):
    status, body, _ = harness.http(
        "GET", ll.url + "/api/v1/devices/%s/history%s" % (urllib.parse.quote(dev, safe=""), query))
    return status, json.loads(body.decode("utf-8"))


class TestLiveHistory(harness.TestCase):
    def test_history(self):
        broker = self.mosquitto()
        influx = self.influx()
        reg = knowledge.write_registry(os.path.join(self.tmp, "assets.csv"), ROWS)
        ll = self.lifeline(broker, influx, {"registry": {"assets": reg}})
        # whole hours and 20 minutes, so that every interval used below
        # (60, 600, 1200 s) starts exactly on a reading's timestamp
        base = harness.now_ms() // HOUR * HOUR
        recent = (harness.now_ms() - 10 * 60 * 1000) // 1200000 * 1200000  # 10 to 30 min ago
        ws1 = [
            {"ts": base - 30 * HOUR, "pressure_out": 1.2},  # only in a 48 h window
            {"ts": base - 5 * HOUR, "pressure_out": 0.25, "pressure_in": 0.1},
            {"ts": base - 5 * HOUR + 60000, "pressure_out": 0.75},  # same interval: mean 0.5
            {"ts": base - 3 * HOUR, "pressure_out": 0.2, "pump_running": True},
            {"ts": recent, "pressure_out": 0.3, "pump_running": False},
        ]
        harness.publish(broker.port, "lifeline/x/water_supply/ws-001",
                        [json.dumps(r) for r in ws1])
        harness.publish(broker.port, "lifeline/x/drainage/dr-77",  # not in the registry
                        json.dumps({"ts": base - 2 * HOUR, "water_level": 1.5}))
        harness.publish(broker.port, "lifeline/x/drainage/dr-q",
                        json.dumps({"ts": base - 4 * HOUR, "water_level": 0.75}))
        self.wait_count(influx, "water_supply", "pressure_out", 5)
        self.wait_count(influx, "drainage", "water_level", 2)

        status, doc = history(ll, "A-WS-1")
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc, {"hours": 24, "interval_s": 600, "series": [
            {"field": "pressure_in", "points": [[base - 5 * HOUR, 0.1]]},
            {"field": "pressure_out", "points": [[base - 5 * HOUR, 0.5], [base - 3 * HOUR, 0.2],
                                                 [recent, 0.3]]}]})
        # the same device asked for by its device id is not a device id the
        # listing knows (registered devices go by asset id)
        self.assertEqual(history(ll, "ws-001"), (404, {"error": "no such device"}))

        status, doc = history(ll, "A-WS-1", "?hours=48")
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc, {"hours": 48, "interval_s": 1200, "series": [
            {"field": "pressure_in", "points": [[base - 5 * HOUR, 0.1]]},
            {"field": "pressure_out", "points": [[base - 30 * HOUR, 1.2], [base - 5 * HOUR, 0.5],
                                                 [base - 3 * HOUR, 0.2], [recent, 0.3]]}]})
        status, doc = history(ll, "A-WS-1", "?hours=1")
        self.assertEqual((status, doc), (200, {"hours": 1, "interval_s": 60, "series": [
            {"field": "pressure_out", "points": [[recent, 0.3]]}]}))
        status, doc = history(ll, "A-WS-1", "?hours=168")
        self.assertEqual((status, doc["hours"], doc["interval_s"]), (200, 168, 4200))

        # unregistered: by the device tag; a quote and a backslash in an asset id
        self.assertEqual(history(ll, "dr-77"), (200, {"hours": 24, "interval_s": 600, "series": [
            {"field": "water_level", "points": [[base - 2 * HOUR, 1.5]]}]}))
        self.assertEqual(history(ll, "X'Q\\1"), (200, {"hours": 24, "interval_s": 600, "series": [
            {"field": "water_level", "points": [[base - 4 * HOUR, 0.75]]}]}))
        # registered, never reported: nothing to chart
        self.assertEqual(history(ll, "A-WS-2"),
                         (200, {"hours": 24, "interval_s": 600, "series": []}))

        self.assertEqual(history(ll, "nope"), (404, {"error": "no such device"}))
        self.assertEqual(history(ll, "A-WS-1/x"), (404, {"error": "no such device"}))
        for bad in ("0", "169", "-1", "1.5", "abc", "24h", "99999999999999999999"):
            self.assertEqual(history(ll, "A-WS-1", "?hours=" + bad),
                             (400, {"error": "hours must be 1 to 168"}), bad)

        # the database does not answer: 502 with the reason, and the daemon lives on
        influx.stop()
        status, doc = history(ll, "A-WS-1")
        self.assertEqual(status, 502, doc)
        self.assertTrue(doc["error"], doc)
        status, _, _ = harness.http("GET", ll.url + "/api/v1/devices/A-WS-1")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    harness.main()
