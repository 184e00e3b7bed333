#include "thing_model.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decode_util.h"
#include "jsonscan.h"
#include "numparse.h"
#include "timestamp.h"
#include "utf8.h"

/* Tokens on the tape: a reading holds READING_MAX_FIELDS params, each a name
 * and a value or a {value,time} pair, with room for the envelope. */
#define THING_MODEL_TOKS 1024

struct walk {
    const char *json;
    const struct jscan_tok *t;
    struct reading *r;
    enum reason *why;
    char *detail;
    size_t detail_len;
    bool has_newest;
    int64_t newest;                     /* the newest param time seen */
    char key[THING_MODEL_KEY_MAX];      /* the flattened key being built */
    char name[2 * THING_MODEL_KEY_MAX]; /* an escaped member name, unescaped */
};

#define FAIL(w, reason, ...)                                                                       \
    decode_fail((w)->why, (w)->detail, (w)->detail_len, reason, __VA_ARGS__)

/* Reads a time member named `what` into *ms. */
/* The time of field `key`, or of the message when key is NULL. The name for
 * a refusal is only formatted on refusal: this runs for every param. */
static int get_time(struct walk *w, const struct jscan_tok *j, const char *key, int64_t *ms)
{
    const char *pre = key ? "field '" : "'time'", *k = key ? key : "", *post = key ? "': time" : "";
    double v;
    if (j->type == JSCAN_NUMBER) {
        v = jscan_number(w->json + j->start, j->len);
    } else if (j->type == JSCAN_STRING) {
        const char *s = w->json + j->start;
        size_t n = j->len;
        if (j->escaped) {
            /* Too long for the buffer is too long for a number too. */
            n = jscan_unescape(s, n, w->name, sizeof w->name);
            if (n > sizeof w->name)
                n = sizeof w->name;
            s = w->name;
        }
        if (!utf8_valid(s, n) || num_parse_double(s, n, &v) != 0)
            return FAIL(w, REASON_TIMESTAMP, "%s%s%s: string is not an epoch number", pre, k, post);
    } else {
        return FAIL(w, REASON_TIMESTAMP, "%s%s%s: must be a number, not %s", pre, k, post,
                    decode_json_type(j));
    }
    if (ts_from_number(v, ms))
        return FAIL(w, REASON_TIMESTAMP, "%s%s%s: %.15g is not a valid epoch time", pre, k, post,
                    v);
    return 0;
}

/* Appends w->key[0..klen) as a new field and returns it, or NULL after a refusal. */
static struct field *add_field(struct walk *w, size_t klen, int64_t ts_ms)
{
    struct field *f =
        decode_add_field(w->r, w->key, klen, "structs", w->why, w->detail, w->detail_len);
    if (f)
        f->ts_ms = ts_ms;
    return f;
}

/* Checks a member name and appends it to the key prefix w->key[0..plen). */
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
    if (!(nlen && decode_name_ascii(name, nlen)) && !decode_name_ok(name, nlen)) {
        const char *what = nlen == 0 ? "empty" : "invalid (not utf-8, or a control character)";
        return plen ? FAIL(w, REASON_MALFORMED, "field '%s': member name is %s", w->key, what)
                    : FAIL(w, REASON_MALFORMED, "param name is %s", what);
    }
    size_t need = plen + (plen ? 1 : 0) + nlen;
    if (need >= sizeof w->key)
        return FAIL(w, REASON_TOO_LARGE, "field name longer than %zu bytes", sizeof w->key - 1);
    if (plen)
        w->key[plen++] = '_';
    memcpy(w->key + plen, name, nlen);
    w->key[need] = '\0';
    *klen = need;
    return 0;
}

static int walk_struct(struct walk *w, size_t obj, size_t plen, int depth, int64_t ts_ms);

