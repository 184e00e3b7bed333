/*
 * reason: the stable codes for why a message or a line was refused. They
 * appear in quarantine.jsonl ("reason") and in /metrics
 * (lifeline_rejected_total{reason="..."}); never rename one.
 */
#ifndef LIFELINE_REASON_H
#define LIFELINE_REASON_H

enum reason {
    REASON_MALFORMED,      /* payload is not what its decoder expects */
    REASON_TOO_LARGE,      /* payload, field count or text past a limit */
    REASON_TOPIC,          /* topic does not fit the topic template */
    REASON_UNKNOWN_DEVICE, /* not in the registry, and policy says quarantine */
    REASON_UNKNOWN_FIELD,  /* field not in the category profile */
    REASON_TYPE,           /* field of the wrong type */
    REASON_RANGE,          /* value outside the profile's range */
    REASON_NOT_FINITE,     /* NaN or infinity */
    REASON_TIMESTAMP,      /* unparseable, too far in the future or too old */
    REASON_DUPLICATE,      /* same device and time seen again with other values */
    REASON_CRC,            /* frame checksum wrong */
    REASON_NO_FIELDS,      /* nothing to store */
    REASON_DB_REJECTED,    /* the database refused the line (HTTP 400/422) */
    REASON__COUNT
};

/* The stable lowercase name of a reason ("malformed", ...). */
const char *reason_name(enum reason r);

#endif
