/*
 * alert_engine: decides when an alert is pending, firing or resolved
 * (docs/alerts.md) and hands each transition to a sink (the notifier).
 *
 * Conditions: offline (a registered device silent for its report interval
 * times alerts.offline_misses), never_reported (an upgraded asset that has
 * never reported within that time of its upgrade or of Lifeline's first
 * start), collector_disconnected (Lifeline itself cut off from the broker),
 * and the rules of alert_rules.h (profile alarms: thresholds, device faults,
 * HJ 212 flags, battery, radio; operator rules).
 *
 * Threads: the pipeline calls alert_engine_observe() for every stored
 * reading (a lock, a hash lookup and the rules of the reading's category;
 * no I/O); the engine's own thread checks the timers every
 * alerts.check_interval_ms and writes changed state to SQLite; the HTTP
 * server lists and acknowledges; the daemon reports the broker link. One
 * mutex guards the state. The sink is called with that mutex held: it must
 * not block and must not call the engine (notify_submit only queues).
 *
 * Device offline alerts are held while Lifeline is disconnected from the
 * broker and for alerts.grace_s after start and after each reconnection;
 * collector_disconnected speaks for them instead.
 */
#ifndef LIFELINE_ALERT_ENGINE_H
#define LIFELINE_ALERT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "alert_rules.h"
#include "buf.h"
#include "config.h"
#include "knowledge.h"
#include "reading.h"

struct alert_engine;

/* Receives every event; must not block or call the engine. */
typedef void (*alert_sink_fn)(void *ctx, const struct alert_event *ev);

struct alert_engine_opts {
    int64_t check_interval_ms;
    int64_t grace_ms;
    int64_t reminder_ms; /* 0: none */
    int64_t flap_window_ms;
    int flap_max;
    int offline_misses;
    int64_t disconnect_hold_ms;
    struct alert_defaults defaults;
    const char *store_path; /* SQLite file; NULL: state is not kept (tests) */
};

/* Fills o from the alerts.* keys; store_path is left NULL. */
void alert_engine_opts_from_config(const struct config *c, struct alert_engine_opts *o);

/*
 * An engine at wall-clock time `now_ms`, with the state of the store
 * loaded. Takes over the caller's reference to k (knowledge.h; may be NULL) and ops
 * (operator rules; may be NULL) on success only. NULL (reason logged) on
 * error. The timer thread is not started.
 */
struct alert_engine *alert_engine_new(const struct alert_engine_opts *o, struct knowledge *k,
                                      struct alert_rules *ops, alert_sink_fn sink, void *sink_ctx,
                                      int64_t now_ms);
/* Starts the timer thread (real clock). 0 or a negative errno. */
int alert_engine_start(struct alert_engine *e);
/* Stops the thread, writes what changed, frees; accepts NULL. */
void alert_engine_free(struct alert_engine *e);

/*
 * A reload: newer knowledge and/or operator rules (NULL: keep the one in
 * use); the engine takes over the caller's reference to k and owns ops. Alerts of rules
 * that are gone resolve; a changed severity updates firing alerts in place.
 */
void alert_engine_reload(struct alert_engine *e, struct knowledge *k, struct alert_rules *ops,
                         int64_t now_ms);

/*
 * The broker link, from the daemon's main loop: `connected`, and `lag_ms`,
 * how long the oldest received message not yet handled has waited (while
 * the pipeline lags, silence after that point is not judged).
 */
void alert_engine_set_link(struct alert_engine *e, bool connected, int64_t lag_ms, int64_t now_ms);

/* Who sent a stored reading. Strings need not be NUL-terminated. */
struct alert_subject {
    const char *device;
    size_t device_len;
    const char *category;
    size_t category_len;
    const char *district;
    size_t district_len;
};
/*
 * A stored reading received at recv_ms: the device is seen (its offline
 * alert resolves), the rules of its category are evaluated. Cheap; no I/O.
 */
void alert_engine_observe(struct alert_engine *e, const struct alert_subject *s,
                          const struct reading *r, int64_t recv_ms);

/* The timers at `now_ms` (the thread calls it; tests call it with a simulated clock). */
void alert_engine_tick(struct alert_engine *e, int64_t now_ms);
/* Writes changed alerts and last-seen times to the store. 0 or -EIO. */
int alert_engine_flush(struct alert_engine *e);

/*
 * An operator acknowledges alert `id`. 0, -ENOENT (no such alert) or
 * -EINVAL (not firing).
 */
int alert_engine_ack(struct alert_engine *e, uint64_t id, const char *by, int64_t now_ms);

/* Filters for listing; NULL or "" matches everything. */
struct alert_filter {
    const char *state, *severity, *district, *category, *device, *rule;
};
/*
 * Appends {"alerts": [...], "count": N} (ordered by id) to out. 0, a buf
 * error, or -EINVAL for an unknown state or severity name.
 */
int alert_engine_list_json(struct alert_engine *e, const struct alert_filter *f, struct buf *out);
/*
 * Appends the engine's Prometheus metrics to out: lifeline_alerts{state,
 * severity} (pending and firing alerts now), lifeline_alerts_unacknowledged
 * {severity} (firing, not acknowledged) and lifeline_alert_transitions_total
 * {transition} (since start). 0 or a buf error.
 */
int alert_engine_render_metrics(struct alert_engine *e, struct buf *out);
/* Copies the alert of (device, rule) into *out; false when there is none (or it is hidden). */
bool alert_engine_get(struct alert_engine *e, const char *device, const char *rule,
                      struct alert *out);
/* Appends one alert as a JSON object. */
int alert_json(struct buf *b, const struct alert *a);

#endif
