/*
 * report_server: the coverage report inside the daemon.
 *
 *   GET /api/v1/coverage   the JSON report (?from=&to= as `lifeline report`
 *                          takes them, default the last 7 days; ?lang=)
 *   GET /report            the HTML report (?lang=zh|en, ?from=, ?to=)
 *   report.daily           <data_dir>/reports/coverage-YYYY-MM-DD.{html,json}
 *                          for the 7 days before each China-time midnight
 *
 * Registry and profiles: the server shares the daemon's knowledge (the one
 * the pipeline and the alert engine use; knowledge.h) and holds a reference
 * to it. A report takes a reference of its own under a short lock, so a
 * reload (report_server_reload) may swap in newer knowledge while an HTTP
 * thread is in the middle of a report: whoever drops the last reference
 * frees the old one. Reports are generated one at a time (each queries
 * InfluxDB).
 */
#ifndef LIFELINE_REPORT_SERVER_H
#define LIFELINE_REPORT_SERVER_H

#include "config.h"
#include "httpd.h"
#include "knowledge.h"

struct report_server;

/*
 * Registers the two routes on `http` (may be NULL: no routes) and starts
 * the daily writer when report.daily is set. Takes a reference of its own
 * to k (registry and profiles; the caller keeps its reference). `cfg` is
 * borrowed and must outlive the server. NULL on error (logged).
 */
struct report_server *report_server_new(const struct config *cfg, struct httpd *http,
                                        struct knowledge *k);
/* Reports from now on use k (a reload): takes a reference to it and drops the old one. */
void report_server_reload(struct report_server *s, struct knowledge *k);
/* Stops the daily writer and frees; accepts NULL. Call after httpd_stop. */
void report_server_free(struct report_server *s);

#endif
