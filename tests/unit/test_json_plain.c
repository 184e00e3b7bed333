#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decode_util.h"
#include "json_plain.h"
#include "buf.h"

#define RECV INT64_C(1800000000000)

static struct reading rd;
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

static int dec_len(const char *json, size_t len)
{
    why = REASON__COUNT;
    memset(detail, 0, sizeof detail);
    return json_plain_decode(json, len, RECV, &rd, &why, detail, sizeof detail);
}

static int dec(const char *json)
{
    return dec_len(json, strlen(json));
}

static void ok(const char *json)
{
    if (dec(json) != 0)
        fail_msg("refused (%s: %s): %s", reason_name(why), detail, json);
    assert_int_equal(why, REASON__COUNT); /* untouched on success */
}

static void bad(const char *json, enum reason want, const char *want_detail)
{
    int rc = dec(json);
    if (rc != -EINVAL)
        fail_msg("accepted: %s", json);
    assert_string_equal(reason_name(why), reason_name(want));
    assert_string_equal(detail, want_detail);
}

static void want_float(const char *key, double v)
{
    const struct field *f = reading_find(&rd, key);
    if (!f)
        fail_msg("no field %s", key);
    assert_int_equal(f->type, FIELD_FLOAT);
    assert_int_equal(f->key_len, strlen(key));
    assert_true(f->v.f == v);
}

static void want_bool(const char *key, bool v)
{
    const struct field *f = reading_find(&rd, key);
    if (!f)
        fail_msg("no field %s", key);
    assert_int_equal(f->type, FIELD_BOOL);
    assert_int_equal(f->v.b, v);
}

static void want_string(const char *key, const char *v)
{
    const struct field *f = reading_find(&rd, key);
    if (!f)
        fail_msg("no field %s", key);
    assert_int_equal(f->type, FIELD_STRING);
    assert_string_equal(f->v.s.ptr, v);
    assert_int_equal(f->v.s.len, strlen(v));
    /* Copied into the arena, not pointing into the payload or cJSON's tree. */
    assert_true(f->v.s.ptr >= rd.arena && f->v.s.ptr < rd.arena + rd.arena_cap);
    assert_true(f->key >= rd.arena && f->key < rd.arena + rd.arena_cap);
}

static void test_basic(void **state)
{
    (void)state;
    ok("{\"ts\": 1764380000000, \"pressure_out\": 0.31, \"pump_running\": true, \"fault\": "
       "false, \"status\": \"ok\", \"pump_freq\": 50}");
    assert_int_equal(rd.ts_ms, INT64_C(1764380000000));
    assert_false(rd.ts_from_receipt);
    assert_int_equal(rd.nfields, 5);
    assert_string_equal(rd.fields[0].key, "pressure_out");
    want_float("pressure_out", 0.31);
    want_bool("pump_running", true);
    want_bool("fault", false);
    want_string("status", "ok");
    want_float("pump_freq", 50.0); /* an integer in JSON is still a float field */
    assert_null(reading_find(&rd, "ts"));
}

static void test_integers_are_floats(void **state)
{
    (void)state;
    ok("{\"level\": 12}");
    want_float("level", 12.0);
    ok("{\"level\": 12.5}");
    want_float("level", 12.5);
    ok("{\"level\": -3e2}");
    want_float("level", -300.0);
}

static void test_no_ts_uses_receipt(void **state)
{
    (void)state;
    ok("{\"a\": 1}");
    assert_int_equal(rd.ts_ms, RECV);
    assert_true(rd.ts_from_receipt);
    /* A following decode with ts must clear the flag. */
    ok("{\"ts\": 1764380000, \"a\": 1}");
    assert_false(rd.ts_from_receipt);
    assert_int_equal(rd.ts_ms, INT64_C(1764380000000));
}

static int64_t ts_of(const char *json)
{
    ok(json);
    assert_false(rd.ts_from_receipt);
    return rd.ts_ms;
}

