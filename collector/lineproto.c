#include "lineproto.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "numparse.h"

/* Byte classes. ESC_MEAS / ESC_KEY / ESC_STR: escaped with a backslash in the
 * measurement / in tag keys, tag values and field keys / in string values.
 * BAD: never written. BS: the backslash itself. AFTER_BS: may not follow a
 * backslash in names and tag values. */
enum {
    C_ESC_MEAS = 1,
    C_ESC_KEY = 2,
    C_BAD = 4,
    C_BS = 8,
    C_AFTER_BS = 16,
    C_ESC_STR = 32, /* escaped inside a string field value */
};

static const unsigned char cls[256] = {
    ['\0'] = C_BAD,
    ['\n'] = C_BAD,
    ['\r'] = C_BAD,
    [','] = C_ESC_MEAS | C_ESC_KEY | C_AFTER_BS,
    [' '] = C_ESC_MEAS | C_ESC_KEY | C_AFTER_BS,
    ['='] = C_ESC_KEY | C_AFTER_BS,
    ['"'] = C_AFTER_BS | C_ESC_STR,
    ['\\'] = C_BS | C_AFTER_BS | C_ESC_STR,
};

/* What put_ident found wrong; positive so it cannot be mistaken for -errno. */
enum problem { PR_NEWLINE = 1, PR_NUL, PR_TRAILING_BS, PR_BS_SPECIAL };

static const char digits2[] = "00010203040506070809"
                              "10111213141516171819"
                              "20212223242526272829"
                              "30313233343536373839"
                              "40414243444546474849"
                              "50515253545556575859"
                              "60616263646566676869"
                              "70717273747576777879"
                              "80818283848586878889"
                              "90919293949596979899";

static _Thread_local char why_buf[200];

/* ---- reasons ---------------------------------------------------------- */

/* Copies at most `room` bytes of a key into dst for a message: cut at a UTF-8
 * boundary, control bytes shown as '?', so hostile keys cannot forge log lines. */
static size_t quote_name(char *dst, size_t room, const char *s, size_t n)
{
    size_t cut = n;
    bool more = false;
    if (cut > room) {
        cut = room;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        more = true;
    }
    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (more) {
        memcpy(dst + cut, "...", 3);
        cut += 3;
    }
    return cut;
}

/* Sets *why to "<pre><name><post>" and returns -EINVAL. */
static int refuse_named_room(const char **why, const char *pre, const char *name, size_t name_len,
                             size_t room, const char *post)
{
    if (!why)
        return -EINVAL;
    size_t lpre = strlen(pre), lpost = strlen(post);
    size_t n = 0;
    memcpy(why_buf, pre, lpre);
    n += lpre;
    n += quote_name(why_buf + n, room, name, name_len);
    if (n + lpost >= sizeof why_buf)
        lpost = sizeof why_buf - 1 - n;
    memcpy(why_buf + n, post, lpost);
    why_buf[n + lpost] = '\0';
    *why = why_buf;
    return -EINVAL;
}

static int refuse_named(const char **why, const char *pre, const char *name, size_t name_len,
                        const char *post)
{
    return refuse_named_room(why, pre, name, name_len, 48, post);
}

static int refuse(const char **why, const char *text)
{
    if (why)
        *why = text;
    return -EINVAL;
}

/* The reason for a put_ident() problem in `what` ("measurement", "tag key
 * 'k'", ...): pre + name + post describe the place. */
static int refuse_problem(const char **why, int problem, const char *pre, const char *name,
                          size_t name_len, const char *post)
{
    char place[96];
    size_t lpre = strlen(pre);
    memcpy(place, pre, lpre);
    size_t n = lpre;
    if (name) {
        n += quote_name(place + n, 40, name, name_len);
        size_t lpost = strlen(post);
        memcpy(place + n, post, lpost);
        n += lpost;
    }
    place[n] = '\0';
    switch (problem) {
    case PR_NEWLINE:
        return refuse_named_room(why, "newline in ", place, n, n, "");
    case PR_NUL:
        return refuse_named_room(why, "nul byte in ", place, n, n, "");
    case PR_TRAILING_BS:
        return refuse_named_room(why, "", place, n, n, " ends in a backslash");
    default:
        return refuse_named_room(why, "", place, n, n,
                                 " has a backslash before ',', '=', ' ', '\"' or '\\'");
    }
}

/* ---- numbers ---------------------------------------------------------- */

static const uint64_t pow10_u64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

/* Digits of v from its bit length (log10(2) ~ 1233 / 4096), corrected by
 * one comparison: a 13-digit timestamp took 13 trips round a loop. */
