/*
 * One category profile from JSON: fields, aliases, alarm defaults, and the
 * hash that maps a name or alias to its field. Strings stay in the cJSON
 * tree, which the profile keeps, so a profile costs one tree and two arrays.
 */
#include "profile.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct profile_slot {
    const char *key; /* NULL: empty */
    size_t len;
    uint64_t hash; /* of key, compared before the bytes */
    uint16_t field;
    bool alias;
};

static void problem(struct buf *errors, int *nerrors, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct buf *errors, int *nerrors, const char *source, const char *fmt, ...)
{
    (*nerrors)++;
    if (!errors)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    buf_printf(errors, "%s: %s\n", source, line);
}

const char *profile_type_name(enum profile_type t)
{
    return t == PROFILE_BOOL ? "bool" : t == PROFILE_STRING ? "string" : "float";
}

/* Eight bytes at a time: every field of every reading is looked up here,
 * and the byte-wise FNV-1a before cost more than the probe. */
static uint64_t hash(const char *s, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h = (uint64_t)n * k;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * k;
    return h ^ (h >> 32);
}

/* The slot of key[0..len) (hash h), or the empty slot where it would go. */
static struct profile_slot *slot_for(const struct profile *p, const char *key, size_t len,
                                     uint64_t h)
{
    size_t mask = p->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct profile_slot *s = &p->slots[i];
        if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
            return s;
    }
}

const struct profile_field *profile_find_field(const struct profile *p, const char *key, size_t len,
                                               bool *alias)
{
    const struct profile_slot *s = slot_for(p, key, len, hash(key, len));
    if (!s->key)
        return NULL;
    if (alias)
        *alias = s->alias;
    return &p->fields[s->field];
}

static bool parse_alarm(struct profile_field *f, const cJSON *a, const char *src,
                        struct buf *errors, int *nerrors)
{
    if (!cJSON_IsObject(a)) {
        problem(errors, nerrors, src,
                "fields.%s.alarm: expected an object; fix: write e.g. {\"above\": 10}", f->name);
        return false;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        const char *k = v->string;
        bool ok;
        if (!strcmp(k, "below") || !strcmp(k, "above")) {
            ok = cJSON_IsNumber(v) && f->type == PROFILE_FLOAT;
            if (ok)
                *(k[0] == 'b' ? &f->alarm.below : &f->alarm.above) = v->valuedouble;
        } else if (!strcmp(k, "equals")) {
            ok = (cJSON_IsBool(v) && f->type == PROFILE_BOOL) ||
                 (cJSON_IsString(v) && f->type == PROFILE_STRING);
            if (ok && cJSON_IsBool(v))
                f->alarm.equals_bool = cJSON_IsTrue(v);
            else if (ok)
                f->alarm.equals_str = v->valuestring;
        } else if (!strcmp(k, "not_equals")) {
            ok = cJSON_IsString(v) && f->type == PROFILE_STRING;
            if (ok)
                f->alarm.not_equals_str = v->valuestring;
        } else {
            problem(errors, nerrors, src,
                    "fields.%s.alarm.%s: unknown key; fix: use below, above, equals or "
                    "not_equals",
                    f->name, k);
            return false;
        }
        if (!ok) {
            problem(errors, nerrors, src,
                    "fields.%s.alarm.%s: does not fit a %s field; fix: below/above take a "
                    "number (float fields), equals a bool or string of the field's type, "
                    "not_equals a string",
                    f->name, k, profile_type_name(f->type));
            return false;
        }
    }
    return true;
}

static bool parse_field(struct profile_field *f, const cJSON *def, const char *src,
                        struct buf *errors, int *nerrors)
{
    f->name = def->string;
    f->unit = "";
    f->min = -INFINITY;
    f->max = INFINITY;
    f->alarm = (struct profile_alarm){NAN, NAN, -1, NULL, NULL};
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(def, "type");
    if (!cJSON_IsObject(def) || !cJSON_IsString(t)) {
        problem(errors, nerrors, src,
                "fields.%s: needs \"type\"; fix: write {\"type\": \"float\"} (or bool, string)",
                f->name);
        return false;
    }
    if (!strcmp(t->valuestring, "float")) {
        f->type = PROFILE_FLOAT;
    } else if (!strcmp(t->valuestring, "bool")) {
        f->type = PROFILE_BOOL;
    } else if (!strcmp(t->valuestring, "string")) {
        f->type = PROFILE_STRING;
    } else {
        problem(errors, nerrors, src,
                "fields.%s.type: '%s' is unknown; fix: use float, bool or "
                "string",
                f->name, t->valuestring);
        return false;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, def)
    {
        const char *k = v->string;
        if (!strcmp(k, "type") || !strcmp(k, "note"))
            continue;
        if (!strcmp(k, "unit") && cJSON_IsString(v)) {
            f->unit = v->valuestring;
        } else if ((!strcmp(k, "min") || !strcmp(k, "max")) && cJSON_IsNumber(v) &&
                   f->type == PROFILE_FLOAT) {
            *(k[1] == 'i' ? &f->min : &f->max) = v->valuedouble;
        } else if (!strcmp(k, "alarm")) {
            if (!parse_alarm(f, v, src, errors, nerrors))
                return false;
        } else {
            problem(errors, nerrors, src,
                    "fields.%s.%s: unknown key or wrong type; fix: use type, unit (string), "
                    "min and max (numbers, float fields only), alarm (object) or note",
                    f->name, k);
            return false;
        }
    }
    if (f->min > f->max) {
        problem(errors, nerrors, src, "fields.%s: min %g is above max %g; fix: swap them", f->name,
                f->min, f->max);
        return false;
    }
    return true;
}

