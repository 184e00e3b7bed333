/*
 * metrics: the process's counters and gauges, rendered in the Prometheus
 * text format for GET /metrics. One set per process (like Redis's `server`):
 * every function is thread safe and lock free, cheap enough for the hot path.
 */
#ifndef LIFELINE_METRICS_H
#define LIFELINE_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "reason.h"

enum counter {
    C_MESSAGES_RECEIVED, /* MQTT messages handed to Lifeline */
    C_BYTES_RECEIVED,    /* their payload bytes */
    C_READINGS_ACCEPTED, /* decoded and queued for the database */
    C_POINTS_WRITTEN,    /* lines the database confirmed */
    C_BATCHES_WRITTEN,   /* batches the database confirmed */
    C_WRITE_RETRIES,     /* batch attempts that will be tried again */
    C_MQTT_CONNECTS,     /* successful (re)connects */
    C_MQTT_CONNECTION_LOST,
    C_QUARANTINE_WRITE_ERRORS, /* quarantine.jsonl could not be written */
    C_HJ212_REPLIES,           /* HJ 212 acknowledgements (CN=9014) published */
    C_HJ212_REPLY_FAILURES,    /* acknowledgements due but not sent */
    C_HJ212_OWN_REPLIES,       /* messages on Lifeline's own reply topics, skipped */
    C__COUNT
};

enum gauge {
    G_MQTT_CONNECTED, /* 1 or 0 */
    G_QUEUE_DEPTH,    /* messages received and not yet written or quarantined */
    G_LAST_WRITE_OK,  /* 1 when the last write attempt succeeded, or none was needed */
    G_PENDING_LINES,  /* lines in batches waiting for the database */
    G__COUNT
};

void metrics_add(enum counter c, uint64_t n);
uint64_t metrics_get(enum counter c);
void metrics_set(enum gauge g, int64_t v);
void metrics_gauge_add(enum gauge g, int64_t delta);
int64_t metrics_gauge(enum gauge g);
/* Counts one refused message or line by reason. */
void metrics_rejected(enum reason r);
uint64_t metrics_rejected_count(enum reason r);
/* Counts one write request by HTTP status; 0 means a transport error. */
void metrics_write_status(int status);
uint64_t metrics_write_status_count(int status);
/* Records how long one batch took from first attempt to confirmation. */
void metrics_batch_latency(double seconds);
/* Appends the Prometheus text exposition. 0 or the buf error. */
int metrics_render(struct buf *out);
/* Appends one gauge or counter with its HELP and TYPE lines, for values that
 * live in other modules (WAL, pipeline) and are read at render time. */
void metrics_render_gauge(struct buf *out, const char *name, const char *help, double v);
void metrics_render_counter(struct buf *out, const char *name, const char *help, uint64_t v);
/* Zeroes everything (tests). */
void metrics_reset(void);

#endif