static size_t count_digits(uint64_t v)
{
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    size_t n = (size_t)((bits * 1233u) >> 12);
    return n + ((v | 1) >= pow10_u64[n]);
}

/* Writes v in decimal right to left; no memcpy, whose call costs more than
 * the copy at these sizes. */
static size_t put_u64(char *dst, uint64_t v)
{
    size_t n = count_digits(v);
    char *p = dst + n;
    while (v >= 100) {
        size_t r = (size_t)(v % 100) * 2;
        v /= 100;
        *--p = digits2[r + 1];
        *--p = digits2[r];
    }
    if (v >= 10) {
        *--p = digits2[2 * v + 1];
        *--p = digits2[2 * v];
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

static size_t put_i64(char *dst, int64_t v)
{
    if (v < 0) {
        dst[0] = '-';
        return 1 + put_u64(dst + 1, 0 - (uint64_t)v); /* INT64_MIN included */
    }
    return put_u64(dst, (uint64_t)v);
}

/* Writes neg, digits dig[0..k) and decimal exponent e (value = d.ddd x 10^e)
 * the way %g would, but always in the C locale. */
static size_t compose(char *dst, bool neg, const char *dig, size_t k, int e)
{
    size_t n = 0;
    if (neg)
        dst[n++] = '-';
    if (e < -4 || e >= 17) {
        dst[n++] = dig[0];
        if (k > 1) {
            dst[n++] = '.';
            memcpy(dst + n, dig + 1, k - 1);
            n += k - 1;
        }
        dst[n++] = 'e';
        if (e < 0)
            dst[n++] = '-';
        n += put_u64(dst + n, (uint64_t)(e < 0 ? -e : e));
    } else if (e >= 0) {
        size_t ip = (size_t)e + 1;
        for (size_t i = 0; i < ip; i++)
            dst[n++] = i < k ? dig[i] : '0';
        if (k > ip) {
            dst[n++] = '.';
            memcpy(dst + n, dig + ip, k - ip);
            n += k - ip;
        }
    } else {
        dst[n++] = '0';
        dst[n++] = '.';
        for (int i = -1; i > e; i--)
            dst[n++] = '0';
        memcpy(dst + n, dig, k);
        n += k;
    }
    return n;
}

/* The general case: %.15e, %.16e, then %.17e (which always round-trips), read
 * back digit by digit so that a non-C LC_NUMERIC cannot leak its decimal
 * point into the output. */
static size_t format_double_slow(char *dst, double v)
{
    char tmp[48];
    size_t len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        int w = snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (w < 0 || (size_t)w >= sizeof tmp)
            continue;
        const char *p = tmp;
        bool neg = *p == '-';
        if (neg)
            p++;
        char dig[24];
        size_t k = 0;
        for (; *p && *p != 'e' && *p != 'E'; p++)
            if (*p >= '0' && *p <= '9' && k < sizeof dig)
                dig[k++] = *p;
        int e = 0, esign = 1;
        if (*p)
            p++;
        if (*p == '-' || *p == '+')
            esign = *p++ == '-' ? -1 : 1;
        for (; *p >= '0' && *p <= '9'; p++)
            e = e * 10 + (*p - '0');
        while (k > 1 && dig[k - 1] == '0')
            k--;
        len = compose(dst, neg, dig, k, esign * e);
        double back;
        if (prec == 17 || (num_parse_double(dst, len, &back) == 0 && back == v))
            break;
    }
    return len;
}

/* Writes m x 10^-d as [-]int[.frac], 0.000ddd when m has no more than d digits. */
static size_t put_fixed(char *dst, bool neg, uint64_t m, size_t d)
{
    size_t k = count_digits(m);
    size_t len = (size_t)neg + (k > d ? k : d + 1) + (d > 0);
    char *p = dst + len;
    for (size_t i = 0; i < d; i++) {
        *--p = (char)('0' + m % 10);
        m /= 10;
    }
    if (d > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (neg)
        *--p = '-';
    return len;
}

static const double pow10_tab[] = {1e0, 1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                   1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};

size_t lp_format_double(char *dst, double v)
{
    if (v == 0) {
        if (signbit(v)) {
            memcpy(dst, "-0", 2);
            return 2;
        }
        dst[0] = '0';
        return 1;
    }
#if FLT_EVAL_METHOD == 0
    /* Fast path for the usual sensor value (12.5, 0.31, 87): the fewest
     * decimals d such that the integer N nearest v * 10^d gives back v as
     * N / 10^d. N < 2^53 and 10^d are exact doubles, so the division is
     * correctly rounded, exactly as strtod() rounds the text "N / 10^d". */
    double a = fabs(v);
    if (a >= 1e-4 && a < 0x1p53) {
        for (size_t d = 0; d < sizeof pow10_tab / sizeof pow10_tab[0]; d++) {
            double y = a * pow10_tab[d];
            if (y >= 0x1p53)
                break;
            int64_t m = (int64_t)y; /* signed: converts in one instruction */
            if (y - (double)m >= 0.5)
                m++;
            /* If v is N / 10^d rounded, y is within 2 ulps of N: skip the
             * division (the slow part) for every d that cannot match. */
            if (fabs(y - (double)m) > y * 0x1p-51 || (double)m / pow10_tab[d] != a)
                continue;
            while (d > 0 && m % 10 == 0) {
                m /= 10;
                d--;
            }
            return put_fixed(dst, v < 0, (uint64_t)m, d);
        }
    }
#endif
    return format_double_slow(dst, v);
}

/* ---- text ------------------------------------------------------------- */

/* The output of one call. When the whole line's worst case was reserved up
 * front (the usual case), the writers below skip their own reservations. */
struct lpw {
    struct buf *b;
    bool reserved;
};

/* Unless the line is reserved: makes room for the worst case of s[0..n) plus
 * `extra` bytes, or if that passes the cap, for its exact escaped size. */
static int reserve_text(const struct lpw *w, const char *s, size_t n, unsigned esc, size_t extra)
{
    if (w->reserved)
        return 0;
    struct buf *b = w->b;
    size_t worst = n <= (SIZE_MAX - extra) / 2 ? 2 * n + extra : SIZE_MAX;
    int rc = buf_reserve(b, worst);
    if (rc != -E2BIG)
        return rc;
    size_t exact = n + extra;
    for (size_t i = 0; i < n; i++)
        if (cls[(unsigned char)s[i]] & esc)
            exact++;
    return buf_reserve(b, exact);
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* True when none of the 8 bytes in x can need attention in a name or tag
 * value: every byte that is escaped, forbidden or a backslash is below '-'
 * (NUL, CR, LF, ' ', ','), '=' or '\'. Bytes below '-' that are harmless
 * ('!' to '+', tabs) only send the chunk to the exact loop. The tests are
 * the classic "has a byte less than n" / "has a zero byte" bit tricks: they
 * may mark the wrong byte of a word, never a word that has none. */
static bool chunk_plain(uint64_t x)
{
    uint64_t lt = (x - ONES * 0x2D) & ~x;
    uint64_t eq = x ^ (ONES * '=');
    uint64_t bs = x ^ (ONES * '\\');
    return ((lt | ((eq - ONES) & ~eq) | ((bs - ONES) & ~bs)) & HIGHS) == 0;
}

/* Appends `lead` (unless NUL) and s[0..n) with the bytes in class `esc`
 * escaped. Returns 0, -E2BIG, -ENOMEM, or a positive enum problem. */
static int put_ident(const struct lpw *w, char lead, const char *s, size_t n, unsigned esc)
{
    struct buf *b = w->b;
    int rc = reserve_text(w, s, n, esc, 1);
    if (rc)
        return rc;
    char *p = b->data + b->len;
    if (lead)
        *p++ = lead;
    /* Names and tag values are mostly plain: copy them eight bytes at a time
     * while no byte needs a look (a third of the encoder went to the loop
     * below, byte by byte). The output never runs ahead of the input, so the
     * eight-byte store stays inside the reservation. */
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (!chunk_plain(x))
            break;
        memcpy(p, &x, 8);
        p += 8;
    }
    if (i < n && i >= 8 && i + 8 > n) { /* the rest: the last 8 bytes, overlapping */
        uint64_t x;
        memcpy(&x, s + n - 8, 8);
        if (chunk_plain(x)) {
            memcpy(p - i + n - 8, &x, 8);
            p += n - i;
            i = n;
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned f = cls[c];
        if (!(f & (esc | C_BAD | C_BS))) {
            *p++ = (char)c;
            continue;
        }
        if (f & C_BAD)
            return c == '\0' ? PR_NUL : PR_NEWLINE;
        if (f & C_BS) {
            if (i + 1 == n)
                return PR_TRAILING_BS;
            if (cls[(unsigned char)s[i + 1]] & C_AFTER_BS)
                return PR_BS_SPECIAL;
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        *p++ = (char)c;
    }
    b->len = (size_t)(p - b->data);
    return 0;
}

bool lp_plain(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (!chunk_plain(x))
            break;
    }
    for (; i < n; i++)
        if (cls[(unsigned char)s[i]] & (C_ESC_MEAS | C_ESC_KEY | C_BAD | C_BS))
            return false;
    return true;
}

/* Appends `lead` and s[0..n) as they are: the caller vouched with lp_plain(). */
static int put_plain(const struct lpw *w, char lead, const char *s, size_t n)
{
    struct buf *b = w->b;
    if (!w->reserved) {
        int rc = buf_reserve(b, n + 1);
        if (rc)
            return rc;
    }
    b->data[b->len] = lead;
    memcpy(b->data + b->len + 1, s, n);
    b->len += n + 1;
    return 0;
}

/* Appends ="s" with '"' and '\' escaped. 0, -E2BIG, -ENOMEM or PR_*. */
static int put_string_value(const struct lpw *w, const char *s, size_t n)
{
    struct buf *b = w->b;
    int rc = reserve_text(w, s, n, C_ESC_STR, 3);
    if (rc)
        return rc;
    char *p = b->data + b->len;
    *p++ = '=';
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"' || c == '\\')
            *p++ = '\\';
        else if (c == '\n' || c == '\r')
            return PR_NEWLINE;
        else if (c == '\0')
            return PR_NUL;
        *p++ = c;
    }
    *p++ = '"';
    b->len = (size_t)(p - b->data);
    return 0;
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t twice_sat(size_t n)
{
    return n > SIZE_MAX / 2 ? SIZE_MAX : 2 * n;
}

/* An upper bound of the line's length, SIZE_MAX if it does not fit size_t. */
static size_t worst_case(size_t measurement_len, const struct lp_tag *tags, size_t ntags,
                         const struct field *fields, size_t nfields)
{
    size_t n = add_sat(twice_sat(measurement_len), 22); /* ' ' ts '\n' */
    for (size_t i = 0; i < ntags; i++)
        n = add_sat(n, add_sat(twice_sat(strlen(tags[i].key) + tags[i].value_len), 2));
    for (size_t i = 0; i < nfields; i++) {
        size_t v = fields[i].type == FIELD_STRING ? add_sat(twice_sat(fields[i].v.s.len), 3)
                                                  : 1 + LP_FLOAT_MAX;
        n = add_sat(n, add_sat(twice_sat(fields[i].key_len), add_sat(v, 1)));
    }
    return n;
}

static bool is_name(const char *s, size_t n, const char *name)
{
    size_t ln = strlen(name);
    return n == ln && memcmp(s, name, n) == 0;
}

/* ---- the point -------------------------------------------------------- */

static int write_tags(const struct lpw *out, const struct lp_tag *tags, size_t ntags,
                      const char **why)
{
    for (size_t i = 0; i < ntags; i++) {
        const char *key = tags[i].key;
        size_t klen = strlen(key);
        if (klen == 0)
            return refuse(why, "empty tag key");
        if (is_name(key, klen, "time") || is_name(key, klen, "_measurement") ||
            is_name(key, klen, "_field"))
            return refuse_named(why, "tag key '", key, klen, "' is reserved");
        if (i > 0) {
            int cmp = strcmp(tags[i - 1].key, key);
            if (cmp == 0)
                return refuse_named(why, "duplicate tag key '", key, klen, "'");
            if (cmp > 0)
                return refuse_named(why, "tags not sorted by key at '", key, klen, "'");
        }
        if (tags[i].value_len == 0)
            continue;
        if (tags[i].plain) {
            int rc = put_plain(out, ',', key, klen);
            if (rc == 0)
                rc = put_plain(out, '=', tags[i].value, tags[i].value_len);
            if (rc)
                return rc;
            continue;
        }
        int rc = put_ident(out, ',', key, klen, C_ESC_KEY);
        if (rc > 0)
            return refuse_problem(why, rc, "tag key", NULL, 0, "");
        if (rc < 0)
            return rc;
        rc = put_ident(out, '=', tags[i].value, tags[i].value_len, C_ESC_KEY);
        if (rc > 0)
            return refuse_problem(why, rc, "tag value for '", key, klen, "'");
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int write_field(const struct lpw *out, const struct field *f, char lead, const char **why)
{
    char tmp[2 + LP_FLOAT_MAX];
    size_t n = 0;
    int rc = put_ident(out, lead, f->key, f->key_len, C_ESC_KEY);
    if (rc > 0)
        return refuse_problem(why, rc, "field key", NULL, 0, "");
    if (rc < 0)
        return rc;
    /* reserved: format in place; otherwise in tmp, then append what fits */
    char *dst = out->reserved ? out->b->data + out->b->len : tmp;
    dst[n++] = '=';
    switch (f->type) {
    case FIELD_FLOAT:
        if (isnan(f->v.f))
            return refuse_named(why, "field '", f->key, f->key_len, "' is nan");
        if (isinf(f->v.f))
            return refuse_named(why, "field '", f->key, f->key_len, "' is infinite");
        n += lp_format_double(dst + n, f->v.f);
        break;
    case FIELD_INT:
        n += put_i64(dst + n, f->v.i);
        dst[n++] = 'i';
        break;
    case FIELD_BOOL:
        memcpy(dst + n, f->v.b ? "true" : "false", 5); /* the NUL of "true" is overwritten later */
        n += f->v.b ? 4 : 5;
        break;
    case FIELD_STRING:
        rc = put_string_value(out, f->v.s.ptr, f->v.s.len);
        if (rc > 0)
            return refuse_problem(why, rc, "string field '", f->key, f->key_len, "'");
        return rc;
    default:
        return refuse_named(why, "field '", f->key, f->key_len, "' has an unknown type");
    }
    if (!out->reserved)
        return buf_append(out->b, tmp, n);
    out->b->len += n;
    return 0;
}

static int write_fields(const struct lpw *out, const struct field *fields, size_t nfields,
                        const char **why)
{
    if (nfields == 0)
        return refuse(why, "no fields");
    for (size_t i = 0; i < nfields; i++) {
        const struct field *f = &fields[i];
        if (f->key_len == 0)
            return refuse(why, "empty field key");
        if (is_name(f->key, f->key_len, "time"))
            return refuse(why, "field key 'time' is reserved");
        for (size_t j = 0; j < i; j++)
            if (fields[j].key_len == f->key_len && memcmp(fields[j].key, f->key, f->key_len) == 0)
                return refuse_named(why, "duplicate field key '", f->key, f->key_len, "'");
        int rc = write_field(out, f, i == 0 ? ' ' : ',', why);
        if (rc)
            return rc;
    }
    return 0;
}

int lp_write_point(struct buf *out, const char *measurement, size_t measurement_len,
                   const struct lp_tag *tags, size_t ntags, const struct field *fields,
                   size_t nfields, int64_t ts_ms, const char **why)
{
    size_t start = out->len;
    struct lpw w = {.b = out, .reserved = false};
    int rc;
    if (why)
        *why = NULL;

    if (measurement_len == 0) {
        rc = refuse(why, "empty measurement");
        goto undo;
    }
    /* A line whose first byte is '#' is a comment; leading tabs are skipped. */
    if (measurement[0] == '#') {
        rc = refuse(why, "measurement starts with '#'");
        goto undo;
    }
    if (measurement[0] == '\t') {
        rc = refuse(why, "measurement starts with a tab");
        goto undo;
    }
    if (ts_ms < -LP_TS_MS_MAX || ts_ms > LP_TS_MS_MAX) {
        rc = refuse(why, "timestamp out of range");
        goto undo;
    }
    /* One reservation for the worst case; near the cap each token reserves
     * its exact size instead, so a line that fits is never refused. */
    rc = buf_reserve(out, worst_case(measurement_len, tags, ntags, fields, nfields));
    if (rc == 0)
        w.reserved = true;
    else if (rc != -E2BIG)
        goto undo;
    rc = put_ident(&w, '\0', measurement, measurement_len, C_ESC_MEAS);
    if (rc > 0)
        rc = refuse_problem(why, rc, "measurement", NULL, 0, "");
    if (rc)
        goto undo;
    rc = write_tags(&w, tags, ntags, why);
    if (rc)
        goto undo;
    if (out->len - start > LP_MAX_SERIES_KEY) {
        rc = refuse(why, "series key longer than 65535 bytes");
        goto undo;
    }
    rc = write_fields(&w, fields, nfields, why);
    if (rc)
        goto undo;

    char tail[24];
    char *t = w.reserved ? out->data + out->len : tail;
    size_t n = 0;
    t[n++] = ' ';
    n += put_i64(t + n, ts_ms);
    t[n++] = '\n';
    if (!w.reserved) {
        rc = buf_append(out, tail, n);
        if (rc)
            goto undo;
    } else {
        out->len += n;
        out->data[out->len] = '\0';
    }
    return 0;

undo:
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    if (why && !*why)
        *why = rc == -E2BIG ? "line does not fit in the buffer" : "out of memory";
    return rc;
}
