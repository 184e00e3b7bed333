#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "buf.h"
#include "jsonscan.h"

#define CAP 4096

static struct jscan_tok toks[CAP];
static size_t ntoks;
static struct jscan_error err;

static int parse(const char *s)
{
    memset(&err, 0, sizeof err);
    ntoks = 0;
    return jscan_parse(s, strlen(s), toks, CAP, &ntoks, &err);
}

static void good(const char *s, size_t want_toks)
{
    if (parse(s) != 0)
        fail_msg("refused %s at byte %zu (why %d)", s, err.pos, (int)err.why);
    assert_int_equal(ntoks, want_toks);
}

static void bad(const char *s, enum jscan_why why, size_t pos)
{
    if (parse(s) != -EINVAL)
        fail_msg("accepted %s", s);
    if (err.why != why || err.pos != pos)
        fail_msg("%s: why %d at %zu, want why %d at %zu", s, (int)err.why, err.pos, (int)why, pos);
}

static void test_grammar(void **state)
{
    (void)state;
    good("{}", 1);
    good("[]", 1);
    good(" \t\r\n{ } \n", 1);
    good("\"\"", 1);
    good("null", 1);
    good("true", 1);
    good("false", 1);
    good("0", 1);
    /* {, a, 1, b, {, c, [..], e, null, f, x */
    good("{\"a\":1,\"b\":{\"c\":[1,{\"d\":2}],\"e\":null},\"f\":\"x\"}", 11);
    assert_int_equal(toks[0].type, JSCAN_OBJECT);
    assert_int_equal(toks[0].len, 10);
    assert_int_equal(toks[1].type, JSCAN_STRING);
    assert_int_equal(toks[1].start, 2);
    assert_int_equal(toks[1].len, 1);
    assert_int_equal(toks[2].type, JSCAN_NUMBER);
    assert_int_equal(toks[2].start, 5);
    assert_int_equal(toks[4].type, JSCAN_OBJECT);
    assert_int_equal(toks[4].len, 4);
    assert_int_equal(toks[6].type, JSCAN_ARRAY);
    assert_int_equal(toks[8].type, JSCAN_NULL);
    assert_int_equal(toks[10].type, JSCAN_STRING);
    assert_int_equal(jscan_next(toks, 4), 9);
    assert_int_equal(jscan_next(toks, 6), 7);
    assert_int_equal(jscan_next(toks, 0), 11);
    good("[1, [2, [3]], {\"a\": [true, false, null]}]", 1);
    good("\xef\xbb\xbf{}", 1); /* a byte order mark is skipped, as cJSON did */

    bad("", JSCAN_SYNTAX, 0);
    bad("   ", JSCAN_SYNTAX, 2);
    bad("{", JSCAN_SYNTAX, 0);
    bad("{\"a\":1,}", JSCAN_SYNTAX, 7);
    bad("[1,]", JSCAN_SYNTAX, 3);
    bad("[1 2]", JSCAN_SYNTAX, 3);
    bad("{a:1}", JSCAN_SYNTAX, 1);
    bad("{\"a\" 1}", JSCAN_SYNTAX, 5);
    bad("{\"a\":}", JSCAN_SYNTAX, 5);
    bad("{\"a\":1]", JSCAN_SYNTAX, 6);
    bad("[1}", JSCAN_SYNTAX, 2);
    bad("{\"a\":1", JSCAN_SYNTAX, 5);
    bad("tru", JSCAN_SYNTAX, 2);
    bad("nul", JSCAN_SYNTAX, 2);
    bad("nulL", JSCAN_SYNTAX, 3);
    bad("True", JSCAN_SYNTAX, 0);
    bad("{\"a\":1} x", JSCAN_TRAILING, 8);
    bad("{}{}", JSCAN_TRAILING, 2);
    bad("1 2", JSCAN_TRAILING, 2);
    bad("\f{}", JSCAN_SYNTAX, 0); /* only blank, tab, CR and LF are white space */
    bad("{\"a\":\v1}", JSCAN_SYNTAX, 5);
    bad("'a'", JSCAN_SYNTAX, 0);
    bad("{\"a\":1,,\"b\":2}", JSCAN_SYNTAX, 7);
    bad("/* c */{}", JSCAN_SYNTAX, 0);
}

