#include "daemon.h"

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
/* Intake pauses when the log reaches PAUSE_PCT % of wal.max_bytes and resumes
 * below RESUME_PCT %. The gap above PAUSE_PCT is headroom for what arrives
 * between two checks (100 ms) and what Paho already holds when it lets go;
 * the gap below is hysteresis, one segment or more in a sized log. */
#define PAUSE_PCT 90
#define RESUME_PCT 80
/* How often the MQTT thread retries a message the log cannot take yet. */
#define STORE_RETRY_MS 20

struct daemon {
    struct config *cfg;
    struct quarantine *q;
    struct wal *wal;
    struct influx *db;
    struct pipeline *pipe;
    struct ingest *in;
    struct httpd *http;
    struct devstate *devstate;
    struct live *live;
    struct notify *notify;
    struct report_server *reports;
    struct alert_engine *alerts; /* NULL when alerts.enabled is false */
    struct hj212_reply *reply;   /* HJ 212 acknowledgements */
    atomic_int_least64_t last_full_log_ms;
    atomic_uint_least64_t reload_failures;
    atomic_bool stopping;         /* the MQTT thread stops waiting for room */
    bool paused;                  /* main loop only */
    int64_t paused_since_ms;      /* main loop only */
    atomic_uint_least64_t pauses; /* times intake was paused */
};

/* Logs why a message could not be stored, at most once a second. */
static void log_refused(struct daemon *d, int rc, const char *topic, int64_t now_ms)
{
    int64_t last = atomic_load(&d->last_full_log_ms);
    if (now_ms - last < 1000 ||
        !atomic_compare_exchange_strong(&d->last_full_log_ms, &last, now_ms))
        return;
    if (rc == -EIO)
        log_error("daemon",
                  "cannot store message: the disk refuses writes to the wal (full or failing); "
                  "holding it and retrying, mqtt intake pauses topic=%s",
                  topic);
    else if (rc == -ENOSPC)
        log_warn("daemon",
                 "wal is at wal.max_bytes: holding the message until the database takes the "
                 "backlog topic=%s max_bytes=%lld",
                 topic, (long long)d->cfg->wal.max_bytes);
    else
        log_error("daemon", "cannot store message in wal error=\"%s\" topic=%s", strerror(-rc),
                  topic);
}

