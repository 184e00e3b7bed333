#include "pipeline.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_engine.h"
#include "buf.h"
#include "devstate.h"
#include "dispatch.h"
#include "influx.h"
#include "knowledge.h"
#include "lineproto.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "plain_tags.h"
#include "quarantine.h"
#include "reading.h"
#include "timestamp.h"
#include "unknown_devices.h"
#include "validate.h"
#include "wal.h"

/* Fields that mark what the pipeline did to a reading. */
#define RECEIPT_FIELD "ts_on_receipt"
#define RSRP_FIELD "rsrp_normalised"
#define UNKNOWN_DEVICES_CAP 4096

struct pipeline {
    const struct config *cfg;
    struct wal *wal;
    struct influx *db;
    struct quarantine *q;
    struct dispatch *dispatch;
    struct validator *validator;
    struct knowledge *k;                 /* in use by the pipeline thread */
    _Atomic(struct knowledge *) pending; /* handed over by pipeline_set_knowledge */
    struct unknown_devices *unknown;
    struct plain_tags *plain;    /* which registered assets' tags need no escaping */
    struct devstate *devstate;   /* borrowed; NULL: none */
    struct alert_engine *alerts; /* borrowed; NULL: none */
    struct reading r;
    struct field scratch[READING_MAX_FIELDS + 2]; /* the fields of one point */
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
    atomic_uint_least64_t generation, no_reading, unknown_fields, rsrp_normalised,
        fields_quarantined, own_alerts;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct pipeline *pipeline_new(const struct config *cfg, struct wal *wal, struct influx *db,
                              struct quarantine *q, struct knowledge *k)
{
    struct pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = cfg;
    p->wal = wal;
    p->db = db;
    p->q = q;
    char err[256];
    p->dispatch = dispatch_new(cfg->mqtt.decoders, cfg->mqtt.ndecoders, cfg->mqtt.topic_template,
                               err, sizeof err);
    if (!p->dispatch) {
        log_error("pipeline", "bad decoder routes or topic template error=\"%s\"", err);
        goto err_free;
    }
    int zone = 480; /* the default of hj212.time_zone, which config_load has checked */
    const char *tz = cfg->hj212.time_zone ? cfg->hj212.time_zone : "+08:00";
    if (ts_parse_zone(tz, strlen(tz), &zone) != 0)
        snprintf(err, sizeof err, "hj212.time_zone '%s' is not a utc offset", tz);
    if (ts_parse_zone(tz, strlen(tz), &zone) != 0 ||
        dispatch_set_hj212_zones(p->dispatch, zone, cfg->hj212.time_zones, cfg->hj212.ntime_zones,
                                 err, sizeof err) != 0) {
        log_error("pipeline", "bad hj212 time zones error=\"%s\"", err);
        goto err_free;
    }
    struct validate_opts vo = {
        .reject_unknown_fields = cfg->validate.unknown_fields == VALIDATE_UNKNOWN_REJECT,
        .partial = cfg->validate.partial,
        .quarantine_unknown_devices = cfg->registry.unknown_devices == REGISTRY_UNKNOWN_QUARANTINE,
        .max_age_ms = (int64_t)cfg->validate.max_age_s * 1000,
        .max_future_ms = (int64_t)cfg->validate.max_future_s * 1000,
        .duplicate_window_ms = (int64_t)cfg->validate.duplicate_window_s * 1000,
    };
    p->validator = validator_new(&vo);
    p->unknown = unknown_devices_new(UNKNOWN_DEVICES_CAP);
    p->plain = plain_tags_new(k->registry);
    if (!p->validator || !p->unknown || !p->plain)
        goto err_free;
    /* Flattened keys and strings of one reading never outgrow twice the payload. */
    if (reading_init(&p->r, (size_t)cfg->mqtt.max_payload * 2 + 4096) != 0)
        goto err_free;
    buf_init(&p->batch, (size_t)cfg->influx.batch_bytes);
    if (buf_reserve(&p->batch, (size_t)cfg->influx.batch_bytes) != 0)
        goto err_free;
    p->k = k;
    atomic_store(&p->generation, 1);
    return p;

err_free:
    plain_tags_free(p->plain);
    reading_free(&p->r);
    buf_free(&p->batch);
    unknown_devices_free(p->unknown);
    validator_free(p->validator);
    dispatch_free(p->dispatch);
    free(p);
    return NULL;
}

void pipeline_set_knowledge(struct pipeline *p, struct knowledge *k)
{
    /* one not yet adopted was never seen by the pipeline thread */
    knowledge_unref(atomic_exchange(&p->pending, k));
}

/* Between two records: switch to the knowledge a reload handed over. */
static void adopt(struct pipeline *p)
{
    struct knowledge *k = atomic_exchange(&p->pending, NULL);
    if (!k)
        return;
    knowledge_unref(p->k);
    p->k = k;
    unknown_devices_forget_registered(p->unknown, k->registry);
    if (plain_tags_reset(p->plain, k->registry) != 0) /* answers false: tags are escaped */
        log_warn("pipeline", "out of memory for the tag cache: every tag is escaped");
    if (p->devstate)
        devstate_sync_knowledge(p->devstate, k);
    uint64_t g = atomic_fetch_add(&p->generation, 1) + 1;
    log_info("pipeline", "reloaded generation=%llu assets=%zu categories=%zu",
             (unsigned long long)g, k->registry ? registry_count(k->registry) : 0,
             profile_set_count(k->profiles));
}

void pipeline_set_devstate(struct pipeline *p, struct devstate *ds)
{
    p->devstate = ds;
    if (ds)
        devstate_sync_knowledge(ds, p->k);
}

void pipeline_stats(struct pipeline *p, struct pipeline_stats *out)
{
    out->generation = atomic_load(&p->generation);
    out->no_reading = atomic_load(&p->no_reading);
    out->unknown_fields = atomic_load(&p->unknown_fields);
    out->rsrp_normalised = atomic_load(&p->rsrp_normalised);
    out->fields_quarantined = atomic_load(&p->fields_quarantined);
    out->own_alerts = atomic_load(&p->own_alerts);
    out->unknown_devices = unknown_devices_count(p->unknown);
}

void pipeline_set_alerts(struct pipeline *p, struct alert_engine *e)
{
    p->alerts = e;
}

struct unknown_devices *pipeline_unknown_devices(struct pipeline *p)
{
    return p->unknown;
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

struct point {
    const char *meas;
    size_t meas_len;
    struct lp_tag tags[6];
};

/* Appends one line. 0 written, 1 refused (quarantined), -ECANCELED. */
static int write_line(struct pipeline *p, const struct wal_record *rec, const struct point *pt,
                      size_t n, int64_t ts)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        const char *bad = NULL;
        int rc =
            lp_write_point(&p->batch, pt->meas, pt->meas_len, pt->tags, 6, p->scratch, n, ts, &bad);
        if (rc == 0) {
            if (p->nlines++ == 0)
                p->batch_deadline = mono_ms() + p->cfg->influx.batch_age_ms;
            metrics_set(G_PENDING_LINES, (int64_t)p->nlines);
            return 0;
        }
        if (rc == -EINVAL) {
            reject(p, rec, REASON_MALFORMED, bad ? bad : "cannot be written as line protocol");
            return 1;
        }
        if (rc != -E2BIG || p->nlines == 0)
            break;
        rc = flush(p); /* the batch is full: send it, then encode into the empty one */
        if (rc)
            return rc;
    }
    reject(p, rec, REASON_TOO_LARGE, "the reading does not fit in influx.batch_bytes");
    return 1;
}

