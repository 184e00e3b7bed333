/*
 * influx: the database writer. Sends batches of line protocol to InfluxDB 1.x
 * (POST /write), InfluxDB 2.x or VictoriaMetrics (POST /api/v2/write) over
 * one kept-alive libcurl handle. With webhook, the only module that includes curl.
 *
 * What it does with each answer:
 *   2xx            stored; counted in C_POINTS_WRITTEN.
 *   413            the batch is split in two at a line boundary and each half
 *                  written (recursively); one line that still gets 413 is
 *                  quarantined as REASON_TOO_LARGE.
 *   400, 422       one line: quarantined as REASON_DB_REJECTED with the
 *                  database's error text; more lines: split in halves until
 *                  the rejected lines are found. Good lines of a v1 partial
 *                  write are sent again, which is harmless (same series and
 *                  timestamp overwrite). A 400 that names the request rather
 *                  than a line ("database is required") is treated like 401.
 *   401, 403, 404  configuration error: logged once with the fix, data kept,
 *                  retried with backoff (so fixing the database side heals it).
 *                  InfluxDB 1.x's 500 "retention policy not found" likewise.
 *   429, 5xx,      retried with exponential backoff from retry_min_ms doubling
 *   transport      to retry_max_ms (+-25% jitter), or after Retry-After when
 *                  the server sends one (capped at 10 * retry_max_ms).
 *
 * Logging is per state change: one warning when the database becomes
 * unavailable, one error per distinct refusal status, one info line when
 * writes succeed again.
 *
 * Metrics: metrics_write_status() per request (0 = transport error),
 * C_POINTS_WRITTEN, C_BATCHES_WRITTEN, C_WRITE_RETRIES, G_LAST_WRITE_OK and
 * metrics_batch_latency().
 *
 * A writer is used by one thread at a time.
 */
#ifndef LIFELINE_INFLUX_H
#define LIFELINE_INFLUX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "quarantine.h"

struct influx;

/*
 * Creates a writer for cfg->influx. Copies what it needs from `cfg` (which may
 * be freed afterwards). `q` receives the lines the database refuses; it is
 * borrowed and must outlive the writer; NULL means refused lines are only
 * logged and counted. Returns NULL (after logging why) when the URL is
 * missing or libcurl/zlib cannot be set up.
 */
struct influx *influx_new(const struct config *cfg, struct quarantine *q);

/*
 * A writer for something other than the readings (alert transitions) stays
 * out of the process metrics (points written, write status, last write ok),
 * so that /metrics and /healthz speak of the readings only.
 */
void influx_set_quiet(struct influx *w, bool quiet);

/* Closes the connection and frees everything; accepts NULL. */
void influx_free(struct influx *w);

/*
 * Writes one batch: `body[0..len)` holds `nlines` complete line-protocol lines,
 * each ending in '\n', with millisecond timestamps. The body is borrowed.
 *
 * Blocks until every line is stored or quarantined and returns 0. Returns
 * -ECANCELED when *stop became true while it was waiting to retry: lines
 * already stored or quarantined stay so, the caller keeps the whole batch and
 * replays it later, which is harmless because points carry their own
 * timestamps. At least one attempt is made even when *stop is already true
 * (a shutdown flush). The backoff wait notices *stop within 100 ms; a request
 * in flight is bounded by influx.timeout_ms. `stop` may be NULL.
 * An empty body (len 0) returns 0 at once; a body that does not end in '\n'
 * returns -EINVAL. When `nlines` disagrees with the body, the body's count is
 * used (and a warning logged).
 *
 * Refused lines go to the quarantine with topic NULL, the current time, and
 * the line without its '\n' as payload; if the quarantine file cannot be
 * written the line is still counted (metrics_rejected) and considered done.
 *
 * VictoriaMetrics answers 204 even for malformed lines, string fields and
 * timestamps outside its retention (it logs and skips them, or stores a
 * string as 0): only InfluxDB's refusals can be quarantined here, so lines
 * must be validated before they are batched.
 */
int influx_write(struct influx *w, const char *body, size_t len, size_t nlines,
                 const atomic_bool *stop);

/*
 * Runs InfluxQL `q` (several statements may be separated by ';') against the
 * /query endpoint of influx.url: InfluxDB 1.x (db = influx.database, rp =
 * influx.retention_policy, basic auth), or InfluxDB 2's v1-compatible /query
 * (db = influx.bucket, token; the bucket needs a DBRP mapping). Times come as
 * epoch milliseconds. The answer's JSON text replaces json_out's content
 * (the caller's buffer; its cap bounds the answer). Blocks, no retries.
 *
 * Returns 0 when the server answered 200 with JSON (statement errors are in
 * its "results"), else a negative errno with one line in err[0..errsz):
 *   -ENOTSUP  no InfluxQL there (404/405, or an answer that is not InfluxQL
 *             JSON: VictoriaMetrics, InfluxDB 2 without a v1 mapping)
 *   -EACCES   401/403
 *   -E2BIG    the answer is larger than json_out->max
 *   -EIO      transport error or another status
 * Not concurrently with influx_write on the same writer: a report makes its
 * own (influx_new with q NULL).
 */
int influx_query(struct influx *w, const char *q, struct buf *json_out, char *err, size_t errsz);

#endif
