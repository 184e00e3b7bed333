/*
 * pipeline: the thread between the write-ahead log and the database.
 *
 * Reads WAL records in order, decodes each with the decoder its topic's
 * route names (dispatch.h), finds the device in the asset registry,
 * validates the reading against its category profile (validate.h), encodes
 * line protocol into the current batch and hands
 * full batches (by lines, bytes or age) to the InfluxDB writer. A refused
 * message goes to quarantine with its reason. The WAL is committed up to a
 * record only when everything up to it is in the database or in quarantine,
 * so a crash at any point replays rather than loses.
 *
 * Messages on topics under NOTIFY_TOPIC_PREFIX (lifeline/alerts/) are
 * Lifeline's own alert states coming back through a `lifeline/#`
 * subscription: they are skipped and counted, neither decoded nor
 * quarantined.
 */
#ifndef LIFELINE_PIPELINE_H
#define LIFELINE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct wal;
struct wal_record;
struct influx;
struct quarantine;
struct pipeline;
struct knowledge;
struct unknown_devices;
struct devstate;

/*
 * NULL (reason logged) on error. Borrows cfg, wal, db and q for its
 * lifetime; takes over the caller's reference to k (knowledge.h) on success
 * only.
 */
struct pipeline *pipeline_new(const struct config *cfg, struct wal *wal, struct influx *db,
                              struct quarantine *q, struct knowledge *k);
/*
 * Hands newer knowledge (a reload) to the pipeline, which takes over the
 * caller's reference. The pipeline thread switches to it between two records
 * and drops its reference to the old one then, so no record is lost or sees
 * half of each; callable from any thread. A handed-over one not yet adopted
 * is dropped when replaced.
 */
void pipeline_set_knowledge(struct pipeline *p, struct knowledge *k);

/*
 * Gives the pipeline the live device state to feed (borrowed; must outlive
 * the pipeline) and fills it from the current registry; the pipeline thread
 * refills it on every reload and notes every stored reading. Before
 * pipeline_start only.
 */
void pipeline_set_devstate(struct pipeline *p, struct devstate *ds);

struct pipeline_stats {
    uint64_t generation;         /* 1 at start, +1 for each reload adopted */
    uint64_t no_reading;         /* messages that carried no reading (replies, heartbeats) */
    uint64_t unknown_fields;     /* fields not in their profile, stored as they came */
    uint64_t rsrp_normalised;    /* readings whose RSRP was turned back into dBm */
    uint64_t fields_quarantined; /* bad fields removed in validate.partial mode */
    uint64_t own_alerts;         /* messages on lifeline/alerts/..., Lifeline's own, skipped */
    size_t unknown_devices;      /* distinct unregistered devices seen (bounded) */
};
/* Thread safe. */
void pipeline_stats(struct pipeline *p, struct pipeline_stats *out);
/* The set of unregistered devices seen (thread safe; see unknown_devices.h). */
struct unknown_devices *pipeline_unknown_devices(struct pipeline *p);
/*
 * Every stored reading is shown to the alert engine (alert_engine_observe);
 * borrowed, set before pipeline_start. NULL: none.
 */
struct alert_engine;
void pipeline_set_alerts(struct pipeline *p, struct alert_engine *e);
/* Starts the thread. 0 or a negative errno. */
int pipeline_start(struct pipeline *p);
/*
 * Stops the thread. It first drains what the WAL holds and writes it, for at
 * most `drain_ms`; whatever is still unconfirmed then stays in the WAL and is
 * replayed on the next start.
 */
void pipeline_stop(struct pipeline *p, int drain_ms);
/* Joins if needed and frees; accepts NULL. */
void pipeline_free(struct pipeline *p);

/*
 * For `lifeline bench-pipeline` only: handles one record in the calling
 * thread exactly as the pipeline thread does (decode, registry, validate,
 * encode into the batch, quarantine on refusal), but never writes to the
 * database: a batch that reaches influx.batch_lines is handed to `sink`
 * (may be NULL) and emptied. Never call it on a started pipeline; `db` and
 * `wal` given to pipeline_new may be NULL. Returns 0 when the record became
 * lines, 1 when it was refused or carried no reading, or a negative errno.
 */
typedef void (*pipeline_sink_fn)(void *ctx, const char *body, size_t len, size_t nlines);
int pipeline_bench_process(struct pipeline *p, const struct wal_record *rec, pipeline_sink_fn sink,
                           void *ctx);

#endif
