/*
 * report_svg: the inline SVG charts of the HTML report (report_html.c):
 * horizontal bars of coverage and effective coverage against each row's
 * target, and the monthly trend with its projection and the target. Every
 * text is escaped. Append to `b`; return 0 or the buf error.
 */
#ifndef LIFELINE_REPORT_SVG_H
#define LIFELINE_REPORT_SVG_H

#include "buf.h"
#include "coverage.h"
#include "report.h"

/* Appends s HTML-escaped (& < > " '). */
int report_html_escape(struct buf *b, const char *s);

struct svg_bar {
    const char *label;                  /* unescaped */
    double coverage, effective, target; /* 0..1; target NAN: no marker */
};

int report_svg_bars(struct buf *b, const struct svg_bar *bars, size_t n, enum report_lang lang);
int report_svg_trend(struct buf *b, const struct cov_trend *t, const struct cov_target *target,
                     enum report_lang lang);

#endif
