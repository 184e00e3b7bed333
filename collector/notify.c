/*
 * The notifier: a bounded queue that notify_submit() fills without blocking,
 * and one thread that delivers to the log, MQTT, the InfluxDB line buffer
 * and the chat grouping. InfluxDB writes (which retry for as long as the
 * database is away) run on a second thread, webhooks on the webhook module's
 * own, so that no destination holds up another.
 *
 * Two structures, one lock:
 *   ring   the events in order, for the log, InfluxDB and chat; when full
 *          the oldest is dropped (counted) and its alert is marked so that
 *          InfluxDB still gets the alert's latest state;
 *   state  the latest event per alert id not yet on MQTT (or owed to
 *          InfluxDB); a publish that fails (-ENOTCONN while the broker is
 *          away) leaves it dirty and the thread tries again every second
 *          with whatever is latest by then.
 */
#include "notify.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "influx.h"
#include "log.h"
#include "metrics.h"
#include "notify_impl.h"

#define TAG "notify"
#define QUEUE_MAX 4096
#define STATE_MAX 4096
#define BATCH_MAX 256             /* events taken from the ring per round */
#define MQTT_RETRY_MS 1000        /* while the broker is away */
#define INFLUX_BUF_MAX (4u << 20) /* line protocol waiting for the database */
#define WEBHOOK_QUEUE_MAX 256
#define WEBHOOK_DRAIN_MS 5000
#define GROUP_EVENTS_MAX 200 /* events stored per chat batch; the rest are counted */

struct dest {
    enum webhook_format fmt;
    char *url;
    char label[32];
};

struct state {
    struct alert_event ev; /* latest */
    bool mqtt_dirty;
    bool influx_dirty;
};

struct notify {
    notify_publish_fn publish;
    void *publish_ctx;
    enum notify_lang lang;
    struct dest dests[CONFIG_MAX_WEBHOOKS];
    size_t ndests;
    struct webhook *wh;
    struct notify_group *group;
    int64_t (*clock)(void); /* monotonic ms; tests replace it */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct alert_event *ring;
    size_t cap, head, count;
    struct state *st;
    size_t nst;
    bool stop;
    bool started;
    pthread_t thread;
    uint64_t submitted, dropped, state_dropped, published, publish_failures, lines_dropped;

    /* InfluxDB: lines handed over under ilock, written by ithread */
    struct influx *db;
    pthread_mutex_t ilock;
    pthread_cond_t icond;
    struct buf lines;
    size_t nlines;
    bool istop;
    atomic_bool icancel;
    pthread_t ithread;
    bool istarted;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
}

static void wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t at)
{
    int64_t left = at - mono_ms();
    if (left <= 0)
        return;
    if (left > 1000)
        left = 1000;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(c, m, &ts);
}

/* The state entry of alert `id`, created when `create`; NULL when full. Lock held. */
static struct state *state_find(struct notify *n, uint64_t id, bool create)
{
    for (size_t i = 0; i < n->nst; i++)
        if (n->st[i].ev.alert.id == id)
            return &n->st[i];
    if (!create)
        return NULL;
    if (n->nst == STATE_MAX) {
        n->state_dropped++;
        return NULL;
    }
    struct state *s = &n->st[n->nst++];
    memset(s, 0, sizeof *s);
    return s;
}

void notify_submit(struct notify *n, const struct alert_event *ev)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->submitted++;
    if (n->publish) {
        struct state *s = state_find(n, ev->alert.id, true);
        if (s) {
            s->ev = *ev;
            s->mqtt_dirty = true;
        }
    }
    if (n->count == n->cap) {
        /* The oldest event leaves the log and chat; its alert's latest state
         * still reaches InfluxDB (and MQTT, through the state table). */
        const struct alert_event *old = &n->ring[n->head];
        struct state *s = n->db ? state_find(n, old->alert.id, true) : NULL;
        if (s) {
            if (!s->mqtt_dirty && !s->influx_dirty)
                s->ev = *old;
            s->influx_dirty = true;
        }
        n->head = (n->head + 1) % n->cap;
        n->count--;
        n->dropped++;
    }
    n->ring[(n->head + n->count) % n->cap] = *ev;
    n->count++;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

