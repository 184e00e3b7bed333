#include "jsonscan.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "numparse.h"

struct ps {
    const char *p;
    size_t len;
    size_t i;
    struct jscan_tok *toks;
    size_t cap;
    size_t n;
    bool full; /* more tokens than cap: keep checking, record nothing */
    struct jscan_error *err;
};

static int fail(struct ps *s, enum jscan_why why, size_t pos)
{
    /* A raw NUL is never valid JSON, so the first one stops the parse right
     * there; naming it helps the reader of a quarantine record. */
    if ((why == JSCAN_SYNTAX || why == JSCAN_TRAILING) && pos < s->len && s->p[pos] == '\0')
        why = JSCAN_NUL;
    s->err->why = why;
    s->err->pos = pos < s->len ? pos : (s->len ? s->len - 1 : 0);
    return -EINVAL;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_blanks(struct ps *s)
{
    while (s->i < s->len && blank(s->p[s->i]))
        s->i++;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Records a token unless quiet (inside an array) and returns its index, or
 * SIZE_MAX when nothing was recorded. */
static size_t emit(struct ps *s, bool quiet, enum jscan_type type, size_t start, size_t len)
{
    if (quiet || s->full)
        return SIZE_MAX;
    if (s->n == s->cap) {
        s->full = true;
        return SIZE_MAX;
    }
    struct jscan_tok *t = &s->toks[s->n];
    t->type = (uint8_t)type;
    t->escaped = 0;
    t->start = (uint32_t)start;
    t->len = (uint32_t)len;
    return s->n++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -EINVAL;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Checks the \u escape at p[i] (the backslash); its length (6 or 12) to *n. */
static int check_u(struct ps *s, size_t i, size_t *n)
{
    unsigned hi, lo;
    if (s->len - i < 6 || hex4(s->p + i + 2, &hi))
        return fail(s, JSCAN_SYNTAX, i);
    if (hi == 0)
        return fail(s, JSCAN_NUL, i);
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return fail(s, JSCAN_SYNTAX, i); /* a lone low surrogate */
    if (hi < 0xd800 || hi > 0xdbff) {
        *n = 6;
        return 0;
    }
    if (s->len - i < 12 || s->p[i + 6] != '\\' || s->p[i + 7] != 'u' || hex4(s->p + i + 8, &lo) ||
        lo < 0xdc00 || lo > 0xdfff)
        return fail(s, JSCAN_SYNTAX, i); /* a high surrogate without its low half */
    *n = 12;
    return 0;
}

/* The bytes that end a run of plain string text: '"', '\\' and the control
 * characters (refused raw). */
static const bool str_special[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1,
    [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1,
    [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1,
    [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1,
    [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1, ['"'] = 1,  ['\\'] = 1,
};

/* The string whose opening quote is at s->i. */
static int parse_string(struct ps *s, bool quiet)
{
    size_t start = ++s->i;
    bool escaped = false;
    const char *p = s->p;
    for (;;) {
        size_t i = s->i;
        while (i < s->len && !str_special[(unsigned char)p[i]])
            i++;
        s->i = i;
        if (i >= s->len)
            return fail(s, JSCAN_SYNTAX, i);
        if (p[i] == '"')
            break;
        if ((unsigned char)p[i] < 0x20)
            return fail(s, JSCAN_SYNTAX, i);
        escaped = true;
        if (i + 1 >= s->len)
            return fail(s, JSCAN_SYNTAX, i);
        size_t n = 2;
        switch (p[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            break;
        case 'u':
            if (check_u(s, i, &n))
                return -EINVAL;
            break;
        default:
            return fail(s, JSCAN_SYNTAX, i);
        }
        s->i = i + n;
    }
    size_t t = emit(s, quiet, JSCAN_STRING, start, s->i - start);
    if (t != SIZE_MAX)
        s->toks[t].escaped = escaped;
    s->i++; /* the closing quote */
    return 0;
}

static int parse_number(struct ps *s, bool quiet)
{
    const char *p = s->p;
    size_t start = s->i, i = s->i, len = s->len;
    if (p[i] == '-')
        i++;
    if (i < len && p[i] == '0') {
        i++;
        if (i < len && is_digit(p[i]))
            return fail(s, JSCAN_SYNTAX, i); /* leading zero */
    } else if (i < len && is_digit(p[i])) {
        while (i < len && is_digit(p[i]))
            i++;
    } else {
        return fail(s, JSCAN_SYNTAX, i);
    }
    if (i < len && p[i] == '.') {
        i++;
        if (i >= len || !is_digit(p[i]))
            return fail(s, JSCAN_SYNTAX, i);
        while (i < len && is_digit(p[i]))
            i++;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-'))
            i++;
        if (i >= len || !is_digit(p[i]))
            return fail(s, JSCAN_SYNTAX, i);
        while (i < len && is_digit(p[i]))
            i++;
    }
    if (i - start > JSCAN_NUMBER_MAX)
        return fail(s, JSCAN_SYNTAX, start + JSCAN_NUMBER_MAX);
    emit(s, quiet, JSCAN_NUMBER, start, i - start);
    s->i = i;
    return 0;
}

static int parse_literal(struct ps *s, bool quiet, const char *lit, enum jscan_type type)
{
    size_t start = s->i;
    for (size_t k = 0; lit[k]; k++, s->i++)
        if (s->i >= s->len || s->p[s->i] != lit[k])
            return fail(s, JSCAN_SYNTAX, s->i);
    emit(s, quiet, type, start, 0);
    return 0;
}

static int parse_value(struct ps *s, bool quiet, int depth);

/* The array or object whose bracket is at s->i. */
static int parse_container(struct ps *s, bool quiet, int depth)
{
    bool object = s->p[s->i] == '{';
    char close = object ? '}' : ']';
    if (depth >= JSCAN_MAX_DEPTH)
        return fail(s, JSCAN_DEPTH, s->i);
    size_t t = emit(s, quiet, object ? JSCAN_OBJECT : JSCAN_ARRAY, s->i, 0);
    bool inner_quiet = quiet || !object;
    s->i++;
    skip_blanks(s);
    if (s->i < s->len && s->p[s->i] == close) {
        s->i++;
        return 0;
    }
    for (;;) {
        if (object) {
            skip_blanks(s);
            if (s->i >= s->len || s->p[s->i] != '"')
                return fail(s, JSCAN_SYNTAX, s->i);
            if (parse_string(s, inner_quiet))
                return -EINVAL;
            skip_blanks(s);
            if (s->i >= s->len || s->p[s->i] != ':')
                return fail(s, JSCAN_SYNTAX, s->i);
            s->i++;
        }
        if (parse_value(s, inner_quiet, depth + 1))
            return -EINVAL;
        skip_blanks(s);
        if (s->i < s->len && s->p[s->i] == ',') {
            s->i++;
            continue;
        }
        if (s->i < s->len && s->p[s->i] == close)
            break;
        return fail(s, JSCAN_SYNTAX, s->i);
    }
    s->i++;
    if (t != SIZE_MAX && !s->full)
        s->toks[t].len = (uint32_t)(s->n - t - 1);
    return 0;
}

static int parse_value(struct ps *s, bool quiet, int depth)
{
    skip_blanks(s);
    if (s->i >= s->len)
        return fail(s, JSCAN_SYNTAX, s->i);
    switch (s->p[s->i]) {
    case '{':
    case '[':
        return parse_container(s, quiet, depth);
    case '"':
        return parse_string(s, quiet);
    case 't':
        return parse_literal(s, quiet, "true", JSCAN_TRUE);
    case 'f':
        return parse_literal(s, quiet, "false", JSCAN_FALSE);
    case 'n':
        return parse_literal(s, quiet, "null", JSCAN_NULL);
    default:
        if (s->p[s->i] == '-' || is_digit(s->p[s->i]))
            return parse_number(s, quiet);
        return fail(s, JSCAN_SYNTAX, s->i);
    }
}

int jscan_parse(const char *json, size_t len, struct jscan_tok *toks, size_t cap, size_t *ntoks,
                struct jscan_error *err)
{
    struct ps s = {.p = json, .len = len, .toks = toks, .cap = cap, .err = err};
    if (len > UINT32_MAX) {
        err->why = JSCAN_TOO_MANY;
        err->pos = 0;
        return -EINVAL;
    }
    if (len >= 3 && memcmp(json, "\xef\xbb\xbf", 3) == 0)
        s.i = 3;
    if (parse_value(&s, false, 0))
        return -EINVAL;
    skip_blanks(&s);
    if (s.i < len)
        return fail(&s, JSCAN_TRAILING, s.i);
    if (s.full) {
        err->why = JSCAN_TOO_MANY;
        err->pos = 0;
        return -EINVAL;
    }
    *ntoks = s.n;
    return 0;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double jscan_number(const char *s, size_t len)
{
    /* Pointers and one digit test per byte: with an index, a bound and
     * three counters per digit the loops took some 10 instructions a digit. */
    const char *p = s, *end = s + len;
    bool neg = *p == '-';
    p += neg;
    const char *d0 = p;
    uint64_t m = 0;
    unsigned d;
    while (p < end && (d = (unsigned)(unsigned char)*p - '0') < 10) {
        m = m * 10 + d;
        p++;
    }
    size_t digits = (size_t)(p - d0);
    long e = 0;
    if (p < end && *p == '.') {
        const char *f0 = ++p;
        while (p < end && (d = (unsigned)(unsigned char)*p - '0') < 10) {
            m = m * 10 + d;
            p++;
        }
        digits += (size_t)(p - f0);
        e = -(long)(p - f0);
    }
    if (p < end) { /* 'e' or 'E' */
        bool eneg = false;
        long x = 0;
        p++;
        if (*p == '+' || *p == '-')
            eneg = *p++ == '-';
        for (; p < end && is_digit(*p); p++)
            if (x < 100000)
                x = x * 10 + (*p - '0');
        e += eneg ? -x : x;
    }
    /* 19 digits always fit in a uint64_t; the fast path needs m <= 2^53. */
    if (digits <= 19 && m <= (UINT64_C(1) << 53) && e >= -22 && e <= 22) {
        double v = (double)m;
        v = e < 0 ? v / pow10_exact[-e] : v * pow10_exact[e];
        return neg ? -v : v;
    }
    double v;
    if (num_parse_double(s, len, &v) == 0)
        return v;
    return neg ? -HUGE_VAL : HUGE_VAL; /* the grammar is checked: only overflow is left */
}

static void put(char *out, size_t cap, size_t *n, char c)
{
    if (*n < cap)
        out[*n] = c;
    (*n)++;
}

size_t jscan_unescape(const char *raw, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (raw[i] != '\\') {
            put(out, cap, &n, raw[i++]);
            continue;
        }
        char c = raw[i + 1];
        i += 2;
        switch (c) {
        case 'b':
            put(out, cap, &n, '\b');
            continue;
        case 'f':
            put(out, cap, &n, '\f');
            continue;
        case 'n':
            put(out, cap, &n, '\n');
            continue;
        case 'r':
            put(out, cap, &n, '\r');
            continue;
        case 't':
            put(out, cap, &n, '\t');
            continue;
        case 'u':
            break;
        default: /* '"', '\\', '/' */
            put(out, cap, &n, c);
            continue;
        }
        unsigned cp = 0, lo = 0;
        hex4(raw + i, &cp);
        i += 4;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            hex4(raw + i + 2, &lo);
            i += 6;
            cp = 0x10000 + ((cp & 0x3ff) << 10 | (lo & 0x3ff));
        }
        if (cp < 0x80) {
            put(out, cap, &n, (char)cp);
        } else if (cp < 0x800) {
            put(out, cap, &n, (char)(0xc0 | cp >> 6));
            put(out, cap, &n, (char)(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            put(out, cap, &n, (char)(0xe0 | cp >> 12));
            put(out, cap, &n, (char)(0x80 | (cp >> 6 & 0x3f)));
            put(out, cap, &n, (char)(0x80 | (cp & 0x3f)));
        } else {
            put(out, cap, &n, (char)(0xf0 | cp >> 18));
            put(out, cap, &n, (char)(0x80 | (cp >> 12 & 0x3f)));
            put(out, cap, &n, (char)(0x80 | (cp >> 6 & 0x3f)));
            put(out, cap, &n, (char)(0x80 | (cp & 0x3f)));
        }
    }
    return n;
}

bool jscan_str_is_escaped(const char *json, const struct jscan_tok *t, const char *lit)
{
    size_t n = strlen(lit);
    char tmp[64];
    if (n > sizeof tmp)
        return false;
    size_t got = jscan_unescape(json + t->start, t->len, tmp, sizeof tmp);
    return got == n && memcmp(tmp, lit, n) == 0;
}
