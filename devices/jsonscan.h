/*
 * jsonscan: a small, strict, non-allocating JSON reader for the hot payload
 * decoders (json_plain, thing_model). Config files and everything else keep
 * cJSON; this exists because cJSON allocates a node per value and a copy per
 * string, which was most of a reading's cost.
 *
 * jscan_parse() checks a whole document against RFC 8259 and records it as a
 * flat array of tokens (a "tape") in a buffer the caller provides; the tape
 * points into the caller's text, nothing is copied. Decoders then walk the
 * tape. Because the whole document is checked first, a syntax error anywhere
 * wins over what a decoder would say about an earlier member, as it did with
 * cJSON.
 *
 * Strict where cJSON was lenient: only blank, tab, CR and LF are white space;
 * raw control characters in strings, leading zeros ("01"), "1.", ".5", "+1",
 * invalid \u escapes, lone surrogates, \u0000 and numbers longer than 63
 * characters are refused. Like cJSON, a leading UTF-8 byte order mark is
 * skipped. UTF-8 is not checked here: the decoders check each name and
 * string they use (utf8_valid), so that the refusal names the field.
 *
 * Elements of arrays are checked but not recorded: the decoders refuse
 * arrays as a whole, so an array is one token.
 */
#ifndef LIFELINE_JSONSCAN_H
#define LIFELINE_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Containers nested deeper than this are refused (cJSON allowed 1000). */
#define JSCAN_MAX_DEPTH 64
/* Longest number text accepted (cJSON's limit too). */
#define JSCAN_NUMBER_MAX 63

enum jscan_type {
    JSCAN_NULL,
    JSCAN_FALSE,
    JSCAN_TRUE,
    JSCAN_NUMBER,
    JSCAN_STRING,
    JSCAN_ARRAY,
    JSCAN_OBJECT,
};

/*
 * One value on the tape. An object's members follow it as (name, value)
 * token pairs, a nested object's own tokens right after it.
 */
struct jscan_tok {
    uint8_t type;    /* enum jscan_type */
    uint8_t escaped; /* STRING: the text contains backslash escapes */
    uint32_t start;  /* STRING: first byte after the quote; others: first byte */
    uint32_t len;    /* STRING: raw bytes between the quotes; NUMBER: text length;
                        OBJECT: number of tokens inside; others 0 */
};

enum jscan_why {
    JSCAN_SYNTAX,   /* not JSON at `pos` */
    JSCAN_NUL,      /* a \u0000 escape at `pos` */
    JSCAN_DEPTH,    /* the container opened at `pos` is nested too deep */
    JSCAN_TRAILING, /* non-blank data after the value, from `pos` */
    JSCAN_TOO_MANY, /* valid, but more tokens than the tape holds */
};

struct jscan_error {
    enum jscan_why why;
    /* Byte offset from 0. An error at the end of the text (it stopped short)
     * names the last byte, as cJSON did: "   " fails at byte 2. */
    size_t pos;
};

/*
 * Checks json[0..len) (need not be NUL-terminated) as exactly one JSON value
 * with optional blanks around it, and records it into toks[0..cap). The
 * first token is the top-level value. Returns 0 with *ntoks set, or -EINVAL
 * with *err filled (len 0 is a syntax error at byte 0; len above
 * UINT32_MAX is JSCAN_TOO_MANY).
 */
int jscan_parse(const char *json, size_t len, struct jscan_tok *toks, size_t cap, size_t *ntoks,
                struct jscan_error *err);

/* Index of the token after toks[i] and everything inside it. */
static inline size_t jscan_next(const struct jscan_tok *toks, size_t i)
{
    return i + 1 + (toks[i].type == JSCAN_OBJECT ? toks[i].len : 0);
}

/*
 * The value of a NUMBER token's text s[0..len) (as recorded by jscan_parse),
 * correctly rounded as strtod would: exact integers and short decimals take a
 * fast path (Clinger's: an integer below 2^53 times or over a power of ten
 * up to 1e22 is one correctly rounded IEEE operation), the rest goes through
 * num_parse_double. Too large for a double: +-HUGE_VAL (infinity).
 */
double jscan_number(const char *s, size_t len);

/*
 * Unescapes a STRING token's raw text raw[0..len) (as recorded by
 * jscan_parse, so the escapes are valid) into out[0..cap): writes at most
 * cap bytes, no NUL. Returns the full unescaped length, which is never more
 * than len; when it is more than cap the output was cut.
 */
size_t jscan_unescape(const char *raw, size_t len, char *out, size_t cap);

/* The escaped case of jscan_str_is, out of line. */
bool jscan_str_is_escaped(const char *json, const struct jscan_tok *t, const char *lit);

/* True when STRING token t of `json` is, unescaped, exactly the C string lit.
 * Inline: the decoders ask it of every member name, with a literal. */
static inline bool jscan_str_is(const char *json, const struct jscan_tok *t, const char *lit)
{
    if (t->escaped)
        return jscan_str_is_escaped(json, t, lit);
    size_t n = strlen(lit);
    return t->len == n && memcmp(json + t->start, lit, n) == 0;
}

#endif