static void *influx_run(void *arg)
{
    struct notify *n = arg;
    struct buf batch;
    buf_init(&batch, INFLUX_BUF_MAX);
    pthread_mutex_lock(&n->ilock);
    for (;;) {
        while (n->nlines == 0 && !n->istop)
            pthread_cond_wait(&n->icond, &n->ilock);
        if (n->nlines == 0)
            break;
        /* swap: the notify thread fills an empty buffer meanwhile */
        struct buf t = batch;
        batch = n->lines;
        n->lines = t;
        size_t nl = n->nlines;
        n->nlines = 0;
        pthread_mutex_unlock(&n->ilock);
        int rc = influx_write(n->db, batch.data, batch.len, nl, &n->icancel);
        if (rc)
            log_warn(TAG, "alert points not written at shutdown lines=%zu", nl);
        buf_reset(&batch);
        pthread_mutex_lock(&n->ilock);
    }
    pthread_mutex_unlock(&n->ilock);
    buf_free(&batch);
    return NULL;
}

static void influx_add(struct notify *n, const struct alert_event *ev, int64_t now)
{
    const char *why = NULL;
    pthread_mutex_lock(&n->ilock);
    int rc = notify_line(ev, now, &n->lines, &why);
    if (rc == 0) {
        n->nlines++;
        pthread_cond_signal(&n->icond);
    }
    pthread_mutex_unlock(&n->ilock);
    if (rc) {
        pthread_mutex_lock(&n->lock);
        n->lines_dropped++;
        pthread_mutex_unlock(&n->lock);
        log_warn(TAG, "alert point dropped id=%llu error=\"%s\"", (unsigned long long)ev->alert.id,
                 why ? why : "the line buffer is full");
    }
}

static void log_event(const struct alert_event *ev)
{
    struct buf b;
    buf_init(&b, 4096);
    if (notify_log_text(ev, &b) == 0)
        log_info("alert", "%s", b.data);
    buf_free(&b);
}

static int publish_state(struct notify *n, const struct alert_event *ev)
{
    struct buf topic, body;
    buf_init(&topic, 1024);
    buf_init(&body, 8192);
    int rc = notify_topic(&ev->alert, &topic);
    if (!rc)
        rc = notify_json_event(ev, &body);
    if (!rc)
        rc = n->publish(n->publish_ctx, topic.data, body.data, body.len, 1);
    buf_free(&topic);
    buf_free(&body);
    return rc;
}

static void send_batch(struct notify *n, const struct notify_batch *b)
{
    struct buf body;
    buf_init(&body, 1u << 20);
    for (size_t i = 0; i < n->ndests; i++) {
        const struct dest *d = &n->dests[i];
        buf_reset(&body);
        if (notify_webhook_body(d->fmt, n->lang, b, &body) == 0)
            webhook_post(n->wh, d->fmt, d->url, d->label, body.data, body.len);
    }
    buf_free(&body);
}

/* Chat is for what an operator acts on; value updates go to MQTT and InfluxDB only. */
static bool chat_worthy(const struct alert_event *ev)
{
    return ev->transition != ALERT_UPDATED;
}

/* One round outside the lock: events, then owed states, then due batches. */
static void deliver(struct notify *n, const struct alert_event *evs, size_t nev,
                    const struct state *owed, size_t nowed, bool stopping, int64_t *mqtt_retry_at)
{
    int64_t now = wall_ms();
    for (size_t i = 0; i < nev; i++) {
        log_event(&evs[i]);
        if (n->db)
            influx_add(n, &evs[i], now);
        if (n->wh && chat_worthy(&evs[i]) && notify_group_add(n->group, &evs[i], n->clock()) != 0)
            log_warn(TAG, "out of memory: chat notification lost id=%llu",
                     (unsigned long long)evs[i].alert.id);
    }
    for (size_t i = 0; i < nowed; i++) {
        if (owed[i].influx_dirty && n->db)
            influx_add(n, &owed[i].ev, now);
        if (!owed[i].mqtt_dirty)
            continue;
        int rc = publish_state(n, &owed[i].ev);
        pthread_mutex_lock(&n->lock);
        if (rc == 0) {
            n->published++;
        } else {
            n->publish_failures++;
            /* Newer state may have arrived meanwhile; either way it is owed. */
            struct state *s = stopping ? NULL : state_find(n, owed[i].ev.alert.id, true);
            if (s && !s->mqtt_dirty) {
                s->ev = owed[i].ev;
                s->mqtt_dirty = true;
            }
            *mqtt_retry_at = n->clock() + MQTT_RETRY_MS;
        }
        pthread_mutex_unlock(&n->lock);
        if (rc && rc != -ENOTCONN)
            log_warn(TAG, "mqtt publish failed id=%llu error=\"%s\"",
                     (unsigned long long)owed[i].ev.alert.id, strerror(-rc));
    }
    struct notify_batch b;
    while (n->wh && notify_group_take(n->group, n->clock(), stopping, &b)) {
        send_batch(n, &b);
        notify_batch_free(&b);
    }
}

