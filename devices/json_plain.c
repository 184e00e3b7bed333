#include "json_plain.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decode_util.h"
#include "jsonscan.h"
#include "numparse.h"
#include "timestamp.h"
#include "utf8.h"

/* Tokens on the tape: a reading holds READING_MAX_FIELDS fields, each a name
 * and a value, with room for objects, nulls and a few more. */
#define JSON_PLAIN_TOKS 1024

struct walk {
    const char *json;
    const struct jscan_tok *t;
    struct reading *r;
    enum reason *why;
    char *detail;
    size_t detail_len;
    bool seen_ts;
    char key[JSON_PLAIN_KEY_MAX];      /* the flattened key being built */
    char name[2 * JSON_PLAIN_KEY_MAX]; /* an escaped member name, unescaped */
};

/* Sets the reason and the detail text and returns -EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(struct walk *w, enum reason why,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = decode_vfail(w->why, w->detail, w->detail_len, why, fmt, ap);
    va_end(ap);
    return rc;
}

static int set_ts(struct walk *w, const struct jscan_tok *j)
{
    int64_t ms;
    if (w->seen_ts)
        return fail(w, REASON_MALFORMED, "field 'ts': duplicate key");
    w->seen_ts = true;
    if (j->type == JSCAN_NUMBER) {
        double v = jscan_number(w->json + j->start, j->len);
        if (ts_from_number(v, &ms))
            return fail(w, REASON_TIMESTAMP, "field 'ts': %.15g is not a valid epoch time", v);
    } else if (j->type == JSCAN_STRING) {
        size_t len;
        double v;
        /* Escapes add only complete UTF-8 characters: the raw text is valid
         * exactly when the unescaped one is. */
        if (!utf8_valid(w->json + j->start, j->len))
            return fail(w, REASON_TIMESTAMP, "field 'ts': string is not valid utf-8");
        const char *s = decode_json_strdup(w->r, w->json, j, &len);
        if (!s)
            return fail(w, REASON_TOO_LARGE, "field 'ts': reading is full");
        if (num_parse_double(s, len, &v) == 0) {
            if (ts_from_number(v, &ms))
                return fail(w, REASON_TIMESTAMP, "field 'ts': '%s' is not a valid epoch time", s);
        } else if (ts_parse_iso8601(s, len, &ms)) {
            return fail(w, REASON_TIMESTAMP,
                        "field 'ts': '%s' is neither an epoch number nor an iso 8601 time "
                        "with offset",
                        s);
        }
    } else {
        return fail(w, REASON_TIMESTAMP, "field 'ts': must be a number or a string, not %s",
                    decode_json_type(j));
    }
    w->r->ts_ms = ms;
    return 0;
}

/* Appends w->key[0..klen) as a new field and returns it, or NULL after a refusal. */
static struct field *add_field(struct walk *w, size_t klen)
{
    return decode_add_field(w->r, w->key, klen, "nested objects", w->why, w->detail, w->detail_len);
}

/* Checks a member name and appends it to the key prefix[0..plen); the new key
 * length goes to *klen. */
static int push_name(struct walk *w, size_t plen, const struct jscan_tok *t, size_t *klen)
{
    const char *name = w->json + t->start;
    size_t nlen = t->len;
    if (t->escaped) {
        /* A name longer than the buffer is refused below as too long. */
        nlen = jscan_unescape(name, t->len, w->name, sizeof w->name);
        if (nlen > sizeof w->name)
            nlen = sizeof w->name;
        name = w->name;
    }
    w->key[plen] = '\0';
    if (nlen == 0)
        return plen ? fail(w, REASON_MALFORMED, "field '%s': empty member name", w->key)
                    : fail(w, REASON_MALFORMED, "empty field name");
    if (!decode_name_ascii(name, nlen)) {
        if (!utf8_valid(name, nlen))
            return plen ? fail(w, REASON_MALFORMED, "field '%s': member name is not valid utf-8",
                               w->key)
                        : fail(w, REASON_MALFORMED, "field name is not valid utf-8");
        for (size_t i = 0; i < nlen; i++)
            if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
                return fail(w, REASON_MALFORMED, "field name contains a control character");
    }
    size_t need = plen + (plen ? 1 : 0) + nlen;
    if (need >= sizeof w->key)
        return fail(w, REASON_TOO_LARGE, "field name longer than %zu bytes", sizeof w->key - 1);
    if (plen)
        w->key[plen++] = '_';
    memcpy(w->key + plen, name, nlen);
    w->key[need] = '\0';
    *klen = need;
    return 0;
}

