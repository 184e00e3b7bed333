#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "lineproto.h"
#include "numparse.h"

/* ---- helpers ---------------------------------------------------------- */

static struct field ffloat(const char *k, double v)
{
    struct field f = {.key = k, .key_len = strlen(k), .type = FIELD_FLOAT};
    f.v.f = v;
    return f;
}

static struct field fint(const char *k, int64_t v)
{
    struct field f = {.key = k, .key_len = strlen(k), .type = FIELD_INT};
    f.v.i = v;
    return f;
}

static struct field fbool(const char *k, bool v)
{
    struct field f = {.key = k, .key_len = strlen(k), .type = FIELD_BOOL};
    f.v.b = v;
    return f;
}

static struct field fstr(const char *k, const char *v)
{
    struct field f = {.key = k, .key_len = strlen(k), .type = FIELD_STRING};
    f.v.s.ptr = v;
    f.v.s.len = strlen(v);
    return f;
}

static struct lp_tag tag(const char *k, const char *v)
{
    struct lp_tag t = {.key = k, .value = v, .value_len = strlen(v)};
    return t;
}

/* Encodes one point into a fresh buffer and checks the exact line. */
static void expect_line(const char *m, const struct lp_tag *tags, size_t ntags,
                        const struct field *fields, size_t nfields, int64_t ts, const char *want)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    const char *why = "unset";
    int rc = lp_write_point(&b, m, strlen(m), tags, ntags, fields, nfields, ts, &why);
    if (rc)
        fail_msg("rc=%d why=%s", rc, why ? why : "(null)");
    assert_null(why);
    assert_string_equal(b.data, want);
    assert_int_equal(b.len, strlen(want));
    buf_free(&b);
}

/* Checks that the point is refused with exactly `want_why` and that a buffer
 * already holding a line is left byte for byte as it was. */
static void expect_refused(const char *m, size_t mlen, const struct lp_tag *tags, size_t ntags,
                           const struct field *fields, size_t nfields, int64_t ts,
                           const char *want_why)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(buf_puts(&b, "prev v=1 1\n"), 0);
    const char *why = NULL;
    int rc = lp_write_point(&b, m, mlen, tags, ntags, fields, nfields, ts, &why);
    assert_int_equal(rc, -EINVAL);
    assert_non_null(why);
    assert_string_equal(why, want_why);
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.data, "prev v=1 1\n", 12); /* NUL terminator included */
    buf_free(&b);
}

static const char *fmt_double(double v, char *dst)
{
    size_t n = lp_format_double(dst, v);
    assert_true(n < LP_FLOAT_MAX);
    dst[n] = '\0';
    return dst;
}

/* ---- a line protocol parser, after InfluxDB 1.x ------------------------
 *
 * InfluxDB 1.x scans the key part by looking at the byte before a separator
 * ("is it a backslash?") and the field part, and its line splitter, by
 * skipping the byte after every backslash. The parser runs in either mode;
 * the round-trip test requires both to read the same point. */

enum scan_mode { SCAN_PREV, SCAN_SKIP };

#define P_MAX 8
#define P_TEXT 256

struct parsed {
    char measurement[P_TEXT];
    size_t ntags;
    char tag_key[P_MAX][P_TEXT], tag_value[P_MAX][P_TEXT];
    size_t nfields;
    char field_key[P_MAX][P_TEXT];
    enum field_type field_type[P_MAX];
    char field_str[P_MAX][P_TEXT];
    double field_f[P_MAX];
    int64_t field_i[P_MAX];
    int64_t ts;
};

/* Finds the first unescaped byte of `stops` in s[i..end); returns its index or end. */
static size_t scan_to(const char *s, size_t i, size_t end, const char *stops, enum scan_mode mode)
{
    size_t start = i;
    while (i < end) {
        if (mode == SCAN_SKIP && s[i] == '\\' && i + 1 < end) {
            i += 2;
            continue;
        }
        if (strchr(stops, s[i]) && (mode == SCAN_SKIP || i == start || s[i - 1] != '\\'))
            return i;
        i++;
    }
    return end;
}