static int on_message(void *ctx, const char *topic, size_t topic_len, const void *payload,
                      size_t len, int64_t recv_ms)
{
    struct daemon *d = ctx;
    /* Our own HJ 212 acknowledgements, back through a subscription such as
     * hj212/#: neither data nor worth a WAL record. */
    if (hj212_reply_is_own(d->reply, topic, topic_len)) {
        metrics_add(C_HJ212_OWN_REPLIES, 1);
        return 0;
    }
    if (len > (size_t)d->cfg->mqtt.max_payload) {
        char detail[128];
        snprintf(detail, sizeof detail, "payload of %zu bytes is over mqtt.max_payload %lld", len,
                 (long long)d->cfg->mqtt.max_payload);
        quarantine_add(d->q, recv_ms, REASON_TOO_LARGE, detail, topic, payload, len);
        return 0;
    }
    /* Returning nonzero would leave the message in Paho's queue, which Paho
     * only works off one message per packet received: a queue formed under
     * steady traffic never drains. So a full log (pause) or a disk that
     * refuses writes blocks this thread instead: Paho stops reading the
     * socket, TCP pushes back on the broker, and check_intake() disconnects.
     * Only shutdown gives up, and then Paho keeps the message in its
     * persistence directory for the next start. */
    for (;;) {
        int rc = wal_append(d->wal, topic, topic_len, payload, len, recv_ms);
        /* drop_oldest: make room by giving up the oldest segment (the wal
         * logs and counts each drop); -ENOENT: only the active one is left. */
        while (rc == -ENOSPC && d->cfg->wal.full_policy == WAL_FULL_DROP_OLDEST &&
               wal_drop_oldest(d->wal, NULL) != -ENOENT)
            rc = wal_append(d->wal, topic, topic_len, payload, len, recv_ms);
        if (rc == 0) {
            /* In the log now, so the station may forget it (docs/architecture.md).
             * Not for -EINPROGRESS below: held in memory only, so the station is
             * left to send it again. */
            hj212_reply_after_store(d->reply, topic, topic_len, payload, len);
            return 0;
        }
        if (rc == -EINPROGRESS) {
            /* Taken: the wal holds it in memory and writes it when the disk
             * lets it; offering it again would store it twice. */
            log_refused(d, -EIO, topic, ingest_now_ms());
            return 0;
        }
        log_refused(d, rc, topic, ingest_now_ms());
        if ((rc != -ENOSPC && rc != -EIO) || atomic_load(&d->stopping))
            return rc;
        struct timespec ts = {0, STORE_RETRY_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/*
 * Called from the main loop every 100 ms: pauses MQTT intake while the log is
 * nearly full (policy pause) or the disk refuses writes (any policy), so that
 * the broker queues instead of Paho holding acknowledged messages in memory.
 */
static void check_intake(struct daemon *d)
{
    const struct config *c = d->cfg;
    struct wal_stats ws;
    wal_stats(d->wal, &ws);
    int64_t max = c->wal.max_bytes;
    bool full =
        c->wal.full_policy == WAL_FULL_PAUSE && max > 0 && ws.bytes_used >= max / 100 * PAUSE_PCT;
    if (!d->paused && (full || ws.io_error)) {
        /* Count and log first: whoever sees paused 1 in /metrics finds both. */
        atomic_fetch_add(&d->pauses, 1);
        log_warn("daemon", "pausing mqtt intake: %s used_bytes=%lld max_bytes=%lld pending=%llu",
                 ws.io_error ? "the disk refuses writes to the wal" : "the wal is nearly full",
                 (long long)ws.bytes_used, (long long)max, (unsigned long long)ws.records_pending);
        ingest_pause(d->in);
        d->paused = true;
        d->paused_since_ms = ingest_now_ms();
        return;
    }
    bool room =
        c->wal.full_policy != WAL_FULL_PAUSE || max <= 0 || ws.bytes_used < max / 100 * RESUME_PCT;
    if (d->paused && room && !ws.io_error) {
        ingest_resume(d->in);
        d->paused = false;
        log_info("daemon", "resuming mqtt intake used_bytes=%lld max_bytes=%lld paused_s=%lld",
                 (long long)ws.bytes_used, (long long)max,
                 (long long)((ingest_now_ms() - d->paused_since_ms) / 1000));
    }
}

static void health(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    (void)req;
    struct daemon *d = ctx;
    struct buf *body = &res->body;
    const char *reason = NULL;
    if (ingest_paused(d->in))
        reason = "mqtt intake paused: the write-ahead log is full or cannot be written";
    else if (!ingest_connected(d->in))
        reason = "not connected to the mqtt broker";
    else if (!metrics_gauge(G_LAST_WRITE_OK))
        reason = "database writes are failing";
    buf_puts(body, "{");
    json_append_kv(body, "status", reason ? "unhealthy" : "ok");
    if (reason) {
        buf_putc(body, ',');
        json_append_kv(body, "reason", reason);
    }
    buf_puts(body, "}\n");
    res->status = reason ? 503 : 200;
}

static void render_wal(const struct daemon *d, const struct wal_stats *ws, struct buf *b)
{
    int64_t age = ws->oldest_pending_ms ? ingest_now_ms() - ws->oldest_pending_ms : 0;
    metrics_render_gauge(b, "lifeline_wal_bytes", "Bytes of write-ahead log on disk",
                         (double)ws->bytes_on_disk);
    metrics_render_gauge(
        b, "lifeline_wal_used_bytes",
        "Bytes counted against wal.max_bytes: segments plus records not yet written",
        (double)ws->bytes_used);
    metrics_render_gauge(b, "lifeline_wal_max_bytes", "The wal.max_bytes limit",
                         (double)d->cfg->wal.max_bytes);
    metrics_render_gauge(b, "lifeline_wal_segments", "Write-ahead log segment files",
                         (double)ws->segments);
    metrics_render_gauge(b, "lifeline_wal_pending_records",
                         "Records not yet in the database or quarantine",
                         (double)ws->records_pending);
    metrics_render_gauge(b, "lifeline_wal_oldest_pending_seconds",
                         "Age of the oldest pending record", age > 0 ? (double)age / 1000.0 : 0.0);
    metrics_render_gauge(b, "lifeline_wal_fsync_last_seconds",
                         "Duration of the last write and fdatasync",
                         (double)ws->fsync_last_us / 1e6);
    metrics_render_gauge(b, "lifeline_wal_fsync_max_seconds",
                         "Longest write and fdatasync since start", (double)ws->fsync_max_us / 1e6);
    metrics_render_gauge(b, "lifeline_wal_replayed_records",
                         "Records pending when the log was opened", (double)ws->replayed_at_open);
    metrics_render_gauge(b, "lifeline_wal_corrupt_bytes", "Bytes of damaged log skipped",
                         (double)ws->corrupt_bytes);
    metrics_render_gauge(b, "lifeline_wal_dropped_records",
                         "Records deleted uncommitted by the drop_oldest policy since start",
                         (double)ws->records_dropped);
    metrics_render_gauge(b, "lifeline_wal_dropped_unread_records",
                         "Of those, records the pipeline had not read: certainly never stored",
                         (double)ws->records_dropped_unread);
    metrics_render_gauge(b, "lifeline_wal_io_error", "1 while writes to the log fail",
                         (double)ws->io_error);
    metrics_render_gauge(b, "lifeline_wal_paused",
                         "1 while MQTT intake is paused because the log is full",
                         ingest_paused(d->in) ? 1.0 : 0.0);
    metrics_render_counter(b, "lifeline_wal_pauses_total", "Times MQTT intake was paused",
                           atomic_load(&((struct daemon *)d)->pauses));
}

static void render_knowledge(struct daemon *d, struct buf *b)
{
    struct pipeline_stats ps;
    pipeline_stats(d->pipe, &ps);
    metrics_render_gauge(
        b, "lifeline_unknown_devices",
        "Distinct devices not in the registry that sent readings (at most 4096 held)",
        (double)ps.unknown_devices);
    metrics_render_gauge(b, "lifeline_knowledge_generation",
                         "Profiles and registry in use: 1 at start, +1 per successful reload",
                         (double)ps.generation);
    metrics_render_counter(b, "lifeline_reload_failures_total",
                           "Reloads (SIGHUP) refused because the registry or a profile had errors",
                           (uint64_t)atomic_load(&d->reload_failures));
    metrics_render_counter(b, "lifeline_messages_without_reading_total",
                           "Messages that carry no reading (Alink replies, HJ 212 heartbeats)",
                           ps.no_reading);
    metrics_render_counter(b, "lifeline_unknown_fields_total",
                           "Fields not in their category profile, stored as they came",
                           ps.unknown_fields);
    metrics_render_counter(b, "lifeline_rsrp_normalised_total",
                           "Readings whose RSRP came as a magnitude or x10 and was turned into dBm",
                           ps.rsrp_normalised);
    metrics_render_counter(b, "lifeline_fields_quarantined_total",
                           "Bad fields removed from otherwise stored readings (validate.partial)",
                           ps.fields_quarantined);
    metrics_render_counter(b, "lifeline_own_alert_messages_total",
                           "Messages on lifeline/alerts/... (Lifeline's own alerts) skipped",
                           ps.own_alerts);
}

static void render_metrics(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    (void)req;
    struct daemon *d = ctx;
    struct buf *body = &res->body;
    res->content_type = "text/plain; version=0.0.4";
    struct wal_stats ws;
    wal_stats(d->wal, &ws);
    metrics_set(G_QUEUE_DEPTH, (int64_t)ws.records_pending);
    metrics_render(body);
    render_wal(d, &ws, body);
    render_knowledge(d, body);
    metrics_render_gauge(body, "lifeline_live_streams",
                         "Live page streams (GET /api/v1/stream) open now",
                         live_stream_count(d->live));
    metrics_render_gauge(body, "lifeline_live_version",
                         "Changes to the live device state since start (readings and reloads)",
                         (double)devstate_version(d->devstate));
    if (d->alerts)
        alert_engine_render_metrics(d->alerts, body);
    if (d->notify)
        notify_render_metrics(d->notify, body);
}

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

/* Loads profiles and registry; logs every problem. NULL on error. */
static struct knowledge *load_knowledge(const struct config *c)
{
    struct buf errors;
    buf_init(&errors, 1 << 20);
    int n = 0;
    struct knowledge *k = knowledge_load(c, &errors, &n);
    if (!k) {
        const char *line = errors.data;
        while (line && *line) {
            size_t len = strcspn(line, "\n");
            log_error("daemon", "%.*s", (int)len, line);
            line += len + (line[len] == '\n');
        }
        log_error("daemon", "profiles or registry unusable errors=%d", n);
    }
    buf_free(&errors);
    return k;
}

static void log_lines(enum log_level level, const struct buf *b)
{
    const char *line = b->data;
    while (line && *line) {
        size_t len = strcspn(line, "\n");
        log_msg(level, "daemon", "%.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
}

/*
 * Loads alerts.rules_file (NULL and *ok when unset) and checks it against
 * k's profiles; logs every problem and warning.
 */
static struct alert_rules *load_rules(const struct config *c, const struct knowledge *k, bool *ok)
{
    *ok = true;
    if (!c->alerts.rules_file)
        return NULL;
    struct buf errors, warnings;
    buf_init(&errors, 1 << 20);
    buf_init(&warnings, 1 << 20);
    int n = 0;
    struct alert_rules *r = alert_rules_load(c->alerts.rules_file, &errors, &n);
    if (r)
        n +=
            alert_rules_check(r, k->profiles, c->validate.unknown_fields != VALIDATE_UNKNOWN_REJECT,
                              c->alerts.rules_file, &errors, &warnings);
    log_lines(LOG_WARN, &warnings);
    if (n) {
        log_lines(LOG_ERROR, &errors);
        log_error("daemon", "alert rules unusable errors=%d", n);
        alert_rules_free(r);
        r = NULL;
        *ok = false;
    }
    buf_free(&errors);
    buf_free(&warnings);
    return r;
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
    struct alert_rules *ops = load_rules(c, k, &ok);
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

static void reload(struct daemon *d)
{
    struct knowledge *k = load_knowledge(d->cfg);
    if (!k) {
        atomic_fetch_add(&d->reload_failures, 1);
        log_error("daemon", "reload refused: keeping the registry and profiles in use");
        return;
    }
    /* One knowledge for everyone: each part takes a reference and drops the old one when
     * it adopts this one, so the registry is in memory twice only until they all have. */
    if (d->alerts) {
        bool ok;
        struct alert_rules *ops = load_rules(d->cfg, k, &ok);
        if (!ok) {
            knowledge_unref(k);
            atomic_fetch_add(&d->reload_failures, 1);
            log_error("daemon", "reload refused: keeping the alert rules, registry and profiles "
                                "in use");
            return;
        }
        alert_engine_reload(d->alerts, knowledge_ref(k), ops, ingest_now_ms());
    }
    log_info("daemon", "reload loaded assets=%zu categories=%zu",
             k->registry ? registry_count(k->registry) : 0, profile_set_count(k->profiles));
    pipeline_set_knowledge(d->pipe, knowledge_ref(k));
    if (d->reports)
        report_server_reload(d->reports, k);
    knowledge_unref(k);
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
    struct knowledge *k = load_knowledge(c);
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
    d->in = ingest_new(c, on_message, d);
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
        httpd_route(d->http, "GET", "/healthz", health, d);
        httpd_route(d->http, "GET", "/metrics", render_metrics, d);
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
        check_intake(&d);
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
            reload(&d);
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
