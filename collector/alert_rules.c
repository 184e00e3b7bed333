/*
 * The operator rules file: parsing and checking. Every problem names the
 * file, the rule by index and the key, and says what to do.
 */
#include "alert_rules.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 4096
#define MAX_RULES_FILE (4 * 1024 * 1024)

struct ctx {
    const char *source;
    struct buf *errors;
    int count;
};

static void fail(struct ctx *x, int i, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void fail(struct ctx *x, int i, const char *key, const char *fmt, ...)
{
    x->count++;
    if (!x->errors)
        return;
    if (i >= 0)
        buf_printf(x->errors, "%s: rules[%d]%s%s: ", x->source, i, key ? "." : "", key ? key : "");
    else
        buf_printf(x->errors, "%s: %s: ", x->source, key ? key : "rules");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(x->errors, fmt, ap);
    va_end(ap);
    buf_putc(x->errors, '\n');
}

void alert_rules_free(struct alert_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        struct alert_scope *sc[] = {&r->rules[i].category, &r->rules[i].district,
                                    &r->rules[i].model, &r->rules[i].assets};
        for (size_t s = 0; s < 4; s++) {
            for (size_t j = 0; j < sc[s]->n; j++)
                free(sc[s]->v[j]);
            free(sc[s]->v);
        }
    }
    free(r->rules);
    free(r);
}

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 40)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int parse_cmp(const char *s, enum alert_cmp *out)
{
    static const char *const names[] = {"<", "<=", ">", ">=", "==", "!="};
    for (int i = 0; i < 6; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum alert_cmp)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *alert_cmp_name(enum alert_cmp c)
{
    static const char *const names[] = {"<", "<=", ">", ">=", "==", "!="};
    return (unsigned)c < 6 ? names[c] : "?";
}

/* Copies a string or an array of strings into sc. */
static void parse_scope(struct ctx *x, int i, const char *key, const cJSON *v,
                        struct alert_scope *sc)
{
    if (!v)
        return;
    size_t n = cJSON_IsString(v) ? 1 : cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    if (!cJSON_IsString(v) && !cJSON_IsArray(v)) {
        fail(x, i, key, "not a string or an array of strings; fix: write e.g. [\"a\", \"b\"]");
        return;
    }
    if (n == 0)
        return;
    sc->v = calloc(n, sizeof *sc->v);
    if (!sc->v) {
        fail(x, i, key, "out of memory; fix: shorten the list");
        return;
    }
    const cJSON *e = cJSON_IsString(v) ? v : v->child;
    for (size_t j = 0; j < n && e; j++, e = e->next) {
        if (!cJSON_IsString(e) || !e->valuestring[0]) {
            fail(x, i, key, "element %zu is not a non-empty string; fix: quote it", j);
            continue;
        }
        if (!(sc->v[sc->n] = strdup(e->valuestring))) {
            fail(x, i, key, "out of memory; fix: shorten the list");
            return;
        }
        sc->n++;
    }
}

static void copy_text(struct ctx *x, int i, const char *key, const cJSON *v, char *dst, size_t cap)
{
    if (!v)
        return;
    if (!cJSON_IsString(v)) {
        fail(x, i, key, "not a string; fix: quote it");
        return;
    }
    if (strlen(v->valuestring) >= cap) {
        fail(x, i, key, "longer than %zu bytes; fix: shorten it", cap - 1);
        return;
    }
    memcpy(dst, v->valuestring, strlen(v->valuestring) + 1);
}

static const char *const known_keys[] = {"name",   "field",    "comparison", "threshold", "clear",
                                         "hold_s", "severity", "category",   "district",  "model",
                                         "assets", "summary",  "summary_zh", NULL};

static void parse_threshold(struct ctx *x, int i, const cJSON *o, struct alert_rule *r)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "threshold");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "clear");
    if (cJSON_IsNumber(t)) {
        r->kind = AK_NUMBER;
        r->threshold = r->clear = t->valuedouble;
    } else if (cJSON_IsBool(t)) {
        r->kind = AK_BOOL;
        r->bval = cJSON_IsTrue(t);
    } else if (cJSON_IsString(t) && strlen(t->valuestring) < sizeof r->sval) {
        r->kind = AK_STRING;
        memcpy(r->sval, t->valuestring, strlen(t->valuestring) + 1);
    } else {
        fail(x, i, "threshold",
             "%s; fix: give a number, true/false, or a string of at most 63 bytes",
             t ? "not usable" : "missing");
        return;
    }
    if (r->kind != AK_NUMBER && r->cmp != CMP_EQ && r->cmp != CMP_NE)
        fail(x, i, "comparison",
             "'%s' compares numbers, the threshold is not one; fix: use == or !=",
             alert_cmp_name(r->cmp));
    if (!c)
        return;
    if (r->kind != AK_NUMBER || !cJSON_IsNumber(c)) {
        fail(x, i, "clear",
             "needs a number and a numeric threshold; fix: remove it or give a number");
        return;
    }
    r->clear = c->valuedouble;
    bool lower = r->cmp == CMP_LT || r->cmp == CMP_LE;
    bool upper = r->cmp == CMP_GT || r->cmp == CMP_GE;
    if (!lower && !upper)
        fail(x, i, "clear", "hysteresis needs <, <=, > or >=; fix: remove clear");
    else if (lower && r->clear < r->threshold)
        fail(x, i, "clear",
             "%g is below the threshold %g of a '%s' rule, so the alert could never clear; "
             "fix: give a value at or above the threshold",
             r->clear, r->threshold, alert_cmp_name(r->cmp));
    else if (upper && r->clear > r->threshold)
        fail(x, i, "clear",
             "%g is above the threshold %g of a '%s' rule, so the alert could never clear; "
             "fix: give a value at or below the threshold",
             r->clear, r->threshold, alert_cmp_name(r->cmp));
}

