"""Every InfluxQL query in docs/grafana/dashboards/*.json (panels and
template variables) runs against a real InfluxDB filled by `lifeline sim`
through the real broker and daemon, and returns data. Template variables are
substituted the way Grafana does: a variable's own query runs first and its
first value is used ($category, $field) or all of them as a regex
($district); $timeFilter and $__interval as Grafana writes them."""

import glob
import json
import os
import re
import subprocess
import urllib.parse

import harness

DB = harness.DB
DASHBOARDS = sorted(glob.glob(os.path.join(harness.SOURCE_DIR, "docs", "grafana", "dashboards",
                                           "*.json")))


def query(influx, q):
    """The /query answer's results (raises on an HTTP error or a statement error)."""
    url = "%s/query?%s" % (influx.url, urllib.parse.urlencode({"db": DB, "q": q, "epoch": "ms"}))
    status, body, _ = harness.http("GET", url)
    if status != 200:
        raise AssertionError("%s: HTTP %d %s" % (q, status, body[:200]))
    results = json.loads(body)["results"]
    for r in results:
        if "error" in r:
            raise AssertionError("%s: %s" % (q, r["error"]))
    return results


def values(results):
    """The first column of every row of every series (tag values, field keys, measurements)."""
    out = []
    for r in results:
        for s in r.get("series", []):
            col = s["columns"].index("value") if "value" in s["columns"] else 0
            out += [row[col] for row in s["values"]]
    return out


def rows(results):
    return sum(len(s["values"]) for r in results for s in r.get("series", []))


def regex_of(vals):
    return "(" + "|".join(re.escape(v) for v in vals) + ")"


class TestGrafanaQueries(harness.TestCase):
    def test_every_panel_returns_data(self):
        self.assertEqual([os.path.basename(p) for p in DASHBOARDS], ["category.json", "fleet.json"])
        reg = os.path.join(self.tmp, "assets.csv")
        with open(reg, "wb") as f:
            subprocess.run([os.path.join(harness.SOURCE_DIR, "scripts", "gen-assets"),
                            "--count", "90", "--seed", "4"], stdout=f, check=True)
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": None}, "registry": {"assets": reg},
                                            "alerts": {"enabled": False}})
        log = os.path.join(self.tmp, "sim.log")
        with open(log, "wb") as f:
            r = subprocess.run([harness.lifeline_bin(), "sim", "-c", ll.conf, "--registry", reg,
                                "--format", "mixed", "--count", "1200", "--rate", "2000",
                                "--seed", "9"], stdin=subprocess.DEVNULL, stdout=f,
                               stderr=subprocess.STDOUT, timeout=180)
        self.assertEqual(r.returncode, 0, harness.tail(log))
        # every category has its points before the queries run
        for m, f in (("water_supply", "pressure_in"), ("drainage", "water_level"),
                     ("sewage", "w00000"), ("manhole_cover", "tilt"), ("bridge_tunnel", "tilt"),
                     ("surveillance", "storage_pct")):
            harness.wait_until(lambda: rows(query(influx, 'SELECT count("%s") FROM "%s"'
                                                  % (f, m))), 30, "points in " + m)

        ran = 0
        for path in DASHBOARDS:
            with open(path, encoding="utf-8") as fh:
                dash = json.load(fh)
            subst = {}

            def fill(q):
                q = q.replace("$timeFilter", "time > now() - 24h")
                q = q.replace("$__interval", "10m")
                for name, val in sorted(subst.items(), key=lambda kv: -len(kv[0])):
                    q = q.replace("$" + name, val)
                self.assertIsNone(re.search(r"\$[A-Za-z_]", q), "an unknown variable in " + q)
                return q

            # variables in order, each may use the ones before it
            for var in dash["templating"]["list"]:
                got = values(query(influx, fill(var["query"])))
                self.assertTrue(got, "%s: variable %s has no values" % (path, var["name"]))
                if var["name"] == "field":  # a numeric field: mean() of a string is an error
                    keys = query(influx, fill(var["query"]))[0]["series"][0]["values"]
                    got = [k for k, t in keys if t in ("float", "integer")]
                    self.assertTrue(got)
                subst[var["name"]] = regex_of(got) if var.get("includeAll") else got[0]
                ran += 1
            for panel in dash["panels"]:
                for t in panel["targets"]:
                    q = fill(t["query"])
                    res = query(influx, q)
                    self.assertGreater(rows(res), 0, "%s: panel %r returned nothing: %s"
                                       % (os.path.basename(path), panel["title"], q))
                    ran += 1
        self.assertEqual(ran, 4 + 5 + 13)


if __name__ == "__main__":
    harness.main()
