/*
 * The pipeline's entry point, alert_engine_observe(): a stored reading is
 * judged by the rules of its category. Called for every reading, so it
 * does only what the reading needs: the rules that may apply to its
 * category (listed once per category), no alert lookup for a device known
 * to have none, and text formatted only for a condition that holds.
 */
#include "alert_engine_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void engine_rules_index_clear(struct alert_engine *e)
{
    for (size_t i = 0; i < e->ncats; i++)
        free(e->cats[i].idx);
    e->ncats = 0;
    free(e->all_rules);
    e->all_rules = NULL;
}

/* Whether a rule's category scope admits category c (alert_rule_applies checks the rest). */
static bool category_admits(const struct alert_rule *r, const char *c)
{
    if (!r->category.n)
        return true;
    for (size_t i = 0; *c && i < r->category.n; i++)
        if (strcmp(r->category.v[i], c) == 0)
            return true;
    return false;
}

static struct rule_ref ref(const struct alert_engine *e, size_t i)
{
    return (struct rule_ref){(uint32_t)i, (uint32_t)strlen(e->rules->rules[i].field)};
}

/* reading_find by length first: most fields of a reading are not the one a rule wants. */
static const struct field *field_named(const struct reading *r, const char *name, size_t len)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (r->fields[i].key_len == len && memcmp(r->fields[i].key, name, len) == 0)
            return &r->fields[i];
    return NULL;
}

/*
 * The indices of the rules that may apply to category c, in rule order: a
 * list made the first time c is seen; every rule for a category past the
 * cache (unregistered devices may name any) or on out of memory.
 */
static const struct rule_ref *rules_for(struct alert_engine *e, const char *c, size_t *n)
{
    for (size_t i = 0; i < e->ncats; i++) {
        if (strcmp(e->cats[i].category, c) == 0) {
            *n = e->cats[i].n;
            return e->cats[i].idx;
        }
    }
    size_t nr = e->rules->n;
    if (e->ncats < ENGINE_CATEGORY_CACHE && strlen(c) < sizeof e->cats[0].category) {
        struct rule_ref *idx = malloc((nr ? nr : 1) * sizeof *idx);
        if (idx) {
            struct category_rules *cr = &e->cats[e->ncats++];
            memcpy(cr->category, c, strlen(c) + 1);
            cr->idx = idx;
            cr->n = 0;
            for (size_t i = 0; i < nr; i++)
                if (category_admits(&e->rules->rules[i], c))
                    idx[cr->n++] = ref(e, i);
            *n = cr->n;
            return idx;
        }
    }
    if (!e->all_rules && (e->all_rules = malloc((nr ? nr : 1) * sizeof *e->all_rules)))
        for (size_t i = 0; i < nr; i++)
            e->all_rules[i] = ref(e, i);
    *n = e->all_rules ? nr : 0;
    return e->all_rules;
}

