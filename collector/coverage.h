/*
 * coverage: the figures of the upgrade coverage report, computed from an
 * asset registry, the category profiles (default report intervals), what the
 * database holds per device (struct cov_counts) and the time. Pure: no I/O,
 * no clock, no database, so every figure is unit-tested on fixed inputs
 * (coverage_query.c fills the counts from InfluxDB).
 *
 * Definitions (docs/reports.md is the operators' version):
 *   assets        registry rows that are not retired
 *   upgraded      status upgraded with upgraded_on on or before the day of
 *                 --to; an asset upgraded later counts as planned for the
 *                 period (the report describes the period, not the future)
 *   coverage      upgraded / assets (0 when there are no assets)
 *   online        upgraded assets whose device was heard from within
 *                 interval x offline_misses before `now`
 *   expected      per upgraded asset: whole intervals from max(--from,
 *                 upgraded_on 00:00) to --to; stored: readings in the
 *                 database over the period, capped at expected
 *   completeness  sum(stored) / sum(expected) (NAN when nothing is expected)
 *   effective     upgraded assets whose own completeness reaches
 *                 effective_threshold (an asset expected to send nothing yet
 *                 counts when it has sent anything); effective_coverage =
 *                 effective / assets
 * Dates are calendar days in China time (UTC+8, COV_TZ_OFFSET_MS).
 */
#ifndef LIFELINE_COVERAGE_H
#define LIFELINE_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "registry.h"

#define COV_TZ_OFFSET_MS (8 * 3600 * INT64_C(1000))
#define COV_DAY_MS (86400 * INT64_C(1000))
/* Days per month for paces and projections (365.25 / 12). */
#define COV_MONTH_DAYS 30.4375
/* An interval neither the registry nor the profile gives. */
#define COV_FALLBACK_INTERVAL_S 3600
#define COV_MAX_TARGETS 64

/* ------------------------------------------------------------ counts */

/* What the database holds per device (by device id), filled by the caller. */
struct cov_counts;

struct cov_obs {
    const char *device;   /* owned by the counts */
    const char *category; /* the measurement it was found in */
    const char *district; /* the district tag of its last point, "" when none */
    int64_t stored;       /* readings in the period; 0 when none */
    int64_t last_ms;      /* time of its last reading; 0 when none in the look-back */
    bool unregistered;    /* its last point carried unregistered=true */
};

/* An empty set, or NULL when out of memory. */
struct cov_counts *cov_counts_new(void);
/* Frees; accepts NULL. */
void cov_counts_free(struct cov_counts *c);
/*
 * Adds `stored` readings for `device` (found in measurement `category`); a
 * device seen twice accumulates. 0 or -ENOMEM.
 */
int cov_counts_add_stored(struct cov_counts *c, const char *category, const char *device,
                          int64_t stored);
/*
 * Records the last reading of `device`: keeps the latest last_ms and, with
 * it, its district and unregistered flag (district may be NULL). 0 or -ENOMEM.
 */
int cov_counts_set_last(struct cov_counts *c, const char *category, const char *device,
                        int64_t last_ms, const char *district, bool unregistered);
/* The observation of `device`, or NULL. Valid until the counts are freed or added to. */
const struct cov_obs *cov_counts_find(const struct cov_counts *c, const char *device);
size_t cov_counts_size(const struct cov_counts *c);
/* The i-th device in insertion order (i < cov_counts_size). */
const struct cov_obs *cov_counts_at(const struct cov_counts *c, size_t i);

/* ------------------------------------------------------------ options */

struct cov_target_spec {
    char category[64]; /* "" in the default */
    double target;     /* 0..1 */
    int32_t date;      /* days since 1970-01-01 */
};

/*
 * Parses "CATEGORY=PCT[@YYYY-MM-DD]" (PCT a number from 0 to 100, "%"
 * allowed; without a date, `def_date`). 0 and *out, or -EINVAL with the
 * problem in why[0..whysz) ("...; fix: ...").
 */
int coverage_parse_target(const char *s, int32_t def_date, struct cov_target_spec *out, char *why,
                          size_t whysz);
