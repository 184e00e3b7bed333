/*
 * thing_model: the JSON body shared by the Alibaba Cloud IoT "Alink" and the
 * China Mobile OneNET thing-model protocols, used by alink.c and onenet.c:
 *
 *   {"id":"123","version":"1.0","method":"thing.event.property.post",
 *    "params":{"tiltAngle":{"value":12.5,"time":1524448722000},"batteryLevel":87}}
 *
 * Rules:
 *  - The payload must be exactly one JSON object, without raw NUL bytes or
 *    \u0000 escapes (REASON_MALFORMED, "invalid json at byte N"). Members
 *    other than "params" and "time" ("id", "version", "method", "sys") are
 *    ignored: the topic, not "method", says what the message is.
 *  - "params" must be present, once, and an object; "time" may be given
 *    once (REASON_MALFORMED otherwise, "'params' given twice": a second
 *    one would be dropped).
 *    Each member is one thing-model property ("param"), either
 *      a plain value         "batteryLevel": 87
 *      a {value,time} pair   "tiltAngle": {"value": 12.5, "time": 1524448722000}
 *    An object is taken as the pair when it has exactly one "value" member,
 *    at most one "time" and no other member; any other object is a struct
 *    property, flattened with '_' ({"gps":{"lat":1}} is the field "gps_lat",
 *    at most THING_MODEL_MAX_DEPTH names deep). The value of a pair may be a
 *    struct too ("st":{"value":{"a":1}} is the field "st_a").
 *  - Values: number -> FIELD_FLOAT (always, as in json_plain, to avoid
 *    InfluxDB field type conflicts; 1e999 is REASON_NOT_FINITE); true/false
 *    -> FIELD_BOOL; string -> FIELD_STRING, valid UTF-8 (REASON_MALFORMED);
 *    null -> skipped; array -> REASON_TYPE.
 *  - Keys are kept as sent (aliases such as tiltAngle -> tilt are the
 *    profiles' job). A key must be non-empty UTF-8 without control characters
 *    (REASON_MALFORMED), at most THING_MODEL_KEY_MAX - 1 bytes flattened
 *    (REASON_TOO_LARGE), and unique after flattening (REASON_MALFORMED).
 *  - Times are JSON numbers, or strings holding one, read by ts_from_number
 *    (Alink and OneNET send epoch milliseconds); anything else, null
 *    included, is REASON_TIMESTAMP. A pair's "time" goes into field.ts_ms of
 *    every field the pair yields (0 = the reading's time otherwise).
 *  - The reading's time is the top-level "time" when present, else the
 *    newest param time, else recv_ms with ts_from_receipt set.
 *  - With THING_EVENT, "params" of the Alink event form
 *      {"value": {"Power": "on", "WF": 2}, "time": 1524448722000}
 *    (exactly "value", an object, and optionally "time") yields the fields
 *    of "value" (plain or struct, no pairs inside) and the event's "time"
 *    is the reading's time (after a top-level "time"). Any other "params"
 *    is walked as properties.
 *  - No field at all is REASON_NO_FIELDS; more than READING_MAX_FIELDS, or
 *    names and text past the reading's arena, REASON_TOO_LARGE.
 */
#ifndef LIFELINE_THING_MODEL_H
#define LIFELINE_THING_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "reason.h"

#define THING_MODEL_MAX_DEPTH 8
#define THING_MODEL_KEY_MAX 256

enum thing_model_shape {
    THING_PROPERTIES, /* a property post: params are properties */
    THING_EVENT,      /* an Alink event post: params may be {value:{...},time} */
};

/*
 * Decodes payload[0..len) (not NUL-terminated) into r, which is reset first.
 * Keys and strings are copied into r's arena; nothing points into payload
 * afterwards. Returns 0, or -EINVAL with *why and a lowercase `detail`
 * (NUL-terminated, cut on a UTF-8 boundary) naming what was wrong, e.g.
 * "field 'a': arrays are not supported". On error r must not be used; on
 * success *why and detail are untouched.
 */
int thing_model_decode(const char *payload, size_t len, int64_t recv_ms,
                       enum thing_model_shape shape, struct reading *r, enum reason *why,
                       char *detail, size_t detail_len);

#endif