/* s[0..len), stopped at a NUL and cut to fit cap with its terminator ("%.*s"). */
static void copy_n(char *dst, size_t cap, const char *s, size_t len)
{
    size_t n = s ? strnlen(s, len < cap - 1 ? len : cap - 1) : 0;
    if (n)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

static void describe_rule(struct alert_slot *s, const struct alert_rule *r, const struct field *f)
{
    struct alert *a = &s->a;
    snprintf(a->field, sizeof a->field, "%s", r->field);
    a->threshold = r->kind == AK_NUMBER ? r->threshold : NAN;
    if (r->summary[0] || r->summary_zh[0]) {
        snprintf(a->summary, sizeof a->summary, "%s", r->summary);
        snprintf(a->summary_zh, sizeof a->summary_zh, "%s", r->summary_zh);
        return;
    }
    switch (r->kind) {
    case AK_NUMBER: {
        bool low = r->cmp == CMP_LT || r->cmp == CMP_LE;
        snprintf(a->summary, sizeof a->summary, "%s %g%s %s %g%s", r->field, a->value, r->unit,
                 low                ? "below"
                 : r->cmp == CMP_EQ ? "equal to"
                 : r->cmp == CMP_NE ? "not"
                                    : "above",
                 r->threshold, r->unit);
        snprintf(a->summary_zh, sizeof a->summary_zh, "%s %g%s %s %g%s", r->field, a->value,
                 r->unit,
                 low                ? "低于"
                 : r->cmp == CMP_EQ ? "等于"
                 : r->cmp == CMP_NE ? "不等于"
                                    : "高于",
                 r->threshold, r->unit);
        break;
    }
    case AK_BOOL:
        snprintf(a->summary, sizeof a->summary, "%s is %s", r->field, f->v.b ? "true" : "false");
        snprintf(a->summary_zh, sizeof a->summary_zh, "%s 为 %s", r->field, f->v.b ? "是" : "否");
        break;
    case AK_STRING: {
        static const char *const flags[][3] = {{"N", "normal", "正常"},
                                               {"F", "stopped", "停运"},
                                               {"M", "maintenance", "维护"},
                                               {"S", "manual input", "手工输入"},
                                               {"D", "instrument fault", "仪器故障"},
                                               {"C", "calibrating", "校准"},
                                               {"T", "above upper limit", "超测定上限"},
                                               {"B", "communication fault", "通讯异常"}};
        const char *en = "", *zh = "";
        for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
            if (strstr(r->field, "_flag") && !strcmp(f->v.s.ptr, flags[i][0]))
                en = flags[i][1], zh = flags[i][2];
        snprintf(a->summary, sizeof a->summary, "%s = %.40s%s%s%s", r->field, f->v.s.ptr,
                 *en ? " (" : "", en, *en ? ")" : "");
        snprintf(a->summary_zh, sizeof a->summary_zh, "%s = %.40s%s%s%s", r->field, f->v.s.ptr,
                 *zh ? "（" : "", zh, *zh ? "）" : "");
        break;
    }
    }
}

/* The device reported: its offline and never_reported alerts end. */
static void seen(struct alert_engine *e, struct dev *d, int64_t recv_ms)
{
    if (recv_ms > d->last_seen_ms) {
        d->last_seen_ms = recv_ms;
        d->seen_dirty = true;
    }
    if (d->offline && d->offline->active)
        alert_fsm_condition(d->offline, false, recv_ms, &e->fp, engine_emit, e);
    if (d->never && d->never->active)
        alert_fsm_condition(d->never, false, recv_ms, &e->fp, engine_emit, e);
}

void alert_engine_observe(struct alert_engine *e, const struct alert_subject *s,
                          const struct reading *r, int64_t recv_ms)
{
    char device[128], category[32], district[96];
    copy_n(device, sizeof device, s->device, s->device_len);
    copy_n(category, sizeof category, s->category, s->category_len);
    copy_n(district, sizeof district, s->district, s->district_len);
    size_t dlen = strlen(device);
    pthread_mutex_lock(&e->mu);
    const struct registry *reg = e->k ? e->k->registry : NULL;
    const struct asset *ra = registry_find_device(reg, device, dlen);
    struct dev *d = ra ? engine_dev_of(e, (size_t)(ra - registry_at(reg, 0)), ra)
                       : engine_dev_loose(e, device, dlen);
    if (d)
        seen(e, d, recv_ms);
    const struct asset *a = d ? d->asset : NULL;
    struct alert_target t = {category, a && a->district && a->district[0] ? a->district : district,
                             a ? a->model : "", a ? a->asset_id : "", device};
    /* a device with state and no alert of a rule needs no lookup until a condition holds */
    bool lookup = !d || d->rule_slots;
    size_t n;
    const struct rule_ref *idx = rules_for(e, category, &n);
    for (size_t i = 0; i < n; i++) {
        const struct alert_rule *rule = &e->rules->rules[idx[i].rule];
        const struct field *f = field_named(r, rule->field, idx[i].field_len);
        if (!f || !alert_rule_applies(rule, &t))
            continue;
        struct alert_slot *slot = lookup ? engine_slot_find(e, device, rule->id) : NULL;
        double v;
        int cond = alert_rule_eval(rule, f, slot && slot->active, &v);
        if (cond < 0 || (!slot && !cond))
            continue;
        if (!slot && !lookup)
            slot = engine_slot_find(e, device, rule->id); /* cannot be there, but be sure */
        if (!slot && !(slot = engine_slot_new(e, device, rule->id)))
            continue;
        if (d)
            d->rule_slots = true;
        slot->a.value = v;
        slot->hold_ms = rule->hold_ms;
        slot->a.severity = slot->a.state == ALERT_RESOLVED ? rule->severity : slot->a.severity;
        if (cond && (slot->a.state == ALERT_RESOLVED || !slot->a.summary[0])) {
            engine_slot_describe(slot, a, category, t.district);
            describe_rule(slot, rule, f);
        }
        slot->dirty = true;
        alert_fsm_condition(slot, cond == 1, recv_ms, &e->fp, engine_emit, e);
    }
    pthread_mutex_unlock(&e->mu);
}