/* Copies s[0..n) into dst dropping the backslash of "\X" for X in `set`. */
static int unescape(char *dst, const char *s, size_t n, const char *set)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && strchr(set, s[i + 1]))
            i++;
        if (o + 1 >= P_TEXT)
            return -1;
        dst[o++] = s[i];
    }
    dst[o] = '\0';
    return 0;
}

static int parse_line(const char *s, size_t len, enum scan_mode mode, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    if (len == 0 || s[len - 1] != '\n' || memchr(s, '\n', len - 1) || memchr(s, '\r', len))
        return -1;
    size_t end = len - 1;
    if (s[0] == '#' || s[0] == ' ' || s[0] == '\t' || s[0] == ',')
        return -1;
    size_t i = scan_to(s, 0, end, ", ", mode);
    if (i == 0 || i == end || unescape(p->measurement, s, i, ", "))
        return -1;
    while (s[i] == ',') {
        size_t k0 = i + 1, k1 = scan_to(s, k0, end, "=, ", mode);
        if (k1 == k0 || k1 == end || s[k1] != '=' || p->ntags == P_MAX)
            return -1;
        size_t v0 = k1 + 1, v1 = scan_to(s, v0, end, "=, ", mode);
        if (v1 == v0 || v1 == end || s[v1] == '=')
            return -1;
        if (unescape(p->tag_key[p->ntags], s + k0, k1 - k0, ",= ") ||
            unescape(p->tag_value[p->ntags], s + v0, v1 - v0, ",= "))
            return -1;
        p->ntags++;
        i = v1;
    }
    if (s[i] != ' ')
        return -1;
    do {
        size_t k0 = i + 1, k1 = scan_to(s, k0, end, "=, ", mode);
        if (k1 == k0 || k1 == end || s[k1] != '=' || p->nfields == P_MAX)
            return -1;
        size_t n = p->nfields;
        if (unescape(p->field_key[n], s + k0, k1 - k0, ",= \""))
            return -1;
        size_t v0 = k1 + 1, v1;
        if (s[v0] == '"') {
            size_t o = 0;
            for (v1 = v0 + 1; v1 < end && s[v1] != '"'; v1++) {
                if (s[v1] == '\\' && v1 + 1 < end && (s[v1 + 1] == '"' || s[v1 + 1] == '\\'))
                    v1++;
                if (o + 1 >= P_TEXT)
                    return -1;
                p->field_str[n][o++] = s[v1];
            }
            if (v1 == end)
                return -1;
            v1++;
            p->field_type[n] = FIELD_STRING;
        } else {
            v1 = scan_to(s, v0, end, ", ", SCAN_PREV);
            size_t vl = v1 - v0;
            if (vl == 4 && memcmp(s + v0, "true", 4) == 0) {
                p->field_type[n] = FIELD_BOOL;
                p->field_i[n] = 1;
            } else if (vl == 5 && memcmp(s + v0, "false", 5) == 0) {
                p->field_type[n] = FIELD_BOOL;
            } else if (vl > 1 && s[v1 - 1] == 'i') {
                p->field_type[n] = FIELD_INT;
                if (num_parse_i64(s + v0, vl - 1, INT64_MIN, INT64_MAX, &p->field_i[n]))
                    return -1;
            } else {
                p->field_type[n] = FIELD_FLOAT;
                if (num_parse_double(s + v0, vl, &p->field_f[n]))
                    return -1;
            }
        }
        p->nfields++;
        i = v1;
    } while (i < end && s[i] == ',');
    if (i >= end || s[i] != ' ')
        return -1;
    return num_parse_i64(s + i + 1, end - i - 1, INT64_MIN, INT64_MAX, &p->ts) ? -1 : 0;
}

/* ---- exact output ----------------------------------------------------- */