static void test_strings(void **state)
{
    (void)state;
    char out[64];
    good("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", 1);
    assert_true(toks[0].escaped);
    size_t n = jscan_unescape("a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti", toks[0].len, out, sizeof out);
    assert_int_equal(n, 17);
    assert_memory_equal(out, "a\"b\\c/d\be\ff\ng\rh\ti", 17);

    good("\"plain\"", 1);
    assert_false(toks[0].escaped);
    assert_int_equal(toks[0].start, 1);
    assert_int_equal(toks[0].len, 5);

    /* \u escapes: 1, 2, 3 and 4 UTF-8 bytes, upper and lower case hex. */
    const char *u = "\\u0041\\u00e9\\u6C34\\ud83d\\ude00";
    good("\"\\u0041\\u00e9\\u6C34\\ud83d\\ude00\"", 1);
    n = jscan_unescape(u, strlen(u), out, sizeof out);
    assert_int_equal(n, 10);
    assert_memory_equal(out, "A\xc3\xa9\xe6\xb0\xb4\xf0\x9f\x98\x80", 10);
    /* The highest code point, U+10FFFF. */
    good("\"\\udbff\\udfff\"", 1);
    n = jscan_unescape("\\udbff\\udfff", 12, out, sizeof out);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\xf4\x8f\xbf\xbf", 4);
    /* A cut output still reports the full length. */
    n = jscan_unescape("ab\\u00e9", 8, out, 3);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "ab\xc3", 3);

    /* UTF-8 passes through unchecked (decoders check it where they use it). */
    good("\"\xe6\xb0\xb4\"", 1);
    bad("\"abc", JSCAN_SYNTAX, 3);
    bad("\"a\\", JSCAN_SYNTAX, 2);
    bad("\"a\\x\"", JSCAN_SYNTAX, 2);
    bad("\"a\\u12\"", JSCAN_SYNTAX, 2);
    bad("\"a\\u12g4\"", JSCAN_SYNTAX, 2);
    bad("\"\\u0000\"", JSCAN_NUL, 1);
    bad("\"a\\ud800\"", JSCAN_SYNTAX, 2);         /* lone high surrogate */
    bad("\"a\\ud800x\\udc00\"", JSCAN_SYNTAX, 2); /* not directly followed */
    bad("\"a\\ud800\\u0041\"", JSCAN_SYNTAX, 2);  /* high then not low */
    bad("\"a\\udc00\"", JSCAN_SYNTAX, 2);         /* lone low surrogate */
    bad("\"a\\udc00\\ud800\"", JSCAN_SYNTAX, 2);  /* pair in the wrong order */
    bad("\"a\nb\"", JSCAN_SYNTAX, 2);             /* raw control characters */
    bad("\"a\tb\"", JSCAN_SYNTAX, 2);
    bad("\"\x1f\"", JSCAN_SYNTAX, 1);
    good("\"\x7f\"", 1); /* DEL is not a JSON control character */
    /* A raw NUL is named as such wherever it stops the parse. */
    static const char nul1[] = "{\"a\":\"x\0y\"}", nul2[] = "{\"a\":1}\0", nul3[] = "{\0}";
    assert_int_equal(jscan_parse(nul1, sizeof nul1 - 1, toks, CAP, &ntoks, &err), -EINVAL);
    assert_int_equal(err.why, JSCAN_NUL);
    assert_int_equal(err.pos, 7);
    assert_int_equal(jscan_parse(nul2, sizeof nul2 - 1, toks, CAP, &ntoks, &err), -EINVAL);
    assert_int_equal(err.why, JSCAN_NUL);
    assert_int_equal(err.pos, 7);
    assert_int_equal(jscan_parse(nul3, sizeof nul3 - 1, toks, CAP, &ntoks, &err), -EINVAL);
    assert_int_equal(err.why, JSCAN_NUL);
    assert_int_equal(err.pos, 1);
    /* An escaped backslash before u0000 is text. */
    good("\"\\\\u0000\"", 1);

    good("{\"p\\u0061rams\":1}", 3);
    assert_true(jscan_str_is("{\"p\\u0061rams\":1}", &toks[1], "params"));
    assert_false(jscan_str_is("{\"p\\u0061rams\":1}", &toks[1], "param"));
    good("{\"params\":1}", 3);
    assert_true(jscan_str_is("{\"params\":1}", &toks[1], "params"));
    assert_false(jscan_str_is("{\"params\":1}", &toks[1], "paramz"));
}