static void parse_rule(struct ctx *x, int i, const cJSON *o, struct alert_rule *r)
{
    if (!cJSON_IsObject(o)) {
        fail(x, i, NULL, "not an object; fix: write {\"name\": ..., \"field\": ..., ...}");
        return;
    }
    for (const cJSON *k = o->child; k; k = k->next) {
        bool known = false;
        for (size_t j = 0; known_keys[j] && !known; j++)
            known = strcmp(k->string, known_keys[j]) == 0;
        if (!known)
            fail(x, i, k->string,
                 "unknown key; fix: remove it (keys: name, field, comparison, threshold, clear, "
                 "hold_s, severity, category, district, model, assets, summary, summary_zh)");
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    if (!cJSON_IsString(name) || !valid_name(name->valuestring))
        fail(x, i, "name", "%s; fix: use 1 to 40 of a-z, 0-9 and _, e.g. \"outlet_pressure_low\"",
             name ? "not a valid name" : "missing");
    else
        snprintf(r->id, sizeof r->id, "rule:%s", name->valuestring);
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(o, "field");
    if (!cJSON_IsString(field) || !field->valuestring[0] ||
        strlen(field->valuestring) >= sizeof r->field)
        fail(x, i, "field", "%s; fix: name a field of the category profile, e.g. \"pressure_out\"",
             field ? "not a usable field name" : "missing");
    else
        memcpy(r->field, field->valuestring, strlen(field->valuestring) + 1);
    const cJSON *cmp = cJSON_GetObjectItemCaseSensitive(o, "comparison");
    if (!cJSON_IsString(cmp) || parse_cmp(cmp->valuestring, &r->cmp) != 0)
        fail(x, i, "comparison",
             "%s; fix: one of <, <=, >, >=, ==, !=", cmp ? "not a comparison" : "missing");
    else
        parse_threshold(x, i, o, r);
    const cJSON *hold = cJSON_GetObjectItemCaseSensitive(o, "hold_s");
    if (hold && (!cJSON_IsNumber(hold) || hold->valuedouble < 0 || hold->valuedouble > 604800))
        fail(x, i, "hold_s", "not a number of seconds from 0 to 604800; fix: e.g. 60");
    else if (hold)
        r->hold_ms = (int64_t)(hold->valuedouble * 1000.0);
    r->severity = SEV_MAJOR;
    const cJSON *sev = cJSON_GetObjectItemCaseSensitive(o, "severity");
    if (sev && (!cJSON_IsString(sev) || alert_severity_parse(sev->valuestring, &r->severity) != 0))
        fail(x, i, "severity", "not a severity; fix: one of critical, major, minor, warning");
    parse_scope(x, i, "category", cJSON_GetObjectItemCaseSensitive(o, "category"), &r->category);
    parse_scope(x, i, "district", cJSON_GetObjectItemCaseSensitive(o, "district"), &r->district);
    parse_scope(x, i, "model", cJSON_GetObjectItemCaseSensitive(o, "model"), &r->model);
    parse_scope(x, i, "assets", cJSON_GetObjectItemCaseSensitive(o, "assets"), &r->assets);
    copy_text(x, i, "summary", cJSON_GetObjectItemCaseSensitive(o, "summary"), r->summary,
              sizeof r->summary);
    copy_text(x, i, "summary_zh", cJSON_GetObjectItemCaseSensitive(o, "summary_zh"), r->summary_zh,
              sizeof r->summary_zh);
}

struct alert_rules *alert_rules_parse(const char *source, const char *text, size_t len,
                                      struct buf *errors, int *nerrors)
{
    struct ctx x = {source, errors, 0};
    struct alert_rules *out = calloc(1, sizeof *out);
    cJSON *doc = cJSON_ParseWithLength(text, len);
    if (!out) {
        fail(&x, -1, NULL, "out of memory; fix: free memory");
        goto done;
    }
    if (!doc) {
        fail(&x, -1, NULL, "not valid JSON near byte %zu; fix: check the syntax (e.g. with jq)",
             cJSON_GetErrorPtr() ? (size_t)(cJSON_GetErrorPtr() - text) : 0);
        goto done;
    }
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
    for (const cJSON *k = cJSON_IsObject(doc) ? doc->child : NULL; k; k = k->next)
        if (strcmp(k->string, "rules") != 0)
            fail(&x, -1, k->string, "unknown key; fix: put the rules in \"rules\": [...]");
    if (!cJSON_IsArray(rules)) {
        fail(&x, -1, "rules", "missing or not an array; fix: write {\"rules\": [{...}, ...]}");
        goto done;
    }
    int n = cJSON_GetArraySize(rules);
    if (n > MAX_RULES) {
        fail(&x, -1, "rules", "%d rules, more than %d; fix: merge rules with scope lists", n,
             MAX_RULES);
        goto done;
    }
    out->rules = calloc((size_t)n + 1, sizeof *out->rules);
    if (!out->rules) {
        fail(&x, -1, NULL, "out of memory; fix: free memory");
        goto done;
    }
    int i = 0;
    for (const cJSON *o = rules->child; o; o = o->next, i++) {
        parse_rule(&x, i, o, &out->rules[out->n++]);
        for (size_t j = 0; j + 1 < out->n && out->rules[i].id[0]; j++)
            if (strcmp(out->rules[j].id, out->rules[i].id) == 0)
                fail(&x, i, "name", "'%s' repeats rules[%zu]; fix: give each rule its own name",
                     out->rules[i].id + 5, j);
    }
done:
    cJSON_Delete(doc);
    if (nerrors)
        *nerrors = x.count;
    if (x.count) {
        alert_rules_free(out);
        return NULL;
    }
    return out;
}

struct alert_rules *alert_rules_load(const char *path, struct buf *errors, int *nerrors)
{
    FILE *f = fopen(path, "rb");
    struct alert_rules *r = NULL;
    if (!f) {
        if (errors)
            buf_printf(errors, "%s: cannot open: %s; fix: check alerts.rules_file\n", path,
                       strerror(errno));
        if (nerrors)
            *nerrors = 1;
        return NULL;
    }
    struct buf text;
    buf_init(&text, MAX_RULES_FILE);
    char chunk[8192];
    size_t got;
    int rc = 0;
    while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = buf_append(&text, chunk, got);
    if (rc == 0 && !ferror(f)) {
        r = alert_rules_parse(path, text.data ? text.data : "", text.len, errors, nerrors);
    } else {
        if (errors)
            buf_printf(errors, "%s: cannot read (larger than 4 MiB?); fix: check the file\n", path);
        if (nerrors)
            *nerrors = 1;
    }
    buf_free(&text);
    fclose(f);
    return r;
}
