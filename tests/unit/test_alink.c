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

#include "alink.h"
#include "buf.h"
#include "decode_util.h"

#define RECV INT64_C(1800000000000)
#define PROP "/sys/a1B2c3/manhole-0001/thing/event/property/post"
#define EXAMPLE                                                                                    \
    "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{\"tiltAngle\":{\"value\":12.5,\"time\":"      \
    "1524448722000},\"batteryLevel\":87},\"method\":\"thing.event.property.post\"}"

static struct reading rd;
static struct device_ref who;
static enum reason why;
static char detail[256];

static int setup(void **state)
{
    (void)state;
    return reading_init(&rd, 4096);
}

static int teardown(void **state)
{
    (void)state;
    reading_free(&rd);
    return 0;
}

/* Topic and payload are heap copies of exactly their length, without a
 * terminator, so that ASan sees any read past either. */
static int dec(const char *topic, const char *json)
{
    size_t tl = strlen(topic), pl = strlen(json);
    char *t = malloc(tl + 1), *p = malloc(pl + 1);
    assert_non_null(t);
    assert_non_null(p);
    memcpy(t, topic, tl);
    memcpy(p, json, pl);
    struct decoder_input in = {
        .topic = t, .topic_len = tl, .payload = p, .len = pl, .recv_ms = RECV};
    why = REASON__COUNT;
    memset(detail, 0, sizeof detail);
    int rc = alink_decode(&in, &rd, &who, &why, detail, sizeof detail);
    /* Identity slices point into the topic: check them before it goes. */
    if (who.device)
        assert_true(who.device >= t && who.device + who.device_len <= t + tl);
    if (who.product)
        assert_true(who.product >= t && who.product + who.product_len <= t + tl);
    if (who.kind)
        assert_true(who.kind >= t && who.kind + who.kind_len <= t + tl);
    /* Copy the slices so that the test can look at them afterwards. */
    static char dev[64], prod[64], kind[64];
    const char **slots[] = {&who.device, &who.product, &who.kind};
    size_t lens[] = {who.device_len, who.product_len, who.kind_len};
    char *copies[] = {dev, prod, kind};
    for (int i = 0; i < 3; i++) {
        if (!*slots[i])
            continue;
        assert_true(lens[i] < 64);
        memcpy(copies[i], *slots[i], lens[i]);
        copies[i][lens[i]] = '\0';
        *slots[i] = copies[i];
    }
    free(t);
    free(p);
    return rc;
}

static void ok(const char *topic, const char *json)
{
    if (dec(topic, json) != 0)
        fail_msg("refused (%s: %s): %s", reason_name(why), detail, json);
    assert_int_equal(why, REASON__COUNT);
}

static void bad(const char *topic, const char *json, enum reason want, const char *want_detail)
{
    int rc = dec(topic, json);
    if (rc != -EINVAL)
        fail_msg("not refused (rc %d): %s %s", rc, topic, json);
    assert_string_equal(reason_name(why), reason_name(want));
    assert_string_equal(detail, want_detail);
}

static void want_slice(const char *p, size_t n, const char *s)
{
    if (!s) {
        assert_null(p);
        assert_int_equal(n, 0);
        return;
    }
    assert_non_null(p);
    assert_int_equal(n, strlen(s));
    assert_memory_equal(p, s, n);
}

static void want_who(const char *device, const char *product, const char *kind)
{
    want_slice(who.device, who.device_len, device);
    want_slice(who.product, who.product_len, product);
    want_slice(who.kind, who.kind_len, kind);
    assert_null(who.category);
    assert_null(who.district);
}

static const struct field *want(const char *key, enum field_type t, int64_t ts)
{
    const struct field *f = reading_find(&rd, key);
    if (!f)
        fail_msg("no field %s", key);
    assert_int_equal(f->type, t);
    assert_int_equal(f->key_len, strlen(key));
    assert_int_equal(f->ts_ms, ts);
    return f;
}

static void want_float(const char *key, double v, int64_t ts)
{
    assert_true(want(key, FIELD_FLOAT, ts)->v.f == v);
}

static void want_str(const char *key, const char *v, int64_t ts)
{
    const struct field *f = want(key, FIELD_STRING, ts);
    assert_string_equal(f->v.s.ptr, v);
    assert_int_equal(f->v.s.len, strlen(v));
}