static void test_ts_forms(void **state)
{
    (void)state;
    const int64_t t = INT64_C(1764380000000);
    assert_int_equal(ts_of("{\"ts\": 1764380000, \"a\": 1}"), t);
    assert_int_equal(ts_of("{\"ts\": 1764380000.25, \"a\": 1}"), t + 250);
    assert_int_equal(ts_of("{\"ts\": 1764380000123, \"a\": 1}"), t + 123);
    assert_int_equal(ts_of("{\"ts\": 1764380000123456, \"a\": 1}"), t + 123);
    assert_int_equal(ts_of("{\"ts\": 1764380000123000000, \"a\": 1}"), t + 123);
    assert_int_equal(ts_of("{\"ts\": \"2025-11-29T01:33:20Z\", \"a\": 1}"), t);
    assert_int_equal(ts_of("{\"ts\": \"2025-11-29T09:33:20.5+08:00\", \"a\": 1}"), t + 500);
    assert_int_equal(ts_of("{\"ts\": \"1764380000\", \"a\": 1}"), t);
    assert_int_equal(ts_of("{\"ts\": \"1764380000123\", \"a\": 1}"), t + 123);
    /* "ts" may come last. */
    assert_int_equal(ts_of("{\"a\": 1, \"ts\": 1764380000}"), t);
    assert_int_equal(rd.nfields, 1);
}

static void test_ts_refused(void **state)
{
    (void)state;
    bad("{\"ts\": true, \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': must be a number or a string, not a boolean");
    bad("{\"ts\": null, \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': must be a number or a string, not null");
    bad("{\"ts\": [1], \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': must be a number or a string, not an array");
    bad("{\"ts\": {\"v\": 1}, \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': must be a number or a string, not an object");
    bad("{\"ts\": -5, \"a\": 1}", REASON_TIMESTAMP, "field 'ts': -5 is not a valid epoch time");
    bad("{\"ts\": 1e300, \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': 1e+300 is not a valid epoch time");
    bad("{\"ts\": \"-5\", \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': '-5' is not a valid epoch time");
    bad("{\"ts\": \"yesterday\", \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': 'yesterday' is neither an epoch number nor an iso 8601 time with offset");
    bad("{\"ts\": \"2025-11-29T01:33:20\", \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': '2025-11-29T01:33:20' is neither an epoch number nor an iso 8601 time with "
        "offset");
    bad("{\"ts\": \"2023-02-29T00:00:00Z\", \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': '2023-02-29T00:00:00Z' is neither an epoch number nor an iso 8601 time with "
        "offset");
    bad("{\"ts\": \"\", \"a\": 1}", REASON_TIMESTAMP,
        "field 'ts': '' is neither an epoch number nor an iso 8601 time with offset");
    bad("{\"ts\": \"\xff\", \"a\": 1}", REASON_TIMESTAMP, "field 'ts': string is not valid utf-8");
    bad("{\"ts\": 1, \"a\": 1, \"ts\": 2}", REASON_MALFORMED, "field 'ts': duplicate key");
}

static void test_invalid_json(void **state)
{
    (void)state;
    bad("{\"a\":1,}", REASON_MALFORMED, "invalid json at byte 7");
    /* The offset is the culprit's (cJSON named the byte after it here). */
    bad("{\"pressure\": 0.3, x}", REASON_MALFORMED, "invalid json at byte 18");
    bad("{a:1}", REASON_MALFORMED, "invalid json at byte 1");
    bad("", REASON_MALFORMED, "empty payload");
    bad("   ", REASON_MALFORMED, "invalid json at byte 2");
    bad("{\"a\":1} x", REASON_MALFORMED, "invalid json at byte 8: data after the object");
    bad("{\"a\":1}{\"b\":2}", REASON_MALFORMED, "invalid json at byte 7: data after the object");
    bad("{\"a\":\"x\\u0000y\"}", REASON_MALFORMED, "invalid json at byte 7: nul character");
    bad("{\"a\":\"\\ud800\"}", REASON_MALFORMED, "invalid json at byte 6");
    bad("[1,2]", REASON_MALFORMED, "top level must be an object, not an array");
    bad("\"text\"", REASON_MALFORMED, "top level must be an object, not a string");
    bad("42", REASON_MALFORMED, "top level must be an object, not a number");
    bad("null", REASON_MALFORMED, "top level must be an object, not null");
    /* An escaped backslash before u0000 is just text. */
    ok("{\"a\":\"x\\\\u0000y\"}");
    want_string("a", "x\\u0000y");
    /* Blanks around the object are fine. */
    ok(" \r\n\t{\"a\": 1} \n");
    want_float("a", 1.0);
    /* A raw NUL byte. */
    static const char raw[] = "{\"a\":\"x\0y\"}";
    assert_int_equal(dec_len(raw, sizeof raw - 1), -EINVAL);
    assert_string_equal(detail, "invalid json at byte 7: nul character");
}

