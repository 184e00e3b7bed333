#include "alert_fsm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A resolved alert says so in its text, keeping what it was about: a chat
 * line "【已恢复】… 离线：4 秒无数据" would read as a new fault. */
static void say_resolved(struct alert *a)
{
    char was[ALERT_TEXT_MAX];
    memcpy(was, a->summary, sizeof was);
    snprintf(a->summary, sizeof a->summary, "resolved (was: %.200s)", was);
    memcpy(was, a->summary_zh, sizeof was);
    snprintf(a->summary_zh, sizeof a->summary_zh, "已恢复（原：%.200s）", was);
}

static void forget_old_flaps(struct alert_slot *s, int64_t now, const struct alert_fsm_params *p)
{
    int drop = 0;
    while (drop < s->nflaps && s->flaps[drop] <= now - p->flap_window_ms)
        drop++;
    if (drop) {
        memmove(s->flaps, s->flaps + drop, (size_t)(s->nflaps - drop) * sizeof s->flaps[0]);
        s->nflaps -= drop;
    }
}

/* Records a fired/resolved transition; true when the event may be sent. */
static bool transition(struct alert_slot *s, int64_t now, const struct alert_fsm_params *p,
                       alert_emit_fn emit, void *ctx)
{
    forget_old_flaps(s, now, p);
    if (s->nflaps == ALERT_FLAP_MAX + 1) { /* full: keep the newest */
        memmove(s->flaps, s->flaps + 1, (size_t)ALERT_FLAP_MAX * sizeof s->flaps[0]);
        s->nflaps--;
    }
    s->flaps[s->nflaps++] = now;
    if (!s->a.flapping && s->nflaps > p->flap_max) {
        s->a.flapping = true;
        emit(ctx, ALERT_FLAPPING, s);
    }
    return !s->a.flapping;
}

static void fire(struct alert_slot *s, int64_t now, const struct alert_fsm_params *p,
                 alert_emit_fn emit, void *ctx)
{
    s->a.state = ALERT_FIRING;
    s->a.fired_ms = now;
    s->a.resolved_ms = 0;
    s->a.updated_ms = now;
    s->notified_ms = now;
    s->dirty = true;
    if (transition(s, now, p, emit, ctx))
        emit(ctx, ALERT_FIRED, s);
}

void alert_fsm_condition(struct alert_slot *s, bool active, int64_t now,
                         const struct alert_fsm_params *p, alert_emit_fn emit, void *ctx)
{
    s->active = active;
    if (active) {
        if (s->a.state == ALERT_RESOLVED) {
            /* a new episode of the same alert */
            s->a.state = ALERT_PENDING;
            s->a.started_ms = now;
            s->a.updated_ms = now;
            s->a.acknowledged = false;
            s->a.acked_by[0] = '\0';
            s->a.acked_ms = 0;
            s->dirty = true;
        }
        if (s->a.state == ALERT_PENDING && now - s->a.started_ms >= s->hold_ms)
            fire(s, now, p, emit, ctx);
        return;
    }
    if (s->a.state == ALERT_PENDING) {
        /* never fired in this episode: back to how it was, silently */
        s->a.state = ALERT_RESOLVED;
        s->a.updated_ms = now;
        s->dirty = true;
    } else if (s->a.state == ALERT_FIRING) {
        s->a.state = ALERT_RESOLVED;
        say_resolved(&s->a);
        s->a.resolved_ms = now;
        s->a.updated_ms = now;
        s->dirty = true;
        if (transition(s, now, p, emit, ctx))
            emit(ctx, ALERT_RESOLVED_T, s);
    }
}

void alert_fsm_tick(struct alert_slot *s, int64_t now, const struct alert_fsm_params *p,
                    alert_emit_fn emit, void *ctx)
{
    if (s->a.state == ALERT_PENDING && s->active && now - s->a.started_ms >= s->hold_ms)
        fire(s, now, p, emit, ctx);
    if (s->a.flapping) {
        forget_old_flaps(s, now, p);
        if (s->nflaps == 0) {
            /* settled: say once where it ended */
            s->a.flapping = false;
            s->a.updated_ms = now;
            s->dirty = true;
            if (s->a.state == ALERT_FIRING) {
                s->notified_ms = now;
                emit(ctx, ALERT_FIRED, s);
            } else if (s->a.state == ALERT_RESOLVED && s->a.fired_ms) {
                emit(ctx, ALERT_RESOLVED_T, s);
            }
        }
        return;
    }
    if (s->a.state == ALERT_FIRING && !s->a.acknowledged && p->reminder_ms > 0 &&
        now - s->notified_ms >= p->reminder_ms) {
        s->notified_ms = now;
        s->dirty = true;
        emit(ctx, ALERT_REMINDER, s);
    }
}

void alert_fsm_severity(struct alert_slot *s, enum alert_severity sev, int64_t now,
                        alert_emit_fn emit, void *ctx)
{
    if (s->a.severity == sev)
        return;
    s->a.severity = sev;
    s->a.updated_ms = now;
    s->dirty = true;
    if (s->a.state == ALERT_FIRING && !s->a.flapping)
        emit(ctx, ALERT_UPDATED, s);
}

int alert_fsm_ack(struct alert_slot *s, const char *by, int64_t now, alert_emit_fn emit, void *ctx)
{
    if (s->a.state != ALERT_FIRING)
        return -EINVAL;
    if (s->a.acknowledged)
        return 0;
    s->a.acknowledged = true;
    snprintf(s->a.acked_by, sizeof s->a.acked_by, "%s", by && *by ? by : "operator");
    s->a.acked_ms = now;
    s->a.updated_ms = now;
    s->dirty = true;
    emit(ctx, ALERT_ACKNOWLEDGED, s);
    return 0;
}

bool alert_fsm_visible(const struct alert_slot *s)
{
    return s->a.state != ALERT_RESOLVED || s->a.fired_ms != 0;
}
