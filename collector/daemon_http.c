/*
 * daemon_http: the daemon's own endpoints, GET /healthz (ok or the first
 * reason it is not) and GET /metrics (the process counters, the WAL, the
 * knowledge in use, and what the live view, alert engine and notifier
 * report).
 */
#include "daemon.h"
#include "daemon_impl.h"

#include "devstate.h"
#include "ingest.h"
#include "jsonout.h"
#include "live.h"
#include "metrics.h"
#include "notify.h"
#include "pipeline.h"
#include "wal.h"

void daemon_serve_health(void *ctx, const struct httpd_request *req, struct httpd_response *res)
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

void daemon_serve_metrics(void *ctx, const struct httpd_request *req, struct httpd_response *res)
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
