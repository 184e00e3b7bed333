/*
 * report_run: one coverage report from configuration to text, shared by
 * `lifeline report` (report_cli.c) and the daemon's /report, /api/v1/coverage
 * and daily file (report_server.c): the options from the report.* keys,
 * the counts from InfluxDB, the figures and the rendering.
 */
#ifndef LIFELINE_REPORT_RUN_H
#define LIFELINE_REPORT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "coverage.h"
#include "knowledge.h"
#include "report.h"

/*
 * Fills o from cfg's report.* keys (targets into specs[CONFIG_MAX_TARGETS],
 * which o points to) with the period [from_ms, to_ms) and now_ms.
 * 0, or -EINVAL when a key cannot be read (config_load has checked them).
 */
int report_options(const struct config *cfg, int64_t from_ms, int64_t to_ms, int64_t now_ms,
                   struct cov_options *o, struct cov_target_spec *specs);

/*
 * Queries InfluxDB (cfg->influx, a connection of its own), computes the
 * figures over k's registry and profiles and appends the report in format f
 * and language `lang` to out. 0, or a negative errno with one line in
 * err[0..errsz).
 */
int report_generate(const struct config *cfg, const struct knowledge *k, int64_t from_ms,
                    int64_t to_ms, int64_t now_ms, enum report_format f, enum report_lang lang,
                    struct buf *out, char *err, size_t errsz);

/*
 * Parses a report time: YYYY-MM-DD (China time; its 00:00, or with
 * end_of_day the next day's 00:00) or RFC 3339 with an offset. 0 or -EINVAL.
 */
int report_parse_time(const char *s, bool end_of_day, int64_t *ms);
/* Wall clock in epoch milliseconds. */
int64_t report_now_ms(void);

#endif
