/* dispatch: MQTT filter matching and the choice of decoder by route. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dispatch.h"

static bool m(const char *filter, const char *topic)
{
    return dispatch_filter_matches(filter, topic, strlen(topic));
}

static void test_filters(void **state)
{
    (void)state;
    assert_true(m("lifeline/#", "lifeline/d1/water_supply/p1"));
    assert_true(m("lifeline/#", "lifeline"));
    assert_false(m("lifeline/#", "lifelines/x"));
    assert_true(m("/sys/+/+/thing/event/#", "/sys/pk/dn/thing/event/property/post"));
    assert_false(m("/sys/+/+/thing/event/#", "/sys/pk/dn/thing/service/x"));
    assert_true(m("$sys/+/+/thing/property/post", "$sys/123/dev/thing/property/post"));
    assert_false(m("$sys/+/+/thing/property/post", "$sys/123/dev/thing/property/post/reply"));
    assert_false(m("#", "$sys/a"));
    assert_false(m("+/a", "$sys/a"));
    assert_true(m("#", "a/b"));
    assert_true(m("a/+", "a/"));
    assert_false(m("a/+", "a"));
    assert_false(m("a/b", "a/b/c"));
    assert_false(m("a/b/c", "a/b"));
    assert_true(m("hj212/#", "hj212/st-1"));
    assert_true(dispatch_decoder_known("hj212"));
    assert_false(dispatch_decoder_known("sl651"));
}

static void test_routes(void **state)
{
    (void)state;
    char *routes[] = {"lifeline/#=json", "hj212/#=hj212", "x/#=alink"};
    char err[128];
    struct dispatch *d =
        dispatch_new(routes, 3, "lifeline/{district}/{category}/{device}", err, sizeof err);
    assert_non_null(d);
    struct reading r;
    assert_int_equal(reading_init(&r, 4096), 0);
    struct device_ref who;
    const char *name;
    enum reason why;
    char detail[256];
    const char *topic = "lifeline/d1/drainage/lv-1";
    const char *payload = "{\"ts\": 1764380000000, \"water_level\": 1.5}";
    struct decoder_input in = {topic, strlen(topic), payload, strlen(payload), 1, NULL, 480};
    assert_int_equal(dispatch_decode(d, &in, &r, &who, &name, &why, detail, sizeof detail), 0);
    assert_string_equal(name, "json");
    assert_int_equal(who.device_len, 4);
    assert_memory_equal(who.device, "lv-1", 4);
    assert_memory_equal(who.category, "drainage", 8);
    assert_memory_equal(who.district, "d1", 2);
    assert_int_equal(r.nfields, 1);

    in.topic = "lifeline/only/two";
    in.topic_len = strlen(in.topic);
    assert_int_equal(dispatch_decode(d, &in, &r, &who, &name, &why, detail, sizeof detail),
                     -EINVAL);
    assert_int_equal(why, REASON_TOPIC);
    assert_string_equal(detail,
                        "topic does not fit the template lifeline/{district}/{category}/{device}");

    in.topic = "other/x";
    in.topic_len = strlen(in.topic);
    assert_int_equal(dispatch_decode(d, &in, &r, &who, &name, &why, detail, sizeof detail),
                     -EINVAL);
    assert_null(name);
    assert_int_equal(why, REASON_TOPIC);
    assert_string_equal(detail, "no mqtt.decoders filter matches the topic");

    in.topic = "hj212/st";
    in.topic_len = strlen(in.topic);
    in.payload = "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
                 "Flag=5;CP=&&RtdInterval=30&&1C80\r\n";
    in.len = strlen(in.payload);
    assert_int_equal(dispatch_decode(d, &in, &r, &who, &name, &why, detail, sizeof detail),
                     -ENODATA);
    assert_string_equal(name, "hj212");
    reading_free(&r);
    dispatch_free(d);

    char *bad[] = {"a/#=nope"};
    assert_null(dispatch_new(bad, 1, "lifeline/{district}/{category}/{device}", err, sizeof err));
    assert_string_equal(err, "route 'a/#=nope' is not FILTER=DECODER");
}

/* Decodes an HJ 212 frame with DataTime 2016-08-01 08:58:00 (local) on topic. */
static int64_t hj212_time(const struct dispatch *d, const char *topic, const char *seg_time)
{
    char frame[256];
    char seg[160];
    struct reading r;
    struct device_ref who;
    const char *name;
    enum reason why;
    char detail[256];
    snprintf(seg, sizeof seg, "QN=20160801085857223;ST=32;CN=2011;MN=st1;%s", seg_time);
    unsigned crc = 0xFFFF;
    for (size_t i = 0; seg[i]; i++) {
        crc = (crc >> 8) ^ (unsigned char)seg[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    snprintf(frame, sizeof frame, "##%04zu%s%04X\r\n", strlen(seg), seg, crc);
    assert_int_equal(reading_init(&r, 4096), 0);
    /* 123: what the caller passes, used only while no zones are set */
    struct decoder_input in = {topic, strlen(topic), frame, strlen(frame), 1, NULL, 123};
    assert_int_equal(dispatch_decode(d, &in, &r, &who, &name, &why, detail, sizeof detail), 0);
    int64_t ts = r.ts_ms;
    reading_free(&r);
    return ts;
}

#define DT "CP=&&DataTime=20160801085800;w01018-Rtd=1&&"
#define NO_DT "CP=&&w01018-Rtd=1&&" /* QN 20160801085857223 is the time */

static void test_hj212_zones(void **state)
{
    (void)state;
    char *routes[] = {"hj212/#=hj212"};
    char err[128];
    struct dispatch *d =
        dispatch_new(routes, 1, "lifeline/{district}/{category}/{device}", err, sizeof err);
    assert_non_null(d);
    /* 2016-08-01 08:58:00 at UTC is 1470041880000 */
    assert_int_equal(hj212_time(d, "hj212/a", DT), INT64_C(1470041880000) - 123 * 60000);

    char *over[] = {"hj212/west/#=-05:30", "hj212/+/far=UTC+6", "hj212/west/far=+01:00"};
    assert_int_equal(dispatch_set_hj212_zones(d, 480, over, 3, err, sizeof err), 0);
    assert_int_equal(hj212_time(d, "hj212/a", DT), INT64_C(1470013080000)); /* default +08:00 */
    assert_int_equal(hj212_time(d, "hj212/west/st1", DT), INT64_C(1470061680000)); /* -05:30 */
    assert_int_equal(hj212_time(d, "hj212/b/far", DT), INT64_C(1470020280000));    /* +06:00 */
    /* first match wins */
    assert_int_equal(hj212_time(d, "hj212/west/far", DT), INT64_C(1470061680000));
    /* the QN, when there is no DataTime, is local time in the same zone */
    assert_int_equal(hj212_time(d, "hj212/a", NO_DT), INT64_C(1470013137223));
    assert_int_equal(hj212_time(d, "hj212/west/x", NO_DT), INT64_C(1470061737223));
    dispatch_free(d);

    d = dispatch_new(routes, 1, "lifeline/{district}/{category}/{device}", err, sizeof err);
    assert_non_null(d);
    char *bad[] = {"hj212/#=+08:00", "hj212/#=Asia/Shanghai"};
    assert_int_equal(dispatch_set_hj212_zones(d, 480, bad, 2, err, sizeof err), -EINVAL);
    assert_string_equal(err, "time zone override 'hj212/#=Asia/Shanghai' is not FILTER=ZONE");
    dispatch_free(d);
}

static void test_decoder_for(void **state)
{
    (void)state;
    char *routes[] = {"hj212/json/#=json", "hj212/#=hj212"};
    char err[128];
    struct dispatch *d =
        dispatch_new(routes, 2, "lifeline/{district}/{category}/{device}", err, sizeof err);
    assert_non_null(d);
    assert_string_equal(dispatch_decoder_for(d, "hj212/json/x", 12), "json");
    assert_string_equal(dispatch_decoder_for(d, "hj212/st", 8), "hj212");
    assert_null(dispatch_decoder_for(d, "other", 5));
    dispatch_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters), cmocka_unit_test(test_routes),
        cmocka_unit_test(test_hj212_zones), cmocka_unit_test(test_decoder_for)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
