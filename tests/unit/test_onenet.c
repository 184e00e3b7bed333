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

#include "onenet.h"

#define RECV INT64_C(1800000000000)
#define POST "$sys/Xk3pQ9/pump-room-07/thing/property/post"

static struct reading rd;
static struct device_ref who;
static enum reason why;
static char detail[256];
static char dev[64], prod[64];

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

static void keep(const char **slot, size_t len, char *copy, const char *t, size_t tl)
{
    if (!*slot)
        return;
    assert_true(*slot >= t && *slot + len <= t + tl); /* a slice of the topic */
    assert_true(len < 64);
    memcpy(copy, *slot, len);
    copy[len] = '\0';
    *slot = copy;
}

/* Heap copies of exactly their length, without a terminator, for ASan. */
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
    int rc = onenet_decode(&in, &rd, &who, &why, detail, sizeof detail);
    keep(&who.device, who.device_len, dev, t, tl);
    keep(&who.product, who.product_len, prod, t, tl);
    free(t);
    free(p);
    return rc;
}

static void want_who(const char *device, const char *product)
{
    assert_int_equal(who.device_len, strlen(device));
    assert_string_equal(who.device, device);
    assert_int_equal(who.product_len, strlen(product));
    assert_string_equal(who.product, product);
    assert_null(who.kind);
    assert_null(who.category);
    assert_null(who.district);
}

static void test_property_post(void **state)
{
    (void)state;
    assert_int_equal(dec(POST, "{\"id\":\"123\",\"version\":\"1.0\",\"params\":{\"temp\":{"
                               "\"value\":23.6,\"time\":1599534283111},\"pump_running\":{"
                               "\"value\":true},\"note\":{\"value\":\"二次供水\"}}}"),
                     0);
    assert_int_equal(why, REASON__COUNT);
    want_who("pump-room-07", "Xk3pQ9");
    assert_int_equal(rd.nfields, 3);
    const struct field *f = reading_find(&rd, "temp");
    assert_non_null(f);
    assert_int_equal(f->type, FIELD_FLOAT);
    assert_true(f->v.f == 23.6);
    assert_int_equal(f->ts_ms, INT64_C(1599534283111));
    f = reading_find(&rd, "pump_running");
    assert_non_null(f);
    assert_int_equal(f->type, FIELD_BOOL);
    assert_true(f->v.b);
    assert_int_equal(f->ts_ms, 0);
    f = reading_find(&rd, "note");
    assert_non_null(f);
    assert_int_equal(f->type, FIELD_STRING);
    assert_string_equal(f->v.s.ptr, "二次供水");
    assert_int_equal(f->v.s.len, strlen("二次供水"));
    assert_int_equal(rd.ts_ms, INT64_C(1599534283111));
    assert_false(rd.ts_from_receipt);

    assert_int_equal(dec(POST, "{\"params\":{\"temp\":{\"value\":1}}}"), 0);
    assert_int_equal(rd.ts_ms, RECV);
    assert_true(rd.ts_from_receipt);
}

static void test_errors_and_other_topics(void **state)
{
    (void)state;
    assert_int_equal(dec(POST "/reply", "{\"id\":\"123\",\"code\":200,\"msg\":\"success\"}"),
                     -ENODATA);
    want_who("pump-room-07", "Xk3pQ9");
    assert_int_equal(dec("$sys/Xk3pQ9/pump-room-07/thing/event/post", "{}"), -ENODATA);
    assert_int_equal(dec("$sys/Xk3pQ9/pump-room-07/thing/property/set", "{}"), -ENODATA);
    assert_int_equal(dec("$sys/Xk3pQ9/pump-room-07", "{}"), -ENODATA);
    assert_int_equal(why, REASON__COUNT);

    const char *msg = "onenet topic must be $sys/{pid}/{device}/...";
    const char *topics[] = {"sys/p/d/thing/property/post",
                            "$sys//d/thing/property/post",
                            "$sys/p//thing/property/post",
                            "$sys/p",
                            "",
                            "/sys/p/d/thing/event/property/post"};
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        assert_int_equal(dec(topics[i], "{\"params\":{\"a\":1}}"), -EINVAL);
        assert_int_equal(why, REASON_TOPIC);
        assert_string_equal(detail, msg);
    }

    assert_int_equal(dec(POST, "{\"params\":{\"a\":[1]}}"), -EINVAL);
    assert_int_equal(why, REASON_TYPE);
    assert_string_equal(detail, "field 'a': arrays are not supported");
    assert_int_equal(dec(POST, "{\"params\":\"x\"}"), -EINVAL);
    assert_int_equal(why, REASON_MALFORMED);
    assert_string_equal(detail, "'params' must be an object, not a string");
    assert_int_equal(dec(POST, "{\"params\":{\"temp\":{\"value\":1,\"time\":true}}}"), -EINVAL);
    assert_int_equal(why, REASON_TIMESTAMP);
    assert_string_equal(detail, "field 'temp': time: must be a number, not a boolean");
}

int main(void)
{
    /* The decoder fits the pipeline's table of decoders. */
    decoder_fn fn = onenet_decode;
    (void)fn;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_post),
        cmocka_unit_test(test_errors_and_other_topics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