/* Parses YYYY-MM-DD into days since 1970-01-01. 0 or -EINVAL. */
int coverage_parse_date(const char *s, int32_t *days);
/* Days since 1970-01-01 of y-m-d, and back. */
int32_t coverage_days(int y, int m, int d);
void coverage_civil(int32_t days, int *y, int *m, int *d);
/* Writes YYYY-MM-DD of `days` into out (at least 11 bytes). */
void coverage_format_date(int32_t days, char *out, size_t outsz);

struct cov_options {
    int64_t from_ms, to_ms;                /* the period [from, to) */
    int64_t now_ms;                        /* for "online now" */
    int offline_misses;                    /* <= 0: 3 */
    double effective_threshold;            /* 0..1 */
    struct cov_target_spec def_target;     /* category "" */
    const struct cov_target_spec *targets; /* per-category overrides; may be NULL */
    size_t ntargets;
    size_t worst_max; /* entries per worst list; 0: 10 */
};

/* ------------------------------------------------------------ figures */

struct cov_row {
    const char *category; /* NULL in district totals and the overall total */
    const char *district; /* NULL in category totals and the overall total */
    long assets, upgraded, planned, legacy, online, effective, reported;
    int64_t expected, stored;                          /* stored: capped per asset */
    double coverage, completeness, effective_coverage; /* 0..1; completeness NAN: nothing due */
};

struct cov_target {
    const char *category; /* NULL: the overall row (default target; gaps summed) */
    double target;
    int32_t date;
    long assets, upgraded, needed, gap; /* needed = ceil(target x assets) */
    double months_left;                 /* from the day of --to to the target date */
    double pace_needed;                 /* assets per month; INFINITY when overdue with a gap */
    double pace_recent;                 /* upgrades per month over the last 3 months */
    double projected;                   /* coverage at the target date at the recent pace */
    bool on_track;                      /* projected >= target */
};

struct cov_month {
    int year, month;
    double coverage;
    long upgraded;
    bool projected; /* a projection at the recent pace, not history */
};

struct cov_trend {
    const char *category; /* NULL: all categories */
    struct cov_month *months;
    size_t nmonths;
};

struct cov_device {
    const struct asset *asset; /* NULL for an unregistered device */
    const char *device, *category, *district;
    int64_t last_ms; /* 0: never in the look-back */
    int64_t stored, expected;
    double completeness; /* NAN when nothing was expected */
};

struct coverage {
    struct cov_options opt;
    int32_t to_day;         /* the calendar day of --to */
    struct cov_row *groups; /* category x district, categories in canonical order */
    size_t ngroups;
    struct cov_row *categories; /* one per category */
    size_t ncategories;
    struct cov_row *districts; /* one per district, first appearance in the registry */
    size_t ndistricts;
    struct cov_row total;
    struct cov_target *targets; /* one per category, same order as categories */
    struct cov_target total_target;
    struct cov_trend *trends; /* [0] all categories, then one per category */
    size_t ntrends;
    struct cov_device *offline, *never, *lowest, *unregistered;
    size_t noffline, nnever, nlowest, nunregistered; /* entries held (<= worst_max) */
    size_t offline_total, never_total, lowest_total, unregistered_total;
};

/*
 * Computes every figure. `reg` may be NULL (an empty report), `profiles`
 * gives default intervals (may be NULL), `counts` may be NULL (nothing in the
 * database). The result points into reg, profiles and counts, which must
 * outlive it. NULL when out of memory.
 */
struct coverage *coverage_compute(const struct registry *reg, const struct profile_set *profiles,
                                  const struct cov_counts *counts, const struct cov_options *opt);
/* Frees; accepts NULL. */
void coverage_free(struct coverage *c);
/* The report interval of `a`: its own, else its profile's, else COV_FALLBACK_INTERVAL_S. */
int32_t coverage_interval_s(const struct asset *a, const struct profile_set *profiles);
/* Days since 1970-01-01 of the China-time calendar day that holds ms. */
int32_t coverage_day_of(int64_t ms);

#endif
