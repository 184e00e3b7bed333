/*
 * The engine's timers: offline and never_reported deadlines, the collector's
 * own link, hold times and reminders; the thread that runs them, and the
 * writes of changed state to the store.
 */
#include "alert_engine_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* A pipeline lagging less than this is normal batching, not a backlog. */
#define LAG_SLACK_MS 5000
/* Last-seen times are written at most this often (offline after a restart
 * is judged from them, so a second of staleness is harmless). */
#define SEEN_FLUSH_MS 1000
#define MS_PER_DAY 86400000LL

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void alert_engine_set_link(struct alert_engine *e, bool connected, int64_t lag_ms, int64_t now_ms)
{
    pthread_mutex_lock(&e->mu);
    if (connected && !e->connected)
        e->grace_until_ms = now_ms + e->o.grace_ms; /* the broker's backlog arrives first */
    if (connected != e->connected)
        log_info("alerts", "broker link %s; device offline alerts held for %lld s",
                 connected ? "up" : "down", connected ? (long long)(e->o.grace_ms / 1000) : -1LL);
    e->connected = connected;
    e->lag_ms = lag_ms;
    pthread_mutex_unlock(&e->mu);
}

static void collector_link(struct alert_engine *e, int64_t now)
{
    struct alert_slot *s = engine_slot_find(e, "", RULE_COLLECTOR);
    if (!s && e->connected)
        return;
    if (!s && !(s = engine_slot_new(e, "", RULE_COLLECTOR)))
        return;
    if (!e->connected && s->a.state == ALERT_RESOLVED) {
        s->a.severity = SEV_CRITICAL;
        s->hold_ms = e->o.disconnect_hold_ms;
        snprintf(s->a.summary, sizeof s->a.summary,
                 "lifeline is not connected to the MQTT broker; device offline alerts are held");
        snprintf(s->a.summary_zh, sizeof s->a.summary_zh,
                 "Lifeline 与 MQTT 服务器断开连接，设备离线告警暂缓");
    }
    if (!e->connected || s->active)
        alert_fsm_condition(s, !e->connected, now, &e->fp, engine_emit, e);
}

static void offline_describe(struct alert_engine *e, struct alert_slot *s, const struct dev *d,
                             int64_t silent_ms, int64_t limit_ms, bool never)
{
    engine_slot_describe(s, d->asset, NULL, NULL);
    s->a.severity = never ? SEV_MINOR : SEV_MAJOR;
    s->a.value = (double)(silent_ms / 1000);
    s->a.threshold = (double)(limit_ms / 1000);
    if (never) {
        snprintf(s->a.summary, sizeof s->a.summary,
                 "upgraded, but no data for %lld s (expected every %d s)",
                 (long long)(silent_ms / 1000), d->interval_s);
        snprintf(s->a.summary_zh, sizeof s->a.summary_zh, "已改造但从未上报数据（应每 %d 秒上报）",
                 d->interval_s);
    } else {
        snprintf(s->a.summary, sizeof s->a.summary,
                 "offline: no data for %lld s (expected every %d s, %d missed)",
                 (long long)(silent_ms / 1000), d->interval_s, e->o.offline_misses);
        snprintf(s->a.summary_zh, sizeof s->a.summary_zh,
                 "离线：%lld 秒无数据（应每 %d 秒上报，已漏报 %d 次）",
                 (long long)(silent_ms / 1000), d->interval_s, e->o.offline_misses);
    }
}

