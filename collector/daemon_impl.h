/*
 * daemon_impl: what daemon.c (start, wiring, the main loop, stop),
 * daemon_intake.c (MQTT messages into the WAL, and pausing intake),
 * daemon_http.c (/healthz and /metrics) and daemon_reload.c (loading
 * profiles, registry and alert rules; SIGHUP) share.
 * Not for use outside the daemon module.
 */
#ifndef LIFELINE_DAEMON_IMPL_H
#define LIFELINE_DAEMON_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_engine.h"
#include "config.h"
#include "httpd.h"
#include "knowledge.h"

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

/* Ingest's message callback (ctx is the daemon): stores the message in the
 * WAL, waiting while the log is full or the disk refuses writes; 0 when
 * taken, else a negative errno (only at shutdown, or for other WAL errors). */
int daemon_on_message(void *ctx, const char *topic, size_t topic_len, const void *payload,
                      size_t len, int64_t recv_ms);

/* Main loop, every 100 ms: pauses MQTT intake while the log is nearly full
 * (policy pause) or the disk refuses writes, resumes when there is room. */
void daemon_check_intake(struct daemon *d);

/* GET /healthz and GET /metrics (ctx is the daemon). */
void daemon_serve_health(void *ctx, const struct httpd_request *req, struct httpd_response *res);
void daemon_serve_metrics(void *ctx, const struct httpd_request *req, struct httpd_response *res);

/* Loads profiles and registry; logs every problem. NULL on error. */
struct knowledge *daemon_load_knowledge(const struct config *c);

/*
 * Loads alerts.rules_file (NULL and *ok when unset) and checks it against
 * k's profiles; logs every problem and warning. The caller owns the rules.
 */
struct alert_rules *daemon_load_rules(const struct config *c, const struct knowledge *k, bool *ok);

/* SIGHUP: loads profiles, registry and alert rules and hands them to the
 * pipeline, alert engine and report server; keeps what is in use when any
 * of them has errors (counted in d->reload_failures). */
void daemon_reload(struct daemon *d);

#endif
