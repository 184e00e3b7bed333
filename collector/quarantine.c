#include "quarantine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "jsonout.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"
#include <time.h>

/* A record never holds more than this much payload: the rest is cut and the
 * cut said in "truncated", so one huge message cannot fill the disk. */
#define QUARANTINE_MAX_PAYLOAD (1u << 20)

struct quarantine {
    int fd;
    pthread_mutex_t lock;
    struct buf line; /* reused for every record, under lock */
};

struct quarantine *quarantine_open(const char *path)
{
    struct quarantine *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (q->fd < 0) {
        int e = errno;
        free(q);
        errno = e;
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    buf_init(&q->line, 4 * QUARANTINE_MAX_PAYLOAD + 65536);
    return q;
}

void quarantine_close(struct quarantine *q)
{
    if (!q)
        return;
    if (q->fd >= 0) {
        fdatasync(q->fd);
        close(q->fd);
    }
    buf_free(&q->line);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static int format_record(struct buf *b, int64_t time_ms, enum reason reason, const char *detail,
                         const char *topic, const char *payload, size_t len)
{
    char when[64];
    time_t secs = (time_t)(time_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(time_ms % 1000));
    size_t keep = len > QUARANTINE_MAX_PAYLOAD ? QUARANTINE_MAX_PAYLOAD : len;
    int rc = buf_putc(b, '{');
    if (!rc)
        rc = json_append_kv(b, "time", when);
    if (!rc)
        rc = buf_putc(b, ',');
    if (!rc)
        rc = json_append_kv(b, "topic", topic ? topic : "");
    if (!rc)
        rc = buf_putc(b, ',');
    if (!rc)
        rc = json_append_kv(b, "reason", reason_name(reason));
    if (!rc)
        rc = buf_putc(b, ',');
    if (!rc)
        rc = json_append_kv(b, "detail", detail ? detail : "");
    if (!rc && keep < len)
        rc = buf_printf(b, ",\"truncated\":%zu", len);
    if (!rc) {
        /* Cutting may split a UTF-8 sequence: then the payload goes as base64. */
        if (utf8_valid(payload, keep)) {
            rc = buf_puts(b, ",\"payload\":");
            if (!rc)
                rc = json_append_string(b, payload, keep);
        } else {
            rc = buf_puts(b, ",\"payload_b64\":");
            if (!rc)
                rc = json_append_base64(b, payload, keep);
        }
    }
    if (!rc)
        rc = buf_puts(b, "}\n");
    return rc;
}

int quarantine_add(struct quarantine *q, int64_t time_ms, enum reason reason, const char *detail,
                   const char *topic, const void *payload, size_t len)
{
    log_debug("quarantine", "reason=%s topic=%s detail=\"%s\"", reason_name(reason),
              topic ? topic : "", detail ? detail : "");
    if (!q) {
        metrics_rejected(reason);
        return -EBADF;
    }
    pthread_mutex_lock(&q->lock);
    buf_reset(&q->line);
    int rc = format_record(&q->line, time_ms, reason, detail, topic, payload ? payload : "",
                           payload ? len : 0);
    if (!rc) {
        const char *p = q->line.data;
        size_t left = q->line.len;
        while (left > 0) {
            ssize_t w = write(q->fd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = -errno;
                break;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    pthread_mutex_unlock(&q->lock);
    /* Counted once the record is in the file: whoever sees the count in
     * /metrics finds the record. */
    metrics_rejected(reason);
    if (rc) {
        metrics_add(C_QUARANTINE_WRITE_ERRORS, 1);
        log_error("quarantine", "cannot write record reason=%s error=\"%s\"", reason_name(reason),
                  strerror(-rc));
    }
    return rc;
}
