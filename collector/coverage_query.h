/*
 * coverage_query: what InfluxDB holds per device, for the coverage report.
 * Per measurement (one per category) one request with two grouped InfluxQL
 * statements, never one query per device:
 *
 *   SELECT count(*) FROM "<category>" WHERE time >= FROM AND time < TO
 *       GROUP BY "device"
 *   SELECT * FROM "<category>" WHERE time >= LOOKBACK
 *       GROUP BY "device" ORDER BY time DESC LIMIT 1
 *
 * Readings per device = the largest count over its fields. Fields differ
 * between readings (partial readings, Alink params, HJ 212 factors), so this
 * is exact when some field is in every reading of the device, which every
 * profile's devices do in practice, and otherwise a lower bound: completeness
 * is never overstated. The second statement gives the time, district tag and
 * unregistered tag of each device's last point.
 */
#ifndef LIFELINE_COVERAGE_QUERY_H
#define LIFELINE_COVERAGE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "coverage.h"
#include "influx.h"
#include "profile.h"

/* How far back "last seen" looks at least (before --from and before now). */
#define COV_LOOKBACK_MS (90 * COV_DAY_MS)

/*
 * Lists the measurements (SHOW MEASUREMENTS), keeps those that are
 * categories of `profiles` (all when NULL), and adds each device's readings
 * in [from_ms, to_ms) and last reading since min(from_ms, now_ms -
 * COV_LOOKBACK_MS) to `out`. 0, or a negative errno with one line in
 * err[0..errsz) (influx_query's codes; -EPROTO for an answer it cannot read).
 */
int coverage_query(struct influx *db, const struct profile_set *profiles, int64_t from_ms,
                   int64_t to_ms, int64_t now_ms, struct cov_counts *out, char *err, size_t errsz);

#endif
