/*
 * timestamp: turns the times that payloads carry into Unix epoch milliseconds.
 *
 * Pure arithmetic on the proleptic Gregorian calendar (days-from-civil), so
 * nothing here depends on TZ, the C library's time zone database, timegm or
 * mktime, and every function is thread safe. Inputs need not be
 * NUL-terminated and are parsed whole: trailing bytes make the text invalid.
 *
 * Leap seconds: a seconds value of 60 is accepted (RFC 3339 allows it) and
 * folded to 59.999 of the same minute, whatever fraction it carried. That
 * keeps the reading inside the minute it was taken in, keeps it ordered
 * after every earlier reading of that minute, and cannot collide with the
 * :00.000 of the next minute, which the device may also report.
 */
#ifndef LIFELINE_TIMESTAMP_H
#define LIFELINE_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* 9999-12-31T23:59:59.999Z: the last instant with a four-digit year. */
#define TS_MAX_MS INT64_C(253402300799999)

/*
 * Parses an ISO 8601 / RFC 3339 date-time that carries an offset:
 *   YYYY-MM-DD{T|t| }hh:mm:ss[{.|,}f...]{Z|z|+hh:mm|+hhmm|+hh|-...}
 * Fractional seconds may have any number of digits and are truncated to the
 * millisecond. Years 0000-9999; month, day (leap years included), hour
 * 0-23, minute 0-59 and second 0-60 are range checked, as is the offset
 * (hours 0-23, minutes 0-59). "-00:00" is taken as UTC.
 * Returns 0 and sets *ms, or -EINVAL: malformed, out of range, or without an
 * offset (a local time without its zone is ambiguous, so it is refused rather
 * than guessed).
 */
int ts_parse_iso8601(const char *s, size_t len, int64_t *ms);

/*
 * Interprets an epoch number by its magnitude, as devices send any of them:
 *   v < 1e11 seconds (the fraction is kept, rounded to the nearest ms because a
 *            double cannot hold most decimal fractions exactly: 1764380000.123
 *            is stored as 1764380000.12299990...), 1e11 is in 5138 AD
 *   v < 1e14 milliseconds
 *   v < 1e17 microseconds
 *   else     nanoseconds
 * Smaller units are rounded to the nearest millisecond.
 * Returns 0 and sets *ms; -EINVAL for a negative value, NaN or infinity;
 * -ERANGE when the result is past TS_MAX_MS.
 */
int ts_from_number(double v, int64_t *ms);

/*
 * Parses YYYYMMDDhhmmss or YYYYMMDDhhmmsszzz (the HJ 212 DataTime and QN
 * forms), a local time at `offset_minutes` east of UTC (480 for China,
 * UTC+8, the HJ 212 default). Same range checks as ts_parse_iso8601;
 * |offset_minutes| must be below 24 hours.
 * Returns 0 and sets *ms, or -EINVAL.
 */
int ts_parse_compact_local(const char *s, size_t len, int offset_minutes, int64_t *ms);

/*
 * Parses a fixed UTC offset as configuration writes it: "+08:00", "+0800",
 * "+08", "+8", "-05:30", "+5:45", each optionally after "UTC" or "GMT"
 * ("UTC+8", "UTC-05:30"), and "UTC", "GMT" or "Z" for 0. Offsets from
 * -12:00 to +14:00, the range of real zones; minutes 0-59. No daylight
 * saving: a station's clock is set once and does not change with seasons.
 * Returns 0 and sets *minutes (east of UTC), or -EINVAL.
 */
int ts_parse_zone(const char *s, size_t len, int *minutes);

/*
 * Writes `ms` as UTC, always with milliseconds: "2026-11-29T05:10:27.123Z"
 * (24 bytes and a NUL). Any int64 fits in 32 bytes; years outside 0-9999 are
 * written with more digits or a sign, which ISO 8601 calls an expanded year.
 */
void ts_format_iso8601(int64_t ms, char out[32]);

#endif
