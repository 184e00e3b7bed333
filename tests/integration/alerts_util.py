"""Shared by the alert tests: a registry with report intervals, the alert
configuration with short timers, and reading the alerts over HTTP."""

import json
import os
import urllib.parse

import harness

HEADER = ("asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model,"
          "report_interval_s\n")


def write_registry(path, rows):
    """rows: (asset_id, name, category, district, device_id, report_interval_s)"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for asset, name, cat, district, device, interval in rows:
            f.write("%s,%s,%s,%s,,,upgraded,2026-01-01,%s,,%s\n"
                    % (asset, name, cat, district, device, interval))
    return os.path.abspath(path)


def config(registry, **alerts):
    """Overrides for harness.Lifeline: short timers so tests run in seconds."""
    a = {"check_interval_ms": 200, "offline_misses": 2, "grace_s": 0,
         "disconnect_hold_s": 1, "reminder_s": 0}
    a.update(alerts)
    return {"registry": {"assets": registry}, "alerts": a}


def alerts(ll, **filters):
    """GET /api/v1/alerts with filters; the list of alerts."""
    url = ll.url + "/api/v1/alerts"
    if filters:
        url += "?" + urllib.parse.urlencode(filters)
    status, body, _ = harness.http("GET", url)
    if status != 200:
        raise AssertionError("GET %s: HTTP %d %s" % (url, status, body[:300]))
    doc = json.loads(body)
    assert doc["count"] == len(doc["alerts"]), doc
    return doc["alerts"]


def wait_alert(ll, timeout=15.0, **filters):
    """Waits until exactly one alert matches the filters; returns it."""
    def one():
        found = alerts(ll, **filters)
        return found[0] if len(found) == 1 else None
    return harness.wait_until(one, timeout, "one alert with %r" % filters, interval=0.02)


def last_seen(ll, asset):
    """When the daemon received the asset's latest reading (epoch ms, its
    clock): the start of the device's offline deadline."""
    status, body, _ = harness.http("GET", ll.url + "/api/v1/devices/" + urllib.parse.quote(asset))
    if status != 200:
        raise AssertionError("GET /api/v1/devices/%s: HTTP %d %s" % (asset, status, body[:300]))
    return json.loads(body)["last_seen_ms"]