/* One device's offline or never_reported condition at `horizon`. */
static void device_deadline(struct alert_engine *e, struct dev *d, int64_t horizon, int64_t now)
{
    const struct asset *a = d->asset;
    if (!a || a->status == ASSET_RETIRED || d->interval_s <= 0)
        return;
    int64_t limit = (int64_t)d->interval_s * 1000 * e->o.offline_misses;
    bool never = d->last_seen_ms == 0;
    if (never && a->status != ASSET_UPGRADED)
        return;
    int64_t since = d->last_seen_ms;
    if (never) {
        /* it had the chance to report since it was upgraded and we listened */
        int64_t up = a->upgraded_on >= 0 ? (int64_t)a->upgraded_on * MS_PER_DAY : 0;
        since = up > e->first_start_ms ? up : e->first_start_ms;
    }
    struct alert_slot **cache = never ? &d->never : &d->offline;
    const char *rule = never ? RULE_NEVER : RULE_OFFLINE;
    if (!*cache)
        *cache = engine_slot_find(e, d->id, rule);
    bool cond = horizon - since >= limit;
    if (!cond && !(*cache && (*cache)->active))
        return;
    if (!*cache && !(*cache = engine_slot_new(e, d->id, rule)))
        return;
    struct alert_slot *s = *cache;
    if (cond && s->a.state == ALERT_RESOLVED)
        offline_describe(e, s, d, now - since, limit, never);
    s->hold_ms = 0;
    alert_fsm_condition(s, cond, now, &e->fp, engine_emit, e);
}

/*
 * Whether registered asset a, which has no state in the engine (never
 * reported, no alert), is due a never_reported alert at `horizon`. A device
 * without state has no offline or never_reported alert (devs_attach), so
 * nothing is to be looked up while the answer is no.
 */
static bool silent_due(const struct alert_engine *e, const struct asset *a, int32_t interval_s,
                       int64_t horizon)
{
    if (a->status != ASSET_UPGRADED || interval_s <= 0)
        return false;
    int64_t limit = (int64_t)interval_s * 1000 * e->o.offline_misses;
    int64_t up = a->upgraded_on >= 0 ? (int64_t)a->upgraded_on * MS_PER_DAY : 0;
    int64_t since = up > e->first_start_ms ? up : e->first_start_ms;
    return horizon - since >= limit;
}

/* Every registered device's offline or never_reported condition. */
static void deadlines(struct alert_engine *e, int64_t horizon, int64_t now)
{
    const struct registry *reg = e->k && e->dev_of ? e->k->registry : NULL;
    const char *category = NULL; /* categories are interned: one profile lookup per run of one */
    int32_t cat_interval = 0;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const struct asset *a = registry_at(reg, i);
        if (!a->device_id[0])
            continue;
        if (e->dev_of[i]) {
            device_deadline(e, e->devs[e->dev_of[i] - 1], horizon, now);
            continue;
        }
        int32_t interval = a->report_interval_s;
        if (!interval) {
            if (a->category != category) {
                category = a->category;
                cat_interval = engine_interval_of(e, a);
            }
            interval = cat_interval;
        }
        if (!silent_due(e, a, interval, horizon))
            continue;
        struct dev *d = engine_dev_of(e, i, a);
        if (d)
            device_deadline(e, d, horizon, now);
    }
}

void alert_engine_tick(struct alert_engine *e, int64_t now_ms)
{
    pthread_mutex_lock(&e->mu);
    collector_link(e, now_ms);
    /* Held while cut off or just (re)connected: one collector_disconnected
     * alert speaks instead of an offline alert per device. */
    if (e->connected && now_ms >= e->grace_until_ms)
        deadlines(e, e->lag_ms > LAG_SLACK_MS ? now_ms - e->lag_ms : now_ms, now_ms);
    for (size_t i = 0; i < e->nslots; i++)
        alert_fsm_tick(e->slots[i], now_ms, &e->fp, engine_emit, e);
    pthread_mutex_unlock(&e->mu);
}

struct seen_row {
    size_t id; /* offset in the flush's copy of the ids */
    int64_t ms;
};

