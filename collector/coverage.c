/*
 * The figures of the coverage report (coverage.h has the definitions).
 * One pass over the registry fills a per-asset table; rows, targets, trends
 * and the worst lists are read from it.
 */
#include "coverage.h"
#include "coverage_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The domain's categories first, in the order operators know them. */
static const char *const canonical[] = {"water_supply",  "drainage",      "sewage",
                                        "manhole_cover", "bridge_tunnel", "surveillance"};
#define NCANON (sizeof canonical / sizeof canonical[0])

/* A growable list of distinct strings (few: categories, districts). */
struct names {
    const char **v;
    size_t n, cap;
};

static long names_find(const struct names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return (long)i;
    return -1;
}

static long names_add(struct names *l, const char *s)
{
    long at = names_find(l, s);
    if (at >= 0)
        return at;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = s;
    return (long)l->n++;
}

static int canon_rank(const char *c)
{
    for (size_t i = 0; i < NCANON; i++)
        if (strcmp(canonical[i], c) == 0)
            return (int)i;
    return (int)NCANON;
}

int32_t coverage_interval_s(const struct asset *a, const struct profile_set *profiles)
{
    if (a->report_interval_s > 0)
        return a->report_interval_s;
    const struct profile *p =
        profiles ? profile_set_find(profiles, a->category, strlen(a->category)) : NULL;
    return p && p->report_interval_s > 0 ? p->report_interval_s : COV_FALLBACK_INTERVAL_S;
}

static bool upgraded_by(const struct asset *a, int32_t day)
{
    return a->status == ASSET_UPGRADED && a->upgraded_on >= 0 && a->upgraded_on <= day;
}

static void fill_asset(const struct coverage *c, const struct asset *a,
                       const struct profile_set *profiles, const struct cov_counts *counts,
                       struct per_asset *pa)
{
    const struct cov_options *o = &c->opt;
    pa->upgraded = upgraded_by(a, c->to_day);
    pa->dev = (struct cov_device){.asset = a,
                                  .device = a->device_id,
                                  .category = a->category,
                                  .district = a->district,
                                  .completeness = NAN};
    if (!pa->upgraded)
        return;
    const struct cov_obs *ob =
        a->device_id && a->device_id[0] ? cov_counts_find(counts, a->device_id) : NULL;
    int64_t interval_ms = (int64_t)coverage_interval_s(a, profiles) * 1000;
    int64_t start = (int64_t)a->upgraded_on * COV_DAY_MS - COV_TZ_OFFSET_MS;
    if (start < o->from_ms)
        start = o->from_ms;
    int64_t expected = o->to_ms > start ? (o->to_ms - start) / interval_ms : 0;
    int64_t stored = ob ? ob->stored : 0;
    pa->dev.last_ms = ob ? ob->last_ms : 0;
    pa->dev.expected = expected;
    pa->dev.stored = stored < expected ? stored : expected;
    pa->reported = stored > 0 || pa->dev.last_ms > 0;
    if (expected > 0)
        pa->dev.completeness = (double)pa->dev.stored / (double)expected;
    pa->effective =
        expected > 0 ? pa->dev.completeness >= o->effective_threshold - 1e-9 : stored > 0;
    pa->online = pa->dev.last_ms > 0 &&
                 pa->dev.last_ms >= o->now_ms - interval_ms * (int64_t)o->offline_misses;
}

static void add_to(struct cov_row *r, const struct asset *a, const struct per_asset *pa)
{
    r->assets++;
    if (pa->upgraded) {
        r->upgraded++;
        r->online += pa->online;
        r->effective += pa->effective;
        r->reported += pa->reported;
        r->expected += pa->dev.expected;
        r->stored += pa->dev.stored;
    } else if (a->status == ASSET_LEGACY) {
        r->legacy++;
    } else {
        r->planned++; /* planned, or upgraded after the period */
    }
}

static void finish_row(struct cov_row *r)
{
    r->coverage = r->assets ? (double)r->upgraded / (double)r->assets : 0;
    r->effective_coverage = r->assets ? (double)r->effective / (double)r->assets : 0;
    r->completeness = r->expected ? (double)r->stored / (double)r->expected : NAN;
}

static int order_categories(struct names *cats, long **rank_out)
{
    /* canonical categories first, then the rest in order of appearance */
    size_t n = cats->n;
    long *order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return -ENOMEM;
    size_t k = 0;
    for (int r = 0; r <= (int)NCANON; r++)
        for (size_t i = 0; i < n; i++)
            if (canon_rank(cats->v[i]) == r)
                order[k++] = (long)i;
    *rank_out = order;
    return 0;
}