static void test_depth(void **state)
{
    (void)state;
    char s[2 * JSCAN_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < JSCAN_MAX_DEPTH; i++)
        s[n++] = '[';
    for (int i = 0; i < JSCAN_MAX_DEPTH; i++)
        s[n++] = ']';
    s[n] = '\0';
    good(s, 1);
    memmove(s + 1, s, n + 1);
    s[0] = '[';
    s[n + 1] = ']';
    s[n + 2] = '\0';
    bad(s, JSCAN_DEPTH, JSCAN_MAX_DEPTH);

    /* Objects count the same way; the tape holds every level. */
    struct buf b;
    buf_init(&b, 1 << 12);
    for (int i = 0; i < JSCAN_MAX_DEPTH - 1; i++)
        assert_int_equal(buf_puts(&b, "{\"k\":"), 0);
    assert_int_equal(buf_puts(&b, "{}"), 0);
    for (int i = 0; i < JSCAN_MAX_DEPTH - 1; i++)
        assert_int_equal(buf_puts(&b, "}"), 0);
    good(b.data, (size_t)(2 * JSCAN_MAX_DEPTH - 1));
    buf_reset(&b);
    for (int i = 0; i < JSCAN_MAX_DEPTH; i++)
        assert_int_equal(buf_puts(&b, "{\"k\":"), 0);
    assert_int_equal(buf_puts(&b, "{}"), 0);
    for (int i = 0; i < JSCAN_MAX_DEPTH; i++)
        assert_int_equal(buf_puts(&b, "}"), 0);
    bad(b.data, JSCAN_DEPTH, 5 * JSCAN_MAX_DEPTH);
    buf_free(&b);
}

static void test_too_many(void **state)
{
    (void)state;
    const char *s = "{\"a\":1,\"b\":2,\"c\":3}";
    assert_int_equal(jscan_parse(s, strlen(s), toks, 6, &ntoks, &err), -EINVAL);
    assert_int_equal(err.why, JSCAN_TOO_MANY);
    assert_int_equal(jscan_parse(s, strlen(s), toks, 7, &ntoks, &err), 0);
    assert_int_equal(ntoks, 7);
    /* A syntax error after the tape is full still wins. */
    s = "{\"a\":1,\"b\":2,\"c\":3,}";
    assert_int_equal(jscan_parse(s, strlen(s), toks, 2, &ntoks, &err), -EINVAL);
    assert_int_equal(err.why, JSCAN_SYNTAX);
    assert_int_equal(err.pos, 19);
    /* Array elements take no room. */
    s = "[1,2,3,4,5,6,7,8,9]";
    assert_int_equal(jscan_parse(s, strlen(s), toks, 1, &ntoks, &err), 0);
}

static double num(const char *s)
{
    good(s, 1);
    assert_int_equal(toks[0].type, JSCAN_NUMBER);
    assert_int_equal(toks[0].len, strlen(s));
    return jscan_number(s, strlen(s));
}

