#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timestamp.h"

#define T_2026 INT64_C(1795929027000) /* 2026-11-29T05:10:27Z */

static int64_t iso_ok(const char *s)
{
    int64_t ms = -42;
    int rc = ts_parse_iso8601(s, strlen(s), &ms);
    if (rc != 0)
        fail_msg("refused: %s", s);
    return ms;
}

static void iso_bad(const char *s)
{
    int64_t ms = -42;
    int rc = ts_parse_iso8601(s, strlen(s), &ms);
    if (rc != -EINVAL)
        fail_msg("accepted (rc=%d ms=%lld): %s", rc, (long long)ms, s);
    assert_int_equal(ms, -42); /* untouched on error */
}

static void test_iso_known_epochs(void **state)
{
    (void)state;
    assert_int_equal(iso_ok("2025-11-29T01:33:20Z"), INT64_C(1764380000000));
    assert_int_equal(iso_ok("2026-11-29T05:10:27Z"), T_2026);
    assert_int_equal(iso_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(iso_ok("2000-01-01T00:00:00Z"), INT64_C(946684800000));
    assert_int_equal(iso_ok("1969-12-31T23:59:59Z"), -1000);
    assert_int_equal(iso_ok("0001-01-01T00:00:00Z"), INT64_C(-62135596800000));
    assert_int_equal(iso_ok("9999-12-31T23:59:59.999Z"), TS_MAX_MS);
}

static void test_iso_fraction(void **state)
{
    (void)state;
    assert_int_equal(iso_ok("2026-11-29T05:10:27.123Z"), T_2026 + 123);
    assert_int_equal(iso_ok("2026-11-29T05:10:27.1Z"), T_2026 + 100);
    assert_int_equal(iso_ok("2026-11-29T05:10:27.12Z"), T_2026 + 120);
    assert_int_equal(iso_ok("2026-11-29T05:10:27.000Z"), T_2026);
    /* Truncated, never rounded up. */
    assert_int_equal(iso_ok("2026-11-29T05:10:27.9999999Z"), T_2026 + 999);
    assert_int_equal(iso_ok("2026-11-29T05:10:27.123456789+00:00"), T_2026 + 123);
    assert_int_equal(iso_ok("2026-11-29T05:10:27,5Z"), T_2026 + 500);
    iso_bad("2026-11-29T05:10:27.Z");
    iso_bad("2026-11-29T05:10:27.12a3Z");
}

static void test_iso_offsets(void **state)
{
    (void)state;
    assert_int_equal(iso_ok("2026-11-29T13:10:27+08:00"), T_2026);
    assert_int_equal(iso_ok("2026-11-29T13:10:27+0800"), T_2026);
    assert_int_equal(iso_ok("2026-11-29T13:10:27+08"), T_2026);
    assert_int_equal(iso_ok("2026-11-29T13:10:27.250+08:00"), T_2026 + 250);
    assert_int_equal(iso_ok("2026-11-28T23:40:27-05:30"), T_2026);
    assert_int_equal(iso_ok("2026-11-28T23:40:27-0530"), T_2026);
    assert_int_equal(iso_ok("2026-11-29T05:10:27z"), T_2026);
    assert_int_equal(iso_ok("2026-11-29T05:10:27-00:00"), T_2026);
    assert_int_equal(iso_ok("2026-11-29 05:10:27Z"), T_2026);
    assert_int_equal(iso_ok("2026-11-29t05:10:27Z"), T_2026);
    /* The offset crosses midnight and the year. */
    assert_int_equal(iso_ok("2000-01-01T07:00:00+08:00"), INT64_C(946684800000) - 3600000);
}

static void test_iso_no_offset_refused(void **state)
{
    (void)state;
    iso_bad("2026-11-29T05:10:27");
    iso_bad("2026-11-29T05:10:27.123");
    iso_bad("2026-11-29 05:10:27");
}

static void test_iso_bad_offsets(void **state)
{
    (void)state;
    iso_bad("2026-11-29T05:10:27+8");
    iso_bad("2026-11-29T05:10:27+08:0");
    iso_bad("2026-11-29T05:10:27+08:000");
    iso_bad("2026-11-29T05:10:27+080");
    iso_bad("2026-11-29T05:10:27+24:00");
    iso_bad("2026-11-29T05:10:27+08:60");
    iso_bad("2026-11-29T05:10:27ZZ");
    iso_bad("2026-11-29T05:10:27UTC");
    iso_bad("2026-11-29T05:10:27 Z");
    iso_bad("2026-11-29T05:10:27+08-00");
}

static void test_iso_leap_days(void **state)
{
    (void)state;
    assert_int_equal(iso_ok("2024-02-29T12:00:00Z"), INT64_C(1709208000000));
    assert_int_equal(iso_ok("2000-02-29T00:00:00Z"), INT64_C(951782400000));
    iso_bad("2023-02-29T12:00:00Z");
    iso_bad("1900-02-29T12:00:00Z"); /* divisible by 100, not by 400 */
    iso_bad("2024-02-30T12:00:00Z");
    iso_bad("2026-04-31T00:00:00Z");
    assert_int_equal(iso_ok("2026-12-31T00:00:00Z"), INT64_C(1798675200000));
}

static void test_iso_ranges(void **state)
{
    (void)state;
    iso_bad("2026-00-10T00:00:00Z");
    iso_bad("2026-13-10T00:00:00Z");
    iso_bad("2026-11-00T00:00:00Z");
    iso_bad("2026-11-29T24:00:00Z");
    iso_bad("2026-11-29T05:60:00Z");
    iso_bad("2026-11-29T05:10:61Z");
    /* Leap second folds to 59.999 of the same minute, fraction ignored. */
    assert_int_equal(iso_ok("2016-12-31T23:59:60Z"), INT64_C(1483228799999));
    assert_int_equal(iso_ok("2016-12-31T23:59:60.5Z"), INT64_C(1483228799999));
}

static void test_iso_garbage(void **state)
{
    (void)state;
    iso_bad("");
    iso_bad("Z");
    iso_bad("hello world, not a time!");
    iso_bad("2026-11-29");
    iso_bad("2026-11-29T05:10Z"); /* seconds are required */
    iso_bad("2026/11/29T05:10:27Z");
    iso_bad("2026-11-29T05-10-27Z");
    iso_bad("+026-11-29T05:10:27Z");
    iso_bad("2026-1a-29T05:10:27Z");
    iso_bad("2026-11-29T05:10:27Zjunk");
    iso_bad(" 2026-11-29T05:10:27Z");
    iso_bad("1764380000");
    /* Not NUL-terminated: only len bytes are read. */
    int64_t ms = 0;
    const char *s = "2026-11-29T05:10:27Z trailing";
    assert_int_equal(ts_parse_iso8601(s, 20, &ms), 0);
    assert_int_equal(ms, T_2026);
    assert_int_equal(ts_parse_iso8601(s, 19, &ms), -EINVAL);
    assert_int_equal(ts_parse_iso8601(s, 21, &ms), -EINVAL);
}

static int64_t num_ok(double v)
{
    int64_t ms = -42;
    int rc = ts_from_number(v, &ms);
    if (rc != 0)
        fail_msg("refused: %.17g", v);
    return ms;
}

static void test_number_bands(void **state)
{
    (void)state;
    /* seconds */
    assert_int_equal(num_ok(1764380000), INT64_C(1764380000000));
    assert_int_equal(num_ok(1764380000.123), INT64_C(1764380000123));
    assert_int_equal(num_ok(1764380000.5), INT64_C(1764380000500));
    assert_int_equal(num_ok(0), 0);
    assert_int_equal(num_ok(99999999999.0), INT64_C(99999999999000));
    /* milliseconds */
    assert_int_equal(num_ok(1e11), INT64_C(100000000000));
    assert_int_equal(num_ok(1764380000123.0), INT64_C(1764380000123));
    assert_int_equal(num_ok(99999999999999.0), INT64_C(99999999999999));
    /* microseconds */
    assert_int_equal(num_ok(1e14), INT64_C(100000000000));
    assert_int_equal(num_ok(1764380000123456.0), INT64_C(1764380000123));
    assert_int_equal(num_ok(1764380000123789.0), INT64_C(1764380000124));
    /* nanoseconds */
    assert_int_equal(num_ok(1e17), INT64_C(100000000000));
    assert_int_equal(num_ok(1764380000123000000.0), INT64_C(1764380000123));
}

static void test_number_refused(void **state)
{
    (void)state;
    int64_t ms = -42;
    assert_int_equal(ts_from_number(-1, &ms), -EINVAL);
    assert_int_equal(ts_from_number(-1764380000000.0, &ms), -EINVAL);
    assert_int_equal(ts_from_number(NAN, &ms), -EINVAL);
    assert_int_equal(ts_from_number(INFINITY, &ms), -EINVAL);
    assert_int_equal(ts_from_number(-INFINITY, &ms), -EINVAL);
    assert_int_equal(ts_from_number(1e300, &ms), -ERANGE);
    assert_int_equal(ts_from_number(9.3e18, &ms), 0); /* ns up to the int64 range fit */
    assert_int_equal(ts_from_number(3e20, &ms), -ERANGE);
    assert_int_equal(ms, INT64_C(9300000000000));
}

static void test_compact_local(void **state)
{
    (void)state;
    int64_t ms = -42;
    /* HJ 212 example QN, China time. */
    assert_int_equal(ts_parse_compact_local("20160801085857223", 17, 480, &ms), 0);
    assert_int_equal(ms, INT64_C(1470013137223));
    assert_int_equal(ts_parse_compact_local("20160801085857", 14, 480, &ms), 0);
    assert_int_equal(ms, INT64_C(1470013137000));
    assert_int_equal(ts_parse_compact_local("20261129051027", 14, 0, &ms), 0);
    assert_int_equal(ms, T_2026);
    /* West of UTC, with minutes: 00:00:27 at UTC-05:10 is 05:10:27Z. */
    assert_int_equal(ts_parse_compact_local("20261129000027", 14, -310, &ms), 0);
    assert_int_equal(ms, T_2026);
    ms = -42;
    assert_int_equal(ts_parse_compact_local("20240229235959", 14, 480, &ms), 0);
    assert_int_equal(ms, INT64_C(1709222399000));
    ms = -42;
    assert_int_equal(ts_parse_compact_local("20230229000000", 14, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("2016080108585", 13, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("201608010858572", 15, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("2016080108585722a", 17, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("2016-8-108585722", 16, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("20161301085857", 14, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("20160801245857", 14, 480, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("20160801085857", 14, 1440, &ms), -EINVAL);
    assert_int_equal(ts_parse_compact_local("+2016080108585", 14, 480, &ms), -EINVAL);
    assert_int_equal(ms, -42);
}

static void fmt_is(int64_t ms, const char *want)
{
    char out[32];
    memset(out, 'x', sizeof out);
    ts_format_iso8601(ms, out);
    assert_string_equal(out, want);
}

static void test_format(void **state)
{
    (void)state;
    fmt_is(T_2026 + 123, "2026-11-29T05:10:27.123Z");
    fmt_is(INT64_C(1764380000000), "2025-11-29T01:33:20.000Z");
    fmt_is(0, "1970-01-01T00:00:00.000Z");
    fmt_is(-1, "1969-12-31T23:59:59.999Z");
    fmt_is(INT64_C(1709208000000), "2024-02-29T12:00:00.000Z");
    fmt_is(TS_MAX_MS, "9999-12-31T23:59:59.999Z");
    fmt_is(INT64_C(-62135596800000), "0001-01-01T00:00:00.000Z");
    fmt_is(INT64_MAX, "292278994-08-17T07:12:55.807Z");
    fmt_is(INT64_MIN, "-292275055-05-16T16:47:04.192Z");
}

static void test_round_trip(void **state)
{
    (void)state;
    /* Every day across four years (a leap year included), at a varying time of day. */
    int64_t start = INT64_C(1704067200000); /* 2024-01-01 */
    for (int64_t i = 0; i < 4 * 366; i++) {
        int64_t ms = start + i * INT64_C(86400000) + (i * 7919 * 1000 + i) % INT64_C(86400000);
        char out[32];
        ts_format_iso8601(ms, out);
        int64_t back = -1;
        assert_int_equal(ts_parse_iso8601(out, strlen(out), &back), 0);
        assert_int_equal(back, ms);
    }
}

static int zone(const char *s)
{
    int m = -9999;
    if (ts_parse_zone(s, strlen(s), &m) != 0)
        fail_msg("refused: %s", s);
    return m;
}

static void test_zones(void **state)
{
    (void)state;
    assert_int_equal(zone("+08:00"), 480);
    assert_int_equal(zone("+0800"), 480);
    assert_int_equal(zone("+08"), 480);
    assert_int_equal(zone("+8"), 480);
    assert_int_equal(zone("UTC+8"), 480);
    assert_int_equal(zone("GMT+08:00"), 480);
    assert_int_equal(zone("-05:30"), -330);
    assert_int_equal(zone("UTC-5:30"), -330);
    assert_int_equal(zone("+5:45"), 345);
    assert_int_equal(zone("+14:00"), 840);
    assert_int_equal(zone("-12:00"), -720);
    assert_int_equal(zone("UTC"), 0);
    assert_int_equal(zone("Z"), 0);
    assert_int_equal(zone("-00:00"), 0);
    static const char *const bad[] = {"",        "8",      "+",        "+800",          "+08:0",
                                      "+08:60",  "+14:01", "-12:30",   "+123",          "UTC8",
                                      "UTCZ",    "utc+8",  "+8:",      "Asia/Shanghai", "+08:00 ",
                                      " +08:00", "+8:3",   "+08:00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int m = -9999;
        if (ts_parse_zone(bad[i], strlen(bad[i]), &m) != -EINVAL)
            fail_msg("accepted: '%s' as %d", bad[i], m);
        assert_int_equal(m, -9999);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_known_epochs), cmocka_unit_test(test_iso_fraction),
        cmocka_unit_test(test_iso_offsets),      cmocka_unit_test(test_iso_no_offset_refused),
        cmocka_unit_test(test_iso_bad_offsets),  cmocka_unit_test(test_iso_leap_days),
        cmocka_unit_test(test_iso_ranges),       cmocka_unit_test(test_iso_garbage),
        cmocka_unit_test(test_number_bands),     cmocka_unit_test(test_number_refused),
        cmocka_unit_test(test_compact_local),    cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
