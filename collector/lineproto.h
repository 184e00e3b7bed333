/*
 * lineproto: the InfluxDB 1.x line protocol encoder (also read by InfluxDB 2.x
 * and VictoriaMetrics). One call appends one point as one '\n'-terminated line.
 *
 * It never alters data to make it fit: a point whose text cannot be written so
 * that the server reads back exactly the same bytes is refused with -EINVAL and
 * a reason, so the caller can quarantine it. The rules it enforces:
 *
 *  - Measurement: not empty; must not start with '#' (the server would read the
 *    line as a comment and drop it silently) nor with a tab (stripped as leading
 *    blank). ',' and ' ' are escaped with a backslash.
 *  - Tag keys, tag values, field keys: ',' '=' and ' ' are escaped. '"' is
 *    written as is (it is not special there).
 *  - In the measurement, tag keys, tag values and field keys a backslash must
 *    not be the last byte, nor be followed by ',' '=' ' ' '"' or another
 *    backslash. Readers disagree about such runs: InfluxDB 1.x scans some parts
 *    by the byte before a separator and others by skipping the byte after a
 *    backslash, its field-key unescaping also eats the backslash of '\"', and
 *    VictoriaMetrics reads '\\' as one backslash. A lone backslash before any
 *    other byte (C:\dir) means itself to all of them.
 *  - No '\n', '\r' or NUL byte anywhere, string field values included.
 *  - Tag keys: not empty, not "time" (InfluxDB 1.x drops it), not
 *    "_measurement" or "_field" (reserved by InfluxDB 2.x); strictly
 *    increasing in strcmp() order, which also rules out duplicates.
 *    Tags whose value is empty are omitted, as the protocol requires.
 *  - Field keys: not empty, not "time", no duplicates; at least one field.
 *  - Floats: the default type, written as the shortest decimal that parses
 *    back to the same double (C locale, '.' as the point; "1" for 1.0, "-0"
 *    for -0.0, exponent form such as "1e-300" for very large or small values).
 *    NaN and infinities are refused. Integers get the 'i' suffix, never 'u'.
 *    Booleans are "true"/"false". Strings are quoted; '"' and '\' inside are
 *    escaped with a backslash.
 *  - Timestamp: milliseconds, within what InfluxDB can hold in nanoseconds
 *    (|ts_ms| <= LP_TS_MS_MAX). The caller writes with precision=ms.
 *  - Series key (escaped measurement plus tags) at most LP_MAX_SERIES_KEY
 *    bytes, InfluxDB 1.x's limit.
 *
 * UTF-8 text (顾官屯镇, 九州街道) passes through byte for byte; the encoder does
 * not validate UTF-8, the decoders do. Tags are written in the order given.
 *
 * No allocation except growing `out` through buf_reserve(); no locale use on
 * the fast path. Thread-safe: no shared state (the *why text for reasons that
 * name a key lives in a thread-local buffer).
 */
#ifndef LIFELINE_LINEPROTO_H
#define LIFELINE_LINEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reading.h"

/* Largest |timestamp| in ms that InfluxDB can store as int64 nanoseconds
 * (its own limits are INT64_MIN + 2 and INT64_MAX - 1 ns). */
#define LP_TS_MS_MAX INT64_C(9223372036854)
/* InfluxDB 1.x refuses series keys longer than this. */
#define LP_MAX_SERIES_KEY 65535

struct lp_tag {
    const char *key;   /* NUL-terminated */
    const char *value; /* value_len bytes, need not be NUL-terminated */
    size_t value_len;  /* 0: the tag is omitted (its key is still checked for being
                          empty, reserved, out of order or a duplicate) */
    bool plain;        /* the caller vouches that lp_plain() is true of key and value:
                          they are copied without a look at each byte (the key is
                          still checked as above). false: escaped and checked. */
};

/*
 * True when s[0..n) holds no byte that a measurement, tag key, tag value or
 * field key escapes or refuses (',', ' ', '=', '\', NUL, CR, LF): such a
 * text is written exactly as it is. For a caller that meets the same text
 * often (a device's tags) and remembers the answer in lp_tag.plain.
 */
bool lp_plain(const char *s, size_t n);

/*
 * Appends one line to `out`:
 *
 *     measurement[,tag=value...] field=value[,field=value...] ts_ms\n
 *
 * `tags` (ntags of them, may be NULL when ntags is 0) must be sorted by key;
 * `fields` are written in the order given. Nothing is retained after return.
 *
 * Returns 0 on success. On error `out`'s content (len and bytes, NUL
 * terminator included) is exactly what it was before the call; only its
 * allocated capacity may have grown:
 *   -EINVAL  the point cannot be represented (see the rules above);
 *   -E2BIG   the line does not fit under out->max;
 *   -ENOMEM  growing out failed.
 *
 * `why` may be NULL. Otherwise it is set to NULL on success and, on error, to a
 * lowercase human explanation without trailing period, such as
 * "field 'x' is nan", "tag value for 'device' ends in a backslash" or
 * "no fields". The text is static or thread-local: valid until the next
 * lp_write_point() call on the same thread; keys quoted in it are cut to a
 * few dozen bytes and control characters replaced by '?'.
 */
int lp_write_point(struct buf *out, const char *measurement, size_t measurement_len,
                   const struct lp_tag *tags, size_t ntags, const struct field *fields,
                   size_t nfields, int64_t ts_ms, const char **why);

/*
 * Writes the shortest decimal text for the finite double `v` that a correctly
 * rounding strtod() reads back as exactly `v` (see the float rule above) into
 * dst, which must hold at least LP_FLOAT_MAX bytes. Returns the length; no NUL
 * is written. `v` must be finite. Exposed for tests and for other writers.
 */
#define LP_FLOAT_MAX 32
size_t lp_format_double(char *dst, double v);

#endif