/* Adds the value at token `v` under the key w->key[0..klen). */
static int add_value(struct walk *w, size_t vi, size_t klen, int depth, int64_t ts_ms)
{
    const struct jscan_tok *v = &w->t[vi];
    struct field *f;
    switch (v->type) {
    case JSCAN_NULL:
        return 0;
    case JSCAN_OBJECT:
        if (depth >= THING_MODEL_MAX_DEPTH)
            return FAIL(w, REASON_MALFORMED, "field '%s': structs nested deeper than %d levels",
                        w->key, THING_MODEL_MAX_DEPTH);
        return walk_struct(w, vi, klen, depth + 1, ts_ms);
    case JSCAN_ARRAY:
        return FAIL(w, REASON_TYPE, "field '%s': arrays are not supported", w->key);
    case JSCAN_NUMBER: {
        double d = jscan_number(w->json + v->start, v->len);
        if (!isfinite(d))
            return FAIL(w, REASON_NOT_FINITE, "field '%s': number out of range", w->key);
        if (!(f = add_field(w, klen, ts_ms)))
            return -EINVAL;
        f->type = FIELD_FLOAT;
        f->v.f = d;
        return 0;
    }
    case JSCAN_TRUE:
    case JSCAN_FALSE:
        if (!(f = add_field(w, klen, ts_ms)))
            return -EINVAL;
        f->type = FIELD_BOOL;
        f->v.b = v->type == JSCAN_TRUE;
        return 0;
    case JSCAN_STRING:
        /* Escapes add only complete UTF-8 characters: the raw text is valid
         * exactly when the unescaped one is. */
        if (!utf8_valid(w->json + v->start, v->len))
            return FAIL(w, REASON_MALFORMED, "field '%s': string is not valid utf-8", w->key);
        if (!(f = add_field(w, klen, ts_ms)))
            return -EINVAL;
        f->type = FIELD_STRING;
        f->v.s.ptr = decode_json_strdup(w->r, w->json, v, &f->v.s.len);
        if (!f->v.s.ptr) {
            w->r->nfields--;
            return FAIL(w, REASON_TOO_LARGE,
                        "field '%s': reading is full (%zu bytes of names and text)", w->key,
                        w->r->arena_cap);
        }
        return 0;
    default:
        return FAIL(w, REASON_MALFORMED, "field '%s': unsupported json value", w->key);
    }
}

/* Adds every member of the object at token `obj` below the key prefix
 * w->key[0..plen). */
static int walk_struct(struct walk *w, size_t obj, size_t plen, int depth, int64_t ts_ms)
{
    const struct jscan_tok *t = w->t;
    size_t end = obj + 1 + t[obj].len;
    for (size_t i = obj + 1; i < end; i = jscan_next(t, i + 1)) {
        size_t klen = 0;
        int rc = push_name(w, plen, &t[i], &klen);
        if (rc == 0)
            rc = add_value(w, i + 1, klen, depth, ts_ms);
        if (rc)
            return rc;
    }
    return 0;
}

/* The value token of the first member `name` of the object at token `obj`
 * (the first, as cJSON_GetObjectItem did), or 0 when there is none (0 is
 * the top-level object, never a member value). */
static size_t member(const struct walk *w, size_t obj, const char *name)
{
    const struct jscan_tok *t = w->t;
    size_t end = obj + 1 + t[obj].len;
    for (size_t i = obj + 1; i < end; i = jscan_next(t, i + 1))
        if (jscan_str_is(w->json, &t[i], name))
            return i + 1;
    return 0;
}

/* How many members of the object at token `obj` are named `name`. */
static size_t members(const struct walk *w, size_t obj, const char *name)
{
    const struct jscan_tok *t = w->t;
    size_t end = obj + 1 + t[obj].len, n = 0;
    for (size_t i = obj + 1; i < end; i = jscan_next(t, i + 1))
        n += jscan_str_is(w->json, &t[i], name);
    return n;
}

/* True when the object at token `obj` is a {value[,time]} pair (or envelope):
 * exactly one "value", at most one "time". With two, taking the first would
 * drop the other silently; as a struct, the repeated name is refused. */