static void test_every_type(void **state)
{
    (void)state;
    struct lp_tag tags[] = {tag("category", "water_supply"), tag("device", "pump-01"),
                            tag("district", "\xe9\xa1\xbe\xe5\xae\x98\xe5\xb1\xaf\xe9\x95\x87")};
    struct field f[] = {ffloat("pressure_out", 0.31), fint("count", 42),
                        fbool("pump_running", true), fbool("open", false), fstr("note", "ok")};
    expect_line("lifeline", tags, 3, f, 5, 1764380000000,
                "lifeline,category=water_supply,device=pump-01,district=顾官屯镇 "
                "pressure_out=0.31,count=42i,pump_running=true,open=false,note=\"ok\" "
                "1764380000000\n");
    /* No tags at all, negative timestamp. */
    expect_line("m", NULL, 0, f, 1, -1, "m pressure_out=0.31 -1\n");
}

static void test_escapes(void **state)
{
    (void)state;
    struct lp_tag tags[] = {tag("de vice", "a,b=c d"), tag("k=,", "q\"uote")};
    struct field f[] = {fstr("f x,=\"", "say \"hi\" \\ back, =")};
    expect_line("a b,c=d\"", tags, 2, f, 1, 5,
                "a\\ b\\,c=d\",de\\ vice=a\\,b\\=c\\ d,k\\=\\,=q\"uote "
                "f\\ x\\,\\=\"=\"say \\\"hi\\\" \\\\ back, =\" 5\n");
    /* Backslashes that precede an ordinary byte are written as they are. */
    struct lp_tag t2[] = {tag("path", "C:\\dir\\x")};
    struct field f2[] = {ffloat("v\\1", 1)};
    expect_line("m\\n", t2, 1, f2, 1, 0, "m\\n,path=C:\\dir\\x v\\1=1 0\n");
}

static void test_chinese(void **state)
{
    (void)state;
    struct lp_tag tags[] = {tag("asset", "顾官屯镇 泵房, 1号"), tag("district", "九州街道")};
    struct field f[] = {ffloat("水位", 1.5), fstr("备注", "九州社区 \"二次供水\"")};
    expect_line("排水防涝", tags, 2, f, 2, 1000,
                "排水防涝,asset=顾官屯镇\\ 泵房\\,\\ 1号,district=九州街道 "
                "水位=1.5,备注=\"九州社区 \\\"二次供水\\\"\" 1000\n");
}

static void test_integers(void **state)
{
    (void)state;
    struct field f[] = {fint("min", INT64_MIN), fint("max", INT64_MAX), fint("neg", -1),
                        fint("zero", 0),        fint("ten", 10),        fint("big", 1234567890123)};
    expect_line("m", NULL, 0, f, 6, LP_TS_MS_MAX,
                "m min=-9223372036854775808i,max=9223372036854775807i,neg=-1i,zero=0i,"
                "ten=10i,big=1234567890123i 9223372036854\n");
    expect_line("m", NULL, 0, f + 3, 1, -LP_TS_MS_MAX, "m zero=0i -9223372036854\n");
}