static void add_marker(struct field *f, const char *key)
{
    memset(f, 0, sizeof *f);
    f->key = key;
    f->key_len = strlen(key);
    f->type = FIELD_BOOL;
    f->v.b = true;
}

/* One point per distinct field time (Alink params carry their own). */
static int write_points(struct pipeline *p, const struct wal_record *rec, const struct point *pt,
                        bool rsrp_normalised)
{
    struct reading *r = &p->r;
    bool used[READING_MAX_FIELDS] = {false};
    for (size_t i = 0; i < r->nfields; i++) {
        if (used[i])
            continue;
        int64_t t = r->fields[i].ts_ms ? r->fields[i].ts_ms : r->ts_ms;
        size_t n = 0;
        bool has_rsrp = false;
        for (size_t j = i; j < r->nfields; j++) {
            const struct field *f = &r->fields[j];
            if (used[j] || (f->ts_ms ? f->ts_ms : r->ts_ms) != t)
                continue;
            used[j] = true;
            has_rsrp |= f->key_len == 4 && memcmp(f->key, "rsrp", 4) == 0;
            p->scratch[n] = *f;
            p->scratch[n++].ts_ms = 0;
        }
        if (r->ts_from_receipt)
            add_marker(&p->scratch[n++], RECEIPT_FIELD);
        if (rsrp_normalised && has_rsrp)
            add_marker(&p->scratch[n++], RSRP_FIELD);
        int rc = write_line(p, rec, pt, n, t);
        if (rc)
            return rc;
    }
    return 0;
}