static void test_numbers(void **state)
{
    (void)state;
    double v = num("-0");
    assert_true(v == 0.0 && signbit(v));
    v = num("-0.0e0");
    assert_true(v == 0.0 && signbit(v));
    assert_true(num("0") == 0.0 && !signbit(num("0")));
    assert_true(num("1e308") == 1e308);
    assert_true(num("1.7976931348623157e308") == 1.7976931348623157e308);
    assert_true(isinf(num("1e309")) && num("1e309") > 0);
    assert_true(isinf(num("-1e309")) && num("-1e309") < 0);
    assert_true(num("1e-400") == 0.0);
    assert_true(num("4.9e-324") == 4.9e-324);
    assert_true(num("12") == 12.0);
    assert_true(num("-12.5") == -12.5);
    assert_true(num("0.1") == 0.1);
    assert_true(num("1E2") == 100.0);
    assert_true(num("1e+2") == 100.0);
    assert_true(num("1e-2") == 0.01);
    assert_true(num("9007199254740993") == 9007199254740993.0); /* 2^53 + 1: slow path */
    assert_true(num("123456789012345678901234567890") == 123456789012345678901234567890.0);
    assert_true(num("0.000000000000000000000000000001") == 1e-30);
    assert_true(num("1764380000123") == 1764380000123.0);

    bad("01", JSCAN_SYNTAX, 1);
    bad("-01", JSCAN_SYNTAX, 2);
    bad("00", JSCAN_SYNTAX, 1);
    bad(".5", JSCAN_SYNTAX, 0);
    bad("1.", JSCAN_SYNTAX, 1);
    bad("1.e5", JSCAN_SYNTAX, 2);
    bad("+1", JSCAN_SYNTAX, 0);
    bad("-", JSCAN_SYNTAX, 0);
    bad("-a", JSCAN_SYNTAX, 1);
    bad("1e", JSCAN_SYNTAX, 1);
    bad("1e+", JSCAN_SYNTAX, 2);
    bad("[1e+]", JSCAN_SYNTAX, 4);
    bad("0x10", JSCAN_TRAILING, 1);
    bad("NaN", JSCAN_SYNTAX, 0);
    bad("Infinity", JSCAN_SYNTAX, 0);
    bad("-Infinity", JSCAN_SYNTAX, 1);
    bad("[1.5.2]", JSCAN_SYNTAX, 4);
    /* 63 characters are fine, 64 are not (cJSON's limit). */
    char s[80];
    memset(s, '1', 63);
    s[63] = '\0';
    num(s);
    s[63] = '1';
    s[64] = '\0';
    bad(s, JSCAN_SYNTAX, 63);
}

/* ---- jscan_number bit for bit against strtod ---- */

static void same_as_strtod(const char *s)
{
    size_t n = strlen(s);
    size_t nt = 0;
    struct jscan_tok t[2];
    struct jscan_error e;
    assert_int_equal(jscan_parse(s, n, t, 2, &nt, &e), 0);
    double got = jscan_number(s, n);
    double want = strtod(s, NULL);
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("jscan_number(\"%s\") = %.17g, strtod: %.17g", s, got, want);
}

static void test_numbers_vs_strtod(void **state)
{
    (void)state;
    static const char *const edge[] = {"0",
                                       "-0",
                                       "0.0",
                                       "-0.0",
                                       "0e0",
                                       "1",
                                       "-1",
                                       "0.1",
                                       "0.3",
                                       "1e22",
                                       "1e23",
                                       "-1e22",
                                       "9007199254740992",
                                       "9007199254740993",
                                       "9007199254740994",
                                       "9007199254740995",
                                       "18446744073709551615",
                                       "18446744073709551616",
                                       "1234567890123456789",
                                       "12345678901234567890",
                                       "123456789012345.6",
                                       "1234567890123456.7",
                                       "0.000001",
                                       "1e-22",
                                       "1e-23",
                                       "123e-22",
                                       "4.9e-324",
                                       "2.4703282292062327e-324",
                                       "2.4703282292062328e-324",
                                       "2.2250738585072011e-308",
                                       "2.2250738585072014e-308",
                                       "1.7976931348623157e308",
                                       "1.7976931348623158e308",
                                       "1.7976931348623159e308",
                                       "1e308",
                                       "1e-400",
                                       "-1e-400",
                                       "1e99999",
                                       "1e-99999",
                                       "1E+2",
                                       "1e+00000000000000000002",
                                       "0.00000000000000000000000000000000000001",
                                       "1764403200000",
                                       "1764403200000.5",
                                       "-40.0",
                                       "3.3",
                                       "101.325",
                                       "0.07",
                                       "2.675",
                                       "89255.0e-22",
                                       "8.98846567431158e307"};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        same_as_strtod(edge[i]);

    /* Random JSON numbers: up to 20 integer and 20 fraction digits, with
     * and without an exponent of -330 to 330, so that both sides of the fast
     * path's limits (19 digits, 2^53, |e| <= 22) are crossed often. */
    uint64_t x = 0x2545f4914f6cdd1dULL;
    char b[64];
    for (int k = 0; k < 200000; k++) {
        size_t n = 0;
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
        if (NEXT() % 2)
            b[n++] = '-';
        /* integer part: "0" or 1 to 20 digits without a leading zero */
        unsigned ni = NEXT() % 4 ? 1 + (unsigned)(NEXT() % 20) : 0;
        if (ni == 0)
            b[n++] = '0';
        for (unsigned d = 0; d < ni; d++)
            b[n++] = (char)('0' + (d == 0 ? 1 + NEXT() % 9 : NEXT() % 10));
        /* fraction: none or 1 to 20 digits */
        if (NEXT() % 2) {
            unsigned nf = 1 + (unsigned)(NEXT() % 20);
            b[n++] = '.';
            for (unsigned d = 0; d < nf; d++)
                b[n++] = (char)('0' + NEXT() % 10);
        }
        unsigned ek = (unsigned)(NEXT() % 4);
        if (ek) {
            b[n++] = NEXT() % 2 ? 'e' : 'E';
            int range = ek == 1 ? 23 : ek == 2 ? 40 : 331;
            int e = (int)(NEXT() % (unsigned)(2 * range + 1)) - range;
            int w = NEXT() % 3 ? snprintf(b + n, sizeof b - n, "%d", e)
                               : snprintf(b + n, sizeof b - n, "%+d", e);
            n += (size_t)w;
        }
        b[n] = '\0';
#undef NEXT
        same_as_strtod(b);
    }
}

