#include "pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "influx.h"
#include "json_plain.h"
#include "lineproto.h"
#include "log.h"
#include "metrics.h"
#include "quarantine.h"
#include "reading.h"
#include "topic.h"
#include "wal.h"

/* Field that marks a reading stamped with its receive time. */
#define RECEIPT_FIELD "ts_on_receipt"

struct pipeline {
    const struct config *cfg;
    struct wal *wal;
    struct influx *db;
    struct quarantine *q;
    struct topic_template *tt;
    struct reading r;
    struct buf batch;
    size_t nlines;
    uint64_t last_seq;      /* last record fully handled (batched or quarantined) */
    bool uncommitted;       /* records handled since the last commit */
    size_t handled;         /* how many */
    int64_t batch_deadline; /* monotonic ms when the open batch must go */
    pthread_t thread;
    bool started;
    atomic_bool draining; /* stop when the WAL has nothing more */
    atomic_bool abort;    /* stop now */
    atomic_bool no_retry; /* shutting down: the writer makes one attempt per batch */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct pipeline *pipeline_new(const struct config *cfg, struct wal *wal, struct influx *db,
                              struct quarantine *q)
{
    struct pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->wal = wal;
    p->db = db;
    p->q = q;
    char err[256];
    p->tt = topic_template_new(cfg->mqtt.topic_template, err, sizeof err);
    if (!p->tt) {
        log_error("pipeline", "bad topic template template=\"%s\" error=\"%s\"",
                  cfg->mqtt.topic_template, err);
        goto err_free;
    }
    /* Flattened keys and strings of one reading never outgrow twice the payload. */
    if (reading_init(&p->r, (size_t)cfg->mqtt.max_payload * 2 + 4096) != 0)
        goto err_tt;
    buf_init(&p->batch, (size_t)cfg->influx.batch_bytes);
    if (buf_reserve(&p->batch, (size_t)cfg->influx.batch_bytes) != 0)
        goto err_reading;
    return p;

err_reading:
    reading_free(&p->r);
err_tt:
    topic_template_free(p->tt);
err_free:
    free(p);
    return NULL;
}

/* Writes the open batch and commits the WAL. 0, or -ECANCELED on abort. */
static int flush(struct pipeline *p)
{
    if (p->nlines > 0) {
        int rc = influx_write(p->db, p->batch.data, p->batch.len, p->nlines, &p->no_retry);
        if (rc)
            return rc;
        buf_reset(&p->batch);
        p->nlines = 0;
        metrics_set(G_PENDING_LINES, 0);
    }
    if (p->uncommitted) {
        int rc = wal_commit(p->wal, p->last_seq);
        if (rc)
            log_error("pipeline", "wal commit failed seq=%llu error=\"%s\"",
                      (unsigned long long)p->last_seq, strerror(-rc));
        p->uncommitted = false;
        p->handled = 0;
    }
    return 0;
}

static void reject(struct pipeline *p, const struct wal_record *rec, enum reason why,
                   const char *detail)
{
    char topic[1024];
    size_t n = rec->topic_len < sizeof topic - 1 ? rec->topic_len : sizeof topic - 1;
    memcpy(topic, rec->topic, n);
    topic[n] = '\0';
    quarantine_add(p->q, rec->recv_ms, why, detail, topic, rec->payload, rec->payload_len);
}

/* Turns one record into a line of the batch, or a quarantine record.
 * Returns 0, or -ECANCELED when a needed flush was aborted. */
static int process(struct pipeline *p, const struct wal_record *rec)
{
    struct topic_match m;
    char detail[512];
    if (topic_template_match(p->tt, rec->topic, rec->topic_len, &m) != 0) {
        snprintf(detail, sizeof detail, "topic does not fit the template %s",
                 p->cfg->mqtt.topic_template);
        reject(p, rec, REASON_TOPIC, detail);
        return 0;
    }
    if (rec->payload_len > (size_t)p->cfg->mqtt.max_payload) {
        snprintf(detail, sizeof detail, "payload of %zu bytes is over mqtt.max_payload %lld",
                 rec->payload_len, (long long)p->cfg->mqtt.max_payload);
        reject(p, rec, REASON_TOO_LARGE, detail);
        return 0;
    }

    enum reason why = REASON_MALFORMED;
    detail[0] = '\0';
    if (json_plain_decode(rec->payload, rec->payload_len, rec->recv_ms, &p->r, &why, detail,
                          sizeof detail) != 0) {
        reject(p, rec, why, detail);
        return 0;
    }
    if (p->r.ts_from_receipt) {
        struct field *f = reading_add_field(&p->r);
        if (!f) {
            reject(p, rec, REASON_TOO_LARGE, "too many fields");
            return 0;
        }
        f->key = RECEIPT_FIELD;
        f->key_len = sizeof RECEIPT_FIELD - 1;
        f->type = FIELD_BOOL;
        f->v.b = true;
    }

    size_t cat_len, dev_len, dis_len;
    const char *cat = topic_match_get(&m, "category", &cat_len);
    const char *dev = topic_match_get(&m, "device", &dev_len);
    const char *dis = topic_match_get(&m, "district", &dis_len);
    /* Sorted by key, as InfluxDB prefers. */
    struct lp_tag tags[2] = {{"device", dev, dev_len}, {"district", dis ? dis : "", dis_len}};

    for (int attempt = 0; attempt < 2; attempt++) {
        const char *bad = NULL;
        int rc = lp_write_point(&p->batch, cat, cat_len, tags, 2, p->r.fields, p->r.nfields,
                                p->r.ts_ms, &bad);
        if (rc == 0) {
            if (p->nlines++ == 0)
                p->batch_deadline = mono_ms() + p->cfg->influx.batch_age_ms;
            metrics_add(C_READINGS_ACCEPTED, 1);
            metrics_set(G_PENDING_LINES, (int64_t)p->nlines);
            return 0;
        }
        if (rc == -EINVAL) {
            reject(p, rec, REASON_MALFORMED, bad ? bad : "cannot be written as line protocol");
            return 0;
        }
        if (rc != -E2BIG || p->nlines == 0)
            break;
        rc = flush(p); /* the batch is full: send it, then encode into the empty one */
        if (rc)
            return rc;
    }
    reject(p, rec, REASON_TOO_LARGE, "the reading does not fit in influx.batch_bytes");
    return 0;
}

static void *run(void *arg)
{
    struct pipeline *p = arg;
    for (;;) {
        if (atomic_load(&p->abort))
            break;
        int timeout = 200;
        if (p->nlines > 0) {
            int64_t left = p->batch_deadline - mono_ms();
            timeout = left < 0 ? 0 : left > 200 ? 200 : (int)left;
        }
        struct wal_record rec;
        int rc = wal_read(p->wal, &rec, timeout);
        if (rc == 0) {
            if (process(p, &rec) != 0)
                break;
            p->last_seq = rec.seq;
            p->uncommitted = true;
            /* Counting handled records rather than lines also commits a run of
             * refused messages that fills no batch. */
            if (++p->handled >= (size_t)p->cfg->influx.batch_lines && flush(p) != 0)
                break;
            continue;
        }
        if (rc != -EAGAIN) {
            log_error("pipeline", "wal read failed error=\"%s\"", strerror(-rc));
            break;
        }
        bool due =
            (p->nlines > 0 && mono_ms() >= p->batch_deadline) || (p->nlines == 0 && p->uncommitted);
        if ((due || atomic_load(&p->draining)) && flush(p) != 0)
            break;
        if (atomic_load(&p->draining))
            break;
    }
    return NULL;
}

int pipeline_start(struct pipeline *p)
{
    int rc = pthread_create(&p->thread, NULL, run, p);
    if (rc)
        return -rc;
    p->started = true;
    return 0;
}

void pipeline_stop(struct pipeline *p, int drain_ms)
{
    if (!p || !p->started)
        return;
    /* The writer makes one attempt per batch even with abort set, so the
     * drain writes everything if the database answers, and gives up at the
     * first failure rather than retrying: the WAL keeps the rest. */
    atomic_store(&p->no_retry, true);
    atomic_store(&p->draining, true);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += drain_ms / 1000;
    ts.tv_nsec += (long)(drain_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(p->thread, NULL, &ts) != 0) {
        log_warn("pipeline", "drain did not finish within %d ms: the rest stays in the wal",
                 drain_ms);
        atomic_store(&p->abort, true);
        pthread_join(p->thread, NULL);
    }
    p->started = false;
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    if (p->started) {
        atomic_store(&p->abort, true);
        atomic_store(&p->no_retry, true);
        pthread_join(p->thread, NULL);
    }
    topic_template_free(p->tt);
    reading_free(&p->r);
    buf_free(&p->batch);
    free(p);
}
