#include "thing_model.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "decode_util.h"
#include "numparse.h"
#include "timestamp.h"
#include "utf8.h"

struct walk {
    struct reading *r;
    enum reason *why;
    char *detail;
    size_t detail_len;
    bool has_newest;
    int64_t newest;                /* the newest param time seen */
    char key[THING_MODEL_KEY_MAX]; /* the flattened key being built */
};

#define FAIL(w, reason, ...)                                                                       \
    decode_fail((w)->why, (w)->detail, (w)->detail_len, reason, __VA_ARGS__)

static const char *type_name(const cJSON *j)
{
    if (cJSON_IsNull(j))
        return "null";
    if (cJSON_IsBool(j))
        return "a boolean";
    if (cJSON_IsNumber(j))
        return "a number";
    if (cJSON_IsString(j))
        return "a string";
    if (cJSON_IsArray(j))
        return "an array";
    if (cJSON_IsObject(j))
        return "an object";
    return "an unknown value";
}

/* Reads a time member named `what` into *ms. */
/* The time of field `key`, or of the message when key is NULL. The name for
 * a refusal is only formatted on refusal: this runs for every param. */
static int get_time(struct walk *w, const cJSON *j, const char *key, int64_t *ms)
{
    const char *pre = key ? "field '" : "'time'", *k = key ? key : "", *post = key ? "': time" : "";
    double v;
    if (cJSON_IsNumber(j)) {
        v = j->valuedouble;
    } else if (cJSON_IsString(j)) {
        size_t n = strlen(j->valuestring);
        if (!utf8_valid(j->valuestring, n) || num_parse_double(j->valuestring, n, &v) != 0)
            return FAIL(w, REASON_TIMESTAMP, "%s%s%s: string is not an epoch number", pre, k, post);
    } else {
        return FAIL(w, REASON_TIMESTAMP, "%s%s%s: must be a number, not %s", pre, k, post,
                    type_name(j));
    }
    if (ts_from_number(v, ms))
        return FAIL(w, REASON_TIMESTAMP, "%s%s%s: %.15g is not a valid epoch time", pre, k, post,
                    v);
    return 0;
}

/* Appends w->key[0..klen) as a new field and returns it, or NULL after FAIL(). */
static struct field *add_field(struct walk *w, size_t klen, int64_t ts_ms)
{
    struct reading *r = w->r;
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].key_len == klen && memcmp(r->fields[i].key, w->key, klen) == 0) {
            FAIL(w, REASON_MALFORMED, "field '%s': duplicate key (structs are flattened with '_')",
                 w->key);
            return NULL;
        }
    }
    struct field *f = reading_add_field(r);
    if (!f) {
        FAIL(w, REASON_TOO_LARGE, "field '%s': more than %d fields", w->key, READING_MAX_FIELDS);
        return NULL;
    }
    f->key = reading_strdup(r, w->key, klen);
    if (!f->key) {
        r->nfields--;
        FAIL(w, REASON_TOO_LARGE, "field '%s': reading is full (%zu bytes of names and text)",
             w->key, r->arena_cap);
        return NULL;
    }
    f->key_len = klen;
    f->ts_ms = ts_ms;
    return f;
}