/* Writes what changed; last-seen times only every SEEN_FLUSH_MS unless `all`. */
static int flush(struct alert_engine *e, bool all)
{
    if (!e->store)
        return 0;
    struct alert_slot *dirty = NULL;
    struct seen_row *seen = NULL;
    struct pending_ack *acks = NULL;
    char *ids = NULL; /* a registered device's id is the registry's, which a reload may free */
    size_t ndirty = 0, nseen = 0, nacks = 0, idlen = 0;
    int rc = 0;
    pthread_mutex_lock(&e->store_mu);
    pthread_mutex_lock(&e->mu);
    int64_t now = wall_ms();
    bool seen_due = all || now - e->last_seen_flush_ms >= SEEN_FLUSH_MS;
    for (size_t i = 0; i < e->nslots; i++)
        ndirty += e->slots[i]->dirty;
    for (size_t i = 0; seen_due && i < e->ndevs; i++) {
        if (e->devs[i]->seen_dirty) {
            nseen++;
            idlen += strlen(e->devs[i]->id) + 1;
        }
    }
    dirty = ndirty ? malloc(ndirty * sizeof *dirty) : NULL;
    seen = nseen ? malloc(nseen * sizeof *seen) : NULL;
    ids = idlen ? malloc(idlen) : NULL;
    if ((ndirty && !dirty) || (nseen && !seen) || (idlen && !ids)) {
        pthread_mutex_unlock(&e->mu);
        rc = -ENOMEM;
        goto out;
    }
    ndirty = nseen = idlen = 0;
    for (size_t i = 0; i < e->nslots; i++) {
        if (e->slots[i]->dirty) {
            dirty[ndirty++] = *e->slots[i];
            e->slots[i]->dirty = false;
        }
    }
    for (size_t i = 0; seen_due && i < e->ndevs; i++) {
        if (e->devs[i]->seen_dirty) {
            size_t n = strlen(e->devs[i]->id) + 1;
            memcpy(ids + idlen, e->devs[i]->id, n);
            seen[nseen++] = (struct seen_row){idlen, e->devs[i]->last_seen_ms};
            idlen += n;
            e->devs[i]->seen_dirty = false;
        }
    }
    if (seen_due)
        e->last_seen_flush_ms = now;
    acks = e->acks;
    nacks = e->nacks;
    e->acks = NULL;
    e->nacks = e->capacks = 0;
    pthread_mutex_unlock(&e->mu);

    if (!ndirty && !nseen && !nacks)
        goto out;
    rc = alert_store_begin(e->store);
    for (size_t i = 0; rc == 0 && i < ndirty; i++)
        rc = alert_store_put(e->store, &dirty[i]);
    for (size_t i = 0; rc == 0 && i < nseen; i++)
        rc = alert_store_seen(e->store, ids + seen[i].id, seen[i].ms);
    for (size_t i = 0; rc == 0 && i < nacks; i++)
        rc = alert_store_ack(e->store, acks[i].id, acks[i].by, acks[i].ms);
    if (rc == 0)
        rc = alert_store_commit(e->store);
out:
    pthread_mutex_unlock(&e->store_mu);
    free(dirty);
    free(seen);
    free(ids);
    free(acks);
    return rc;
}

int alert_engine_flush(struct alert_engine *e)
{
    return flush(e, true);
}

static void *run(void *arg)
{
    struct alert_engine *e = arg;
    pthread_mutex_lock(&e->stop_mu);
    while (!e->stop) {
        pthread_mutex_unlock(&e->stop_mu);
        alert_engine_tick(e, wall_ms());
        flush(e, false);
        pthread_mutex_lock(&e->stop_mu);
        if (e->stop)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + e->o.check_interval_ms % 1000 * 1000000;
        ts.tv_sec += (time_t)(e->o.check_interval_ms / 1000 + ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&e->stop_cv, &e->stop_mu, &ts);
    }
    pthread_mutex_unlock(&e->stop_mu);
    return NULL;
}

int alert_engine_start(struct alert_engine *e)
{
    int rc = pthread_create(&e->thread, NULL, run, e);
    if (rc)
        return -rc;
    e->started = true;
    return 0;
}