static void test_not_nul_terminated(void **state)
{
    (void)state;
    const char buf[] = "{\"a\": 1.5, \"s\": \"v\"}GARBAGE";
    assert_int_equal(dec_len(buf, 20), 0);
    want_float("a", 1.5);
    want_string("s", "v");
    assert_int_equal(dec_len(buf, 19), -EINVAL);
    assert_int_equal(why, REASON_MALFORMED);
}

static void test_flatten(void **state)
{
    (void)state;
    ok("{\"gps\": {\"lat\": 39.1, \"lon\": 117.2}, \"a\": {\"b\": {\"c\": \"deep\"}}, \"x\": 1}");
    assert_int_equal(rd.nfields, 4);
    want_float("gps_lat", 39.1);
    want_float("gps_lon", 117.2);
    want_string("a_b_c", "deep");
    want_float("x", 1.0);
    /* Empty objects add nothing. */
    ok("{\"e\": {}, \"x\": 1}");
    assert_int_equal(rd.nfields, 1);
}

static void test_depth(void **state)
{
    (void)state;
    ok("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}}}}}}");
    want_float("a_b_c_d_e_f_g_h", 1.0);
    bad("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}",
        REASON_MALFORMED, "field 'a_b_c_d_e_f_g_h': objects nested deeper than 8 levels");
}

static void test_arrays(void **state)
{
    (void)state;
    bad("{\"a\": {\"b\": [1, 2]}}", REASON_TYPE, "field 'a_b': arrays are not supported");
    bad("{\"x\": 1, \"list\": []}", REASON_TYPE, "field 'list': arrays are not supported");
}

static void test_duplicates(void **state)
{
    (void)state;
    bad("{\"x\": 1, \"x\": 2}", REASON_MALFORMED,
        "field 'x': duplicate key (nested objects are flattened with '_')");
    bad("{\"a_b\": 1, \"a\": {\"b\": 2}}", REASON_MALFORMED,
        "field 'a_b': duplicate key (nested objects are flattened with '_')");
    bad("{\"a\": {\"b\": true}, \"a_b\": \"s\"}", REASON_MALFORMED,
        "field 'a_b': duplicate key (nested objects are flattened with '_')");
    /* A nested "ts" is an ordinary field. */
    ok("{\"ts\": 1764380000, \"gps\": {\"ts\": 5}}");
    want_float("gps_ts", 5.0);
}

static void test_nulls_and_empty(void **state)
{
    (void)state;
    ok("{\"a\": null, \"b\": 2, \"c\": {\"d\": null}}");
    assert_int_equal(rd.nfields, 1);
    want_float("b", 2.0);
    assert_null(reading_find(&rd, "a"));
    bad("{}", REASON_NO_FIELDS, "no fields");
    bad("{\"a\": null, \"c\": {}}", REASON_NO_FIELDS, "no fields");
    bad("{\"ts\": 1764380000}", REASON_NO_FIELDS, "no fields besides 'ts'");
}

static void test_names(void **state)
{
    (void)state;
    bad("{\"\": 1}", REASON_MALFORMED, "empty field name");
    bad("{\"a\": {\"\": 1}}", REASON_MALFORMED, "field 'a': empty member name");
    bad("{\"a\\nb\": 1}", REASON_MALFORMED, "field name contains a control character");
    bad("{\"\xc3\x28\": 1}", REASON_MALFORMED, "field name is not valid utf-8");
    bad("{\"a\": {\"\xed\xa0\x80\": 1}}", REASON_MALFORMED,
        "field 'a': member name is not valid utf-8");

    char json[400];
    char name[300];
    memset(name, 'k', 255);
    name[255] = '\0';
    snprintf(json, sizeof json, "{\"%s\": 1}", name);
    ok(json);
    assert_int_equal(rd.fields[0].key_len, 255);
    name[255] = 'k';
    name[256] = '\0';
    snprintf(json, sizeof json, "{\"%s\": 1}", name);
    bad(json, REASON_TOO_LARGE, "field name longer than 255 bytes");
}

