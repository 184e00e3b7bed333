/*
 * daemon: `lifeline run`: opens the parts in order and wires them together,
 * runs the main loop (signals, intake checks, the MQTT reconnect schedule)
 * and closes everything at SIGTERM or SIGINT after a bounded drain.
 */
#include "daemon.h"
#include "daemon_impl.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alert_engine.h"
#include "alert_http.h"
#include "config.h"
#include "devstate.h"
#include "hj212_reply.h"
#include "httpd.h"
#include "influx.h"
#include "ingest.h"
#include "jsonout.h"
#include "knowledge.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pipeline.h"
#include "quarantine.h"
#include "report_server.h"
#include "wal.h"

/* How long SIGTERM waits for the database to take what is pending. */
#define DRAIN_MS 15000

/* The notifier's MQTT publisher: the ingest client, QoS 1. */
static int publish_alert(void *ctx, const char *topic, const void *payload, size_t len,
                         int retained)
{
    struct daemon *d = ctx;
    return ingest_publish(d->in, topic, payload, len, 1, retained);
}

/* HJ 212 acknowledgements: the ingest client, QoS 1, never retained. */
static int publish_reply(void *ctx, const char *topic, const void *payload, size_t len)
{
    struct daemon *d = ctx;
    return ingest_publish(d->in, topic, payload, len, 1, 0);
}

/* The broker link and the pipeline's lag, for the alert engine's offline judgments. */
static void tell_alerts(struct daemon *d)
{
    if (!d->alerts)
        return;
    struct wal_stats ws;
    wal_stats(d->wal, &ws);
    int64_t now = ingest_now_ms();
    int64_t lag =
        ws.oldest_pending_ms && now > ws.oldest_pending_ms ? now - ws.oldest_pending_ms : 0;
    alert_engine_set_link(d->alerts, ingest_connected(d->in) && !ingest_paused(d->in), lag, now);
}

static void alert_sink(void *ctx, const struct alert_event *ev)
{
    struct daemon *d = ctx;
    notify_submit(d->notify, ev);
    if (d->live) { /* the live page's stream: one line of JSON */
        struct buf b;
        buf_init(&b, 64 * 1024);
        buf_puts(&b, "{");
        json_append_kv(&b, "transition", alert_transition_name(ev->transition));
        buf_puts(&b, ",\"alert\":");
        if (alert_json(&b, &ev->alert) == 0 && buf_puts(&b, "}") == 0)
            live_note_alert(d->live, ev->alert.device, ev->alert.asset, ev->alert.district,
                            ev->alert.category, b.data, b.len);
        buf_free(&b);
    }
}

/* Starts the alert engine with a reference of its own to k. */
static int open_alerts(struct daemon *d, struct knowledge *k)
{
    const struct config *c = d->cfg;
    if (!c->alerts.enabled)
        return 0;
    bool ok;
    struct alert_rules *ops = daemon_load_rules(c, k, &ok);
    if (!ok)
        return -EINVAL;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/alerts.db", c->data_dir);
    struct alert_engine_opts o;
    alert_engine_opts_from_config(c, &o);
    o.store_path = path;
    d->alerts = alert_engine_new(&o, knowledge_ref(k), ops, alert_sink, d, ingest_now_ms());
    if (!d->alerts) {
        knowledge_unref(k);
        alert_rules_free(ops);
        return -EIO;
    }
    pipeline_set_alerts(d->pipe, d->alerts);
    return 0;
}