/* Checks a member name and appends it to the key prefix w->key[0..plen). */
static int push_name(struct walk *w, size_t plen, const char *name, size_t *klen)
{
    size_t nlen = strlen(name);
    w->key[plen] = '\0';
    if (!decode_name_ok(name, nlen)) {
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

static int walk_struct(struct walk *w, const cJSON *obj, size_t plen, int depth, int64_t ts_ms);

/* Adds the value `v` under the key w->key[0..klen). */
static int add_value(struct walk *w, const cJSON *v, size_t klen, int depth, int64_t ts_ms)
{
    struct field *f;
    if (cJSON_IsNull(v))
        return 0;
    if (cJSON_IsObject(v)) {
        if (depth >= THING_MODEL_MAX_DEPTH)
            return FAIL(w, REASON_MALFORMED, "field '%s': structs nested deeper than %d levels",
                        w->key, THING_MODEL_MAX_DEPTH);
        return walk_struct(w, v, klen, depth + 1, ts_ms);
    }
    if (cJSON_IsArray(v))
        return FAIL(w, REASON_TYPE, "field '%s': arrays are not supported", w->key);
    if (cJSON_IsNumber(v)) {
        if (!isfinite(v->valuedouble))
            return FAIL(w, REASON_NOT_FINITE, "field '%s': number out of range", w->key);
        if (!(f = add_field(w, klen, ts_ms)))
            return -EINVAL;
        f->type = FIELD_FLOAT;
        f->v.f = v->valuedouble;
        return 0;
    }
    if (cJSON_IsBool(v)) {
        if (!(f = add_field(w, klen, ts_ms)))
            return -EINVAL;
        f->type = FIELD_BOOL;
        f->v.b = cJSON_IsTrue(v);
        return 0;
    }
    if (cJSON_IsString(v)) {
        size_t slen = strlen(v->valuestring);
        if (!utf8_valid(v->valuestring, slen))
            return FAIL(w, REASON_MALFORMED, "field '%s': string is not valid utf-8", w->key);
        if (!(f = add_field(w, klen, ts_ms)))
            return -EINVAL;
        f->type = FIELD_STRING;
        f->v.s.ptr = reading_strdup(w->r, v->valuestring, slen);
        f->v.s.len = slen;
        if (!f->v.s.ptr) {
            w->r->nfields--;
            return FAIL(w, REASON_TOO_LARGE,
                        "field '%s': reading is full (%zu bytes of names and text)", w->key,
                        w->r->arena_cap);
        }
        return 0;
    }
    return FAIL(w, REASON_MALFORMED, "field '%s': unsupported json value", w->key);
}

/* Adds every member of `obj` below the key prefix w->key[0..plen). */
static int walk_struct(struct walk *w, const cJSON *obj, size_t plen, int depth, int64_t ts_ms)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        size_t klen = 0;
        int rc = push_name(w, plen, c->string, &klen);
        if (rc == 0)
            rc = add_value(w, c, klen, depth, ts_ms);
        if (rc)
            return rc;
    }
    return 0;
}

/* True when `obj` is a {value[,time]} pair (or envelope). */
static bool is_pair(const cJSON *obj)
{
    bool has_value = false;
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        if (strcmp(c->string, "value") == 0)
            has_value = true;
        else if (strcmp(c->string, "time") != 0)
            return false;
    }
    return has_value;
}

/* Walks properties, noting the newest param time. */
static int walk_params(struct walk *w, const cJSON *params)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, params)
    {
        size_t klen = 0;
        int64_t ts = 0;
        int rc = push_name(w, 0, c->string, &klen);
        if (rc)
            return rc;
        const cJSON *v = c;
        if (cJSON_IsObject(c) && is_pair(c)) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "time");
            if (t) {
                rc = get_time(w, t, w->key, &ts);
                if (rc)
                    return rc;
                if (!w->has_newest || ts > w->newest)
                    w->newest = ts;
                w->has_newest = true;
            }
            v = cJSON_GetObjectItemCaseSensitive(c, "value");
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
    struct walk w = {.r = r, .why = why, .detail = detail, .detail_len = detail_len};
    cJSON *root = NULL;
    const char *end = NULL;
    int64_t top_ts = 0;
    bool has_top = false;
    int rc;

    reading_reset(r);
    if (len == 0) {
        rc = FAIL(&w, REASON_MALFORMED, "empty payload");
        goto out;
    }
    size_t nul = decode_find_nul(payload, len);
    if (nul < len) {
        rc = FAIL(&w, REASON_MALFORMED, "invalid json at byte %zu: nul character", nul);
        goto out;
    }
    root = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    if (!root) {
        size_t at = end && end >= payload && end <= payload + len ? (size_t)(end - payload) : 0;
        rc = FAIL(&w, REASON_MALFORMED, "invalid json at byte %zu", at);
        goto out;
    }
    for (size_t i = (size_t)(end - payload); i < len; i++) {
        char b = payload[i];
        if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
            rc = FAIL(&w, REASON_MALFORMED, "invalid json at byte %zu: data after the object", i);
            goto out;
        }
    }
    if (!cJSON_IsObject(root)) {
        rc = FAIL(&w, REASON_MALFORMED, "top level must be an object, not %s", type_name(root));
        goto out;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "time");
    if (t) {
        rc = get_time(&w, t, NULL, &top_ts);
        if (rc)
            goto out;
        has_top = true;
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
    if (!params) {
        rc = FAIL(&w, REASON_MALFORMED, "missing 'params'");
        goto out;
    }
    if (!cJSON_IsObject(params)) {
        rc = FAIL(&w, REASON_MALFORMED, "'params' must be an object, not %s", type_name(params));
        goto out;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(params, "value");
    if (shape == THING_EVENT && is_pair(params) && cJSON_IsObject(ev)) {
        const cJSON *et = cJSON_GetObjectItemCaseSensitive(params, "time");
        if (et) {
            rc = get_time(&w, et, "event time", &w.newest);
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
    cJSON_Delete(root);
    return rc;
}
