/*
 * Conditions: the rules the category profiles imply, scope matching and the
 * evaluation of one rule on one field (with hysteresis).
 */
#include "alert_rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hysteresis of the built-in battery and radio conditions. */
#define BATTERY_CLEAR_PCT 5.0
#define BATTERY_CLEAR_V 0.1
#define RSRP_CLEAR_DB 3.0

static int scope_copy(struct alert_scope *dst, const struct alert_scope *src)
{
    dst->n = 0;
    dst->v = NULL;
    if (!src->n)
        return 0;
    if (!(dst->v = calloc(src->n, sizeof *dst->v)))
        return -1;
    for (size_t i = 0; i < src->n; i++, dst->n++)
        if (!(dst->v[i] = strdup(src->v[i])))
            return -1;
    return 0;
}

static int scope_one(struct alert_scope *dst, const char *s)
{
    struct alert_scope one = {1, (char **)&s};
    return scope_copy(dst, &one);
}

static void set_field(struct alert_rule *r, const struct profile_field *f)
{
    snprintf(r->field, sizeof r->field, "%s", f->name);
    snprintf(r->unit, sizeof r->unit, "%s", f->unit);
}

/* Appends the rules of one profile field to out (room is reserved by the caller). */
static int field_rules(const struct profile *p, const struct profile_field *f,
                       const struct alert_defaults *d, struct alert_rules *out)
{
    const struct profile_alarm *a = &f->alarm;
    struct alert_rule r;
    bool battery = strcmp(f->name, "battery_pct") == 0 || strcmp(f->name, "battery_v") == 0;
    bool radio = strcmp(f->name, "rsrp") == 0;
    if (f->type == PROFILE_FLOAT && (battery || radio)) {
        memset(&r, 0, sizeof r);
        set_field(&r, f);
        r.kind = AK_NUMBER;
        r.cmp = CMP_LT;
        if (radio) {
            snprintf(r.id, sizeof r.id, "weak_radio");
            r.threshold = isnan(a->below) ? d->rsrp_min_dbm : a->below;
            r.clear = r.threshold + RSRP_CLEAR_DB;
            r.hold_ms = d->rsrp_hold_ms;
            r.severity = SEV_WARNING;
        } else {
            bool pct = f->name[8] == 'p';
            snprintf(r.id, sizeof r.id, "battery_low:%s", f->name);
            r.threshold = !isnan(a->below) ? a->below : pct ? d->battery_low_pct : d->battery_low_v;
            r.clear = r.threshold + (pct ? BATTERY_CLEAR_PCT : BATTERY_CLEAR_V);
            r.severity = SEV_MINOR;
        }
        out->rules[out->n] = r;
        if (scope_one(&out->rules[out->n++].category, p->category))
            return -1;
        return 0;
    }
    for (int k = 0; k < 4; k++) {
        memset(&r, 0, sizeof r);
        set_field(&r, f);
        r.severity = SEV_MAJOR;
        if (k == 0 && !isnan(a->below)) {
            snprintf(r.id, sizeof r.id, "threshold:%s_low", f->name);
            r.kind = AK_NUMBER, r.cmp = CMP_LT, r.threshold = r.clear = a->below;
        } else if (k == 1 && !isnan(a->above)) {
            snprintf(r.id, sizeof r.id, "threshold:%s_high", f->name);
            r.kind = AK_NUMBER, r.cmp = CMP_GT, r.threshold = r.clear = a->above;
        } else if (k == 2 && a->equals_bool >= 0) {
            snprintf(r.id, sizeof r.id, "fault:%s", f->name);
            r.kind = AK_BOOL, r.cmp = CMP_EQ, r.bval = a->equals_bool == 1;
        } else if (k == 3 && (a->equals_str || a->not_equals_str)) {
            snprintf(r.id, sizeof r.id, "fault:%s", f->name);
            r.kind = AK_STRING;
            r.cmp = a->equals_str ? CMP_EQ : CMP_NE;
            snprintf(r.sval, sizeof r.sval, "%s",
                     a->equals_str ? a->equals_str : a->not_equals_str);
        } else {
            continue;
        }
        out->rules[out->n] = r;
        if (scope_one(&out->rules[out->n++].category, p->category))
            return -1;
    }
    return 0;
}