static void *run(void *arg)
{
    struct notify *n = arg;
    struct alert_event *evs = malloc(BATCH_MAX * sizeof *evs);
    struct state *owed = malloc(STATE_MAX * sizeof *owed);
    int64_t mqtt_retry_at = 0;
    if (!evs || !owed) {
        log_error(TAG, "out of memory: notifications stop");
        goto out;
    }
    pthread_mutex_lock(&n->lock);
    for (;;) {
        int64_t now = n->clock();
        bool mqtt_due = n->nst > 0 && now >= mqtt_retry_at;
        int64_t group_due = n->wh ? notify_group_deadline(n->group) : INT64_MAX;
        if (n->count == 0 && !mqtt_due && group_due > now && !n->stop) {
            int64_t at = group_due;
            if (n->nst > 0 && mqtt_retry_at < at)
                at = mqtt_retry_at;
            if (at == INT64_MAX)
                pthread_cond_wait(&n->cond, &n->lock);
            else
                wait_until(&n->cond, &n->lock, at);
            continue;
        }
        bool stopping = n->stop;
        size_t nev = 0;
        for (; nev < BATCH_MAX && n->count; nev++, n->count--) {
            evs[nev] = n->ring[n->head];
            n->head = (n->head + 1) % n->cap;
        }
        /* Every owed state goes each round: a publish while the broker is
         * away fails fast, and rounds come at most once per event batch,
         * chat window or MQTT_RETRY_MS. */
        size_t nowed = 0;
        for (size_t i = 0; i < n->nst; i++) {
            owed[nowed++] = n->st[i];
            n->st[i].mqtt_dirty = n->st[i].influx_dirty = false;
        }
        n->nst = 0;
        pthread_mutex_unlock(&n->lock);
        deliver(n, evs, nev, owed, nowed, stopping, &mqtt_retry_at);
        pthread_mutex_lock(&n->lock);
        if (stopping && n->count == 0)
            break;
    }
    pthread_mutex_unlock(&n->lock);
out:
    free(evs);
    free(owed);
    return NULL;
}

/* Everything but the threads; notify_start() starts them. */
static struct notify *create(const struct config *cfg, notify_publish_fn publish, void *ctx,
                             size_t queue_max)
{
    struct notify *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    pthread_mutex_init(&n->lock, NULL);
    pthread_mutex_init(&n->ilock, NULL);
    cond_init_mono(&n->cond);
    cond_init_mono(&n->icond);
    buf_init(&n->lines, INFLUX_BUF_MAX);
    n->clock = mono_ms;
    n->publish = cfg->notify.mqtt ? publish : NULL;
    n->publish_ctx = ctx;
    n->lang = cfg->notify.lang;
    n->cap = queue_max;
    n->ring = calloc(queue_max, sizeof *n->ring);
    n->st = calloc(STATE_MAX, sizeof *n->st);
    n->group = notify_group_new(cfg->notify.group_window_ms, GROUP_EVENTS_MAX);
    if (!n->ring || !n->st || !n->group)
        goto fail;
    for (size_t i = 0; i < cfg->notify.nwebhooks; i++) {
        struct dest *d = &n->dests[n->ndests];
        const char *url;
        if (webhook_parse(cfg->notify.webhooks[i], &d->fmt, &url, NULL) != 0) {
            log_error(TAG, "bad notify.webhooks entry index=%zu", i);
            goto fail;
        }
        if (!(d->url = strdup(url)))
            goto fail;
        snprintf(d->label, sizeof d->label, "%s#%zu", webhook_format_name(d->fmt), i);
        n->ndests++;
    }
    if (n->ndests) {
        struct webhook_opts wo = {.retry_min_ms = cfg->notify.retry_min_ms,
                                  .retry_max_ms = cfg->notify.retry_max_ms,
                                  .attempts = cfg->notify.retry_attempts,
                                  .timeout_ms = cfg->notify.timeout_ms,
                                  .queue_max = WEBHOOK_QUEUE_MAX};
        if (!(n->wh = webhook_new(&wo)))
            goto fail;
    }
    if (cfg->notify.influx) {
        if (!(n->db = influx_new(cfg, NULL)))
            goto fail;
        influx_set_quiet(n->db, true);
    }
    return n;
fail:
    log_error(TAG, "cannot set up notifications");
    notify_free(n);
    return NULL;
}