static void test_property_post(void **state)
{
    (void)state;
    ok(PROP, EXAMPLE);
    want_who("manhole-0001", "a1B2c3", NULL);
    assert_int_equal(rd.nfields, 2);
    assert_string_equal(rd.fields[0].key, "tiltAngle"); /* as sent: aliases are the profiles' */
    want_float("tiltAngle", 12.5, INT64_C(1524448722000));
    want_float("batteryLevel", 87, 0);
    assert_int_equal(rd.ts_ms, INT64_C(1524448722000));
    assert_false(rd.ts_from_receipt);
}

static void test_times(void **state)
{
    (void)state;
    /* The newest param time is the reading's. */
    ok(PROP, "{\"params\":{\"a\":{\"value\":1,\"time\":1524448722000},"
             "\"b\":{\"value\":2,\"time\":1524448723000},\"c\":{\"value\":3}}}");
    assert_int_equal(rd.ts_ms, INT64_C(1524448723000));
    want_float("a", 1, INT64_C(1524448722000));
    want_float("b", 2, INT64_C(1524448723000));
    want_float("c", 3, 0);
    /* A top-level time wins; a string holding a number is fine. */
    ok(PROP, "{\"time\":\"1524448700000\",\"params\":{\"a\":{\"value\":1,\"time\":"
             "1524448722000}}}");
    assert_int_equal(rd.ts_ms, INT64_C(1524448700000));
    want_float("a", 1, INT64_C(1524448722000));
    /* No time anywhere: the receive time, flagged. */
    ok(PROP, "{\"params\":{\"a\":1}}");
    assert_int_equal(rd.ts_ms, RECV);
    assert_true(rd.ts_from_receipt);

    bad(PROP, "{\"params\":{\"a\":{\"value\":1,\"time\":\"soon\"}}}", REASON_TIMESTAMP,
        "field 'a': time: string is not an epoch number");
    bad(PROP, "{\"params\":{\"a\":{\"value\":1,\"time\":-1}}}", REASON_TIMESTAMP,
        "field 'a': time: -1 is not a valid epoch time");
    bad(PROP, "{\"time\":null,\"params\":{\"a\":1}}", REASON_TIMESTAMP,
        "'time': must be a number, not null");
}

static void test_values(void **state)
{
    (void)state;
    ok(PROP, "{\"params\":{\"status\":\"正常\",\"district\":{\"value\":\"顾官屯镇\",\"time\":"
             "1524448722000},\"温度\":21,\"open\":false,\"gone\":null,"
             "\"gps\":{\"lat\":39.1,\"lon\":117.2},"
             "\"st\":{\"value\":{\"a\":1,\"b\":{\"c\":true}},\"time\":1524448722000},"
             "\"odd\":{\"value\":1,\"other\":2}}}");
    assert_int_equal(rd.nfields, 10);
    want_str("status", "正常", 0);
    want_str("district", "顾官屯镇", INT64_C(1524448722000));
    want_float("温度", 21, 0);
    assert_false(want("open", FIELD_BOOL, 0)->v.b);
    assert_null(reading_find(&rd, "gone"));
    want_float("gps_lat", 39.1, 0);
    want_float("gps_lon", 117.2, 0);
    want_float("st_a", 1, INT64_C(1524448722000));
    assert_true(want("st_b_c", FIELD_BOOL, INT64_C(1524448722000))->v.b);
    /* Not a {value,time} pair: a struct. */
    want_float("odd_value", 1, 0);
    want_float("odd_other", 2, 0);
}