static void test_floats_exact(void **state)
{
    (void)state;
    char t[LP_FLOAT_MAX + 1];
    assert_string_equal(fmt_double(0.1 + 0.2, t), "0.30000000000000004");
    assert_string_equal(fmt_double(1e-300, t), "1e-300");
    assert_string_equal(fmt_double(-0.0, t), "-0");
    assert_string_equal(fmt_double(0.0, t), "0");
    assert_string_equal(fmt_double(1.0, t), "1");
    assert_string_equal(fmt_double(-1.0, t), "-1");
    assert_string_equal(fmt_double(12.5, t), "12.5");
    assert_string_equal(fmt_double(0.31, t), "0.31");
    assert_string_equal(fmt_double(-273.15, t), "-273.15");
    assert_string_equal(fmt_double(0.1, t), "0.1");
    assert_string_equal(fmt_double(1.0 / 3.0, t), "0.3333333333333333");
    assert_string_equal(fmt_double(0.0001, t), "0.0001");
    assert_string_equal(fmt_double(0.00001, t), "1e-5");
    assert_string_equal(fmt_double(1e16, t), "10000000000000000");
    assert_string_equal(fmt_double(1e17, t), "1e17");
    assert_string_equal(fmt_double(1e21, t), "1e21");
    assert_string_equal(fmt_double(9007199254740993.0, t), "9007199254740992");
    assert_string_equal(fmt_double(123456.789e3, t), "123456789");
    assert_string_equal(fmt_double(DBL_MAX, t), "1.7976931348623157e308");
    assert_string_equal(fmt_double(-DBL_MIN, t), "-2.2250738585072014e-308");
    assert_string_equal(fmt_double(5e-324, t), "4.94065645841247e-324");

    struct field f[] = {ffloat("a", 0.1 + 0.2), ffloat("b", 1e-300), ffloat("c", -0.0),
                        ffloat("d", 3.0)};
    expect_line("m", NULL, 0, f, 4, 7, "m a=0.30000000000000004,b=1e-300,c=-0,d=3 7\n");
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic, good enough to pick test inputs */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Fewest significant digits that %.*e needs to round-trip v. */
static int min_digits(double v)
{
    char t[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(t, sizeof t, "%.*e", p - 1, v);
        double back;
        if (num_parse_double(t, strlen(t), &back) == 0 && back == v)
            return p;
    }
    return 99;
}

static int sig_digits(const char *s)
{
    int n = 0;
    bool started = false;
    for (; *s && *s != 'e'; s++) {
        if (*s >= '1' && *s <= '9')
            started = true;
        if (started && *s >= '0' && *s <= '9')
            n++;
    }
    /* trailing zeros of an integer like 1000 are not significant */
    return n;
}

static void test_floats_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 0x1234567u;
    char t[LP_FLOAT_MAX + 1];
    int fast = 0;
    for (int i = 0; i < 4000; i++) {
        double v;
        if (i % 2) {
            uint64_t bits = rng_next(&seed);
            memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                continue;
        } else {
            /* sensor-like: up to 9 digits, up to 6 decimals */
            int64_t m = (int64_t)(rng_next(&seed) % 1000000000u) - 500000000;
            v = (double)m / pow(10, (double)(rng_next(&seed) % 7));
        }
        fmt_double(v, t);
        if (v == 0)
            continue;
        double back;
        assert_int_equal(num_parse_double(t, strlen(t), &back), 0);
        if (memcmp(&back, &v, sizeof v) != 0)
            fail_msg("%.17g written as %s", v, t);
        int need = min_digits(v), got = sig_digits(t);
        if (strchr(t, 'e') == NULL && strchr(t, '.') == NULL) {
            /* integer text: ignore trailing zeros */
            size_t l = strlen(t);
            while (l > 1 && t[l - 1] == '0') {
                l--;
                got--;
            }
        }
        if (fabs(v) >= 1e-4 && fabs(v) < 0x1p53) {
            fast++;
            if (got != need)
                fail_msg("%.17g written as %s, %d digits, %d needed", v, t, got, need);
        } else if (got > (need > 15 ? need : 15)) {
            fail_msg("%.17g written as %s, %d digits, %d needed", v, t, got, need);
        }
    }
    assert_true(fast > 1900);
}

/* ---- refusals --------------------------------------------------------- */