/* Adds the members of the object at token `obj`, whose flattened name is
 * w->key[0..plen), at nesting depth `depth` (1 for the top level). */
static int walk_object(struct walk *w, size_t obj, size_t plen, int depth)
{
    const struct jscan_tok *t = w->t;
    size_t end = obj + 1 + t[obj].len;
    for (size_t i = obj + 1; i < end; i = jscan_next(t, i + 1)) {
        const struct jscan_tok *c = &t[i + 1];
        int rc;
        if (depth == 1 && jscan_str_is(w->json, &t[i], "ts")) {
            rc = set_ts(w, c);
            if (rc)
                return rc;
            continue;
        }
        size_t klen = 0;
        rc = push_name(w, plen, &t[i], &klen);
        if (rc)
            return rc;
        struct field *f;
        switch (c->type) {
        case JSCAN_NULL:
            break;
        case JSCAN_OBJECT:
            if (depth >= JSON_PLAIN_MAX_DEPTH)
                return fail(w, REASON_MALFORMED, "field '%s': objects nested deeper than %d levels",
                            w->key, JSON_PLAIN_MAX_DEPTH);
            rc = walk_object(w, i + 1, klen, depth + 1);
            if (rc)
                return rc;
            break;
        case JSCAN_ARRAY:
            return fail(w, REASON_TYPE, "field '%s': arrays are not supported", w->key);
        case JSCAN_NUMBER: {
            double v = jscan_number(w->json + c->start, c->len);
            if (!isfinite(v))
                return fail(w, REASON_NOT_FINITE, "field '%s': number out of range", w->key);
            if (!(f = add_field(w, klen)))
                return -EINVAL;
            f->type = FIELD_FLOAT;
            f->v.f = v;
            break;
        }
        case JSCAN_TRUE:
        case JSCAN_FALSE:
            if (!(f = add_field(w, klen)))
                return -EINVAL;
            f->type = FIELD_BOOL;
            f->v.b = c->type == JSCAN_TRUE;
            break;
        case JSCAN_STRING:
            /* Escapes add only complete UTF-8 characters: the raw text is
             * valid exactly when the unescaped one is. */
            if (!utf8_valid(w->json + c->start, c->len))
                return fail(w, REASON_MALFORMED, "field '%s': string is not valid utf-8", w->key);
            if (!(f = add_field(w, klen)))
                return -EINVAL;
            f->type = FIELD_STRING;
            f->v.s.ptr = decode_json_strdup(w->r, w->json, c, &f->v.s.len);
            if (!f->v.s.ptr) {
                w->r->nfields--;
                return fail(w, REASON_TOO_LARGE,
                            "field '%s': reading is full (%zu bytes of names and text)", w->key,
                            w->r->arena_cap);
            }
            break;
        default:
            return fail(w, REASON_MALFORMED, "field '%s': unsupported json value", w->key);
        }
    }
    return 0;
}

int json_plain_decode(const char *payload, size_t len, int64_t recv_ms, struct reading *r,
                      enum reason *why, char *detail, size_t detail_len)
{
    struct jscan_tok toks[JSON_PLAIN_TOKS];
    /* Member by member: an initializer would zero the two name buffers
     * (768 bytes, some 120 instructions a reading); push_name writes the
     * key's terminator before anything reads it. */
    struct walk w;
    w.json = payload;
    w.t = toks;
    w.r = r;
    w.why = why;
    w.detail = detail;
    w.detail_len = detail_len;
    w.seen_ts = false;
    w.key[0] = '\0';
    int rc;

    reading_reset(r);
    rc = decode_json_object(payload, len, toks, JSON_PLAIN_TOKS, why, detail, detail_len);
    if (rc)
        goto out;
    rc = walk_object(&w, 0, 0, 1);
    if (rc)
        goto out;
    if (r->nfields == 0) {
        rc = fail(&w, REASON_NO_FIELDS, w.seen_ts ? "no fields besides 'ts'" : "no fields");
        goto out;
    }
    if (!w.seen_ts) {
        r->ts_ms = recv_ms;
        r->ts_from_receipt = true;
    }
out:
    return rc;
}