static bool is_pair(const struct walk *w, size_t obj)
{
    const struct jscan_tok *t = w->t;
    size_t end = obj + 1 + t[obj].len;
    size_t values = 0, times = 0;
    for (size_t i = obj + 1; i < end; i = jscan_next(t, i + 1)) {
        if (jscan_str_is(w->json, &t[i], "value"))
            values++;
        else if (jscan_str_is(w->json, &t[i], "time"))
            times++;
        else
            return false;
    }
    return values == 1 && times <= 1;
}

/* Walks the properties in the object at token `params`, noting the newest
 * param time. */
static int walk_params(struct walk *w, size_t params)
{
    const struct jscan_tok *t = w->t;
    size_t end = params + 1 + t[params].len;
    for (size_t i = params + 1; i < end; i = jscan_next(t, i + 1)) {
        size_t klen = 0;
        int64_t ts = 0;
        int rc = push_name(w, 0, &t[i], &klen);
        if (rc)
            return rc;
        size_t v = i + 1;
        if (t[v].type == JSCAN_OBJECT && is_pair(w, v)) {
            size_t tm = member(w, v, "time");
            if (tm) {
                rc = get_time(w, &t[tm], w->key, &ts);
                if (rc)
                    return rc;
                if (!w->has_newest || ts > w->newest)
                    w->newest = ts;
                w->has_newest = true;
            }
            v = member(w, v, "value");
        }
        rc = add_value(w, v, klen, 1, ts);
        if (rc)
            return rc;
    }
    return 0;
}

int thing_model_decode(const char *payload, size_t len, int64_t recv_ms,
                       enum thing_model_shape shape, struct reading *r, enum reason *why,
                       char *detail, size_t detail_len)
{
    struct jscan_tok toks[THING_MODEL_TOKS];
    /* Member by member: an initializer would zero the two name buffers;
     * push_name writes the key's terminator before anything reads it. */
    struct walk w;
    w.json = payload;
    w.t = toks;
    w.r = r;
    w.why = why;
    w.detail = detail;
    w.detail_len = detail_len;
    w.has_newest = false;
    w.newest = 0;
    w.key[0] = '\0';
    int64_t top_ts = 0;
    bool has_top = false;
    int rc;

    reading_reset(r);
    rc = decode_json_object(payload, len, toks, THING_MODEL_TOKS, why, detail, detail_len);
    if (rc)
        goto out;
    /* a second "params" or "time" would be dropped silently: refuse it */
    static const char *const once[] = {"params", "time"};
    for (size_t k = 0; k < 2; k++) {
        if (members(&w, 0, once[k]) > 1) {
            rc = FAIL(&w, REASON_MALFORMED, "'%s' given twice", once[k]);
            goto out;
        }
    }
    size_t t = member(&w, 0, "time");
    if (t) {
        rc = get_time(&w, &toks[t], NULL, &top_ts);
        if (rc)
            goto out;
        has_top = true;
    }
    size_t params = member(&w, 0, "params");
    if (!params) {
        rc = FAIL(&w, REASON_MALFORMED, "missing 'params'");
        goto out;
    }
    if (toks[params].type != JSCAN_OBJECT) {
        rc = FAIL(&w, REASON_MALFORMED, "'params' must be an object, not %s",
                  decode_json_type(&toks[params]));
        goto out;
    }
    size_t ev = member(&w, params, "value");
    if (shape == THING_EVENT && is_pair(&w, params) && ev && toks[ev].type == JSCAN_OBJECT) {
        size_t et = member(&w, params, "time");
        if (et) {
            rc = get_time(&w, &toks[et], "event time", &w.newest);
            if (rc)
                goto out;
            w.has_newest = true;
        }
        rc = walk_struct(&w, ev, 0, 1, 0);
    } else {
        rc = walk_params(&w, params);
    }
    if (rc)
        goto out;
    if (r->nfields == 0) {
        rc = FAIL(&w, REASON_NO_FIELDS, "no fields in 'params'");
        goto out;
    }
    if (has_top) {
        r->ts_ms = top_ts;
    } else if (w.has_newest) {
        r->ts_ms = w.newest;
    } else {
        r->ts_ms = recv_ms;
        r->ts_from_receipt = true;
    }
out:
    return rc;
}
