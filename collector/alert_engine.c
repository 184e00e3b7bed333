/*
 * The alert engine's life cycle, its tables (devices, alerts) and the
 * pipeline's entry point, alert_engine_observe().
 */
#include "alert_engine_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define KEY_SEP '\x1f'

void alert_engine_opts_from_config(const struct config *c, struct alert_engine_opts *o)
{
    memset(o, 0, sizeof *o);
    o->check_interval_ms = c->alerts.check_interval_ms;
    o->grace_ms = (int64_t)c->alerts.grace_s * 1000;
    o->reminder_ms = (int64_t)c->alerts.reminder_s * 1000;
    o->flap_window_ms = (int64_t)c->alerts.flap_window_s * 1000;
    o->flap_max = c->alerts.flap_max;
    o->offline_misses = c->alerts.offline_misses;
    o->disconnect_hold_ms = (int64_t)c->alerts.disconnect_hold_s * 1000;
    o->defaults.battery_low_pct = c->alerts.battery_low_pct;
    o->defaults.battery_low_v = c->alerts.battery_low_mv / 1000.0;
    o->defaults.rsrp_min_dbm = c->alerts.rsrp_min_dbm;
    o->defaults.rsrp_hold_ms = (int64_t)c->alerts.rsrp_hold_s * 1000;
}

void engine_emit(void *ctx, enum alert_transition t, const struct alert_slot *s)
{
    struct alert_engine *e = ctx;
    struct alert_event ev = {.transition = t, .alert = s->a};
    if ((unsigned)t <= ALERT_FLAPPING)
        e->transitions[t]++;
    log_info("alerts", "%s id=%llu rule=%s device=%s severity=%s state=%s",
             alert_transition_name(t), (unsigned long long)s->a.id, s->a.rule, s->a.device,
             alert_severity_name(s->a.severity), alert_state_name(s->a.state));
    if (e->sink)
        e->sink(e->sink_ctx, &ev);
}

/* "device\x1frule", cut to fit cap with its terminator (snprintf's result, without its cost:
 * a reading may look up several). */
static size_t slot_key(char *key, size_t cap, const char *device, const char *rule)
{
    size_t n = strlen(device), r = strlen(rule);
    if (n > cap - 1)
        n = cap - 1;
    memcpy(key, device, n);
    if (n < cap - 1)
        key[n++] = KEY_SEP;
    if (r > cap - 1 - n)
        r = cap - 1 - n;
    memcpy(key + n, rule, r);
    n += r;
    key[n] = '\0';
    return n;
}

struct alert_slot *engine_slot_find(struct alert_engine *e, const char *device, const char *rule)
{
    char key[256];
    size_t n = slot_key(key, sizeof key, device, rule);
    return strmap_get(e->slotmap, key, n);
}

static int push(void **vec, size_t *n, size_t *cap, size_t elem, const void *item)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *nv = realloc(*vec, nc * elem);
        if (!nv)
            return -ENOMEM;
        *vec = nv;
        *cap = nc;
    }
    memcpy((char *)*vec + *n * elem, item, elem);
    (*n)++;
    return 0;
}

/* Adds a slot as it is (id kept) to the tables. */
static struct alert_slot *slot_add(struct alert_engine *e, const struct alert_slot *src)
{
    struct alert_slot *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    *s = *src;
    char key[256];
    size_t n = slot_key(key, sizeof key, s->a.device, s->a.rule);
    if (push((void **)&e->slots, &e->nslots, &e->capslots, sizeof s, &s) != 0) {
        free(s);
        return NULL;
    }
    if (strmap_put(e->slotmap, key, n, s) != 0) {
        e->nslots--;
        free(s);
        return NULL;
    }
    if (s->a.id >= e->next_id)
        e->next_id = s->a.id + 1;
    return s;
}

struct alert_slot *engine_slot_new(struct alert_engine *e, const char *device, const char *rule)
{
    struct alert_slot s;
    memset(&s, 0, sizeof s);
    s.a.id = e->next_id;
    snprintf(s.a.device, sizeof s.a.device, "%s", device);
    snprintf(s.a.rule, sizeof s.a.rule, "%s", rule);
    s.a.state = ALERT_RESOLVED; /* hidden until its condition holds (fired_ms == 0) */
    s.a.value = s.a.threshold = NAN;
    return slot_add(e, &s);
}