static void test_refusals(void **state)
{
    (void)state;
    struct field ok[] = {ffloat("v", 1)};
    struct lp_tag t;

    expect_refused("", 0, NULL, 0, ok, 1, 0, "empty measurement");
    expect_refused("#m", 2, NULL, 0, ok, 1, 0, "measurement starts with '#'");
    expect_refused("\tm", 2, NULL, 0, ok, 1, 0, "measurement starts with a tab");
    expect_refused("a\nb", 3, NULL, 0, ok, 1, 0, "newline in measurement");
    expect_refused("a\rb", 3, NULL, 0, ok, 1, 0, "newline in measurement");
    expect_refused("a\0b", 3, NULL, 0, ok, 1, 0, "nul byte in measurement");
    expect_refused("m\\", 2, NULL, 0, ok, 1, 0, "measurement ends in a backslash");
    expect_refused("m\\ x", 4, NULL, 0, ok, 1, 0,
                   "measurement has a backslash before ',', '=', ' ', '\"' or '\\'");

    t = tag("device", "x\n y");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "newline in tag value for 'device'");
    t = tag("district", "九州\r街道");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "newline in tag value for 'district'");
    t = tag("device", "abc\\");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "tag value for 'device' ends in a backslash");
    t = tag("device", "a\\,b");
    expect_refused("m", 1, &t, 1, ok, 1, 0,
                   "tag value for 'device' has a backslash before ',', '=', ' ', '\"' or '\\'");
    t = tag("device", "a\\\\b"); /* a\\b: VictoriaMetrics would read a\b */
    expect_refused("m", 1, &t, 1, ok, 1, 0,
                   "tag value for 'device' has a backslash before ',', '=', ' ', '\"' or '\\'");
    t = tag("k\\", "v");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "tag key ends in a backslash");
    t = tag("", "v");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "empty tag key");
    t = tag("time", "v");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "tag key 'time' is reserved");
    t = tag("_field", "v");
    expect_refused("m", 1, &t, 1, ok, 1, 0, "tag key '_field' is reserved");
    struct lp_tag unsorted[] = {tag("b", "1"), tag("a", "2")};
    expect_refused("m", 1, unsorted, 2, ok, 1, 0, "tags not sorted by key at 'a'");
    struct lp_tag dup[] = {tag("a", "1"), tag("a", "")};
    expect_refused("m", 1, dup, 2, ok, 1, 0, "duplicate tag key 'a'");

    expect_refused("m", 1, NULL, 0, ok, 0, 0, "no fields");
    struct field f[2];
    f[0] = ffloat("", 1);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "empty field key");
    f[0] = ffloat("time", 1);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field key 'time' is reserved");
    f[0] = ffloat("x", NAN);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field 'x' is nan");
    f[0] = ffloat("x", -INFINITY);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field 'x' is infinite");
    f[0] = ffloat("x", INFINITY);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field 'x' is infinite");
    f[0] = ffloat("x\n", 1);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "newline in field key");
    f[0] = ffloat("x\\", 1);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field key ends in a backslash");
    f[0] = ffloat("x\\\"", 1);
    expect_refused("m", 1, NULL, 0, f, 1, 0,
                   "field key has a backslash before ',', '=', ' ', '\"' or '\\'");
    f[0] = fstr("note", "line1\nline2");
    expect_refused("m", 1, NULL, 0, f, 1, 0, "newline in string field 'note'");
    f[0] = fstr("note", "a");
    f[0].v.s.len = 3; /* "a\0\0" */
    expect_refused("m", 1, NULL, 0, f, 1, 0, "nul byte in string field 'note'");
    f[0] = ffloat("x", 1);
    f[1] = fint("x", 1);
    expect_refused("m", 1, NULL, 0, f, 2, 0, "duplicate field key 'x'");
    f[1] = ffloat("y", NAN);
    expect_refused("m", 1, NULL, 0, f, 2, 0, "field 'y' is nan");

    expect_refused("m", 1, NULL, 0, ok, 1, LP_TS_MS_MAX + 1, "timestamp out of range");
    expect_refused("m", 1, NULL, 0, ok, 1, INT64_MIN, "timestamp out of range");

    /* A hostile key is cut and its control bytes masked in the reason. */
    f[0] = ffloat("ab\x1b[31m", NAN);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field 'ab?[31m' is nan");
    static const char long_key[] = "一二三四五六七八九十一二三四五六七八九十";
    f[0] = ffloat(long_key, NAN);
    expect_refused("m", 1, NULL, 0, f, 1, 0, "field '一二三四五六七八九十一二三四五六...' is nan");

    /* why may be NULL. */
    struct buf b;
    buf_init(&b, 100);
    assert_int_equal(lp_write_point(&b, "", 0, NULL, 0, ok, 1, 0, NULL), -EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_empty_tag_values_omitted(void **state)
{
    (void)state;
    struct field f[] = {fbool("open", true)};
    struct lp_tag tags[] = {tag("a", ""), tag("b", "x"), tag("c", "")};
    expect_line("m", tags, 3, f, 1, 1, "m,b=x open=true 1\n");
    expect_line("m", tags, 1, f, 1, 1, "m open=true 1\n");
}

static void test_series_key_limit(void **state)
{
    (void)state;
    static char big[LP_MAX_SERIES_KEY + 1];
    memset(big, 'a', sizeof big);
    struct field f[] = {fint("n", 1)};
    struct buf b;
    buf_init(&b, 1 << 20);
    const char *why = NULL;
    assert_int_equal(lp_write_point(&b, big, LP_MAX_SERIES_KEY, NULL, 0, f, 1, 0, &why), 0);
    buf_reset(&b);
    assert_int_equal(lp_write_point(&b, big, LP_MAX_SERIES_KEY + 1, NULL, 0, f, 1, 0, &why),
                     -EINVAL);
    assert_string_equal(why, "series key longer than 65535 bytes");
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_cap(void **state)
{
    (void)state;
    struct lp_tag tags[] = {tag("device", ",,,,,,,,,,,,,,,,")};
    /* The string is last, so its worst-case reservation (2 x 12 + 3) passes the
     * cap before its exact size (17) does; its commas are not escaped and must
     * not be counted. */
    struct field f[] = {ffloat("v", 0.5), fstr("s", "\"\"a,,,,,,,,b")};
    const char *line = "m,device=\\,\\,\\,\\,\\,\\,\\,\\,\\,\\,\\,\\,\\,\\,\\,\\, "
                       "v=0.5,s=\"\\\"\\\"a,,,,,,,,b\" 123\n";
    size_t need = strlen(line);
    const char *prev = "prev v=1 1\n";
    for (size_t max = strlen(prev); max <= strlen(prev) + need; max++) {
        struct buf b;
        buf_init(&b, max);
        assert_int_equal(buf_puts(&b, prev), 0);
        const char *why = NULL;
        int rc = lp_write_point(&b, "m", 1, tags, 1, f, 2, 123, &why);
        if (max < strlen(prev) + need) {
            assert_int_equal(rc, -E2BIG);
            assert_string_equal(why, "line does not fit in the buffer");
            assert_int_equal(b.len, strlen(prev));
            assert_memory_equal(b.data, prev, strlen(prev) + 1);
        } else {
            /* exactly enough room: the worst-case reservation must not fail */
            assert_int_equal(rc, 0);
            assert_null(why);
            assert_int_equal(b.len, strlen(prev) + need);
            assert_string_equal(b.data + strlen(prev), line);
        }
        buf_free(&b);
    }
}

/* ---- round trips through the parser ------------------------------------ */

static void expect_parsed_tag(const char *value)
{
    struct lp_tag t = tag("device", value);
    struct field f[] = {ffloat("v", 1)};
    struct buf b;
    buf_init(&b, 4096);
    assert_int_equal(lp_write_point(&b, "m", 1, &t, 1, f, 1, 1000, NULL), 0);
    for (int mode = SCAN_PREV; mode <= SCAN_SKIP; mode++) {
        struct parsed p;
        assert_int_equal(parse_line(b.data, b.len, (enum scan_mode)mode, &p), 0);
        assert_string_equal(p.measurement, "m");
        assert_int_equal(p.ntags, 1);
        assert_string_equal(p.tag_key[0], "device");
        assert_string_equal(p.tag_value[0], value);
        assert_int_equal(p.nfields, 1);
        assert_true(p.field_f[0] == 1.0);
        assert_int_equal(p.ts, 1000);
    }
    buf_free(&b);
}

static void test_hostile_device_ids(void **state)
{
    (void)state;
    expect_parsed_tag("a,b=c d");
    expect_parsed_tag("\"quoted\"");
    expect_parsed_tag(" lead and trail ");
    expect_parsed_tag("C:\\dir\\file");
    expect_parsed_tag("中,文 =");
    /* The parser itself catches the trailing-backslash trap. */
    struct parsed p;
    const char *bad = "m,device=abc\\ v=1 1000\n";
    assert_int_equal(parse_line(bad, strlen(bad), SCAN_PREV, &p), -1);
}

static const char *const alphabet[] = {",", "=", "\\", " ", "\"", "中", "a"};

/* Up to max_tokens tokens; a third of the strings may hold backslashes, so
 * that enough whole points stay representable. */
static void random_text(uint64_t *seed, char *dst, size_t max_tokens)
{
    size_t n = (size_t)(rng_next(seed) % (max_tokens + 1)), o = 0;
    bool backslash = rng_next(seed) % 3 == 0;
    for (size_t i = 0; i < n; i++) {
        const char *tok = alphabet[rng_next(seed) % (sizeof alphabet / sizeof alphabet[0])];
        if (!backslash && *tok == '\\')
            tok = "a";
        size_t l = strlen(tok);
        memcpy(dst + o, tok, l);
        o += l;
    }
    dst[o] = '\0';
}

/* The rule the encoder documents, restated independently. */
static bool representable(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[n - 1] == '\\')
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '\\' && strchr(",= \"\\", s[i + 1]))
            return false;
    return true;
}