static void test_payload_errors(void **state)
{
    (void)state;
    bad(PROP, "{\"id\":\"1\"}", REASON_MALFORMED, "missing 'params'");
    bad(PROP, "{\"params\":[1]}", REASON_MALFORMED, "'params' must be an object, not an array");
    bad(PROP, "{\"params\":{}}", REASON_NO_FIELDS, "no fields in 'params'");
    bad(PROP, "{\"params\":{\"a\":null}}", REASON_NO_FIELDS, "no fields in 'params'");
    bad(PROP, "{\"params\":{\"arr\":[1,2]}}", REASON_TYPE, "field 'arr': arrays are not supported");
    bad(PROP, "{\"params\":{\"a\":{\"value\":[1]}}}", REASON_TYPE,
        "field 'a': arrays are not supported");
    bad(PROP, "{\"params\":{\"a\":1e999}}", REASON_NOT_FINITE, "field 'a': number out of range");
    bad(PROP, "{\"params\":{\"s\":\"\xff\"}}", REASON_MALFORMED,
        "field 's': string is not valid utf-8");
    bad(PROP, "{\"params\":{\"s\":\"a\\u0000b\"}}", REASON_MALFORMED,
        "invalid json at byte 17: nul character");
    bad(PROP, "{\"params\":{\"\":1}}", REASON_MALFORMED, "param name is empty");
    bad(PROP, "{\"params\":{\"a\\nb\":1}}", REASON_MALFORMED,
        "param name is invalid (not utf-8, or a control character)");
    bad(PROP, "{\"params\":{\"g\":{\"\":1}}}", REASON_MALFORMED, "field 'g': member name is empty");
    bad(PROP, "{\"params\":{\"a_b\":1,\"a\":{\"b\":2}}}", REASON_MALFORMED,
        "field 'a_b': duplicate key (structs are flattened with '_')");
    bad(PROP, "{\"params\":{\"a\":1}", REASON_MALFORMED, "invalid json at byte 16");
    bad(PROP, "{\"params\":{\"a\":1}} x", REASON_MALFORMED,
        "invalid json at byte 19: data after the object");
    bad(PROP, "[]", REASON_MALFORMED, "top level must be an object, not an array");
    bad(PROP, "", REASON_MALFORMED, "empty payload");

    /* More params than a reading holds. */
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(buf_puts(&b, "{\"params\":{"), 0);
    for (int i = 0; i <= READING_MAX_FIELDS; i++)
        assert_int_equal(buf_printf(&b, "%s\"p%d\":%d", i ? "," : "", i, i), 0);
    assert_int_equal(buf_puts(&b, "}}"), 0);
    bad(PROP, b.data, REASON_TOO_LARGE, "field 'p128': more than 128 fields");
    buf_free(&b);
}

static void test_events(void **state)
{
    (void)state;
    const char *t = "/sys/a1B2c3/manhole-0001/thing/event/overflowAlarm/post";
    ok(t, "{\"id\":\"9\",\"version\":\"1.0\",\"params\":{\"value\":{\"level\":1.5,\"note\":"
          "\"井盖溢流\"},\"time\":1524448722000},\"method\":\"thing.event.overflowAlarm.post\"}");
    want_who("manhole-0001", "a1B2c3", "overflowAlarm");
    assert_int_equal(rd.nfields, 2);
    want_float("level", 1.5, 0);
    want_str("note", "井盖溢流", 0);
    assert_int_equal(rd.ts_ms, INT64_C(1524448722000));
    assert_false(rd.ts_from_receipt);
    /* Outputs posted directly in params are taken as properties. */
    ok(t, "{\"params\":{\"level\":{\"value\":2,\"time\":1524448722001}}}");
    want_who("manhole-0001", "a1B2c3", "overflowAlarm");
    want_float("level", 2, INT64_C(1524448722001));
    /* On a property topic, "value" is just a property name. */
    ok(PROP, "{\"params\":{\"value\":{\"a\":1},\"time\":1524448722000}}");
    want_float("value_a", 1, 0);
    want_float("time", 1524448722000.0, 0);
}

