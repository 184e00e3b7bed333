/*
 * SVG charts for the HTML report. Plain shapes and text only, so that they
 * print crisply and need no script or font download.
 */
#include "report_svg.h"

#include <math.h>
#include <stdio.h>

#define C_COVERAGE "#1f4e79"
#define C_EFFECTIVE "#2e9e6b"
#define C_TARGET "#c0392b"
#define C_GRID "#d9dee5"
#define C_TEXT "#333"

int report_html_escape(struct buf *b, const char *s)
{
    int rc = 0;
    for (const char *p = s ? s : ""; *p && rc == 0; p++) {
        switch (*p) {
        case '&':
            rc = buf_puts(b, "&amp;");
            break;
        case '<':
            rc = buf_puts(b, "&lt;");
            break;
        case '>':
            rc = buf_puts(b, "&gt;");
            break;
        case '"':
            rc = buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = buf_puts(b, "&#39;");
            break;
        default:
            rc = buf_putc(b, *p);
        }
    }
    return rc;
}

static double clamp01(double v)
{
    return isnan(v) ? 0 : v < 0 ? 0 : v > 1 ? 1 : v;
}

static void legend(struct buf *b, double x, double y, const char *color, const char *label,
                   bool line)
{
    if (line)
        buf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='2' "
                   "stroke-dasharray='5 3'/>",
                   x, y + 5, x + 16, y + 5, color);
    else
        buf_printf(b, "<rect x='%.1f' y='%.1f' width='14' height='10' fill='%s'/>", x, y, color);
    buf_printf(b, "<text x='%.1f' y='%.1f' font-size='11' fill='" C_TEXT "'>", x + 20, y + 9);
    report_html_escape(b, label);
    buf_puts(b, "</text>");
}

int report_svg_bars(struct buf *b, const struct svg_bar *bars, size_t n, enum report_lang lang)
{
    const double left = 118, right = 46, width = 520, row_h = 40, top = 30;
    double plot = width - left - right;
    double height = top + row_h * (double)(n ? n : 1) + 22;
    buf_printf(b,
               "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %.0f %.0f' role='img' "
               "class='chart'>",
               width, height);
    legend(b, left, 6, C_COVERAGE, report_text(lang, T_COVERAGE), false);
    legend(b, left + 120, 6, C_EFFECTIVE, report_text(lang, T_EFF_COVERAGE), false);
    legend(b, left + 250, 6, C_TARGET, report_text(lang, T_TARGET), true);
    for (int t = 0; t <= 4; t++) {
        double x = left + plot * t / 4.0;
        buf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='" C_GRID "'/>"
                   "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle' fill='#777'>%d%%"
                   "</text>",
                   x, top - 4, x, height - 18, x, height - 6, t * 25);
    }
    for (size_t i = 0; i < n; i++) {
        const struct svg_bar *r = &bars[i];
        double y = top + row_h * (double)i;
        buf_printf(b, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='end' fill='" C_TEXT "'>",
                   left - 8, y + 22);
        report_html_escape(b, r->label);
        buf_puts(b, "</text>");
        double cw = plot * clamp01(r->coverage), ew = plot * clamp01(r->effective);
        buf_printf(b, "<rect x='%.1f' y='%.1f' width='%.1f' height='13' fill='" C_COVERAGE "'/>",
                   left, y + 6, cw);
        buf_printf(b, "<rect x='%.1f' y='%.1f' width='%.1f' height='13' fill='" C_EFFECTIVE "'/>",
                   left, y + 20, ew);
        buf_printf(b,
                   "<text x='%.1f' y='%.1f' font-size='10' fill='" C_TEXT "'>%.1f%%</text>"
                   "<text x='%.1f' y='%.1f' font-size='10' fill='" C_TEXT "'>%.1f%%</text>",
                   left + cw + 4, y + 16, clamp01(r->coverage) * 100, left + ew + 4, y + 30,
                   clamp01(r->effective) * 100);
        if (!isnan(r->target)) {
            double tx = left + plot * clamp01(r->target);
            buf_printf(b,
                       "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='" C_TARGET
                       "' stroke-width='2' stroke-dasharray='4 2'/>",
                       tx, y + 3, tx, y + 36);
        }
    }
    return buf_puts(b, "</svg>");
}

