/*
 * coverage_impl: shared by coverage.c (rows) and coverage_plan.c (targets,
 * trends, worst lists). Only the coverage module includes this header.
 */
#ifndef LIFELINE_COVERAGE_IMPL_H
#define LIFELINE_COVERAGE_IMPL_H

#include "coverage.h"

/* What coverage_compute works out per registry row. */
struct per_asset {
    long cat, dis; /* output positions in c->categories / c->districts; -1: retired */
    bool upgraded, online, effective, reported;
    struct cov_device dev;
};

/* Each fills its part of c from the per-asset table pa (registry order). 0 or -ENOMEM. */
int coverage_make_targets(struct coverage *c, const struct registry *reg,
                          const struct per_asset *pa);
int coverage_make_trends(struct coverage *c, const struct registry *reg,
                         const struct per_asset *pa);
int coverage_make_lists(struct coverage *c, const struct registry *reg, const struct per_asset *pa,
                        const struct cov_counts *counts);

#endif
