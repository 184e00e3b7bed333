/*
 * One coverage report from configuration to text (report_run.h).
 */
#include "report_run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "coverage_query.h"
#include "influx.h"
#include "timestamp.h"

int64_t report_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int report_options(const struct config *cfg, int64_t from_ms, int64_t to_ms, int64_t now_ms,
                   struct cov_options *o, struct cov_target_spec *specs)
{
    memset(o, 0, sizeof *o);
    o->from_ms = from_ms;
    o->to_ms = to_ms;
    o->now_ms = now_ms;
    /* unset (0): online as the alerts and the live view judge it */
    o->offline_misses =
        cfg->report.offline_misses ? cfg->report.offline_misses : cfg->alerts.offline_misses;
    o->effective_threshold = cfg->report.effective_pct / 100.0;
    o->def_target.target = cfg->report.target_pct / 100.0;
    if (coverage_parse_date(cfg->report.target_date, &o->def_target.date) != 0)
        return -EINVAL;
    char why[256];
    for (size_t i = 0; i < cfg->report.ntargets && i < CONFIG_MAX_TARGETS; i++)
        if (coverage_parse_target(cfg->report.targets[i], o->def_target.date, &specs[i], why,
                                  sizeof why) != 0)
            return -EINVAL;
    o->targets = specs;
    o->ntargets = cfg->report.ntargets;
    return 0;
}

int report_generate(const struct config *cfg, const struct knowledge *k, int64_t from_ms,
                    int64_t to_ms, int64_t now_ms, enum report_format f, enum report_lang lang,
                    struct buf *out, char *err, size_t errsz)
{
    struct cov_target_spec specs[CONFIG_MAX_TARGETS];
    struct cov_options o;
    struct influx *db = NULL;
    struct cov_counts *counts = NULL;
    struct coverage *c = NULL;
    int rc = report_options(cfg, from_ms, to_ms, now_ms, &o, specs);
    if (rc) {
        snprintf(err, errsz, "report.target_date or report.targets cannot be read");
        goto out;
    }
    counts = cov_counts_new();
    db = influx_new(cfg, NULL);
    if (!counts || !db) {
        snprintf(err, errsz, "cannot set up the database connection (see the log)");
        rc = -ENOMEM;
        goto out;
    }
    rc = coverage_query(db, k->profiles, from_ms, to_ms, now_ms, counts, err, errsz);
    if (rc)
        goto out;
    c = coverage_compute(k->registry, k->profiles, counts, &o);
    if (!c) {
        snprintf(err, errsz, "out of memory");
        rc = -ENOMEM;
        goto out;
    }
    struct report_meta m = {.lang = lang, .generated_ms = now_ms};
    rc = report_render(c, f, &m, out);
    if (rc)
        snprintf(err, errsz, "the report does not fit in memory: %s", strerror(-rc));
out:
    coverage_free(c);
    cov_counts_free(counts);
    influx_free(db);
    return rc;
}

int report_parse_time(const char *s, bool end_of_day, int64_t *ms)
{
    int32_t day;
    if (coverage_parse_date(s, &day) == 0) {
        *ms = ((int64_t)day + (end_of_day ? 1 : 0)) * COV_DAY_MS - COV_TZ_OFFSET_MS;
        return 0;
    }
    return ts_parse_iso8601(s, strlen(s), ms);
}
