#include "json_plain.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
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
    bool seen_ts;
    char key[JSON_PLAIN_KEY_MAX]; /* the flattened key being built */
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

static int set_ts(struct walk *w, const cJSON *j)
{
    int64_t ms;
    if (w->seen_ts)
        return fail(w, REASON_MALFORMED, "field 'ts': duplicate key");
    w->seen_ts = true;
    if (cJSON_IsNumber(j)) {
        if (ts_from_number(j->valuedouble, &ms))
            return fail(w, REASON_TIMESTAMP, "field 'ts': %.15g is not a valid epoch time",
                        j->valuedouble);
    } else if (cJSON_IsString(j)) {
        const char *s = j->valuestring;
        size_t len = strlen(s);
        double v;
        if (!utf8_valid(s, len))
            return fail(w, REASON_TIMESTAMP, "field 'ts': string is not valid utf-8");
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
                    type_name(j));
    }
    w->r->ts_ms = ms;
    return 0;
}

/* Appends w->key[0..klen) as a new field and returns it, or NULL after fail(). */
static struct field *add_field(struct walk *w, size_t klen)
{
    struct reading *r = w->r;
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].key_len == klen && memcmp(r->fields[i].key, w->key, klen) == 0) {
            fail(w, REASON_MALFORMED,
                 "field '%s': duplicate key (nested objects are flattened "
                 "with '_')",
                 w->key);
            return NULL;
        }
    }
    struct field *f = reading_add_field(r);
    if (!f) {
        fail(w, REASON_TOO_LARGE, "field '%s': more than %d fields", w->key, READING_MAX_FIELDS);
        return NULL;
    }
    f->key = reading_strdup(r, w->key, klen);
    if (!f->key) {
        r->nfields--;
        fail(w, REASON_TOO_LARGE, "field '%s': reading is full (%zu bytes of names and text)",
             w->key, r->arena_cap);
        return NULL;
    }
    f->key_len = klen;
    return f;
}

/* Checks a member name and appends it to the key prefix[0..plen); the new key
 * length goes to *klen. */
static int push_name(struct walk *w, size_t plen, const char *name, size_t *klen)
{
    size_t nlen = strlen(name);
    w->key[plen] = '\0';
    if (nlen == 0)
        return plen ? fail(w, REASON_MALFORMED, "field '%s': empty member name", w->key)
                    : fail(w, REASON_MALFORMED, "empty field name");
    if (!utf8_valid(name, nlen))
        return plen
                   ? fail(w, REASON_MALFORMED, "field '%s': member name is not valid utf-8", w->key)
                   : fail(w, REASON_MALFORMED, "field name is not valid utf-8");
    for (size_t i = 0; i < nlen; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return fail(w, REASON_MALFORMED, "field name contains a control character");
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

/* Adds the members of `obj`, whose flattened name is w->key[0..plen), at
 * nesting depth `depth` (1 for the top level). */
static int walk_object(struct walk *w, const cJSON *obj, size_t plen, int depth)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, obj)
    {
        int rc;
        if (depth == 1 && strcmp(c->string, "ts") == 0) {
            rc = set_ts(w, c);
            if (rc)
                return rc;
            continue;
        }
        size_t klen = 0;
        rc = push_name(w, plen, c->string, &klen);
        if (rc)
            return rc;
        struct field *f;
        if (cJSON_IsNull(c)) {
            continue;
        } else if (cJSON_IsObject(c)) {
            if (depth >= JSON_PLAIN_MAX_DEPTH)
                return fail(w, REASON_MALFORMED, "field '%s': objects nested deeper than %d levels",
                            w->key, JSON_PLAIN_MAX_DEPTH);
            rc = walk_object(w, c, klen, depth + 1);
            if (rc)
                return rc;
        } else if (cJSON_IsArray(c)) {
            return fail(w, REASON_TYPE, "field '%s': arrays are not supported", w->key);
        } else if (cJSON_IsNumber(c)) {
            if (!isfinite(c->valuedouble))
                return fail(w, REASON_NOT_FINITE, "field '%s': number out of range", w->key);
            if (!(f = add_field(w, klen)))
                return -EINVAL;
            f->type = FIELD_FLOAT;
            f->v.f = c->valuedouble;
        } else if (cJSON_IsBool(c)) {
            if (!(f = add_field(w, klen)))
                return -EINVAL;
            f->type = FIELD_BOOL;
            f->v.b = cJSON_IsTrue(c);
        } else if (cJSON_IsString(c)) {
            size_t slen = strlen(c->valuestring);
            if (!utf8_valid(c->valuestring, slen))
                return fail(w, REASON_MALFORMED, "field '%s': string is not valid utf-8", w->key);
            if (!(f = add_field(w, klen)))
                return -EINVAL;
            f->type = FIELD_STRING;
            f->v.s.ptr = reading_strdup(w->r, c->valuestring, slen);
            f->v.s.len = slen;
            if (!f->v.s.ptr) {
                w->r->nfields--;
                return fail(w, REASON_TOO_LARGE,
                            "field '%s': reading is full (%zu bytes of names and text)", w->key,
                            w->r->arena_cap);
            }
        } else {
            return fail(w, REASON_MALFORMED, "field '%s': unsupported json value", w->key);
        }
    }
    return 0;
}

static bool json_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int json_plain_decode(const char *payload, size_t len, int64_t recv_ms, struct reading *r,
                      enum reason *why, char *detail, size_t detail_len)
{
    struct walk w = {.r = r, .why = why, .detail = detail, .detail_len = detail_len};
    cJSON *root = NULL;
    const char *end = NULL;
    int rc;

    reading_reset(r);
    if (len == 0) {
        rc = fail(&w, REASON_MALFORMED, "empty payload");
        goto out;
    }
    size_t nul = decode_find_nul(payload, len);
    if (nul < len) {
        rc = fail(&w, REASON_MALFORMED, "invalid json at byte %zu: nul character", nul);
        goto out;
    }
    root = cJSON_ParseWithLengthOpts(payload, len, &end, 0);
    if (!root) {
        size_t at = end && end >= payload && end <= payload + len ? (size_t)(end - payload) : 0;
        rc = fail(&w, REASON_MALFORMED, "invalid json at byte %zu", at);
        goto out;
    }
    /* Without require_null_terminated cJSON stops after the value and leaves
     * the rest unread; only blanks may follow. */
    for (size_t i = (size_t)(end - payload); i < len; i++) {
        if (!json_blank(payload[i])) {
            rc = fail(&w, REASON_MALFORMED, "invalid json at byte %zu: data after the object", i);
            goto out;
        }
    }
    if (!cJSON_IsObject(root)) {
        rc = fail(&w, REASON_MALFORMED, "top level must be an object, not %s", type_name(root));
        goto out;
    }
    rc = walk_object(&w, root, 0, 1);
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
    cJSON_Delete(root);
    return rc;
}