void engine_slot_describe(struct alert_slot *s, const struct asset *a, const char *category,
                          const char *district)
{
    struct alert *al = &s->a;
    snprintf(al->asset, sizeof al->asset, "%s", a ? a->asset_id : "");
    snprintf(al->name, sizeof al->name, "%s", a && a->name ? a->name : "");
    snprintf(al->category, sizeof al->category, "%s", a ? a->category : category ? category : "");
    snprintf(al->district, sizeof al->district, "%s",
             a && a->district && a->district[0] ? a->district
             : district                         ? district
                                                : "");
}

/* ------------------------------------------------------------ devices */

struct dev *engine_dev_loose(struct alert_engine *e, const char *id, size_t len)
{
    return strmap_get(e->devmap, id, len);
}

/* A new device: with its own copy of id, in e->devmap (own), or with id borrowed from the
 * registry, to be bound at once. NULL on out of memory. */
static struct dev *dev_add(struct alert_engine *e, const char *id, bool own)
{
    struct dev *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->own_id = own;
    if (!(d->id = own ? strdup(id) : id))
        goto err;
    d->at = (uint32_t)e->ndevs;
    if (push((void **)&e->devs, &e->ndevs, &e->capdevs, sizeof d, &d) != 0)
        goto err;
    if (own && strmap_put(e->devmap, id, strlen(id), d) != 0) {
        e->ndevs--;
        goto err;
    }
    return d;
err:
    if (d && d->own_id)
        free((char *)d->id);
    free(d);
    return NULL;
}

int32_t engine_interval_of(const struct alert_engine *e, const struct asset *a)
{
    if (a->report_interval_s)
        return a->report_interval_s;
    const struct profile *p = profile_set_find(e->k->profiles, a->category, strlen(a->category));
    return p ? p->report_interval_s : 0;
}

/* Binds d to asset a, index i of the current registry. */
static void dev_bind(struct alert_engine *e, struct dev *d, size_t i, const struct asset *a)
{
    d->asset = a;
    d->interval_s = engine_interval_of(e, a);
    if (e->dev_of)
        e->dev_of[i] = d->at + 1;
}

struct dev *engine_dev_of(struct alert_engine *e, size_t i, const struct asset *a)
{
    if (e->dev_of && e->dev_of[i])
        return e->devs[e->dev_of[i] - 1];
    /* without the index (out of memory) a device is found by its id, so it keeps a copy */
    struct dev *d = e->dev_of ? NULL : engine_dev_loose(e, a->device_id, strlen(a->device_id));
    if (!d && !(d = dev_add(e, a->device_id, !e->dev_of))) {
        log_error("alerts", "out of memory adding device=%s", a->device_id);
        return NULL;
    }
    dev_bind(e, d, i, a);
    return d;
}

static bool timer_rule(const char *rule)
{
    return !strcmp(rule, RULE_OFFLINE) || !strcmp(rule, RULE_NEVER);
}

/*
 * Points the devices the engine keeps at the assets of the current registry
 * (e->k; the ids of devices bound before point into the registry before it,
 * which the caller still holds). A bound device borrows its id from the
 * registry; one no longer registered gets its own copy and goes into the
 * map of loose devices. A registered device with an alert gets its state
 * now, so that one without state is known to have none, and one with state
 * and no rule_slots is known to have no alert of a rule.
 */