int report_svg_trend(struct buf *b, const struct cov_trend *t, const struct cov_target *target,
                     enum report_lang lang)
{
    const double width = 1040, height = 280, left = 46, right = 20, top = 30, bottom = 40;
    double pw = width - left - right, ph = height - top - bottom;
    size_t n = t->nmonths;
    double step = n > 1 ? pw / (double)(n - 1) : 0;
    buf_printf(b,
               "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %.0f %.0f' role='img' "
               "class='chart trend'>",
               width, height);
    legend(b, left, 6, C_COVERAGE, report_text(lang, T_ACTUAL), false);
    legend(b, left + 90, 6, C_COVERAGE, report_text(lang, T_PROJECTION), true);
    legend(b, left + 200, 6, C_TARGET, report_text(lang, T_TARGET), true);
    for (int k = 0; k <= 4; k++) {
        double y = top + ph - ph * k / 4.0;
        buf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='" C_GRID "'/>"
                   "<text x='%.1f' y='%.1f' font-size='10' text-anchor='end' fill='#777'>%d%%"
                   "</text>",
                   left, y, left + pw, y, left - 6, y + 4, k * 25);
    }
    size_t every = n > 24 ? 6 : n > 12 ? 3 : 1;
    for (size_t i = 0; i < n; i++) {
        if (i % every && i + 1 != n)
            continue;
        buf_printf(b,
                   "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle' fill='#777'>"
                   "%04d-%02d</text>",
                   left + step * (double)i, top + ph + 16, t->months[i].year, t->months[i].month);
    }
    if (target) {
        double y = top + ph - ph * clamp01(target->target);
        char date[16];
        coverage_format_date(target->date, date, sizeof date);
        buf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='" C_TARGET
                   "' stroke-width='1.5' stroke-dasharray='6 3'/><text x='%.1f' y='%.1f' "
                   "font-size='11' text-anchor='end' fill='" C_TARGET "'>%s %.0f%% @ %s</text>",
                   left, y, left + pw, y, left + pw, y - 5, report_text(lang, T_TARGET),
                   target->target * 100, date);
    }
    /* actual: solid with dots; projection: dashed from the last actual month */
    for (int pass = 0; pass < 2; pass++) {
        buf_printf(b, "<polyline fill='none' stroke='" C_COVERAGE "' stroke-width='2.5'%s points='",
                   pass ? " stroke-dasharray='6 4'" : "");
        for (size_t i = 0; i < n; i++) {
            const struct cov_month *m = &t->months[i];
            bool last_actual = !m->projected && (i + 1 == n || t->months[i + 1].projected);
            if ((pass == 0 && m->projected) || (pass == 1 && !m->projected && !last_actual))
                continue;
            buf_printf(b, "%.1f,%.1f ", left + step * (double)i,
                       top + ph - ph * clamp01(m->coverage));
        }
        buf_puts(b, "'/>");
    }
    for (size_t i = 0; i < n; i++) {
        const struct cov_month *m = &t->months[i];
        if (m->projected)
            continue;
        double x = left + step * (double)i, y = top + ph - ph * clamp01(m->coverage);
        buf_printf(b, "<circle cx='%.1f' cy='%.1f' r='3' fill='" C_COVERAGE "'/>", x, y);
        if (i + 1 == n || t->months[i + 1].projected)
            buf_printf(b,
                       "<text x='%.1f' y='%.1f' font-size='11' font-weight='bold' "
                       "text-anchor='middle' fill='" C_COVERAGE "'>%.1f%%</text>",
                       x, y - 8, m->coverage * 100);
    }
    if (n && t->months[n - 1].projected) {
        const struct cov_month *m = &t->months[n - 1];
        double x = left + step * (double)(n - 1), y = top + ph - ph * clamp01(m->coverage);
        buf_printf(b,
                   "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end' fill='" C_COVERAGE
                   "'>%.1f%%</text>",
                   x - 4, y - 8, m->coverage * 100);
    }
    return buf_puts(b, "</svg>");
}