static bool add_key(struct profile *p, const char *key, size_t field, bool alias)
{
    size_t len = strlen(key);
    uint64_t h = hash(key, len);
    struct profile_slot *s = slot_for(p, key, len, h);
    if (s->key)
        return false;
    *s = (struct profile_slot){key, len, h, (uint16_t)field, alias};
    return true;
}

static bool parse_body(struct profile *p, const char *category, const char *src, struct buf *errors,
                       int *nerrors)
{
    const cJSON *doc = p->doc, *v;
    if (!cJSON_IsObject(doc)) {
        problem(errors, nerrors, src, "expected a JSON object; fix: see devices/profiles/");
        return false;
    }
    const cJSON *cat = cJSON_GetObjectItemCaseSensitive(doc, "category");
    if (cat && (!cJSON_IsString(cat) || strcmp(cat->valuestring, category) != 0)) {
        problem(errors, nerrors, src,
                "category: does not match the file name '%s'; fix: name the file "
                "<category>.json or remove \"category\"",
                category);
        return false;
    }
    const cJSON *iv = cJSON_GetObjectItemCaseSensitive(doc, "report_interval_s");
    if (!cJSON_IsNumber(iv) || iv->valuedouble < 1 || iv->valuedouble > 31622400 ||
        iv->valuedouble != floor(iv->valuedouble)) {
        problem(errors, nerrors, src,
                "report_interval_s: missing or not a whole number of seconds from 1 to "
                "31622400; fix: write e.g. \"report_interval_s\": 300");
        return false;
    }
    p->report_interval_s = (int32_t)iv->valuedouble;
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(doc, "fields");
    const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(doc, "aliases");
    int nf = cJSON_GetArraySize(fields), na = cJSON_GetArraySize(aliases);
    if (!cJSON_IsObject(fields) || nf < 1 || nf > PROFILE_MAX_FIELDS) {
        problem(errors, nerrors, src,
                "fields: expected an object of 1 to %d fields; fix: write \"fields\": "
                "{\"name\": {\"type\": \"float\"}}",
                PROFILE_MAX_FIELDS);
        return false;
    }
    if (aliases && !cJSON_IsObject(aliases)) {
        problem(errors, nerrors, src,
                "aliases: expected an object; fix: write \"aliases\": {\"vendorName\": \"field\"}");
        return false;
    }
    for (const cJSON *k = doc->child; k; k = k->next) {
        if (strcmp(k->string, "category") && strcmp(k->string, "title") &&
            strcmp(k->string, "report_interval_s") && strcmp(k->string, "fields") &&
            strcmp(k->string, "aliases")) {
            problem(errors, nerrors, src,
                    "%s: unknown key; fix: use category, title, report_interval_s, fields, "
                    "aliases",
                    k->string);
            return false;
        }
    }
    struct profile_field *fs = calloc((size_t)nf, sizeof *fs);
    p->nslots = 16;
    while (p->nslots < 2 * (size_t)(nf + na))
        p->nslots *= 2;
    p->slots = calloc(p->nslots, sizeof *p->slots);
    p->fields = fs;
    if (!fs || !p->slots) {
        problem(errors, nerrors, src, "out of memory; fix: none");
        return false;
    }
    cJSON_ArrayForEach(v, fields)
    {
        if (!parse_field(&fs[p->nfields], v, src, errors, nerrors))
            return false;
        if (!add_key(p, v->string, p->nfields, false)) {
            problem(errors, nerrors, src, "fields.%s: named twice; fix: keep one", v->string);
            return false;
        }
        p->nfields++;
    }
    cJSON_ArrayForEach(v, aliases)
    {
        const struct profile_field *to = NULL;
        if (cJSON_IsString(v))
            to = profile_find_field(p, v->valuestring, strlen(v->valuestring), NULL);
        if (!to) {
            problem(errors, nerrors, src,
                    "aliases.%s: does not name a field of this profile; fix: map it to one "
                    "of the names in \"fields\"",
                    v->string);
            return false;
        }
        if (!add_key(p, v->string, (size_t)(to - p->fields), true)) {
            problem(errors, nerrors, src, "aliases.%s: already a field or alias; fix: remove it",
                    v->string);
            return false;
        }
    }
    return true;
}

struct profile *profile_parse(const char *category, const char *source, const char *text,
                              size_t len, struct buf *errors, int *nerrors)
{
    struct profile *p = calloc(1, sizeof *p);
    if (!p || !(p->source_copy = strdup(source))) {
        problem(errors, nerrors, source, "out of memory; fix: none");
        goto err;
    }
    p->source = p->source_copy;
    const char *end = NULL;
    p->doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!p->doc) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0, line = 1;
        for (size_t i = 0; i < at && i < len; i++)
            line += text[i] == '\n';
        problem(errors, nerrors, source, "line %zu: invalid JSON; fix: correct the syntax there",
                line);
        goto err;
    }
    if (!parse_body(p, category, source, errors, nerrors))
        goto err;
    /* the category string lives in the tree only when the file names it */
    p->category = cJSON_GetObjectItemCaseSensitive(p->doc, "category")
                      ? cJSON_GetObjectItemCaseSensitive(p->doc, "category")->valuestring
                      : NULL;
    if (!p->category) {
        cJSON *c = cJSON_AddStringToObject(p->doc, "category", category);
        if (!c) {
            problem(errors, nerrors, source, "out of memory; fix: none");
            goto err;
        }
        p->category = c->valuestring;
    }
    return p;
err:
    profile_free(p);
    return NULL;
}

void profile_free(struct profile *p)
{
    if (!p)
        return;
    cJSON_Delete(p->doc);
    free((void *)p->fields);
    free(p->slots);
    free(p->source_copy);
    free(p);
}
