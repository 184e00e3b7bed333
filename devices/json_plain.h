/*
 * json_plain: the decoder for plain JSON payloads, one reading per message:
 *
 *   {"ts": 1764380000000, "pressure_out": 0.31, "pump_running": true,
 *    "status": "正常", "gps": {"lat": 39.1, "lon": 117.2}}
 *
 * Rules, in the order a reader of a quarantine record needs them:
 *  - The payload must be exactly one JSON object (blanks around it are fine).
 *    Anything else is REASON_MALFORMED; a syntax error names the byte offset
 *    (from 0) of the first byte that is not JSON (the last byte when the text
 *    stops short): "invalid json at byte 17". The JSON is strict RFC 8259
 *    (see jsonscan.h: no leading zeros, no raw control characters in
 *    strings, no lone surrogates). A raw NUL byte or a \u0000 escape is
 *    refused with "invalid json at byte N: nul character", as a C string
 *    would silently cut the text there.
 *  - The top-level member "ts" is the reading's time: a JSON number (epoch
 *    seconds, ms, us or ns by magnitude, see ts_from_number) or a string
 *    holding such a number or an ISO 8601 time with an offset. Anything else,
 *    null included, is REASON_TIMESTAMP. Without "ts" the reading is stamped
 *    with recv_ms and ts_from_receipt is set, because such a point is not
 *    idempotent on redelivery and the pipeline must say so.
 *  - Every other member is a field:
 *      number       FIELD_FLOAT, always, even when written without a fraction:
 *                   a device that sends 12 and later 12.5 would otherwise
 *                   create an integer field and then hit an InfluxDB field
 *                   type conflict that rejects every later point.
 *                   A number too large for a double (1e999) is
 *                   REASON_NOT_FINITE.
 *      true/false   FIELD_BOOL
 *      string       FIELD_STRING; must be valid UTF-8 (REASON_MALFORMED)
 *      null         skipped: the device has no value this time
 *      object       flattened with '_': {"a":{"b":1}} is the field "a_b";
 *                   a name path of more than JSON_PLAIN_MAX_DEPTH members is
 *                   REASON_MALFORMED
 *      array        REASON_TYPE
 *  - Member names must be non-empty valid UTF-8 without control characters
 *    (they become line protocol field keys, which cannot carry a newline),
 *    and a flattened key is at most JSON_PLAIN_KEY_MAX - 1 bytes
 *    (REASON_TOO_LARGE). The same key twice, after flattening ("a_b" and
 *    {"a":{"b":..}}), is REASON_MALFORMED: silently keeping one would lose data.
 *  - More than READING_MAX_FIELDS fields, or keys and strings that overflow
 *    the reading's arena, are REASON_TOO_LARGE. No field at all is
 *    REASON_NO_FIELDS.
 *
 * Numbers are converted by jscan_number, exactly as strtod would; its slow
 * path is num_parse_double, which uses the C library's strtod: the process
 * must stay in the C locale (it does unless someone calls setlocale).
 */
#ifndef LIFELINE_JSON_PLAIN_H
#define LIFELINE_JSON_PLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "reading.h"

#define JSON_PLAIN_MAX_DEPTH 8
#define JSON_PLAIN_KEY_MAX 256

/*
 * Decodes one plain JSON reading from payload[0..len) (not NUL-terminated)
 * into r, which is reset first. recv_ms stamps a reading without "ts".
 * Field keys and string values are copied into r's arena (reading_strdup);
 * nothing points into `payload` afterwards.
 * Returns 0, or -EINVAL with *why set to the reason code and `detail` (when
 * not NULL, detail_len bytes, always NUL-terminated, cut on a UTF-8
 * character boundary) filled with a lowercase explanation that names the
 * field, e.g. "field 'a_b': arrays are not supported". On error r holds a
 * partial reading that must not be used. On success *why and detail are
 * left untouched.
 */
int json_plain_decode(const char *payload, size_t len, int64_t recv_ms, struct reading *r,
                      enum reason *why, char *detail, size_t detail_len);

#endif
