#include "reason.h"

static const char *const names[REASON__COUNT] = {
    [REASON_MALFORMED] = "malformed",
    [REASON_TOO_LARGE] = "too_large",
    [REASON_TOPIC] = "topic",
    [REASON_UNKNOWN_DEVICE] = "unknown_device",
    [REASON_UNKNOWN_FIELD] = "unknown_field",
    [REASON_TYPE] = "type",
    [REASON_RANGE] = "range",
    [REASON_NOT_FINITE] = "not_finite",
    [REASON_TIMESTAMP] = "timestamp",
    [REASON_DUPLICATE] = "duplicate",
    [REASON_CRC] = "crc",
    [REASON_NO_FIELDS] = "no_fields",
    [REASON_DB_REJECTED] = "db_rejected",
};

const char *reason_name(enum reason r)
{
    if ((unsigned)r >= REASON__COUNT)
        return "unknown";
    return names[r];
}
