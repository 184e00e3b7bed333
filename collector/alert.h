/*
 * alert: the alert record shared by the alert engine (which decides) and the
 * notifiers (which deliver: MQTT, InfluxDB, webhooks, the log).
 *
 * One alert per (device, rule): a repeat updates it, a severity change
 * updates it in place. States: pending (condition true, hold time not yet
 * over), firing, resolved. Acknowledgement is a flag on a firing alert.
 */
#ifndef LIFELINE_ALERT_H
#define LIFELINE_ALERT_H

#include <stdbool.h>
#include <stdint.h>

enum alert_state { ALERT_PENDING, ALERT_FIRING, ALERT_RESOLVED };
enum alert_severity { SEV_CRITICAL, SEV_MAJOR, SEV_MINOR, SEV_WARNING };

/* What happened to an alert, for notifications. */
enum alert_transition {
    ALERT_FIRED,        /* pending -> firing (or straight to firing) */
    ALERT_UPDATED,      /* still firing, severity or value changed */
    ALERT_REMINDER,     /* still firing, unacknowledged after the reminder interval */
    ALERT_ACKNOWLEDGED, /* an operator acknowledged it */
    ALERT_RESOLVED_T,   /* firing -> resolved */
    ALERT_FLAPPING,     /* too many transitions: notifications held */
};

#define ALERT_TEXT_MAX 256

/* A self-contained copy (no pointers), so that it can cross threads. */
struct alert {
    uint64_t id;                      /* stable across restarts */
    char rule[64];                    /* "offline", "never_reported", "threshold:<name>", ... */
    char device[128];
    char asset[64];
    char name[ALERT_TEXT_MAX];        /* the asset's name (Chinese), or "" */
    char category[32];
    char district[96];
    enum alert_state state;
    enum alert_severity severity;
    bool acknowledged;
    bool flapping;
    char field[64];                   /* the field a threshold looks at, or "" */
    double value;                     /* last value seen (NAN when none) */
    double threshold;                 /* NAN when none */
    char summary[ALERT_TEXT_MAX];     /* one line, English */
    char summary_zh[ALERT_TEXT_MAX];  /* one line, Chinese */
    int64_t started_ms;               /* when the condition became true */
    int64_t fired_ms;                 /* when it fired; 0 while pending */
    int64_t resolved_ms;              /* 0 unless resolved */
    int64_t updated_ms;               /* last change */
    char acked_by[64];
    int64_t acked_ms;
};

struct alert_event {
    enum alert_transition transition;
    struct alert alert;
};

const char *alert_state_name(enum alert_state s);       /* "pending", "firing", "resolved" */
const char *alert_severity_name(enum alert_severity s); /* "critical", "major", ... */
const char *alert_transition_name(enum alert_transition t);
/* 0 and *out, or -EINVAL for an unknown name. */
int alert_severity_parse(const char *name, enum alert_severity *out);

#endif
