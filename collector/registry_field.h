/*
 * registry_field: the checks of one registry value (status, date,
 * coordinate, interval, id), internal to the registry module. Each check
 * parses s[0..len) (not NUL-terminated, never empty: the caller handles
 * empty values) and returns true with the value stored, or false with
 * "PROBLEM; fix: WHAT TO DO" appended to msg (the caller has written
 * "FILE:LINE: COLUMN: " before it).
 */
#ifndef LIFELINE_REGISTRY_FIELD_H
#define LIFELINE_REGISTRY_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "registry.h"

/* The fix text every status problem ends with. */
#define REGISTRY_STATUS_FIX                                                                        \
    "fix: use legacy, planned, upgraded or retired (or 旧, 计划, 已改造, 退役)"

/*
 * legacy, planned, upgraded, retired in any case; or the Chinese words of
 * asset spreadsheets: 旧/未改造 (legacy), 计划/计划改造 (planned), 已改造
 * (upgraded), 退役/已退役 (retired).
 */
bool registry_field_status(const char *s, size_t len, enum asset_status *out, struct buf *msg);
/*
 * A calendar date YYYY-MM-DD, or YYYY/MM/DD as Excel writes it (month and
 * day may have one digit), years 1970..2099; *days = days since 1970-01-01.
 */
bool registry_field_date(const char *s, size_t len, int32_t *days, struct buf *msg);
/* Decimal degrees within -limit..limit; `what` is "latitude" or "longitude". */
bool registry_field_coord(const char *s, size_t len, double limit, const char *what, double *out,
                          struct buf *msg);
/* Whole seconds 1..604800 (7 days). */
bool registry_field_interval(const char *s, size_t len, int32_t *out, struct buf *msg);
/* An id (asset_id, device_id) must have no control characters: it becomes a tag and a key. */
bool registry_field_id(const char *s, size_t len, struct buf *msg);
/*
 * Appends s[0..len) in single quotes, control bytes and quotes as \xNN, cut
 * after about 80 bytes (at a character boundary) with "...".
 */
int registry_field_quote(struct buf *b, const char *s, size_t len);
/* Days since 1970-01-01 of a valid proleptic Gregorian date. */
int32_t registry_field_days(int y, int m, int d);

#endif