static void test_chinese(void **state)
{
    (void)state;
    ok("{\"状态\": \"正常运行\", \"泵房\": {\"出口压力\": 0.31, \"运行\": true}, \"位置\": "
       "\"顾官屯镇\"}");
    assert_int_equal(rd.nfields, 4);
    want_string("状态", "正常运行");
    want_float("泵房_出口压力", 0.31);
    want_bool("泵房_运行", true);
    want_string("位置", "顾官屯镇");
    /* \u escapes decode to the same UTF-8. */
    ok("{\"\\u72b6\\u6001\": \"\\u6b63\\u5e38\"}");
    want_string("状态", "正常");
    bad("{\"泵房\": {\"读数\": [1]}}", REASON_TYPE, "field '泵房_读数': arrays are not supported");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    bad("{\"s\": \"\xff\"}", REASON_MALFORMED, "field 's': string is not valid utf-8");
    bad("{\"s\": \"ab\xe6\xad\"}", REASON_MALFORMED, "field 's': string is not valid utf-8");
    bad("{\"s\": \"\xc0\xaf\"}", REASON_MALFORMED,
        "field 's': string is not valid utf-8"); /* overlong */
    bad("{\"s\": \"\xed\xa0\x80\"}", REASON_MALFORMED,
        "field 's': string is not valid utf-8"); /* surrogate */
    bad("{\"s\": \"\xf4\x90\x80\x80\"}", REASON_MALFORMED,
        "field 's': string is not valid utf-8"); /* > U+10FFFF */
    ok("{\"s\": \"\xf0\x9f\x92\xa7 \xe6\xb0\xb4\"}");
    want_string("s", "\xf0\x9f\x92\xa7 \xe6\xb0\xb4");
}

static void test_not_finite(void **state)
{
    (void)state;
    bad("{\"x\": 1e999}", REASON_NOT_FINITE, "field 'x': number out of range");
    bad("{\"x\": -1e999}", REASON_NOT_FINITE, "field 'x': number out of range");
}

static void test_field_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(buf_puts(&b, "{"), 0);
    for (int i = 0; i < READING_MAX_FIELDS; i++)
        assert_int_equal(buf_printf(&b, "%s\"f%d\":%d", i ? "," : "", i, i), 0);
    assert_int_equal(buf_puts(&b, "}"), 0);
    assert_int_equal(dec_len(b.data, b.len), 0);
    assert_int_equal(rd.nfields, READING_MAX_FIELDS);
    want_float("f127", 127.0);

    b.len--; /* drop the closing brace, add one more field */
    assert_int_equal(buf_puts(&b, ",\"f128\":128}"), 0);
    assert_int_equal(dec_len(b.data, b.len), -EINVAL);
    assert_int_equal(why, REASON_TOO_LARGE);
    assert_string_equal(detail, "field 'f128': more than 128 fields");
    buf_free(&b);
}

static void test_arena_full(void **state)
{
    (void)state;
    struct reading small;
    assert_int_equal(reading_init(&small, 16), 0);
    char d[128];
    enum reason w = REASON__COUNT;
    const char *j = "{\"abc\": \"0123456789AB\"}";
    assert_int_equal(json_plain_decode(j, strlen(j), RECV, &small, &w, d, sizeof d), -EINVAL);
    assert_int_equal(w, REASON_TOO_LARGE);
    assert_string_equal(d, "field 'abc': reading is full (16 bytes of names and text)");
    assert_int_equal(small.nfields, 0);
    j = "{\"abcdefghijklmnopq\": 1}";
    assert_int_equal(json_plain_decode(j, strlen(j), RECV, &small, &w, d, sizeof d), -EINVAL);
    assert_string_equal(d,
                        "field 'abcdefghijklmnopq': reading is full (16 bytes of names and text)");
    j = "{\"abc\": \"012\"}";
    assert_int_equal(json_plain_decode(j, strlen(j), RECV, &small, &w, d, sizeof d), 0);
    assert_string_equal(small.fields[0].v.s.ptr, "012");
    reading_free(&small);
}

static void test_reset_between_decodes(void **state)
{
    (void)state;
    ok("{\"a\": 1, \"b\": \"x\"}");
    size_t used = rd.arena_len;
    ok("{\"c\": 2}");
    assert_int_equal(rd.nfields, 1);
    assert_null(reading_find(&rd, "a"));
    want_float("c", 2.0);
    assert_true(rd.arena_len < used);
}

static void test_detail_buffer(void **state)
{
    (void)state;
    const char *j = "{\"泵房\": {\"读数\": [1]}}";
    enum reason w;
    /* NULL detail is allowed. */
    assert_int_equal(json_plain_decode(j, strlen(j), RECV, &rd, &w, NULL, 0), -EINVAL);
    assert_int_equal(w, REASON_TYPE);
    /* "field '" is 7 bytes; 泵 is 3 more. A 12-byte buffer holds 11 bytes:
     * 7 + 泵 + one byte of 房, which must be cut back. */
    char d[12];
    assert_int_equal(json_plain_decode(j, strlen(j), RECV, &rd, &w, d, sizeof d), -EINVAL);
    assert_string_equal(d, "field '泵");
    char d2[14]; /* 13 bytes: 7 + 泵房 exactly */
    assert_int_equal(json_plain_decode(j, strlen(j), RECV, &rd, &w, d2, sizeof d2), -EINVAL);
    assert_string_equal(d2, "field '泵房");
}

