#include "decode_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int decode_fail(enum reason *why, char *detail, size_t detail_len, enum reason r, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = decode_vfail(why, detail, detail_len, r, fmt, ap);
    va_end(ap);
    return rc;
}

int decode_vfail(enum reason *why, char *detail, size_t detail_len, enum reason r, const char *fmt,
                 va_list ap)
{
    *why = r;
    if (!detail || detail_len == 0)
        return -EINVAL;
    int n = vsnprintf(detail, detail_len, fmt, ap);
    if (n < 0) {
        detail[0] = '\0';
    } else if ((size_t)n >= detail_len) {
        size_t end = detail_len - 1, lead = end;
        while (lead > 0 && ((unsigned char)detail[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && lead - 1 + utf8_seq_len((unsigned char)detail[lead - 1]) > end)
            detail[lead - 1] = '\0';
    }
    return -EINVAL;
}

bool decode_name_ok(const char *name, size_t len)
{
    if (len == 0 || !utf8_valid(name, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

size_t decode_split_topic(const char *topic, size_t len, struct decode_level *lv, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && topic[i] != '/')
            continue;
        if (n == max)
            return max + 1;
        lv[n].ptr = topic + start;
        lv[n].len = i - start;
        n++;
        start = i + 1;
    }
    return n;
}

bool decode_level_is(const struct decode_level *lv, const char *s)
{
    size_t n = strlen(s);
    return lv->len == n && memcmp(lv->ptr, s, n) == 0;
}

const char *decode_json_type(const struct jscan_tok *t)
{
    switch (t->type) {
    case JSCAN_NULL:
        return "null";
    case JSCAN_FALSE:
    case JSCAN_TRUE:
        return "a boolean";
    case JSCAN_NUMBER:
        return "a number";
    case JSCAN_STRING:
        return "a string";
    case JSCAN_ARRAY:
        return "an array";
    case JSCAN_OBJECT:
        return "an object";
    default:
        return "an unknown value";
    }
}

char *decode_json_strdup(struct reading *r, const char *json, const struct jscan_tok *t,
                         size_t *len)
{
    if (!t->escaped) {
        *len = t->len;
        return reading_strdup(r, json + t->start, t->len);
    }
    /* Unescaped in place at the end of the arena, as reading_strdup would
     * copy it: the text never grows when unescaped. */
    size_t room = r->arena_cap - r->arena_len;
    if (room == 0)
        return NULL;
    char *p = r->arena + r->arena_len;
    size_t n = jscan_unescape(json + t->start, t->len, p, room - 1);
    if (n >= room)
        return NULL;
    p[n] = '\0';
    r->arena_len += n + 1;
    *len = n;
    return p;
}

int decode_json_refuse(enum reason *why, char *detail, size_t detail_len,
                       const struct jscan_error *err, size_t max_toks)
{
    switch (err->why) {
    case JSCAN_NUL:
        return decode_fail(why, detail, detail_len, REASON_MALFORMED,
                           "invalid json at byte %zu: nul character", err->pos);
    case JSCAN_TRAILING:
        return decode_fail(why, detail, detail_len, REASON_MALFORMED,
                           "invalid json at byte %zu: data after the object", err->pos);
    case JSCAN_DEPTH:
        return decode_fail(why, detail, detail_len, REASON_MALFORMED,
                           "invalid json at byte %zu: nested deeper than %d levels", err->pos,
                           JSCAN_MAX_DEPTH);
    case JSCAN_TOO_MANY:
        return decode_fail(why, detail, detail_len, REASON_TOO_LARGE, "more than %zu json values",
                           max_toks);
    case JSCAN_SYNTAX:
    default:
        return decode_fail(why, detail, detail_len, REASON_MALFORMED, "invalid json at byte %zu",
                           err->pos);
    }
}

struct field *decode_add_field(struct reading *r, const char *key, size_t klen,
                               const char *flattened, enum reason *why, char *detail,
                               size_t detail_len)
{
    for (size_t i = 0; i < r->nfields; i++) {
        /* The first byte before memcmp: most keys of a reading share a
         * length with some other, few share a first byte too. */
        if (r->fields[i].key_len == klen && klen && r->fields[i].key[0] == key[0] &&
            memcmp(r->fields[i].key, key, klen) == 0) {
            decode_fail(why, detail, detail_len, REASON_MALFORMED,
                        "field '%s': duplicate key (%s are flattened with '_')", key, flattened);
            return NULL;
        }
    }
    struct field *f = reading_add_field(r);
    if (!f) {
        decode_fail(why, detail, detail_len, REASON_TOO_LARGE, "field '%s': more than %d fields",
                    key, READING_MAX_FIELDS);
        return NULL;
    }
    f->key = reading_strdup(r, key, klen);
    if (!f->key) {
        r->nfields--;
        decode_fail(why, detail, detail_len, REASON_TOO_LARGE,
                    "field '%s': reading is full (%zu bytes of names and text)", key, r->arena_cap);
        return NULL;
    }
    f->key_len = klen;
    return f;
}

int decode_json_object(const char *payload, size_t len, struct jscan_tok *toks, size_t cap,
                       enum reason *why, char *detail, size_t detail_len)
{
    if (len == 0)
        return decode_fail(why, detail, detail_len, REASON_MALFORMED, "empty payload");
    size_t ntoks;
    struct jscan_error err;
    if (jscan_parse(payload, len, toks, cap, &ntoks, &err))
        return decode_json_refuse(why, detail, detail_len, &err, cap);
    if (toks[0].type != JSCAN_OBJECT)
        return decode_fail(why, detail, detail_len, REASON_MALFORMED,
                           "top level must be an object, not %s", decode_json_type(&toks[0]));
    return 0;
}
