/*
 * alert_fsm: the lifecycle of one alert (one device and one rule), as pure
 * functions of the slot and an explicit `now`, so that the unit tests drive
 * it on a simulated clock.
 *
 *   condition true        -> pending (started_ms = now)
 *   pending for hold_ms   -> firing   (event fired)
 *   condition false       -> pending: forgotten (no event; a slot that never
 *                            fired is hidden); firing: resolved (event resolved)
 *   firing, not acknowledged, reminder_ms since the last notice -> event reminder
 *   more than flap_max fired/resolved transitions within flap_window_ms ->
 *                            flapping (event flapping); fired/resolved events are
 *                            held until the alert makes no transition for
 *                            flap_window_ms, then its current state is sent once
 *
 * A resolved alert that fires again is the same alert (same id), reopened.
 */
#ifndef LIFELINE_ALERT_FSM_H
#define LIFELINE_ALERT_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"

#define ALERT_FLAP_MAX 64

struct alert_slot {
    struct alert a;
    bool active;         /* the condition is true (after hysteresis) */
    int64_t hold_ms;     /* of the rule that drives it */
    int64_t notified_ms; /* last fired/reminder notice, for reminders */
    int64_t
        flaps[ALERT_FLAP_MAX + 1]; /* times of recent fired/resolved transitions, oldest first */
    int nflaps;
    bool dirty; /* to be written to the store */
};

struct alert_fsm_params {
    int64_t reminder_ms; /* 0: none */
    int64_t flap_window_ms;
    int flap_max; /* <= ALERT_FLAP_MAX */
};

/* Receives each event; `s` is the slot after the transition. */
typedef void (*alert_emit_fn)(void *ctx, enum alert_transition t, const struct alert_slot *s);

/* The condition of the slot's rule is `active` at `now`. */
void alert_fsm_condition(struct alert_slot *s, bool active, int64_t now,
                         const struct alert_fsm_params *p, alert_emit_fn emit, void *ctx);
/* Timers: hold time, reminders, the end of flapping. */
void alert_fsm_tick(struct alert_slot *s, int64_t now, const struct alert_fsm_params *p,
                    alert_emit_fn emit, void *ctx);
/* A new severity (a reload changed the rule): updated in place, event updated when firing. */
void alert_fsm_severity(struct alert_slot *s, enum alert_severity sev, int64_t now,
                        alert_emit_fn emit, void *ctx);
/*
 * An operator acknowledges. 0 (event acknowledged, unless already acknowledged),
 * or -EINVAL when the alert is not firing.
 */
int alert_fsm_ack(struct alert_slot *s, const char *by, int64_t now, alert_emit_fn emit, void *ctx);
/* False for a slot that never fired and is not pending: not shown, not stored. */
bool alert_fsm_visible(const struct alert_slot *s);

#endif
