/*
 * alert_engine_impl: the engine's state, shared by its files:
 * alert_engine.c (life cycle, knowledge, observe), alert_timers.c (timer
 * conditions, the thread, persistence) and alert_api.c (listing, ack,
 * JSON). Only those include it.
 */
#ifndef LIFELINE_ALERT_ENGINE_IMPL_H
#define LIFELINE_ALERT_ENGINE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert_engine.h"
#include "alert_fsm.h"
#include "alert_store.h"
#include "strmap.h"

#define RULE_OFFLINE "offline"
#define RULE_NEVER "never_reported"
#define RULE_COLLECTOR "collector_disconnected"

/*
 * A device the engine keeps state for. A registered device gets one only
 * once there is something to keep (it reported, the store knows when it
 * last did, or it has an offline or never_reported alert): until then its
 * timers are judged from the registry alone, so 100,000 silent assets cost
 * the engine 4 bytes each (dev_of).
 */
struct dev {
    /* The registry's device_id while the device is registered and bound
     * (e->dev_of), else a copy the device owns (own_id), and only then is
     * it in e->devmap: a reporting device costs no copy of its id. */
    const char *id;
    const struct asset *asset; /* in e->k's registry; NULL once no longer registered */
    int32_t interval_s;        /* expected report interval; 0: unknown */
    uint32_t at;               /* index in e->devs */
    int64_t last_seen_ms;      /* 0: never */
    bool seen_dirty;
    bool own_id;
    bool rule_slots; /* may have alerts of rules other than offline and never_reported */
    struct alert_slot *offline, *never; /* cached lookups */
};

/* The rules that may apply to one category (their category scope admits it), in rule order. */
#define ENGINE_CATEGORY_CACHE 32
struct rule_ref {
    uint32_t rule;      /* index in e->rules */
    uint32_t field_len; /* strlen of its field */
};
struct category_rules {
    char category[32];
    struct rule_ref *idx;
    size_t n;
};

struct pending_ack {
    uint64_t id;
    char by[64];
    int64_t ms;
};

struct alert_engine {
    pthread_mutex_t mu; /* guards everything below but the thread fields */
    struct alert_engine_opts o;
    struct alert_fsm_params fp;
    alert_sink_fn sink;
    void *sink_ctx;
    struct knowledge *k;
    struct alert_rules *ops;   /* operator rules as parsed */
    struct alert_rules *rules; /* profiles' and operators', in use */

    struct strmap *devmap; /* device id -> struct dev, for devices not bound (own_id) */
    struct dev **devs;
    size_t ndevs, capdevs;
    uint32_t *dev_of; /* registry index -> index in devs + 1; 0: none yet */

    struct category_rules cats[ENGINE_CATEGORY_CACHE]; /* of e->rules, made as categories come */
    size_t ncats;
    struct rule_ref *all_rules; /* every rule: for categories past the cache */

    struct strmap *slotmap; /* "device\x1frule" -> struct alert_slot */
    struct alert_slot **slots;
    size_t nslots, capslots;
    uint64_t next_id;
    uint64_t transitions[ALERT_FLAPPING + 1]; /* emitted, by enum alert_transition */

    struct pending_ack *acks;
    size_t nacks, capacks;

    bool connected;
    int64_t grace_until_ms;
    int64_t lag_ms;
    int64_t first_start_ms;
    int64_t last_seen_flush_ms;

    pthread_mutex_t store_mu; /* one writer of the store at a time */
    struct alert_store *store;

    pthread_t thread;
    bool started;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    bool stop;
};

/* Called with e->mu held. */
void engine_emit(void *ctx, enum alert_transition t, const struct alert_slot *s);
struct alert_slot *engine_slot_find(struct alert_engine *e, const char *device, const char *rule);
/* Creates a slot (hidden until its condition holds); NULL on out of memory. */
struct alert_slot *engine_slot_new(struct alert_engine *e, const char *device, const char *rule);
/*
 * The state of registered device i (asset a of e->k's registry), made when
 * first needed; NULL on out of memory.
 */
struct dev *engine_dev_of(struct alert_engine *e, size_t i, const struct asset *a);
/* The report interval expected of asset a (its own, else its category's); 0: unknown. */
int32_t engine_interval_of(const struct alert_engine *e, const struct asset *a);
/* The device with this id not bound to the registry (e->devmap), or NULL. */
struct dev *engine_dev_loose(struct alert_engine *e, const char *id, size_t len);
/* Forgets the per-category rule lists (the rules changed). */
void engine_rules_index_clear(struct alert_engine *e);
/* Fills the descriptive fields of a new slot from the registry asset of its device. */
void engine_slot_describe(struct alert_slot *s, const struct asset *a, const char *category,
                          const char *district);

#endif
