/*
 * Reading and acknowledging alerts: the JSON the HTTP API serves, lookups
 * for tests and tools, and acknowledgement.
 */
#include "alert_engine_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

static int num(struct buf *b, const char *key, double v)
{
    if (isnan(v) || isinf(v))
        return buf_printf(b, ",\"%s\":null", key);
    return buf_printf(b, ",\"%s\":%.10g", key, v);
}

static int kv(struct buf *b, const char *key, const char *v)
{
    int rc = buf_putc(b, ',');
    return rc ? rc : json_append_kv(b, key, v);
}

int alert_json(struct buf *b, const struct alert *a)
{
    int rc = buf_printf(b, "{\"id\":%llu", (unsigned long long)a->id);
    rc = rc ? rc : kv(b, "rule", a->rule);
    rc = rc ? rc : kv(b, "device", a->device);
    rc = rc ? rc : kv(b, "asset", a->asset);
    rc = rc ? rc : kv(b, "name", a->name);
    rc = rc ? rc : kv(b, "category", a->category);
    rc = rc ? rc : kv(b, "district", a->district);
    rc = rc ? rc : kv(b, "state", alert_state_name(a->state));
    rc = rc ? rc : kv(b, "severity", alert_severity_name(a->severity));
    rc = rc ? rc
            : buf_printf(b, ",\"acknowledged\":%s,\"flapping\":%s",
                         a->acknowledged ? "true" : "false", a->flapping ? "true" : "false");
    rc = rc ? rc : kv(b, "field", a->field);
    rc = rc ? rc : num(b, "value", a->value);
    rc = rc ? rc : num(b, "threshold", a->threshold);
    rc = rc ? rc : kv(b, "summary", a->summary);
    rc = rc ? rc : kv(b, "summary_zh", a->summary_zh);
    rc = rc ? rc
            : buf_printf(b,
                         ",\"started_ms\":%lld,\"fired_ms\":%lld,\"resolved_ms\":%lld,"
                         "\"updated_ms\":%lld",
                         (long long)a->started_ms, (long long)a->fired_ms,
                         (long long)a->resolved_ms, (long long)a->updated_ms);
    rc = rc ? rc : kv(b, "acked_by", a->acked_by);
    rc = rc ? rc : buf_printf(b, ",\"acked_ms\":%lld}", (long long)a->acked_ms);
    return rc;
}

static bool match(const char *want, const char *have)
{
    return !want || !*want || strcmp(want, have) == 0;
}

int alert_engine_list_json(struct alert_engine *e, const struct alert_filter *f, struct buf *out)
{
    enum alert_severity sev;
    bool state_ok = !f->state || !*f->state || !strcmp(f->state, "pending") ||
                    !strcmp(f->state, "firing") || !strcmp(f->state, "resolved");
    if (!state_ok || (f->severity && *f->severity && alert_severity_parse(f->severity, &sev) != 0))
        return -EINVAL;
    int rc = buf_puts(out, "{\"alerts\":[");
    size_t n = 0;
    pthread_mutex_lock(&e->mu);
    /* slots are appended with rising ids, except those loaded from the store,
     * which come first and in id order too */
    for (size_t i = 0; rc == 0 && i < e->nslots; i++) {
        const struct alert *a = &e->slots[i]->a;
        if (!alert_fsm_visible(e->slots[i]) || !match(f->state, alert_state_name(a->state)) ||
            !match(f->severity, alert_severity_name(a->severity)) ||
            !match(f->district, a->district) || !match(f->category, a->category) ||
            !match(f->device, a->device) || !match(f->rule, a->rule))
            continue;
        if (n++)
            rc = buf_putc(out, ',');
        rc = rc ? rc : alert_json(out, a);
    }
    pthread_mutex_unlock(&e->mu);
    return rc ? rc : buf_printf(out, "],\"count\":%zu}\n", n);
}

bool alert_engine_get(struct alert_engine *e, const char *device, const char *rule,
                      struct alert *out)
{
    pthread_mutex_lock(&e->mu);
    struct alert_slot *s = engine_slot_find(e, device, rule);
    bool ok = s && alert_fsm_visible(s);
    if (ok)
        *out = s->a;
    pthread_mutex_unlock(&e->mu);
    return ok;
}

int alert_engine_ack(struct alert_engine *e, uint64_t id, const char *by, int64_t now_ms)
{
    int rc = -ENOENT;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->nslots; i++) {
        struct alert_slot *s = e->slots[i];
        if (s->a.id != id || !alert_fsm_visible(s))
            continue;
        bool was = s->a.acknowledged;
        rc = alert_fsm_ack(s, by, now_ms, engine_emit, e);
        if (rc == 0 && !was) {
            struct pending_ack pa = {.id = id, .ms = now_ms};
            memcpy(pa.by, s->a.acked_by, sizeof pa.by);
            if (e->nacks == e->capacks) {
                size_t nc = e->capacks ? e->capacks * 2 : 16;
                struct pending_ack *na = realloc(e->acks, nc * sizeof *na);
                if (na) {
                    e->acks = na;
                    e->capacks = nc;
                }
            }
            if (e->nacks < e->capacks)
                e->acks[e->nacks++] = pa;
        }
        break;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

int alert_engine_render_metrics(struct alert_engine *e, struct buf *out)
{
    uint64_t count[2][4] = {{0}}, unacked[4] = {0}, tr[ALERT_FLAPPING + 1];
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->nslots; i++) {
        const struct alert *a = &e->slots[i]->a;
        if ((unsigned)a->severity > SEV_WARNING || a->state == ALERT_RESOLVED ||
            !alert_fsm_visible(e->slots[i]))
            continue;
        count[a->state == ALERT_FIRING][a->severity]++;
        if (a->state == ALERT_FIRING && !a->acknowledged)
            unacked[a->severity]++;
    }
    memcpy(tr, e->transitions, sizeof tr);
    pthread_mutex_unlock(&e->mu);
    int rc = buf_puts(out, "# HELP lifeline_alerts Alerts pending or firing now\n"
                           "# TYPE lifeline_alerts gauge\n");
    for (int st = 0; st < 2; st++)
        for (int sev = 0; sev < 4; sev++)
            rc = rc ? rc
                    : buf_printf(out, "lifeline_alerts{state=\"%s\",severity=\"%s\"} %llu\n",
                                 st ? "firing" : "pending",
                                 alert_severity_name((enum alert_severity)sev),
                                 (unsigned long long)count[st][sev]);
    rc = rc ? rc
            : buf_puts(out, "# HELP lifeline_alerts_unacknowledged Firing alerts no operator "
                            "has acknowledged\n"
                            "# TYPE lifeline_alerts_unacknowledged gauge\n");
    for (int sev = 0; sev < 4; sev++)
        rc = rc ? rc
                : buf_printf(out, "lifeline_alerts_unacknowledged{severity=\"%s\"} %llu\n",
                             alert_severity_name((enum alert_severity)sev),
                             (unsigned long long)unacked[sev]);
    rc = rc ? rc
            : buf_puts(out, "# HELP lifeline_alert_transitions_total Alert transitions since "
                            "start (fired, updated, reminder, acknowledged, resolved, "
                            "flapping)\n"
                            "# TYPE lifeline_alert_transitions_total counter\n");
    for (int t = 0; t <= ALERT_FLAPPING; t++)
        rc = rc ? rc
                : buf_printf(out, "lifeline_alert_transitions_total{transition=\"%s\"} %llu\n",
                             alert_transition_name((enum alert_transition)t),
                             (unsigned long long)tr[t]);
    return rc;
}
