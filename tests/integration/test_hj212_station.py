"""HJ 212 stations through the real broker: DataTime read in the configured
time zone (hj212.time_zone and a hj212.time_zones override), and the
acknowledgement (CN=9014, same QN) a frame with Flag bit 0 asks for,
published on {topic}/reply, which Lifeline's own hj212/# subscription sees
and skips."""

import binascii
import datetime

import harness
import knowledge

T = (harness.now_ms() // 1000 - 600) * 1000  # ten minutes ago, whole second
SUB_ID = "hj212-reply-watcher"


def local(ms, minutes):
    """YYYYMMDDhhmmss of epoch ms at UTC+minutes."""
    tz = datetime.timezone(datetime.timedelta(minutes=minutes))
    return datetime.datetime.fromtimestamp(ms / 1000, tz).strftime("%Y%m%d%H%M%S")


def data_seg(mn, qn, flag, when):
    return ("QN=%s;ST=32;CN=2011;PW=123456;MN=%s;Flag=%d;CP=&&DataTime=%s;"
            "w01018-Rtd=194.2,w01018-Flag=N&&" % (qn, mn, flag, when))


class TestHj212Station(harness.TestCase):
    def start(self, hj212, devices):
        reg = knowledge.write_registry(self.tmp + "/assets.csv", [
            ("S-%d" % i, "sewage", "顾官屯镇", mn, "HJ-S") for i, mn in enumerate(devices)])
        broker = self.mosquitto()
        influx = self.influx()
        ll = self.lifeline(broker, influx, {"mqtt": {"topics": ["lifeline/#", "hj212/#"]},
                                            "registry": {"assets": reg}, "hj212": hj212})
        return broker, influx, ll

    def test_time_zones(self):
        """The default zone is replaced by hj212.time_zone; a topic an
        override matches uses the override. A wrong zone would move the point
        by hours (or refuse it as in the future)."""
        broker, influx, ll = self.start(
            {"time_zone": "UTC-05:30", "time_zones": ["hj212/east/#=+09:00"]}, ["st-w", "st-e"])
        harness.publish(broker.port, "hj212/st-w",
                        knowledge.hj212_frame(data_seg("st-w", "20250101000000001", 4,
                                                       local(T, -330))))
        harness.publish(broker.port, "hj212/east/st-e",
                        knowledge.hj212_frame(data_seg("st-e", "20250101000000002", 4,
                                                       local(T + 1000, 540))))
        pts = self.wait_points(influx, "sewage", 2)
        self.assertEqual([(p["time"], p["device"]) for p in pts],
                         [(T, "st-w"), (T + 1000, "st-e")])
        self.assertEqual(ll.quarantine(), [])

    def test_acknowledgement(self):
        """Only the intact frame whose Flag has bit 0 gets a reply, exactly
        the CN=9014 frame with its QN, on hj212/st-1/reply. Frames go in
        order through one MQTT thread, so the first reply to arrive is the
        one for the last frame only if the two before it got none."""
        broker, influx, ll = self.start({}, ["st-1"])
        watcher = harness.subscribe(broker.port, "hj212/+/reply", 1, timeout=30,
                                    args=["-i", SUB_ID, "-F", "%t %x"])
        harness.wait_until(lambda: broker.subscriptions(SUB_ID, "hj212/+/reply") >= 1, 10,
                           "the watcher to subscribe")
        bad_crc = knowledge.hj212_frame(data_seg("st-1", "20250101000000001", 5, local(T, 480)))
        good_crc = bad_crc[-6:-2]
        bad_crc = bad_crc[:-6] + ("0000" if good_crc != "0000" else "0001") + "\r\n"
        no_ack = knowledge.hj212_frame(data_seg("st-1", "20250101000000002", 4,
                                                local(T + 1000, 480)))
        ack = knowledge.hj212_frame(data_seg("st-1", "20250101000000003", 5,
                                             local(T + 2000, 480)))
        for frame in (bad_crc, no_ack, ack):
            harness.publish(broker.port, "hj212/st-1", frame)

        want = "##0067QN=20250101000000003;ST=91;CN=9014;PW=123456;MN=st-1;Flag=4;CP=&&&&D081\r\n"
        got = watcher.collect()
        self.assertEqual(len(got), 1, got)
        topic, payload = got[0].split(" ")
        self.assertEqual(topic, "hj212/st-1/reply")
        self.assertEqual(binascii.unhexlify(payload).decode("ascii"), want)

        self.wait_metric(ll, "lifeline_hj212_replies_total", 1)
        # Lifeline's hj212/# subscription brings its reply back: skipped, not data
        self.wait_metric(ll, "lifeline_hj212_own_replies_total", 1)
        pts = self.wait_points(influx, "sewage", 2)
        self.assertEqual([p["time"] for p in pts], [T + 1000, T + 2000])
        self.wait_metric(ll, 'lifeline_rejected_total{reason="crc"}', 1)
        self.assertEqual([r["reason"] for r in ll.quarantine()], ["crc"])
        self.assertEqual(ll.metric("lifeline_hj212_reply_failures_total"), 0)
        self.assertEqual(ll.metric("lifeline_messages_without_reading_total"), 0)
        self.assertEqual(ll.metric("lifeline_hj212_replies_total"), 1)


if __name__ == "__main__":
    harness.main()
