/* hj212_reply: which frames get an acknowledgement, its exact bytes and
 * topic, and which topics are Lifeline's own replies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hj212_reply.h"
#include "metrics.h"

#define MN "010000A8900016F000169DC0"
/* Flag=5: bit 0 (A) set. CRC computed by an independent implementation of
 * DOMAIN.md's algorithm (which gives 1C80 for the verified example). */
#define SEG_A                                                                                      \
    "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=" MN ";Flag=5;CP=&&DataTime=20160801085800;"  \
    "w01018-Rtd=194.2&&"
/* The reply: 87-byte segment, CRC 3240. */
#define REPLY "##0087QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=" MN ";Flag=4;CP=&&&&3240\r\n"

static char sent_topic[256];
static char sent[512];
static size_t sent_len;
static int nsent;
static int publish_rc;

static int publish(void *ctx, const char *topic, const void *payload, size_t len)
{
    assert_ptr_equal(ctx, &nsent);
    if (publish_rc)
        return publish_rc;
    assert_true(strlen(topic) < sizeof sent_topic && len < sizeof sent);
    memcpy(sent_topic, topic, strlen(topic) + 1);
    memcpy(sent, payload, len);
    sent_len = len;
    nsent++;
    return 0;
}

static struct config cfg;
static char *routes[] = {"lifeline/#=json", "hj212/json/#=json", "hj212/#=hj212"};

static struct hj212_reply *make(const char *reply_topic)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.mqtt.ndecoders = 3;
    for (size_t i = 0; i < 3; i++)
        cfg.mqtt.decoders[i] = routes[i];
    cfg.mqtt.topic_template = "lifeline/{district}/{category}/{device}";
    cfg.hj212.reply_topic = (char *)reply_topic;
    struct hj212_reply *r = hj212_reply_new(&cfg, publish, &nsent);
    assert_non_null(r);
    nsent = 0;
    publish_rc = 0;
    metrics_reset();
    return r;
}

