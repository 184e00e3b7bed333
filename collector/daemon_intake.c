/*
 * daemon_intake: MQTT messages into the write-ahead log, and the
 * backpressure around it: a message waits while the log is full or the disk
 * refuses writes, and intake pauses until there is room again.
 */
#include "daemon.h"
#include "daemon_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hj212_reply.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "quarantine.h"
#include "wal.h"

/* Intake pauses when the log reaches PAUSE_PCT % of wal.max_bytes and resumes
 * below RESUME_PCT %. The gap above PAUSE_PCT is headroom for what arrives
 * between two checks (100 ms) and what Paho already holds when it lets go;
 * the gap below is hysteresis, one segment or more in a sized log. */
#define PAUSE_PCT 90
#define RESUME_PCT 80
/* How often the MQTT thread retries a message the log cannot take yet. */
#define STORE_RETRY_MS 20

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

int daemon_on_message(void *ctx, const char *topic, size_t topic_len, const void *payload,
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
     * socket, TCP pushes back on the broker, and daemon_check_intake() disconnects.
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

void daemon_check_intake(struct daemon *d)
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
        /* Log first, as for the pause: whoever sees paused 0 finds the line. */
        log_info("daemon", "resuming mqtt intake used_bytes=%lld max_bytes=%lld paused_s=%lld",
                 (long long)ws.bytes_used, (long long)max,
                 (long long)((ingest_now_ms() - d->paused_since_ms) / 1000));
        ingest_resume(d->in);
        d->paused = false;
    }
}
