/*
 * report_server: the coverage report inside the daemon.
 *
 *   GET /api/v1/coverage   the JSON report (?from=&to= as `lifeline report`
 *                          takes them, default the last 7 days; ?lang=)
 *   GET /report            the HTML report (?lang=zh|en, ?from=, ?to=)
 *   report.daily           <data_dir>/reports/coverage-YYYY-MM-DD.{html,json}
 *                          for the 7 days before each China-time midnight
 *
 * Registry and profiles: the server loads a copy of its own (knowledge_load)
 * rather than borrowing the pipeline's, because the pipeline frees its copy
 * on reload while an HTTP thread may be in the middle of a report. The copy
 * is reference counted: a report takes a reference under a short lock,
 * report_server_reload() swaps in a new copy, and the old one is freed by
 * whoever drops the last reference. The cost is a second registry in memory.
 * Reports are generated one at a time (each queries InfluxDB).
 */
#ifndef LIFELINE_REPORT_SERVER_H
#define LIFELINE_REPORT_SERVER_H

#include "config.h"
#include "httpd.h"

struct report_server;

/*
 * Loads the registry and profiles, registers the two routes on `http` (may
 * be NULL: no routes) and starts the daily writer when report.daily is set.
 * `cfg` is borrowed and must outlive the server. NULL on error (logged).
 */
struct report_server *report_server_new(const struct config *cfg, struct httpd *http);
/* Loads registry and profiles again (SIGHUP); on error keeps the old ones. 0 or -EINVAL. */
int report_server_reload(struct report_server *s);
/* Stops the daily writer and frees; accepts NULL. Call after httpd_stop. */
void report_server_free(struct report_server *s);

#endif