/* ---- differential test against cJSON ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static void gen_number(struct buf *b)
{
    if (rnd(2))
        buf_puts(b, "-");
    unsigned ndig = 1 + rnd(rnd(4) ? 6 : 24);
    buf_printf(b, "%u", 1 + rnd(9));
    for (unsigned i = 1; i < ndig; i++)
        buf_printf(b, "%u", rnd(10));
    if (rnd(2)) {
        buf_puts(b, ".");
        unsigned nf = 1 + rnd(rnd(4) ? 5 : 20);
        for (unsigned i = 0; i < nf; i++)
            buf_printf(b, "%u", rnd(10));
    }
    if (rnd(3) == 0)
        buf_printf(b, "%s%s%u", rnd(2) ? "e" : "E", rnd(3) == 0 ? "-" : (rnd(2) ? "+" : ""),
                   rnd(rnd(3) ? 30 : 400));
}

static void gen_string(struct buf *b)
{
    static const char *parts[] = {
        "a",   "Z",      " ",       "\xe6\xb0\xb4", "\xc3\xa9",       "\\n",     "\\\"", "\\\\",
        "\\/", "\\t",    "\\u00e9", "\\u6c34",      "\\uD83D\\uDE00", "\\u0001", "ts",   "_",
        "\\b", "\\u007f"};
    buf_puts(b, "\"");
    unsigned n = rnd(8);
    for (unsigned i = 0; i < n; i++)
        buf_puts(b, parts[rnd(sizeof parts / sizeof parts[0])]);
    buf_puts(b, "\"");
}

static void gen_value(struct buf *b, int depth);

static void gen_ws(struct buf *b)
{
    static const char *ws[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
    buf_puts(b, ws[rnd(7)]);
}

static void gen_container(struct buf *b, int depth, bool object)
{
    buf_puts(b, object ? "{" : "[");
    unsigned n = rnd(depth > 4 ? 2 : 5);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ",");
        gen_ws(b);
        if (object) {
            gen_string(b);
            gen_ws(b);
            buf_puts(b, ":");
            gen_ws(b);
        }
        gen_value(b, depth + 1);
        gen_ws(b);
    }
    buf_puts(b, object ? "}" : "]");
}

static void gen_value(struct buf *b, int depth)
{
    switch (rnd(depth > 6 ? 6 : 9)) {
    case 0:
        buf_puts(b, "null");
        break;
    case 1:
        buf_puts(b, "true");
        break;
    case 2:
        buf_puts(b, "false");
        break;
    case 3:
    case 4:
        gen_number(b);
        break;
    case 5:
        gen_string(b);
        break;
    case 6:
        gen_container(b, depth, false);
        break;
    default:
        gen_container(b, depth, true);
        break;
    }
}

/* Compares tape token i of json with cJSON item c; returns the next token. */
static size_t same(const char *json, size_t i, const cJSON *c)
{
    const struct jscan_tok *t = &toks[i];
    char out[1024];
    switch (t->type) {
    case JSCAN_NULL:
        assert_true(cJSON_IsNull(c));
        break;
    case JSCAN_TRUE:
        assert_true(cJSON_IsTrue(c));
        break;
    case JSCAN_FALSE:
        assert_true(cJSON_IsFalse(c));
        break;
    case JSCAN_NUMBER: {
        assert_true(cJSON_IsNumber(c));
        double v = jscan_number(json + t->start, t->len);
        if (memcmp(&v, &c->valuedouble, sizeof v) != 0)
            fail_msg("number %.*s: %.17g, cJSON %.17g", (int)t->len, json + t->start, v,
                     c->valuedouble);
        break;
    }
    case JSCAN_STRING: {
        assert_true(cJSON_IsString(c));
        size_t n = jscan_unescape(json + t->start, t->len, out, sizeof out);
        assert_true(n < sizeof out);
        assert_int_equal(n, strlen(c->valuestring));
        assert_memory_equal(out, c->valuestring, n);
        break;
    }
    case JSCAN_ARRAY:
        assert_true(cJSON_IsArray(c)); /* elements are not on the tape */
        break;
    case JSCAN_OBJECT: {
        assert_true(cJSON_IsObject(c));
        size_t end = i + 1 + t->len, k = i + 1;
        const cJSON *m;
        cJSON_ArrayForEach(m, c)
        {
            assert_true(k < end);
            size_t n = jscan_unescape(json + toks[k].start, toks[k].len, out, sizeof out);
            assert_int_equal(n, strlen(m->string));
            assert_memory_equal(out, m->string, n);
            k = same(json, k + 1, m);
        }
        assert_int_equal(k, end);
        return end;
    }
    default:
        fail();
    }
    return i + 1;
}