struct coverage *coverage_compute(const struct registry *reg, const struct profile_set *profiles,
                                  const struct cov_counts *counts, const struct cov_options *opt)
{
    struct coverage *c = calloc(1, sizeof *c);
    struct names cats = {0}, dists = {0};
    struct per_asset *pa = NULL;
    long *order = NULL, *pos = NULL;
    if (!c)
        return NULL;
    c->opt = *opt;
    if (c->opt.offline_misses <= 0)
        c->opt.offline_misses = 3;
    if (c->opt.worst_max == 0)
        c->opt.worst_max = 10;
    c->to_day = coverage_day_of(opt->to_ms - 1);
    size_t n = registry_count(reg);
    pa = calloc(n ? n : 1, sizeof *pa);
    if (!pa)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct asset *a = registry_at(reg, i);
        pa[i].cat = pa[i].dis = -1;
        if (a->status == ASSET_RETIRED)
            continue;
        pa[i].cat = names_add(&cats, a->category);
        pa[i].dis = names_add(&dists, a->district ? a->district : "");
        if (pa[i].cat < 0 || pa[i].dis < 0)
            goto fail;
        fill_asset(c, a, profiles, counts, &pa[i]);
    }
    if (order_categories(&cats, &order) != 0)
        goto fail;
    pos = malloc((cats.n ? cats.n : 1) * sizeof *pos); /* category index -> output position */
    size_t ncell = cats.n * dists.n;
    struct cov_row *cells = calloc(ncell ? ncell : 1, sizeof *cells);
    c->categories = calloc(cats.n ? cats.n : 1, sizeof *c->categories);
    c->districts = calloc(dists.n ? dists.n : 1, sizeof *c->districts);
    c->targets = calloc(cats.n ? cats.n : 1, sizeof *c->targets);
    c->groups = cells;
    if (!pos || !cells || !c->categories || !c->districts || !c->targets)
        goto fail;
    for (size_t k = 0; k < cats.n; k++)
        pos[order[k]] = (long)k;
    c->ncategories = cats.n;
    c->ndistricts = dists.n;
    for (size_t k = 0; k < cats.n; k++)
        c->categories[k].category = cats.v[order[k]];
    for (size_t d = 0; d < dists.n; d++)
        c->districts[d].district = dists.v[d];
    for (size_t i = 0; i < n; i++) {
        if (pa[i].cat < 0)
            continue;
        const struct asset *a = registry_at(reg, i);
        size_t k = (size_t)pos[pa[i].cat];
        pa[i].cat = (long)k; /* from here on: the output position */
        add_to(&cells[k * dists.n + (size_t)pa[i].dis], a, &pa[i]);
        add_to(&c->categories[k], a, &pa[i]);
        add_to(&c->districts[pa[i].dis], a, &pa[i]);
        add_to(&c->total, a, &pa[i]);
    }
    /* keep the category x district cells that hold assets, in order */
    size_t g = 0;
    for (size_t k = 0; k < cats.n; k++)
        for (size_t d = 0; d < dists.n; d++) {
            struct cov_row r = cells[k * dists.n + d];
            if (!r.assets)
                continue;
            r.category = c->categories[k].category;
            r.district = c->districts[d].district;
            finish_row(&r);
            cells[g++] = r;
        }
    c->ngroups = g;
    for (size_t k = 0; k < cats.n; k++)
        finish_row(&c->categories[k]);
    for (size_t d = 0; d < dists.n; d++)
        finish_row(&c->districts[d]);
    finish_row(&c->total);
    if (coverage_make_targets(c, reg, pa) != 0 || coverage_make_trends(c, reg, pa) != 0 ||
        coverage_make_lists(c, reg, pa, counts) != 0)
        goto fail;
    free(pa);
    free(order);
    free(pos);
    free(cats.v);
    free(dists.v);
    return c;
fail:
    free(pa);
    free(order);
    free(pos);
    free(cats.v);
    free(dists.v);
    coverage_free(c);
    return NULL;
}

void coverage_free(struct coverage *c)
{
    if (!c)
        return;
    free(c->groups);
    free(c->categories);
    free(c->districts);
    free(c->targets);
    for (size_t i = 0; i < c->ntrends; i++)
        free(c->trends[i].months);
    free(c->trends);
    free(c->offline);
    free(c->never);
    free(c->lowest);
    free(c->unregistered);
    free(c);
}