static void test_topics(void **state)
{
    (void)state;
    const char *reply = "{\"code\":200,\"data\":{},\"id\":\"123\",\"message\":\"success\"}";
    assert_int_equal(dec("/sys/pk/dn/thing/event/property/post_reply", reply), -ENODATA);
    want_who("dn", "pk", NULL);
    assert_int_equal(why, REASON__COUNT);
    assert_int_equal(dec("/sys/pk/dn/thing/service/property/set", EXAMPLE), -ENODATA);
    assert_int_equal(dec("/sys/pk/dn/thing/event/alarm/post_reply", reply), -ENODATA);
    assert_int_equal(dec("/sys/pk/dn/rrpc/request/1", EXAMPLE), -ENODATA);
    assert_int_equal(dec("/sys/pk/dn", EXAMPLE), -ENODATA);
    assert_int_equal(dec("/sys/pk/dn/thing/event/property/post/x", EXAMPLE), -ENODATA);
    bad("/sys/pk/dn/thing/event/property/pack/post", EXAMPLE, REASON_TOPIC,
        "alink gateway batches (thing/event/property/pack/post) are not supported");
    want_who("dn", "pk", NULL);
    const char *msg = "alink topic must be /sys/{productKey}/{deviceName}/...";
    bad("sys/pk/dn/thing/event/property/post", EXAMPLE, REASON_TOPIC, msg);
    bad("/sys//dn/thing/event/property/post", EXAMPLE, REASON_TOPIC, msg);
    bad("/sys/pk//thing/event/property/post", EXAMPLE, REASON_TOPIC, msg);
    bad("/sys/pk", EXAMPLE, REASON_TOPIC, msg);
    bad("", EXAMPLE, REASON_TOPIC, msg);
    bad("/pk/dn/user/update", EXAMPLE, REASON_TOPIC, msg);
    bad("/sys/pk/dn/thing/event//post", EXAMPLE, REASON_TOPIC,
        "alink event identifier is empty or not text");
    want_who("dn", "pk", NULL);
}

/* The shared detail writer cuts before a partial UTF-8 character. */
static void test_detail_cut(void **state)
{
    (void)state;
    char small[9];
    enum reason r = REASON__COUNT;
    /* "ab" + 3-byte characters: 8 bytes fit, the third character would not. */
    assert_int_equal(decode_fail(&r, small, sizeof small, REASON_TYPE, "ab%s", "顾官屯"), -EINVAL);
    assert_int_equal(r, REASON_TYPE);
    assert_string_equal(small, "ab顾官");
    assert_int_equal(decode_fail(&r, NULL, 0, REASON_CRC, "x"), -EINVAL);
    assert_int_equal(r, REASON_CRC);
}

/* Since jsonscan replaced cJSON: names compare unescaped; the first of two
 * same members counts, as with cJSON_GetObjectItem. */
static void test_escapes_and_repeats(void **state)
{
    (void)state;
    ok(PROP, "{\"p\\u0061rams\":{\"a\":{\"v\\u0061lue\":1.5,\"time\":\"\\u0031764380000000\"}}}");
    want_float("a", 1.5, INT64_C(1764380000000));
    /* a second params or time would be lost: refused (as json_plain refuses a second ts) */
    bad(PROP, "{\"params\":{\"a\":1},\"params\":{\"b\":2}}", REASON_MALFORMED,
        "'params' given twice");
    bad(PROP, "{\"time\":1764380000000,\"params\":{\"a\":1},\"time\":1}", REASON_MALFORMED,
        "'time' given twice");
    bad(PROP, "{\"params\":{\"a\":01}}", REASON_MALFORMED, "invalid json at byte 16");
    bad(PROP, "{\"params\":{\"a\":1},\"x\":[1,2,}", REASON_MALFORMED, "invalid json at byte 27");
}

/* Found by fuzz_alink's check that no value in params is dropped: a pair
 * with two "value" (or two "time") members kept the first and dropped the
 * other silently. It is a struct now, whose repeated name is refused. */
static void test_pair_with_two_values(void **state)
{
    (void)state;
    bad(PROP, "{\"params\":{\"tilt\":{\"value\":1,\"value\":2}}}", REASON_MALFORMED,
        "field 'tilt_value': duplicate key (structs are flattened with '_')");
    bad(PROP, "{\"params\":{\"tilt\":{\"value\":1,\"time\":1764380000000,\"time\":2}}}",
        REASON_MALFORMED, "field 'tilt_time': duplicate key (structs are flattened with '_')");
    ok(PROP, "{\"params\":{\"tilt\":{\"value\":1,\"time\":1764380000000}}}");
    want_float("tilt", 1, INT64_C(1764380000000));
}

int main(void)
{
    /* The decoder fits the pipeline's table of decoders. */
    decoder_fn fn = alink_decode;
    (void)fn;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_post),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_payload_errors),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_detail_cut),
        cmocka_unit_test(test_escapes_and_repeats),
        cmocka_unit_test(test_pair_with_two_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