/* Since jsonscan replaced cJSON: strict JSON, escapes unescaped exactly once. */
static void test_strict_json(void **state)
{
    (void)state;
    bad("{\"a\": 01}", REASON_MALFORMED, "invalid json at byte 7");
    bad("{\"a\": .5}", REASON_MALFORMED, "invalid json at byte 6");
    bad("{\"a\": 1.}", REASON_MALFORMED, "invalid json at byte 8");
    bad("{\"a\": +1}", REASON_MALFORMED, "invalid json at byte 6");
    bad("{\"a\": \"x\ty\"}", REASON_MALFORMED, "invalid json at byte 8");
    bad("{\"a\":\f1}", REASON_MALFORMED, "invalid json at byte 5");
    bad("{\"a\": \"\\uzzzz\"}", REASON_MALFORMED, "invalid json at byte 7");
    bad("{\"a\": \"\\udc00\"}", REASON_MALFORMED, "invalid json at byte 7");
    bad("{\"a\": 1e999}", REASON_NOT_FINITE, "field 'a': number out of range");
    bad("{\"a\": -1e999}", REASON_NOT_FINITE, "field 'a': number out of range");
    ok("{\"a\": -0, \"b\": 1e308, \"c\": 1e-400}");
    want_float("b", 1e308);
    want_float("c", 0.0);
    /* Escaped names and values, "ts" included. */
    ok("{\"\\u0074s\": 1764380000, \"t\\u00e9\": \"\\ud83d\\ude00 \\\"q\\\"\", \"g\": "
       "{\"\\u6c34\": 2}}");
    assert_false(rd.ts_from_receipt);
    assert_int_equal(rd.ts_ms, INT64_C(1764380000000));
    want_string("t\xc3\xa9", "\xf0\x9f\x98\x80 \"q\"");
    want_float("g_\xe6\xb0\xb4", 2.0);
    ok("{\"ts\": \"\\u0031764380000\", \"a\": 1}");
    assert_int_equal(rd.ts_ms, INT64_C(1764380000000));
    /* A byte order mark before the object is skipped, as before. */
    ok("\xef\xbb\xbf{\"a\": 1}");
    want_float("a", 1.0);
    /* Elements of an array are checked even though arrays are refused. */
    bad("{\"a\": [1, 02]}", REASON_MALFORMED, "invalid json at byte 11");
}

/* decode_name_ascii reads eight bytes at a time: against the byte rule for
 * every length to 40, each bad byte value at every position, and random
 * names (mostly printable, so that the word path is taken). */
static bool name_ascii_ref(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

static void test_name_ascii_words(void **state)
{
    (void)state;
    char buf[48];
    static const unsigned char bad[] = {0x00, 0x01, 0x1f, 0x7f, 0x80, 0xc3, 0xfe, 0xff};
    static const unsigned char good[] = {0x20, 0x21, 0x2d, 0x41, 0x5f, 0x7e};
    for (size_t n = 0; n <= 40; n++) {
        for (size_t g = 0; g < sizeof good; g++) {
            memset(buf, good[g], n);
            assert_true(decode_name_ascii(buf, n));
            for (size_t pos = 0; pos < n; pos++)
                for (size_t b = 0; b < sizeof bad; b++) {
                    memset(buf, good[g], n);
                    buf[pos] = (char)bad[b];
                    assert_false(decode_name_ascii(buf, n));
                }
        }
    }
    uint64_t x = 88172645463325252ULL;
    for (int k = 0; k < 200000; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % 41);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (char)(x % 64 == 0 ? (x >> 8) % 256 : 0x20 + (x >> 8) % 95);
        }
        assert_int_equal(decode_name_ascii(buf, n), name_ascii_ref(buf, n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_integers_are_floats),
        cmocka_unit_test(test_no_ts_uses_receipt),
        cmocka_unit_test(test_ts_forms),
        cmocka_unit_test(test_ts_refused),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_nulls_and_empty),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_chinese),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_not_finite),
        cmocka_unit_test(test_field_limit),
        cmocka_unit_test(test_arena_full),
        cmocka_unit_test(test_reset_between_decodes),
        cmocka_unit_test(test_detail_buffer),
        cmocka_unit_test(test_strict_json),
        cmocka_unit_test(test_name_ascii_words),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