static int make_dirs(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return -ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int open_users(struct daemon *d, struct knowledge *k);

static int open_parts(struct daemon *d)
{
    const struct config *c = d->cfg;
    char path[PATH_MAX];
    int rc = make_dirs(c->data_dir);
    if (rc) {
        log_error("daemon",
                  "cannot create data_dir path=%s error=\"%s\" fix=\"create it or "
                  "choose another data_dir\"",
                  c->data_dir, strerror(-rc));
        return rc;
    }
    snprintf(path, sizeof path, "%s/quarantine.jsonl", c->data_dir);
    d->q = quarantine_open(path);
    if (!d->q) {
        log_error("daemon", "cannot open quarantine path=%s error=\"%s\"", path, strerror(errno));
        return -EIO;
    }
    snprintf(path, sizeof path, "%s/wal", c->data_dir);
    struct wal_opts wo = {.segment_bytes = c->wal.segment_bytes,
                          .fsync_ms = c->wal.fsync_ms,
                          .max_bytes = c->wal.max_bytes};
    char err[256];
    d->wal = wal_open(path, &wo, err, sizeof err);
    if (!d->wal) {
        log_error("daemon", "cannot open wal path=%s error=\"%s\"", path, err);
        return -EIO;
    }
    d->db = influx_new(c, d->q);
    if (!d->db)
        return -EIO;
    struct knowledge *k = daemon_load_knowledge(c);
    if (!k)
        return -EINVAL;
    rc = open_users(d, k);
    knowledge_unref(k); /* the pipeline, alert engine and report server hold their own */
    return rc;
}

/* Opens the parts that use the knowledge; each takes a reference of its own to k. */
static int open_users(struct daemon *d, struct knowledge *k)
{
    const struct config *c = d->cfg;
    int rc;
    d->pipe = pipeline_new(c, d->wal, d->db, d->q, knowledge_ref(k));
    if (!d->pipe) {
        knowledge_unref(k);
        return -EIO;
    }
    d->devstate = devstate_new();
    if (!d->devstate)
        return -ENOMEM;
    /* "online" means the same on the live page as in alerts and the report */
    devstate_set_offline_misses(d->devstate, c->alerts.offline_misses);
    pipeline_set_devstate(d->pipe, d->devstate);
    /* before the alert engine, whose transitions it streams */
    d->live = live_new(c, d->devstate);
    if (!d->live)
        return -ENOMEM;
    d->reply = hj212_reply_new(c, publish_reply, d);
    if (!d->reply)
        return -ENOMEM;
    d->in = ingest_new(c, daemon_on_message, d);
    if (!d->in)
        return -EIO;
    d->notify = notify_new(c, publish_alert, d);
    if (!d->notify)
        return -EIO;
    rc = open_alerts(d, k);
    if (rc)
        return rc;
    if (c->http.listen && c->http.listen[0]) {
        d->http = httpd_new(c->http.listen);
        if (!d->http)
            return -ENOMEM;
        httpd_route(d->http, "GET", "/healthz", daemon_serve_health, d);
        httpd_route(d->http, "GET", "/metrics", daemon_serve_metrics, d);
        if (live_register(d->live, d->http) != 0)
            return -ENOSPC;
        if (d->alerts)
            alert_http_register(d->http, d->alerts, c->http.token);
    }
    if (d->http || c->report.daily) {
        d->reports = report_server_new(c, d->http, k);
        if (!d->reports)
            return -EINVAL;
    }
    if (d->http) {
        rc = httpd_start(d->http);
        if (rc)
            return rc;
    }
    return 0;
}

static void close_parts(struct daemon *d)
{
    httpd_stop(d->http);
    /* the pipeline has stopped observing; the engine's last events go to notify */
    alert_engine_free(d->alerts);
    live_free(d->live);     /* after the engine, whose events it takes */
    notify_free(d->notify); /* before ingest: its last publishes need the client */
    report_server_free(d->reports);
    ingest_free(d->in);
    hj212_reply_free(d->reply); /* after ingest: the message callback uses it */
    pipeline_free(d->pipe);
    devstate_free(d->devstate);
    influx_free(d->db);
    wal_close(d->wal);
    quarantine_close(d->q);
    config_free(d->cfg);
}

int daemon_run(const char *config_path)
{
    struct daemon d;
    memset(&d, 0, sizeof d);
    struct buf errors;
    buf_init(&errors, 1 << 20);
    if (config_load(config_path, &d.cfg, &errors) != 0) {
        fputs(errors.data ? errors.data : "configuration error\n", stderr);
        buf_free(&errors);
        return 1;
    }
    buf_free(&errors);
    enum log_level lvl;
    if (log_parse_level(d.cfg->log_level, &lvl) == 0)
        log_set_level(lvl);

    /* Signals are taken by sigtimedwait in this thread only: block them
     * before any other thread (Paho, curl, microhttpd, pipeline) starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    int status = 1;
    metrics_set(G_LAST_WRITE_OK, 1);
    if (open_parts(&d) != 0)
        goto out;
    struct wal_stats ws;
    wal_stats(d.wal, &ws);
    log_info("daemon", "started version=%s config=%s data_dir=%s wal_pending=%llu",
             LIFELINE_VERSION, config_path, d.cfg->data_dir,
             (unsigned long long)ws.records_pending);
    /* the engine first: a pipeline thread that started would observe into it */
    if (d.alerts && alert_engine_start(d.alerts) != 0)
        goto out;
    if (pipeline_start(d.pipe) != 0)
        goto out;

    for (;;) {
        daemon_check_intake(&d);
        ingest_tick(d.in);
        tell_alerts(&d);
        struct timespec tick = {0, 100 * 1000000L};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("daemon", "stopping signal=%s", sig == SIGTERM ? "term" : "int");
            break;
        }
        if (sig == SIGHUP) {
            log_info("daemon", "sighup: reloading registry and profiles");
            daemon_reload(&d);
        }
    }
    /* Stop taking messages, make what was taken durable, then give the
     * database a bounded time to take it; the rest waits in the WAL. */
    atomic_store(&d.stopping, true);
    ingest_stop(d.in);
    pipeline_stop(d.pipe, DRAIN_MS);
    wal_stats(d.wal, &ws);
    log_info("daemon", "stopped wal_pending=%llu", (unsigned long long)ws.records_pending);
    status = 0;
out:
    close_parts(&d);
    return status;
}
