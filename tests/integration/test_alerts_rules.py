"""Operator rules and device faults end to end: a threshold with hold time
and hysteresis, an HJ 212 Flag=D, and acknowledgement over HTTP with the
operator token (401 without, 403 wrong)."""

import json

import alerts_util as au
import harness
import knowledge

WS = "lifeline/九州街道/water_supply/ws-1"
MN = "ST0001"
RULES = {"rules": [{"name": "outlet_low", "field": "pressure_out", "comparison": "<",
                    "threshold": 0.2, "clear": 0.25, "hold_s": 1, "severity": "critical",
                    "category": ["water_supply"]}]}


class TestAlertsRules(harness.TestCase):
    def start(self, token_file=None):
        reg = au.write_registry(self.tmp + "/assets.csv", [
            ("WS-1", "泵房一号", "water_supply", "九州街道", "ws-1", 300),
            ("S-1", "污水站", "sewage", "顾官屯镇", MN, 60)])
        rules = self.tmp + "/rules.json"
        with open(rules, "w", encoding="utf-8") as f:
            json.dump(RULES, f)
        broker = self.mosquitto()
        influx = self.influx()
        over = au.config(reg, rules_file=rules)
        over["mqtt"] = {"topics": ["lifeline/#", "hj212/#"]}
        if token_file:
            over["http"] = {"token_file": token_file}
        return broker, self.lifeline(broker, influx, over)

    def test_threshold_hold_and_hysteresis(self):
        broker, ll = self.start()
        harness.publish(broker.port, WS, [json.dumps({"pressure_out": 0.19})])
        p = au.wait_alert(ll, rule="rule:outlet_low")
        f = au.wait_alert(ll, rule="rule:outlet_low", state="firing")
        self.assertEqual(p["id"], f["id"])
        self.assertGreaterEqual(f["fired_ms"] - f["started_ms"], 1000)  # the hold time
        self.assertEqual((f["severity"], f["field"], f["value"], f["threshold"], f["district"]),
                         ("critical", "pressure_out", 0.19, 0.2, "九州街道"))
        # between threshold and clear: still firing
        harness.publish(broker.port, WS, [json.dumps({"pressure_out": 0.22})])
        harness.wait_until(lambda: au.alerts(ll, rule="rule:outlet_low")[0]["value"] == 0.22,
                           10, "the value to be seen")
        self.assertEqual(au.alerts(ll, rule="rule:outlet_low")[0]["state"], "firing")
        harness.publish(broker.port, WS, [json.dumps({"pressure_out": 0.3})])
        r = au.wait_alert(ll, rule="rule:outlet_low", state="resolved")
        self.assertEqual(r["id"], f["id"])
        self.assertEqual(ll.log_text().count("alerts: fired id=%d " % f["id"]), 1)
        m = ll.metrics()
        self.assertGreaterEqual(m['lifeline_alert_transitions_total{transition="fired"}'], 1)
        self.assertGreaterEqual(m['lifeline_alert_transitions_total{transition="resolved"}'], 1)
        harness.wait_until(lambda: self.metrics_agree(ll), 10, "/metrics to agree with the list")

    def metrics_agree(self, ll):
        """lifeline_alerts and lifeline_alerts_unacknowledged say what
        /api/v1/alerts lists (read before and after: equal only when stable)."""
        before = au.alerts(ll)
        m = ll.metrics()
        if au.alerts(ll) != before:
            return False
        for state in ("pending", "firing"):
            for sev in ("critical", "major", "minor", "warning"):
                want = sum(1 for a in before if a["state"] == state and a["severity"] == sev)
                got = m['lifeline_alerts{severity="%s",state="%s"}' % (sev, state)]
                self.assertEqual(got, want, (state, sev, before))
                if state == "firing":
                    want = sum(1 for a in before if a["state"] == state and a["severity"] == sev
                               and not a["acknowledged"])
                    self.assertEqual(m['lifeline_alerts_unacknowledged{severity="%s"}' % sev],
                                     want, (sev, before))
        return True

    def test_hj212_flag_d_and_ack(self):
        token = self.tmp + "/token"
        with open(token, "w") as f:
            f.write("s3cret-token\n")
        broker, ll = self.start(token)
        seg = ("QN=20250101000000000;ST=32;CN=2011;PW=123456;MN=%s;Flag=4;CP=&&DataTime=%s;"
               "w01018-Rtd=194.2,w01018-Flag=D;w21003-Rtd=1.2,w21003-Flag=N&&"
               % (MN, knowledge.china_time(harness.now_ms())))
        harness.publish(broker.port, "hj212/station-1", knowledge.hj212_frame(seg))
        a = au.wait_alert(ll, device=MN, state="firing")
        self.assertEqual((a["rule"], a["category"], a["district"], a["summary"], a["summary_zh"]),
                         ("fault:w01018_flag", "sewage", "顾官屯镇",
                          "w01018_flag = D (instrument fault)", "w01018_flag = D（仪器故障）"))
        url = "%s/api/v1/alerts/%d/ack" % (ll.url, a["id"])
        body = json.dumps({"by": "张工"}).encode()
        status, _, _ = harness.http("POST", url, body)
        self.assertEqual(status, 401)
        status, _, _ = harness.http("POST", url, body, {"Authorization": "Bearer wrong"})
        self.assertEqual(status, 403)
        status, _, _ = harness.http("POST", "%s/api/v1/alerts/999/ack" % ll.url, body,
                                    {"Authorization": "Bearer s3cret-token"})
        self.assertEqual(status, 404)
        status, resp, _ = harness.http("POST", url, body,
                                       {"Authorization": "Bearer s3cret-token"})
        self.assertEqual((status, json.loads(resp)), (200, {"ok": True, "id": a["id"]}))
        acked = au.alerts(ll, device=MN)[0]
        self.assertEqual((acked["acknowledged"], acked["acked_by"]), (True, "张工"))
        self.assertEqual(ll.metric("lifeline_alert_transitions_total", transition="acknowledged"),
                         1)
        harness.wait_until(lambda: self.metrics_agree(ll), 10, "/metrics to agree with the list")
        self.assertIn('acknowledged over http id=%d by="张工"' % a["id"], ll.log_text())
        status, _, _ = harness.http("GET", ll.url + "/api/v1/alerts?state=burning")
        self.assertEqual(status, 400)


if __name__ == "__main__":
    harness.main()
