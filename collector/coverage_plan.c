/*
 * The parts of the coverage report read from the per-asset table: targets
 * and paces, monthly trends with their projection, and the worst lists.
 */
#include "coverage.h"
#include "coverage_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RECENT_DAYS 91 /* "the last three months" for the recent pace */
#define TREND_BACK 23  /* months of history before the month of --to */
#define TREND_AHEAD 60 /* months of projection at most */
#define UNREGISTERED_MAX 100

static const struct cov_target_spec *target_for(const struct cov_options *o, const char *cat)
{
    for (size_t i = 0; i < o->ntargets; i++)
        if (strcmp(o->targets[i].category, cat) == 0)
            return &o->targets[i];
    return &o->def_target;
}

static void finish_target(struct cov_target *t, int32_t to_day, long recent)
{
    t->needed = (long)ceil(t->target * (double)t->assets - 1e-9);
    t->gap = t->needed > t->upgraded ? t->needed - t->upgraded : 0;
    t->months_left = (double)(t->date - to_day) / COV_MONTH_DAYS;
    t->pace_recent = (double)recent / 3.0;
    if (t->gap == 0)
        t->pace_needed = 0;
    else
        t->pace_needed = t->months_left > 0 ? (double)t->gap / t->months_left : INFINITY;
    double ahead = t->months_left > 0 ? t->pace_recent * t->months_left : 0;
    double proj = t->assets ? ((double)t->upgraded + ahead) / (double)t->assets : 0;
    t->projected = proj > 1 ? 1 : proj;
    t->on_track = t->gap == 0 || t->projected >= t->target - 1e-9;
}

static int month_of(int32_t day)
{
    int y, m, d;
    coverage_civil(day, &y, &m, &d);
    return y * 12 + m - 1;
}

static int32_t month_end(int mi)
{
    int next = mi + 1;
    return coverage_days(next / 12, next % 12 + 1, 1) - 1;
}

/* The trend of one category (cat >= 0) or of all (cat < 0). */
static int make_trend(struct coverage *c, const struct registry *reg, const struct per_asset *pa,
                      long cat, const struct cov_row *row, const struct cov_target *t,
                      struct cov_trend *out)
{
    int to_m = month_of(c->to_day);
    int first = to_m - 11;
    size_t n = registry_count(reg);
    for (size_t i = 0; i < n; i++)
        if (pa[i].upgraded && (cat < 0 || pa[i].cat == cat)) {
            int m = month_of(registry_at(reg, i)->upgraded_on);
            if (m < first)
                first = m;
        }
    if (first < to_m - TREND_BACK)
        first = to_m - TREND_BACK;
    int last = month_of(t->date);
    if (last > to_m + TREND_AHEAD)
        last = to_m + TREND_AHEAD;
    if (last < to_m)
        last = to_m;
    size_t nm = (size_t)(last - first + 1);
    long *hist = calloc(nm, sizeof *hist);
    out->months = calloc(nm, sizeof *out->months);
    if (!hist || !out->months) {
        free(hist);
        return -ENOMEM;
    }
    long base = 0;
    for (size_t i = 0; i < n; i++)
        if (pa[i].upgraded && (cat < 0 || pa[i].cat == cat)) {
            int m = month_of(registry_at(reg, i)->upgraded_on);
            if (m < first)
                base++;
            else
                hist[m - first]++;
        }
    out->category = cat >= 0 ? row->category : NULL;
    out->nmonths = nm;
    long cum = base;
    for (int mi = first; mi <= last; mi++) {
        struct cov_month *m = &out->months[mi - first];
        m->year = mi / 12;
        m->month = mi % 12 + 1;
        if (mi <= to_m) {
            cum += hist[mi - first];
            m->upgraded = cum;
        } else {
            double ahead = t->pace_recent * (double)(month_end(mi) - c->to_day) / COV_MONTH_DAYS;
            double u = (double)row->upgraded + ahead;
            if (u > (double)row->assets)
                u = (double)row->assets;
            m->upgraded = lround(u);
            m->projected = true;
        }
        double up = m->projected
                        ? (double)row->upgraded +
                              t->pace_recent * (double)(month_end(mi) - c->to_day) / COV_MONTH_DAYS
                        : (double)m->upgraded;
        m->coverage = row->assets ? fmin(1.0, up / (double)row->assets) : 0;
    }
    free(hist);
    return 0;
}

static bool recent(const struct coverage *c, const struct asset *a)
{
    return a->upgraded_on > c->to_day - RECENT_DAYS;
}

int coverage_make_targets(struct coverage *c, const struct registry *reg,
                          const struct per_asset *pa)
{
    size_t n = registry_count(reg);
    long total_recent = 0;
    for (size_t k = 0; k < c->ncategories; k++) {
        struct cov_target *t = &c->targets[k];
        const struct cov_row *r = &c->categories[k];
        const struct cov_target_spec *spec = target_for(&c->opt, r->category);
        t->category = r->category;
        t->target = spec->target;
        t->date = spec->date;
        t->assets = r->assets;
        t->upgraded = r->upgraded;
        long rec = 0;
        for (size_t i = 0; i < n; i++)
            if (pa[i].upgraded && pa[i].cat == (long)k && recent(c, registry_at(reg, i)))
                rec++;
        total_recent += rec;
        finish_target(t, c->to_day, rec);
    }
    struct cov_target *t = &c->total_target;
    t->target = c->opt.def_target.target;
    t->date = c->opt.def_target.date;
    t->assets = c->total.assets;
    t->upgraded = c->total.upgraded;
    finish_target(t, c->to_day, total_recent);
    /* Targets are per category: the overall gap and pace are their sums. */
    t->needed = t->gap = 0;
    t->pace_needed = 0;
    bool all = true;
    for (size_t k = 0; k < c->ncategories; k++) {
        t->needed += c->targets[k].needed;
        t->gap += c->targets[k].gap;
        t->pace_needed += c->targets[k].pace_needed;
        all = all && c->targets[k].on_track;
    }
    t->on_track = all;
    return 0;
}

