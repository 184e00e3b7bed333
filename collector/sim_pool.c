#include "sim_pool.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sim_raw.h"

#define RAW_MAX_QUEUED 8192

struct slot {
    struct conn *c;
    void *ctx;
};

struct conn {
    struct sim_pool *pool;
    MQTTAsync client;
    unsigned index;
    atomic_bool connected;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool waiting;       /* the publisher sleeps on cv */
    unsigned inflight;  /* under mu */
    struct slot *slots; /* window of them */
    struct slot **free; /* stack of free slots, under mu */
    unsigned nfree;
    struct sim_raw *raw; /* --engine raw */
    void **queued;       /* raw: ring of the ctx of each message not yet done, oldest at head */
    unsigned head, nqueued;
};

struct sim_pool {
    const struct config *cfg;
    unsigned n, window;
    int qos;
    bool raw;
    sim_done_fn done;
    const atomic_bool *stop;
    int64_t last_error_log_ms;
    struct conn *conns;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void finish(struct slot *s, bool ok)
{
    struct conn *c = s->c;
    void *ctx = s->ctx;
    pthread_mutex_lock(&c->mu);
    c->free[c->nfree++] = s;
    c->inflight--;
    if (c->waiting)
        pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    c->pool->done(ctx, ok);
}

static void on_sent(void *context, MQTTAsync_successData *resp)
{
    (void)resp;
    finish(context, true);
}

static void on_send_failed(void *context, MQTTAsync_failureData *resp)
{
    (void)resp;
    finish(context, false);
}

static void on_lost(void *context, char *cause)
{
    struct conn *c = context;
    atomic_store(&c->connected, false);
    log_warn("sim", "connection lost conn=%u cause=\"%s\"", c->index, cause ? cause : "unknown");
}

static void on_connected(void *context, char *cause)
{
    struct conn *c = context;
    (void)cause;
    atomic_store(&c->connected, true);
    pthread_mutex_lock(&c->mu);
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static int on_arrived(void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
    (void)context;
    (void)topic_len;
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void on_connect_failed(void *context, MQTTAsync_failureData *resp)
{
    struct conn *c = context;
    log_warn("sim", "connect failed conn=%u url=%s code=%d error=\"%s\"", c->index,
             c->pool->cfg->mqtt.url, resp ? resp->code : 0,
             resp && resp->message ? resp->message : "no answer");
}

static int conn_init(struct sim_pool *p, struct conn *c, unsigned i)
{
    c->pool = p;
    c->index = i;
    atomic_init(&c->connected, false);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->slots = calloc(p->window, sizeof *c->slots);
    c->free = calloc(p->window, sizeof *c->free);
    if (!c->slots || !c->free)
        return -ENOMEM;
    for (unsigned k = 0; k < p->window; k++) {
        c->slots[k].c = c;
        c->free[k] = &c->slots[k];
    }
    c->nfree = p->window;
    if (p->raw) {
        c->queued = calloc(RAW_MAX_QUEUED, sizeof *c->queued);
        return c->queued ? 0 : -ENOMEM;
    }
    char id[64];
    snprintf(id, sizeof id, "lifeline-sim-%ld-%u", (long)getpid(), i);
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    co.MQTTVersion = MQTTVERSION_3_1_1;
    co.sendWhileDisconnected = 0;
    int rc = MQTTAsync_createWithOptions(&c->client, p->cfg->mqtt.url, id,
                                         MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        c->client = NULL;
        log_error("sim", "cannot create mqtt client url=%s rc=%d", p->cfg->mqtt.url, rc);
        return -EINVAL;
    }
    MQTTAsync_setCallbacks(c->client, c, on_lost, on_arrived, NULL);
    MQTTAsync_setConnected(c->client, c, on_connected);
    return 0;
}

struct sim_pool *sim_pool_new(const struct config *cfg, unsigned n, unsigned window, int qos,
                              bool raw, sim_done_fn done, const atomic_bool *stop)
{
    struct sim_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->n = n;
    p->window = window;
    p->qos = qos;
    p->raw = raw;
    p->done = done;
    p->stop = stop;
    p->conns = calloc(n, sizeof *p->conns);
    if (!p->conns)
        goto err;
    for (unsigned i = 0; i < n; i++)
        if (conn_init(p, &p->conns[i], i) != 0)
            goto err;
    return p;
err:
    sim_pool_free(p);
    return NULL;
}

static bool is_tls(const char *url)
{
    return strncmp(url, "ssl://", 6) == 0 || strncmp(url, "mqtts://", 8) == 0 ||
           strncmp(url, "wss://", 6) == 0;
}

int sim_pool_connect(struct sim_pool *p, int timeout_ms)
{
    const struct config *cfg = p->cfg;
    if (p->raw) {
        for (unsigned i = 0; i < p->n; i++) {
            p->conns[i].raw = sim_raw_connect(
                cfg, i, p->qos, p->window < RAW_MAX_QUEUED ? p->window : RAW_MAX_QUEUED - 1);
            if (!p->conns[i].raw)
                return -EIO;
        }
        return 0;
    }
    for (unsigned i = 0; i < p->n; i++) {
        struct conn *c = &p->conns[i];
        MQTTAsync_connectOptions o = MQTTAsync_connectOptions_initializer;
        MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
        o.keepAliveInterval = 30;
        o.cleansession = 1;
        o.automaticReconnect = 1;
        o.minRetryInterval = 1;
        o.maxRetryInterval = 10;
        o.connectTimeout = 10;
        o.maxInflight = (int)p->window;
        o.onFailure = on_connect_failed;
        o.context = c;
        if (cfg->mqtt.username && cfg->mqtt.username[0])
            o.username = cfg->mqtt.username;
        if (cfg->mqtt.password)
            o.password = cfg->mqtt.password;
        if (is_tls(cfg->mqtt.url)) {
            ssl.trustStore = cfg->mqtt.tls_ca_file;
            ssl.keyStore = cfg->mqtt.tls_cert_file;
            ssl.privateKey = cfg->mqtt.tls_key_file;
            ssl.enableServerCertAuth = cfg->mqtt.tls_verify;
            ssl.verify = cfg->mqtt.tls_verify;
            o.ssl = &ssl;
        }
        int rc = MQTTAsync_connect(c->client, &o);
        if (rc != MQTTASYNC_SUCCESS) {
            log_error("sim", "connect request failed url=%s rc=%d", cfg->mqtt.url, rc);
            return -EIO;
        }
    }
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        unsigned up = 0;
        for (unsigned i = 0; i < p->n; i++)
            up += atomic_load(&p->conns[i].connected);
        if (up == p->n)
            return 0;
        if (atomic_load(p->stop))
            return -ECANCELED;
        if (mono_ms() >= deadline) {
            log_error("sim", "cannot connect url=%s connected=%u of=%u", cfg->mqtt.url, up, p->n);
            return -ETIMEDOUT;
        }
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Waits on c->cv (c->mu held) for at most 20 ms. */
static void wait_briefly(struct conn *c)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    c->waiting = true;
    pthread_cond_timedwait(&c->cv, &c->mu, &until);
    c->waiting = false;
}

/* Reports raw messages done: rc >= 0 is how many of the oldest completed
 * (written at QoS 0, acknowledged at QoS 1); rc < 0 fails every one not done. */
static void raw_written(struct sim_pool *p, struct conn *c, int rc)
{
    unsigned n = rc < 0 ? c->nqueued : (unsigned)rc;
    for (unsigned i = 0; i < n && c->nqueued > 0; i++) {
        p->done(c->queued[c->head], rc >= 0);
        c->head = (c->head + 1) % RAW_MAX_QUEUED;
        c->nqueued--;
    }
}

static int raw_publish(struct sim_pool *p, struct conn *c, const char *topic, const void *payload,
                       size_t len, void *ctx)
{
    if (c->nqueued == RAW_MAX_QUEUED)
        raw_written(p, c, sim_raw_flush(c->raw));
    int rc = sim_raw_publish(c->raw, topic, payload, len);
    if (rc > 0 || rc < 0)
        raw_written(p, c, rc);
    if (rc < 0) {
        int64_t now = mono_ms();
        if (now - p->last_error_log_ms >= 1000) {
            p->last_error_log_ms = now;
            log_error("sim", "write failed conn=%u error=\"%s\"", c->index, strerror(-rc));
        }
        return rc == -E2BIG ? -EIO : -ECANCELED;
    }
    c->queued[(c->head + c->nqueued++) % RAW_MAX_QUEUED] = ctx;
    return 0;
}

int sim_pool_flush(struct sim_pool *p)
{
    int err = 0;
    for (unsigned i = 0; p->raw && i < p->n; i++) {
        struct conn *c = &p->conns[i];
        if (!c->raw)
            continue;
        int rc = sim_raw_flush(c->raw);
        raw_written(p, c, rc);
        if (rc < 0)
            err = -EIO;
    }
    return err;
}

int sim_pool_publish(struct sim_pool *p, unsigned conn, const char *topic, const void *payload,
                     size_t len, void *ctx)
{
    struct conn *c = &p->conns[conn % p->n];
    if (p->raw)
        return raw_publish(p, c, topic, payload, len, ctx);
    pthread_mutex_lock(&c->mu);
    while (c->nfree == 0 || !atomic_load(&c->connected)) {
        if (atomic_load(p->stop)) {
            pthread_mutex_unlock(&c->mu);
            return -ECANCELED;
        }
        wait_briefly(c);
    }
    struct slot *s = c->free[--c->nfree];
    c->inflight++;
    pthread_mutex_unlock(&c->mu);
    s->ctx = ctx;

    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess = on_sent;
    ro.onFailure = on_send_failed;
    ro.context = s;
    MQTTAsync_message m = MQTTAsync_message_initializer;
    m.payload = (void *)payload;
    m.payloadlen = (int)len;
    m.qos = p->qos;
    int rc = MQTTAsync_sendMessage(c->client, topic, &m, &ro);
    if (rc == MQTTASYNC_SUCCESS)
        return 0;
    pthread_mutex_lock(&c->mu);
    c->free[c->nfree++] = s;
    c->inflight--;
    pthread_mutex_unlock(&c->mu);
    int64_t now = mono_ms();
    if (now - p->last_error_log_ms >= 1000) {
        p->last_error_log_ms = now;
        log_warn("sim", "publish refused conn=%u rc=%d topic=%s", c->index, rc, topic);
    }
    return -EIO;
}

unsigned sim_pool_inflight(const struct sim_pool *p)
{
    unsigned n = 0;
    for (unsigned i = 0; i < p->n; i++) {
        struct conn *c = &p->conns[i];
        pthread_mutex_lock(&c->mu);
        n += c->inflight + c->nqueued; /* raw: not yet done (publisher thread only) */
        pthread_mutex_unlock(&c->mu);
    }
    return n;
}

int sim_pool_drain(struct sim_pool *p, int timeout_ms)
{
    if (p->raw) {
        int err = 0;
        for (unsigned i = 0; i < p->n; i++) {
            struct conn *c = &p->conns[i];
            int rc = c->raw ? sim_raw_drain(c->raw) : 0;
            raw_written(p, c, rc);
            if (rc < 0)
                err = -EIO;
        }
        return err;
    }
    int64_t deadline = mono_ms() + timeout_ms;
    while (sim_pool_inflight(p) > 0) {
        if (mono_ms() >= deadline)
            return -ETIMEDOUT;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

void sim_pool_free(struct sim_pool *p)
{
    if (!p)
        return;
    for (unsigned i = 0; p->conns && i < p->n; i++) {
        struct conn *c = &p->conns[i];
        if (c->raw) {
            raw_written(p, c, sim_raw_drain(c->raw));
            sim_raw_close(c->raw);
        }
        free(c->queued);
        if (c->client) {
            if (MQTTAsync_isConnected(c->client)) {
                MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
                d.timeout = 1000;
                MQTTAsync_disconnect(c->client, &d);
                for (int k = 0; k < 40 && MQTTAsync_isConnected(c->client); k++) {
                    struct timespec ts = {0, 25 * 1000000L};
                    nanosleep(&ts, NULL);
                }
            }
            MQTTAsync_destroy(&c->client);
        }
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c->slots);
        free(c->free);
    }
    free(p->conns);
    free(p);
}