/* Lenient cJSON accepts some texts that are not JSON; jscan refuses them. */
static void check(const char *json, size_t len, unsigned *both_ok, unsigned *both_bad)
{
    int rc = jscan_parse(json, len, toks, CAP, &ntoks, &err);
    cJSON *c = cJSON_ParseWithLength(json, len);
    if (rc == 0) {
        if (!c)
            fail_msg("jscan accepted what cJSON refused: %.*s", (int)len, json);
        same(json, 0, c);
        (*both_ok)++;
    } else if (!c) {
        (*both_bad)++;
    }
    cJSON_Delete(c);
}

static void test_differential(void **state)
{
    (void)state;
    struct buf b;
    unsigned ok = 0, refused = 0;
    buf_init(&b, 1 << 16);
    for (int round = 0; round < 3000; round++) {
        buf_reset(&b);
        gen_container(&b, 0, rnd(4) != 0);
        /* the valid document: both must accept it */
        unsigned before = ok;
        check(b.data, b.len, &ok, &refused);
        if (ok != before + 1)
            fail_msg("refused a generated document: %s", b.data);
        /* and a mutation of it: a byte changed, dropped or duplicated */
        char m[1 << 12];
        size_t n = b.len < sizeof m - 1 ? b.len : sizeof m - 2;
        memcpy(m, b.data, n);
        size_t at = rnd((unsigned)n);
        static const char junk[] = "{}[]\":,\\u0ade+-.tfn \x01\xff";
        switch (rnd(3)) {
        case 0:
            m[at] = junk[rnd(sizeof junk - 1)];
            break;
        case 1:
            memmove(m + at, m + at + 1, n - at - 1);
            n--;
            break;
        default:
            memmove(m + at + 1, m + at, n - at);
            n++;
            break;
        }
        check(m, n, &ok, &refused);
    }
    buf_free(&b);
    /* The generator must exercise both sides. */
    assert_true(ok > 3000);
    assert_true(refused > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grammar),      cmocka_unit_test(test_strings),
        cmocka_unit_test(test_depth),        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_numbers),      cmocka_unit_test(test_numbers_vs_strtod),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