static void test_hostile_roundtrip(void **state)
{
    (void)state;
    uint64_t seed = 0x5eed5eedULL;
    int accepted = 0, refused = 0;
    struct buf b;
    buf_init(&b, 1 << 16);
    for (int iter = 0; iter < 1000; iter++) {
        char m[64], k1[64], k2[64], v1[64], v2[64], fk[64], sv[64];
        random_text(&seed, m, 10);
        random_text(&seed, k1, 6);
        random_text(&seed, k2, 6);
        random_text(&seed, v1, 10);
        random_text(&seed, v2, 10);
        random_text(&seed, fk, 6);
        random_text(&seed, sv, 12);
        int cmp = strcmp(k1, k2);
        if (cmp == 0)
            continue;
        struct lp_tag tags[2] = {tag(cmp < 0 ? k1 : k2, cmp < 0 ? v1 : v2),
                                 tag(cmp < 0 ? k2 : k1, cmp < 0 ? v2 : v1)};
        struct field f[2] = {fstr(fk, sv), fint("n", (int64_t)iter - 300)};
        /* a tag with an empty value is skipped: only its key's presence is checked */
        bool want_ok = representable(m) && *k1 && *k2 &&
                       (!*v1 || (representable(k1) && representable(v1))) &&
                       (!*v2 || (representable(k2) && representable(v2))) && representable(fk);
        buf_reset(&b);
        const char *why = NULL;
        int rc = lp_write_point(&b, m, strlen(m), tags, 2, f, 2, 1700000000000, &why);
        if (!want_ok) {
            if (rc != -EINVAL)
                fail_msg("accepted m=[%s] k=[%s][%s] v=[%s][%s] fk=[%s]", m, k1, k2, v1, v2, fk);
            assert_int_equal(b.len, 0);
            refused++;
            continue;
        }
        if (rc != 0)
            fail_msg("refused (%s) m=[%s] k=[%s][%s] v=[%s][%s] fk=[%s]", why, m, k1, k2, v1, v2,
                     fk);
        accepted++;
        for (int mode = SCAN_PREV; mode <= SCAN_SKIP; mode++) {
            struct parsed p;
            if (parse_line(b.data, b.len, (enum scan_mode)mode, &p))
                fail_msg("mode %d cannot parse: %s", mode, b.data);
            assert_string_equal(p.measurement, m);
            size_t t = 0;
            for (size_t j = 0; j < 2; j++) {
                if (!tags[j].value_len)
                    continue;
                assert_true(t < p.ntags);
                assert_string_equal(p.tag_key[t], tags[j].key);
                assert_string_equal(p.tag_value[t], tags[j].value);
                t++;
            }
            assert_int_equal(p.ntags, t);
            assert_int_equal(p.nfields, 2);
            assert_string_equal(p.field_key[0], fk);
            assert_int_equal(p.field_type[0], FIELD_STRING);
            assert_string_equal(p.field_str[0], sv);
            assert_string_equal(p.field_key[1], "n");
            assert_int_equal(p.field_type[1], FIELD_INT);
            assert_int_equal(p.field_i[1], iter - 300);
            assert_int_equal(p.ts, 1700000000000);
        }
    }
    buf_free(&b);
    /* both branches must really be exercised */
    print_message("hostile round trip: %d accepted, %d refused\n", accepted, refused);
    assert_true(accepted > 100);
    assert_true(refused > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_chinese),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats_exact),
        cmocka_unit_test(test_floats_roundtrip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_empty_tag_values_omitted),
        cmocka_unit_test(test_series_key_limit),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_hostile_device_ids),
        cmocka_unit_test(test_hostile_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