/* Turns one record into lines of the batch, or a quarantine record.
 * Returns 0, or -ECANCELED when a needed flush was aborted. */
static int process(struct pipeline *p, const struct wal_record *rec)
{
    char detail[512];
    static const size_t own_len = sizeof NOTIFY_TOPIC_PREFIX - 1;
    if (rec->topic_len >= own_len && memcmp(rec->topic, NOTIFY_TOPIC_PREFIX, own_len) == 0) {
        atomic_fetch_add(&p->own_alerts, 1);
        return 0;
    }
    if (rec->payload_len > (size_t)p->cfg->mqtt.max_payload) {
        snprintf(detail, sizeof detail, "payload of %zu bytes is over mqtt.max_payload %lld",
                 rec->payload_len, (long long)p->cfg->mqtt.max_payload);
        reject(p, rec, REASON_TOO_LARGE, detail);
        return 0;
    }
    struct decoder_input in = {.topic = rec->topic,
                               .topic_len = rec->topic_len,
                               .payload = rec->payload,
                               .len = rec->payload_len,
                               .recv_ms = rec->recv_ms,
                               .local_offset_min = 480}; /* dispatch sets hj212's */
    struct device_ref who;
    const char *decoder;
    enum reason why = REASON_MALFORMED;
    detail[0] = '\0';
    int rc = dispatch_decode(p->dispatch, &in, &p->r, &who, &decoder, &why, detail, sizeof detail);
    if (rc == -ENODATA) {
        atomic_fetch_add(&p->no_reading, 1);
        return 0;
    }
    if (rc) {
        reject(p, rec, why, detail);
        return 0;
    }

    /* The registry is the operators' curated truth: it wins over the topic. */
    const struct registry *reg = p->k->registry;
    const struct asset *a =
        reg && who.device_len ? registry_find_device(reg, who.device, who.device_len) : NULL;
    struct point pt;
    pt.meas = a ? a->category : who.category;
    pt.meas_len = a ? strlen(a->category) : who.category_len;
    const char *dis = a && a->district[0] ? a->district : who.district;
    size_t dis_len = a && a->district[0] ? strlen(a->district) : who.district_len;
    bool unregistered = reg && !a;
    if (unregistered)
        unknown_devices_note(p->unknown, who.device, who.device_len, who.category, who.category_len,
                             rec->recv_ms);
    if (!pt.meas || !pt.meas_len) {
        snprintf(detail, sizeof detail,
                 "device '%.*s' is not in the registry and the message does not name its "
                 "category",
                 (int)(who.device_len < 200 ? who.device_len : 200), who.device ? who.device : "");
        reject(p, rec, REASON_UNKNOWN_DEVICE, detail);
        return 0;
    }

    struct validate_subject subj = {
        .device = who.device ? who.device : "",
        .device_len = who.device_len,
        .category = pt.meas,
        .category_len = pt.meas_len,
        .profile = profile_set_find(p->k->profiles, pt.meas, pt.meas_len),
        .unregistered = unregistered,
    };
    struct validate_result res;
    int64_t now = rec->recv_ms;
    if (validate_reading(p->validator, &subj, &p->r, now, &res) != 0) {
        reject(p, rec, res.why, res.detail);
        return 0;
    }
    if (res.nbad) { /* partial mode: the good fields go on, the bad ones to quarantine */
        atomic_fetch_add(&p->fields_quarantined, res.nbad);
        reject(p, rec, res.why, res.detail);
    }
    atomic_fetch_add(&p->unknown_fields, res.nunknown);
    if (res.rsrp_normalised)
        atomic_fetch_add(&p->rsrp_normalised, 1);

    /* Sorted by key, as lineproto requires; an empty value is left out. */
    const char *model = a && a->model ? a->model : "";
    /* A registered asset's own text, checked once per registry (plain_tags);
     * the device id is a->device_id's bytes (found by exact match); what
     * comes from the message (a topic's district, kind) is always checked. */
    bool plain = plain_tags_asset(p->plain, a);
    pt.tags[0] = (struct lp_tag){"asset", a ? a->asset_id : "", a ? strlen(a->asset_id) : 0, plain};
    pt.tags[1] = (struct lp_tag){"device", who.device, who.device_len, plain};
    pt.tags[2] = (struct lp_tag){"district", dis ? dis : "", dis ? dis_len : 0,
                                 plain && a && dis == a->district};
    pt.tags[3] = (struct lp_tag){"kind", who.kind ? who.kind : "", who.kind_len, false};
    pt.tags[4] = (struct lp_tag){"model", model, strlen(model), plain};
    pt.tags[5] = (struct lp_tag){"unregistered", "true", unregistered ? 4 : 0, true};
    rc = write_points(p, rec, &pt, res.rsrp_normalised);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        metrics_add(C_READINGS_ACCEPTED, 1);
        validate_remember(p->validator, &res, now);
        if (p->devstate) {
            struct devstate_obs o = {.asset = a,
                                     .device = who.device,
                                     .device_len = who.device_len,
                                     .category = pt.meas,
                                     .category_len = pt.meas_len,
                                     .district = dis,
                                     .district_len = dis ? dis_len : 0,
                                     .profile = subj.profile,
                                     .reading = &p->r,
                                     .recv_ms = rec->recv_ms,
                                     .whole = res.nbad == 0};
            devstate_note(p->devstate, &o);
        }
        if (p->alerts) {
            struct alert_subject as = {who.device, who.device_len,   pt.meas, pt.meas_len,
                                       dis,        dis ? dis_len : 0};
            alert_engine_observe(p->alerts, &as, &p->r, rec->recv_ms);
        }
    }
    return 0;
}

int pipeline_bench_process(struct pipeline *p, const struct wal_record *rec, pipeline_sink_fn sink,
                           void *ctx)
{
    size_t before = p->nlines;
    if (p->nlines >= (size_t)p->cfg->influx.batch_lines) {
        if (sink)
            sink(ctx, p->batch.data, p->batch.len, p->nlines);
        buf_reset(&p->batch);
        p->nlines = before = 0;
    }
    int rc = process(p, rec);
    if (rc)
        return rc;
    return p->nlines > before ? 0 : 1;
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
        adopt(p);
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
    dispatch_free(p->dispatch);
    validator_free(p->validator);
    unknown_devices_free(p->unknown);
    plain_tags_free(p->plain);
    knowledge_unref(p->k);
    knowledge_unref(atomic_load(&p->pending));
    reading_free(&p->r);
    buf_free(&p->batch);
    free(p);
}