/* The frame a station sends for seg, in a heap block of exactly its size. */
static int after_store(struct hj212_reply *r, const char *topic, const char *seg)
{
    unsigned crc = 0xFFFF;
    for (size_t i = 0; seg[i]; i++) {
        crc = (crc >> 8) ^ (unsigned char)seg[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    size_t n = strlen(seg) + 12;
    char *f = malloc(n + 1);
    assert_non_null(f);
    snprintf(f, n + 1, "##%04zu%s%04X\r\n", strlen(seg), seg, crc);
    int rc = hj212_reply_after_store(r, topic, strlen(topic), f, n);
    free(f);
    return rc;
}

static int after_store_raw(struct hj212_reply *r, const char *topic, const char *frame)
{
    return hj212_reply_after_store(r, topic, strlen(topic), frame, strlen(frame));
}

static void test_reply_bytes(void **state)
{
    (void)state;
    struct hj212_reply *r = make("{topic}/reply");
    assert_int_equal(after_store(r, "hj212/st-1", SEG_A), 1);
    assert_int_equal(nsent, 1);
    assert_string_equal(sent_topic, "hj212/st-1/reply");
    assert_int_equal(sent_len, strlen(REPLY));
    assert_memory_equal(sent, REPLY, sent_len);
    assert_int_equal(metrics_get(C_HJ212_REPLIES), 1);
    assert_int_equal(metrics_get(C_HJ212_REPLY_FAILURES), 0);

    /* a lowercase CRC, no \r\n, Flag=1, no PW: still a valid frame */
    const char *seg = "QN=20250101000000001;CN=2051;MN=st9;Flag=1;CP=&&w01018-Avg=1&&";
    char frame[128];
    unsigned crc = 0xFFFF;
    for (size_t i = 0; seg[i]; i++) {
        crc = (crc >> 8) ^ (unsigned char)seg[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    snprintf(frame, sizeof frame, "##%04zu%s%04x", strlen(seg), seg, crc);
    assert_int_equal(after_store_raw(r, "hj212/st-9", frame), 1);
    assert_int_equal(nsent, 2);
    assert_string_equal(sent_topic, "hj212/st-9/reply");
    static const char want[] =
        "##0060QN=20250101000000001;ST=91;CN=9014;PW=;MN=st9;Flag=4;CP=&&&&FB41\r\n";
    assert_int_equal(sent_len, sizeof want - 1);
    assert_memory_equal(sent, want, sent_len);
    hj212_reply_free(r);

    /* a template without {topic} and with a prefix */
    r = make("replies/hj212");
    assert_int_equal(after_store(r, "hj212/st-1", SEG_A), 1);
    assert_string_equal(sent_topic, "replies/hj212");
    assert_memory_equal(sent, REPLY, sent_len);
    hj212_reply_free(r);
    r = make("ack/{topic}");
    assert_int_equal(after_store(r, "hj212/st-1", SEG_A), 1);
    assert_string_equal(sent_topic, "ack/hj212/st-1");
    hj212_reply_free(r);
}

static void test_no_reply(void **state)
{
    (void)state;
    struct hj212_reply *r = make("{topic}/reply");
    /* no A bit, or no Flag */
    assert_int_equal(
        after_store(r, "hj212/st-1", "QN=20160801085857223;ST=32;CN=2011;MN=st;Flag=4;CP=&&a=1&&"),
        0);
    assert_int_equal(
        after_store(r, "hj212/st-1", "QN=20160801085857223;ST=32;CN=2011;MN=st;CP=&&a=1&&"), 0);
    /* a reply (ours has Flag=4, but one with the A bit gets none either) */
    assert_int_equal(
        after_store(r, "hj212/st-1", "QN=20160801085857223;ST=91;CN=9014;MN=st;Flag=5;CP=&&&&"), 0);
    /* a topic routed to another decoder, first match winning */
    assert_int_equal(after_store(r, "hj212/json/st-1", SEG_A), 0);
    assert_int_equal(after_store(r, "lifeline/a/sewage/st-1", SEG_A), 0);
    assert_int_equal(after_store(r, "other/st-1", SEG_A), 0);
    /* refused frames: wrong CRC, wrong length, header errors */
    static const char *const bad[] = {
        "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=" MN
        ";Flag=5;CP=&&RtdInterval=30&&1C81\r\n",
        "##0102QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=" MN
        ";Flag=5;CP=&&RtdInterval=30&&1C80\r\n",
        "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=" MN
        ";Flag=5;CP=&&RtdInterval=30&&1C8\r\n",
        "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=" MN ";Flag=5;CP=&&RtdInterval=30&&",
        "##",
        "",
        "#Flag=5;",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(after_store_raw(r, "hj212/st-1", bad[i]), 0);
    /* the verified example is right, and asks (Flag=5): the control */
    assert_int_equal(after_store_raw(r, "hj212/st-1",
                                     "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=" MN
                                     ";Flag=5;CP=&&RtdInterval=30&&1C80\r\n"),
                     1);
    /* Flag 255 is odd too; a Flag that is no number is refused by the parser */
    assert_int_equal(after_store(r, "hj212/st-1", "QN=1;CN=2011;MN=st;Flag=255;CP=&&a=1&&"), 1);
    assert_int_equal(after_store(r, "hj212/st-1", "QN=1;CN=2011;MN=st;Flag=5x;CP=&&a=1&&"), 0);
    assert_int_equal(nsent, 2);
    assert_int_equal(metrics_get(C_HJ212_REPLIES), 2);
    assert_int_equal(metrics_get(C_HJ212_REPLY_FAILURES), 0);
    hj212_reply_free(r);

    /* replies off */
    r = make("");
    assert_int_equal(after_store(r, "hj212/st-1", SEG_A), 0);
    assert_int_equal(nsent, 0);
    assert_false(hj212_reply_is_own(r, "hj212/st-1/reply", 16));
    hj212_reply_free(r);
}

static void test_failures(void **state)
{
    (void)state;
    struct hj212_reply *r = make("{topic}/reply");
    /* no QN: the reply could not name the frame */
    assert_int_equal(after_store(r, "hj212/st-1", "CN=2011;MN=st;Flag=5;CP=&&a=1&&"), -EINVAL);
    publish_rc = -ENOTCONN;
    assert_int_equal(after_store(r, "hj212/st-1", SEG_A), -ENOTCONN);
    assert_int_equal(nsent, 0);
    assert_int_equal(metrics_get(C_HJ212_REPLIES), 0);
    assert_int_equal(metrics_get(C_HJ212_REPLY_FAILURES), 2);
    hj212_reply_free(r);
}

static bool own(const struct hj212_reply *r, const char *topic)
{
    return hj212_reply_is_own(r, topic, strlen(topic));
}

static void test_own_topics(void **state)
{
    (void)state;
    struct hj212_reply *r = make("{topic}/reply");
    assert_true(own(r, "hj212/st-1/reply"));
    assert_true(own(r, "hj212/reply")); /* hj212/# matches "hj212" */
    assert_false(own(r, "hj212/st-1"));
    assert_false(own(r, "hj212/st-1/replyx"));
    assert_false(own(r, "/reply"));
    assert_false(own(r, "reply"));
    assert_false(own(r, "lifeline/a/b/reply")); /* not a reply topic of an hj212 topic */
    assert_false(own(r, "hj212/json/x/reply")); /* routed to json */
    assert_false(own(NULL, "hj212/st-1/reply"));
    hj212_reply_free(r);

    r = make("ack/{topic}");
    assert_true(own(r, "ack/hj212/st-1"));
    assert_false(own(r, "ack/lifeline/x"));
    assert_false(own(r, "hj212/st-1"));
    hj212_reply_free(r);

    r = make("hj212/replies");
    assert_true(own(r, "hj212/replies"));
    assert_false(own(r, "hj212/replies/x"));
    assert_false(own(r, "hj212/st-1"));
    hj212_reply_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_bytes),
        cmocka_unit_test(test_no_reply),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_own_topics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