int coverage_make_trends(struct coverage *c, const struct registry *reg, const struct per_asset *pa)
{
    c->trends = calloc(c->ncategories + 1, sizeof *c->trends);
    if (!c->trends)
        return -ENOMEM;
    c->ntrends = c->ncategories + 1;
    if (make_trend(c, reg, pa, -1, &c->total, &c->total_target, &c->trends[0]) != 0)
        return -ENOMEM;
    for (size_t k = 0; k < c->ncategories; k++)
        if (make_trend(c, reg, pa, (long)k, &c->categories[k], &c->targets[k], &c->trends[k + 1]) !=
            0)
            return -ENOMEM;
    return 0;
}

static int cmp_id(const struct cov_device *a, const struct cov_device *b)
{
    const char *x = a->asset ? a->asset->asset_id : a->device;
    const char *y = b->asset ? b->asset->asset_id : b->device;
    return strcmp(x, y);
}

static int by_last_seen(const void *pa, const void *pb)
{
    const struct cov_device *a = pa, *b = pb;
    if (a->last_ms != b->last_ms)
        return a->last_ms < b->last_ms ? -1 : 1;
    return cmp_id(a, b);
}

static int by_upgraded_on(const void *pa, const void *pb)
{
    const struct cov_device *a = pa, *b = pb;
    if (a->asset->upgraded_on != b->asset->upgraded_on)
        return a->asset->upgraded_on < b->asset->upgraded_on ? -1 : 1;
    return cmp_id(a, b);
}

static int by_completeness(const void *pa, const void *pb)
{
    const struct cov_device *a = pa, *b = pb;
    if (a->completeness != b->completeness)
        return a->completeness < b->completeness ? -1 : 1;
    return cmp_id(a, b);
}

static int by_stored_desc(const void *pa, const void *pb)
{
    const struct cov_device *a = pa, *b = pb;
    if (a->stored != b->stored)
        return a->stored > b->stored ? -1 : 1;
    return cmp_id(a, b);
}

enum list_kind { L_OFFLINE, L_NEVER, L_LOWEST };

static bool in_list(enum list_kind k, const struct per_asset *p)
{
    if (p->cat < 0 || !p->upgraded)
        return false;
    switch (k) {
    case L_OFFLINE:
        return p->dev.last_ms > 0 && !p->online;
    case L_NEVER:
        return !p->reported;
    case L_LOWEST:
        return p->reported && p->dev.expected > 0 && p->dev.completeness < 1.0;
    }
    return false;
}

/* Collects the matching entries, sorts them and keeps the first `max`. */
static int make_list(enum list_kind k, const struct per_asset *pa, size_t n, size_t max,
                     int (*cmp)(const void *, const void *), struct cov_device **out, size_t *nout,
                     size_t *total)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += in_list(k, &pa[i]);
    struct cov_device *v = malloc((m ? m : 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (in_list(k, &pa[i]))
            v[j++] = pa[i].dev;
    qsort(v, m, sizeof *v, cmp);
    *out = v;
    *total = m;
    *nout = m < max ? m : max;
    return 0;
}

int coverage_make_lists(struct coverage *c, const struct registry *reg, const struct per_asset *pa,
                        const struct cov_counts *counts)
{
    size_t n = registry_count(reg), max = c->opt.worst_max;
    if (make_list(L_OFFLINE, pa, n, max, by_last_seen, &c->offline, &c->noffline,
                  &c->offline_total) ||
        make_list(L_NEVER, pa, n, max, by_upgraded_on, &c->never, &c->nnever, &c->never_total) ||
        make_list(L_LOWEST, pa, n, max, by_completeness, &c->lowest, &c->nlowest, &c->lowest_total))
        return -ENOMEM;
    size_t no = cov_counts_size(counts);
    c->unregistered = malloc((no ? no : 1) * sizeof *c->unregistered);
    if (!c->unregistered)
        return -ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < no; i++) {
        const struct cov_obs *o = cov_counts_at(counts, i);
        if (!o->unregistered && registry_find_device(reg, o->device, strlen(o->device)))
            continue;
        c->unregistered[m++] = (struct cov_device){.device = o->device,
                                                   .category = o->category,
                                                   .district = o->district,
                                                   .last_ms = o->last_ms,
                                                   .stored = o->stored,
                                                   .completeness = NAN};
    }
    qsort(c->unregistered, m, sizeof *c->unregistered, by_stored_desc);
    c->unregistered_total = m;
    c->nunregistered = m < UNREGISTERED_MAX ? m : UNREGISTERED_MAX;
    return 0;
}