static int start(struct notify *n)
{
    if (n->db) {
        if (pthread_create(&n->ithread, NULL, influx_run, n) != 0)
            return -EAGAIN;
        n->istarted = true;
    }
    if (pthread_create(&n->thread, NULL, run, n) != 0)
        return -EAGAIN;
    n->started = true;
    return 0;
}

struct notify *notify_new(const struct config *cfg, notify_publish_fn publish, void *publish_ctx)
{
    struct notify *n = create(cfg, publish, publish_ctx, QUEUE_MAX);
    if (n && start(n) != 0) {
        log_error(TAG, "cannot start the notification threads");
        notify_free(n);
        return NULL;
    }
    if (n)
        log_info(TAG, "started mqtt=%s influx=%s webhooks=%zu group_window_ms=%d",
                 n->publish ? "on" : "off", n->db ? "on" : "off", n->ndests,
                 cfg->notify.group_window_ms);
    return n;
}

void notify_free(struct notify *n)
{
    if (!n)
        return;
    if (n->started) {
        pthread_mutex_lock(&n->lock);
        n->stop = true;
        pthread_cond_signal(&n->cond);
        pthread_mutex_unlock(&n->lock);
        pthread_join(n->thread, NULL);
    }
    if (n->istarted) {
        /* one attempt for what is left: influx_write tries once when cancelled */
        atomic_store(&n->icancel, true);
        pthread_mutex_lock(&n->ilock);
        n->istop = true;
        pthread_cond_signal(&n->icond);
        pthread_mutex_unlock(&n->ilock);
        pthread_join(n->ithread, NULL);
    }
    webhook_free(n->wh, WEBHOOK_DRAIN_MS);
    influx_free(n->db);
    for (size_t i = 0; i < n->ndests; i++)
        free(n->dests[i].url);
    notify_group_free(n->group);
    buf_free(&n->lines);
    free(n->ring);
    free(n->st);
    pthread_cond_destroy(&n->cond);
    pthread_cond_destroy(&n->icond);
    pthread_mutex_destroy(&n->lock);
    pthread_mutex_destroy(&n->ilock);
    free(n);
}

void notify_render_metrics(struct notify *n, struct buf *out)
{
    pthread_mutex_lock(&n->lock);
    uint64_t submitted = n->submitted, dropped = n->dropped, sdropped = n->state_dropped,
             published = n->published, pfail = n->publish_failures, ldropped = n->lines_dropped;
    size_t depth = n->count;
    pthread_mutex_unlock(&n->lock);
    metrics_render_counter(out, "lifeline_notify_events_total",
                           "Alert events handed to the notifier", submitted);
    metrics_render_counter(out, "lifeline_notify_dropped_total",
                           "Events dropped from the full notification queue (not logged nor sent "
                           "to chat; MQTT and InfluxDB still get the alert's latest state)",
                           dropped);
    metrics_render_gauge(out, "lifeline_notify_queue_depth", "Events waiting for the notifier",
                         (double)depth);
    metrics_render_counter(out, "lifeline_notify_mqtt_published_total",
                           "Alert states published on lifeline/alerts/...", published);
    metrics_render_counter(out, "lifeline_notify_mqtt_failures_total",
                           "Alert publishes that failed and will be tried again", pfail);
    metrics_render_counter(out, "lifeline_notify_state_dropped_total",
                           "Alert states not kept because too many were waiting for the broker",
                           sdropped);
    metrics_render_counter(out, "lifeline_notify_influx_dropped_total",
                           "Alert points not written (line buffer full or not representable)",
                           ldropped);
    struct webhook_stats ws = {0};
    if (n->wh)
        webhook_stats(n->wh, &ws);
    metrics_render_counter(out, "lifeline_notify_webhook_delivered_total",
                           "Webhook messages a destination accepted", ws.delivered);
    metrics_render_counter(out, "lifeline_notify_webhook_failed_total",
                           "Webhook messages given up after their last attempt", ws.failed);
    metrics_render_counter(out, "lifeline_notify_webhook_retries_total",
                           "Webhook attempts that failed and were retried", ws.retries);
    metrics_render_counter(out, "lifeline_notify_webhook_dropped_total",
                           "Webhook messages dropped from a full queue or at shutdown", ws.dropped);
}
