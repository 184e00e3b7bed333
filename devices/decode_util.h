/*
 * decode_util: small helpers the payload decoders share (Alink, OneNET,
 * HJ 212), so that every decoder words its refusals the same way.
 */
#ifndef LIFELINE_DECODE_UTIL_H
#define LIFELINE_DECODE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jsonscan.h"
#include "reason.h"
#include "reading.h"

/*
 * Sets *why = r and writes the printf-formatted explanation into
 * detail[0..detail_len) (skipped when detail is NULL or detail_len is 0).
 * A text cut by the buffer size is cut before a partial UTF-8 character, so
 * that it stays valid text for the quarantine record. Always returns -EINVAL,
 * so that callers can write `return decode_fail(...)`.
 */
int decode_fail(enum reason *why, char *detail, size_t detail_len, enum reason r, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
/* The same with a va_list, for decoders that wrap it. */
int decode_vfail(enum reason *why, char *detail, size_t detail_len, enum reason r, const char *fmt,
                 va_list ap) __attribute__((format(printf, 5, 0)));

/*
 * True when name[0..len) is usable as a field key part: non-empty, valid
 * UTF-8, no control characters (a key becomes a line protocol field key,
 * which cannot carry a newline).
 */
bool decode_name_ok(const char *name, size_t len);

/*
 * True when name[0..len) is all printable ASCII (0x20..0x7e): then it is
 * valid UTF-8 without control characters, and decode_name_ok's full checks
 * can be skipped. Most names are; decoders ask this for every member.
 */
static inline bool decode_name_ascii(const char *name, size_t len)
{
    /* Eight bytes at a time (names of 8 bytes or more; the last word
     * overlaps), as the byte loop cost some 50 instructions per name. A byte
     * below 0x20 sets its high bit in w - 0x20.. where it was clear in w; a
     * byte above 0x7e has its high bit set in w or in w + 0x01..; a borrow or
     * carry only reaches the next byte after such a byte, so the test is
     * exact for the word as a whole. */
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    if (len >= 8) {
        uint64_t bad = 0, w;
        for (size_t i = 0; i + 8 <= len; i += 8) {
            memcpy(&w, name + i, 8);
            bad |= ((w - 0x20 * ones) & ~w) | (w + ones) | w;
        }
        memcpy(&w, name + len - 8, 8);
        bad |= ((w - 0x20 * ones) & ~w) | (w + ones) | w;
        return (bad & high) == 0;
    }
    unsigned char bad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bad |= (unsigned char)(c < 0x20) | (unsigned char)(c > 0x7e);
    }
    return bad == 0;
}

/* One level of an MQTT topic: a slice of the topic, possibly empty. */
struct decode_level {
    const char *ptr;
    size_t len;
};

/*
 * Splits topic[0..len) at '/' into at most `max` levels ("/a" is "" and
 * "a"). Returns the number of levels, or max + 1 when there are more (the
 * first `max` are filled then).
 */
size_t decode_split_topic(const char *topic, size_t len, struct decode_level *lv, size_t max);

/* True when the level is exactly the C string s. */
bool decode_level_is(const struct decode_level *lv, const char *s);

/*
 * The JSON decoders' shared helpers over a jsonscan tape.
 *
 * decode_json_type names a token's type for a refusal ("a number", "an
 * array", ...), as the decoders worded it with cJSON.
 */
const char *decode_json_type(const struct jscan_tok *t);

/*
 * Copies STRING token t of `json` into r's arena, unescaped, NUL-terminated
 * (like reading_strdup). Returns the copy with its length in *len, or NULL
 * when the arena is full.
 */
char *decode_json_strdup(struct reading *r, const char *json, const struct jscan_tok *t,
                         size_t *len);

/*
 * The detail text for a jscan_parse refusal, in the words the decoders used
 * with cJSON: "invalid json at byte 7", "... : data after the object",
 * "...: nul character". Always returns -EINVAL with *why set.
 */
int decode_json_refuse(enum reason *why, char *detail, size_t detail_len,
                       const struct jscan_error *err, size_t max_toks);

/*
 * Parses payload[0..len) into toks[0..cap) and checks that it is one JSON
 * object: 0, or -EINVAL after a refusal ("empty payload", the parse error,
 * "top level must be an object, not ...").
 */
int decode_json_object(const char *payload, size_t len, struct jscan_tok *toks, size_t cap,
                       enum reason *why, char *detail, size_t detail_len);

/*
 * Appends a field named key[0..klen) (NUL-terminated at klen) to r and
 * returns it, its value still to be set; or NULL after decode_fail() when the
 * key is already there ("duplicate key (<flattened> are flattened with '_')",
 * <flattened> naming what the decoder flattens: "nested objects", "structs"),
 * READING_MAX_FIELDS are in use, or the arena is full.
 */
struct field *decode_add_field(struct reading *r, const char *key, size_t klen,
                               const char *flattened, enum reason *why, char *detail,
                               size_t detail_len);

#endif