struct alert_rules *alert_rules_build(const struct profile_set *ps, const struct alert_rules *ops,
                                      const struct alert_defaults *d)
{
    size_t cap = ops ? ops->n : 0;
    size_t np = ps ? profile_set_count(ps) : 0;
    for (size_t i = 0; i < np; i++)
        cap += profile_set_at(ps, i)->nfields * 4;
    struct alert_rules *out = calloc(1, sizeof *out);
    if (!out || !(out->rules = calloc(cap + 1, sizeof *out->rules)))
        goto err;
    for (size_t i = 0; i < np; i++) {
        const struct profile *p = profile_set_at(ps, i);
        for (size_t j = 0; j < p->nfields; j++)
            if (field_rules(p, &p->fields[j], d, out))
                goto err;
    }
    for (size_t i = 0; ops && i < ops->n; i++) {
        const struct alert_rule *src = &ops->rules[i];
        struct alert_rule *r = &out->rules[out->n++];
        *r = *src;
        r->category = r->district = r->model = r->assets = (struct alert_scope){0, NULL};
        if (scope_copy(&r->category, &src->category) || scope_copy(&r->district, &src->district) ||
            scope_copy(&r->model, &src->model) || scope_copy(&r->assets, &src->assets))
            goto err;
    }
    return out;
err:
    alert_rules_free(out);
    return NULL;
}

static bool in_scope(const struct alert_scope *sc, const char *v)
{
    if (!sc->n)
        return true;
    if (!v || !*v)
        return false;
    for (size_t i = 0; i < sc->n; i++)
        if (strcmp(sc->v[i], v) == 0)
            return true;
    return false;
}

bool alert_rule_applies(const struct alert_rule *r, const struct alert_target *t)
{
    if (!in_scope(&r->category, t->category) || !in_scope(&r->district, t->district) ||
        !in_scope(&r->model, t->model))
        return false;
    return !r->assets.n || in_scope(&r->assets, t->asset) || in_scope(&r->assets, t->device);
}

static bool compare(enum alert_cmp c, double v, double t)
{
    switch (c) {
    case CMP_LT:
        return v < t;
    case CMP_LE:
        return v <= t;
    case CMP_GT:
        return v > t;
    case CMP_GE:
        return v >= t;
    case CMP_EQ:
        return v == t;
    case CMP_NE:
        return v != t;
    }
    return false;
}

int alert_rule_eval(const struct alert_rule *r, const struct field *f, bool active, double *value)
{
    *value = NAN;
    switch (r->kind) {
    case AK_NUMBER: {
        if (f->type != FIELD_FLOAT && f->type != FIELD_INT)
            return -1;
        double v = f->type == FIELD_FLOAT ? f->v.f : (double)f->v.i;
        *value = v;
        if (!active || r->clear == r->threshold)
            return compare(r->cmp, v, r->threshold);
        /* active: it ends only once the value is past the clear threshold */
        bool lower = r->cmp == CMP_LT || r->cmp == CMP_LE;
        return lower ? !(v >= r->clear) : !(v <= r->clear);
    }
    case AK_BOOL:
        if (f->type != FIELD_BOOL)
            return -1;
        *value = f->v.b ? 1.0 : 0.0;
        return (f->v.b == r->bval) == (r->cmp == CMP_EQ);
    case AK_STRING:
        if (f->type != FIELD_STRING)
            return -1;
        return (strcmp(f->v.s.ptr, r->sval) == 0) == (r->cmp == CMP_EQ);
    }
    return -1;
}