static void devs_attach(struct alert_engine *e)
{
    const struct registry *reg = e->k ? e->k->registry : NULL;
    size_t n = registry_count(reg);
    free(e->dev_of);
    e->dev_of = n ? calloc(n, sizeof *e->dev_of) : NULL;
    if (n && !e->dev_of)
        log_error("alerts", "out of memory indexing devices=%zu: offline alerts off", n);
    const struct asset *base = registry_at(reg, 0);
    struct strmap *loose = strmap_new();
    for (size_t i = 0; i < e->ndevs; i++) {
        struct dev *d = e->devs[i];
        const struct asset *a = e->dev_of ? registry_find_device(reg, d->id, strlen(d->id)) : NULL;
        d->asset = NULL;
        d->rule_slots = false;
        if (a) {
            if (d->own_id)
                free((char *)d->id);
            d->id = a->device_id;
            d->own_id = false;
            dev_bind(e, d, (size_t)(a - base), a);
            continue;
        }
        if (!d->own_id) {
            char *copy = strdup(d->id);
            if (!copy)
                log_error("alerts", "out of memory keeping device=%s: its state is forgotten",
                          d->id);
            d->id = copy ? copy : "";
            d->own_id = copy != NULL;
        }
        if (loose && d->own_id && strmap_put(loose, d->id, strlen(d->id), d) != 0) {
            strmap_free(loose);
            loose = NULL;
        }
    }
    if (loose) {
        strmap_free(e->devmap);
        e->devmap = loose;
    } else { /* the old map still finds every device it had */
        log_error("alerts", "out of memory indexing unregistered devices");
    }
    for (size_t i = 0; i < e->nslots; i++) {
        const struct alert *al = &e->slots[i]->a;
        if (!strcmp(al->rule, RULE_COLLECTOR))
            continue;
        const struct asset *a =
            e->dev_of ? registry_find_device(reg, al->device, strlen(al->device)) : NULL;
        struct dev *d = a ? engine_dev_of(e, (size_t)(a - base), a)
                          : engine_dev_loose(e, al->device, strlen(al->device));
        if (d && !timer_rule(al->rule))
            d->rule_slots = true;
    }
}

/* ------------------------------------------------------------ rules */

/* Resolves alerts whose rule is gone; updates severities that changed. */
static void rules_changed(struct alert_engine *e, int64_t now)
{
    for (size_t i = 0; i < e->nslots; i++) {
        struct alert_slot *s = e->slots[i];
        if (!strcmp(s->a.rule, RULE_OFFLINE) || !strcmp(s->a.rule, RULE_NEVER) ||
            !strcmp(s->a.rule, RULE_COLLECTOR))
            continue;
        const struct alert_rule *r = NULL;
        for (size_t j = 0; j < e->rules->n && !r; j++)
            if (!strcmp(e->rules->rules[j].id, s->a.rule))
                r = &e->rules->rules[j];
        if (!r) {
            alert_fsm_condition(s, false, now, &e->fp, engine_emit, e);
            continue;
        }
        s->hold_ms = r->hold_ms;
        alert_fsm_severity(s, r->severity, now, engine_emit, e);
    }
}

static int rebuild_rules(struct alert_engine *e)
{
    struct alert_rules *r = alert_rules_build(e->k ? e->k->profiles : NULL, e->ops, &e->o.defaults);
    if (!r)
        return -ENOMEM;
    alert_rules_free(e->rules);
    e->rules = r;
    engine_rules_index_clear(e);
    return 0;
}

/* ------------------------------------------------------------ life cycle */

static void load_alert(void *ctx, const struct alert_slot *s)
{
    struct alert_engine *e = ctx;
    if (!slot_add(e, s))
        log_error("alerts", "out of memory loading alert id=%llu", (unsigned long long)s->a.id);
}

static void load_seen(void *ctx, const char *device, int64_t ms)
{
    struct alert_engine *e = ctx;
    const struct registry *reg = e->k ? e->k->registry : NULL;
    const struct asset *a = e->dev_of ? registry_find_device(reg, device, strlen(device)) : NULL;
    struct dev *d = a ? engine_dev_of(e, (size_t)(a - registry_at(reg, 0)), a)
                      : engine_dev_loose(e, device, strlen(device));
    if (!d && !a)
        d = dev_add(e, device, true);
    if (d && ms > d->last_seen_ms)
        d->last_seen_ms = ms;
}

static int open_store(struct alert_engine *e, int64_t now)
{
    if (!e->o.store_path)
        return 0;
    if (!(e->store = alert_store_open(e->o.store_path)))
        return -EIO;
    if (alert_store_load(e->store, load_alert, load_seen, e) != 0)
        return -EIO;
    if (alert_store_meta_get(e->store, "first_start_ms", &e->first_start_ms) != 0) {
        e->first_start_ms = now;
        if (alert_store_meta_put(e->store, "first_start_ms", now) != 0)
            return -EIO;
    }
    size_t firing = 0;
    for (size_t i = 0; i < e->nslots; i++)
        firing += e->slots[i]->a.state == ALERT_FIRING;
    log_info("alerts", "state loaded path=%s alerts=%zu firing=%zu devices_seen=%zu",
             e->o.store_path, e->nslots, firing, e->ndevs);
    return 0;
}

struct alert_engine *alert_engine_new(const struct alert_engine_opts *o, struct knowledge *k,
                                      struct alert_rules *ops, alert_sink_fn sink, void *sink_ctx,
                                      int64_t now_ms)
{
    struct alert_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->o = *o;
    e->fp = (struct alert_fsm_params){o->reminder_ms, o->flap_window_ms,
                                      o->flap_max > ALERT_FLAP_MAX ? ALERT_FLAP_MAX : o->flap_max};
    e->sink = sink;
    e->sink_ctx = sink_ctx;
    e->next_id = 1;
    e->first_start_ms = now_ms;
    e->grace_until_ms = now_ms + o->grace_ms;
    e->last_seen_flush_ms = now_ms;
    pthread_mutex_init(&e->mu, NULL);
    pthread_mutex_init(&e->store_mu, NULL);
    pthread_mutex_init(&e->stop_mu, NULL);
    pthread_cond_init(&e->stop_cv, NULL);
    e->devmap = strmap_new();
    e->slotmap = strmap_new();
    if (!e->devmap || !e->slotmap)
        goto err;
    /* the registry first: a registered device the store knows is bound at once */
    e->k = k;
    e->ops = ops;
    devs_attach(e);
    if (open_store(e, now_ms) != 0 || rebuild_rules(e) != 0) {
        e->k = NULL; /* the caller keeps them */
        e->ops = NULL;
        goto err;
    }
    devs_attach(e);
    return e;
err:
    log_error("alerts", "cannot start the alert engine");
    alert_engine_free(e);
    return NULL;
}

void alert_engine_reload(struct alert_engine *e, struct knowledge *k, struct alert_rules *ops,
                         int64_t now_ms)
{
    pthread_mutex_lock(&e->mu);
    struct knowledge *old_k = e->k;
    struct alert_rules *old_ops = e->ops;
    if (k)
        e->k = k;
    if (ops)
        e->ops = ops;
    if (rebuild_rules(e) != 0) {
        log_error("alerts", "out of memory rebuilding rules: keeping the ones in use");
        e->k = old_k;
        e->ops = old_ops;
        pthread_mutex_unlock(&e->mu);
        knowledge_unref(k);
        alert_rules_free(ops);
        return;
    }
    devs_attach(e);
    rules_changed(e, now_ms);
    log_info("alerts", "reloaded rules=%zu operator_rules=%zu devices=%zu", e->rules->n,
             e->ops ? e->ops->n : 0, e->ndevs);
    pthread_mutex_unlock(&e->mu);
    if (k)
        knowledge_unref(old_k);
    if (ops)
        alert_rules_free(old_ops);
}

void alert_engine_free(struct alert_engine *e)
{
    if (!e)
        return;
    if (e->started) {
        pthread_mutex_lock(&e->stop_mu);
        e->stop = true;
        pthread_cond_signal(&e->stop_cv);
        pthread_mutex_unlock(&e->stop_mu);
        pthread_join(e->thread, NULL);
    }
    if (e->store && e->devmap && e->slotmap)
        alert_engine_flush(e);
    alert_store_close(e->store);
    for (size_t i = 0; i < e->nslots; i++)
        free(e->slots[i]);
    free(e->slots);
    for (size_t i = 0; i < e->ndevs; i++) {
        if (e->devs[i]->own_id)
            free((char *)e->devs[i]->id);
        free(e->devs[i]);
    }
    engine_rules_index_clear(e);
    free(e->devs);
    free(e->dev_of);
    free(e->acks);
    strmap_free(e->devmap);
    strmap_free(e->slotmap);
    alert_rules_free(e->rules);
    alert_rules_free(e->ops);
    knowledge_unref(e->k);
    pthread_mutex_destroy(&e->mu);
    pthread_mutex_destroy(&e->store_mu);
    pthread_mutex_destroy(&e->stop_mu);
    pthread_cond_destroy(&e->stop_cv);
    free(e);
}
