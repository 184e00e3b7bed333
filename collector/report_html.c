/*
 * The coverage report as one self-contained HTML page: inline CSS and SVG,
 * no script, no font or image from the network, so it can be mailed,
 * archived and printed (A4 portrait). Every registry string is escaped.
 */
#include "report.h"
#include "report_svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char css[] =
    "@page{size:A4 portrait;margin:12mm 11mm}"
    "*{box-sizing:border-box}"
    "body{font-family:'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',"
    "'WenQuanYi Micro Hei',sans-serif;color:#222;margin:0 auto;max-width:1120px;padding:28px 36px;"
    "font-size:13px;line-height:1.45;-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "header{border-bottom:3px solid #1f4e79;padding-bottom:10px;margin-bottom:16px}"
    "h1{font-size:24px;margin:0;color:#1f4e79;letter-spacing:1px}"
    ".sub{color:#555;margin-top:4px}.meta{color:#666;font-size:12px;margin-top:6px}"
    "h2{font-size:16px;color:#1f4e79;border-left:4px solid #1f4e79;padding-left:8px;"
    "margin:22px 0 8px}"
    ".kpis{display:grid;grid-template-columns:repeat(5,1fr);gap:10px}"
    ".kpi{border:1px solid #d9dee5;border-radius:6px;padding:10px 12px;background:#f7f9fc}"
    ".kpi .v{font-size:24px;font-weight:700;color:#1f4e79}.kpi .l{color:#555;font-size:12px}"
    ".kpi .d{color:#777;font-size:11px}.kpi.warn .v{color:#c0392b}.kpi.ok .v{color:#2e9e6b}"
    ".two{display:grid;grid-template-columns:1fr 1fr;gap:16px}"
    ".chart{width:100%;height:auto;display:block}"
    "table{border-collapse:collapse;width:100%;font-size:12px;margin-top:4px}"
    "th,td{border:1px solid #d9dee5;padding:4px 6px;text-align:right;vertical-align:top}"
    "th{background:#eaf0f7;color:#1f4e79;font-weight:600}"
    "td.t,th.t{text-align:left}tr.sum td{font-weight:700;background:#f7f9fc}"
    ".bad{color:#c0392b;font-weight:600}.good{color:#2e9e6b;font-weight:600}"
    ".mono{font-family:'DejaVu Sans Mono',monospace;font-size:11px}"
    ".more{color:#777;font-size:11px}"
    "footer{margin-top:22px;border-top:1px solid #d9dee5;padding-top:8px;color:#555;"
    "font-size:11px}"
    "section{break-inside:avoid}thead{display:table-header-group}tr{break-inside:avoid}"
    "@media print{body{padding:0;max-width:none;font-size:10.5pt}.kpi .v{font-size:18pt}"
    "h2{break-after:avoid}}";

static void esc(struct buf *b, const char *s)
{
    report_html_escape(b, s);
}

static void pct_cell(struct buf *b, double v, const char *cls)
{
    char s[32];
    report_pct(v, s, sizeof s);
    buf_printf(b, "<td%s%s%s>%s</td>", cls ? " class='" : "", cls ? cls : "", cls ? "'" : "", s);
}

static void kpi(struct buf *b, const char *cls, const char *label, const char *value,
                const char *detail)
{
    buf_printf(b, "<div class='kpi %s'><div class='l'>", cls);
    esc(b, label);
    buf_puts(b, "</div><div class='v'>");
    esc(b, value);
    buf_puts(b, "</div><div class='d'>");
    esc(b, detail);
    buf_puts(b, "</div></div>");
}

static void kpis(struct buf *b, const struct coverage *c, enum report_lang l)
{
    char v[64], d[160], date[16];
    const struct cov_row *t = &c->total;
    buf_puts(b, "<section class='kpis'>");
    report_pct(t->coverage, v, sizeof v);
    snprintf(d, sizeof d, "%ld / %ld", t->upgraded, t->assets);
    kpi(b, "", report_text(l, T_COVERAGE), v, d);
    report_pct(t->effective_coverage, v, sizeof v);
    snprintf(d, sizeof d, "%ld / %ld", t->effective, t->assets);
    kpi(b, t->effective_coverage < c->opt.def_target.target ? "warn" : "ok",
        report_text(l, T_EFF_COVERAGE), v, d);
    snprintf(v, sizeof v, "%ld", t->online);
    snprintf(d, sizeof d, "/ %ld %s", t->upgraded, report_text(l, T_KPI_ONLINE_OF));
    kpi(b, "", report_text(l, T_ONLINE), v, d);
    report_pct(t->completeness, v, sizeof v);
    snprintf(d, sizeof d, "%lld / %lld", (long long)t->stored, (long long)t->expected);
    kpi(b, "", report_text(l, T_COMPLETENESS), v, d);
    const struct cov_target *tt = &c->total_target;
    report_pct(tt->target, v, sizeof v);
    coverage_format_date(tt->date, date, sizeof date);
    snprintf(d, sizeof d, "%s · %s %ld", date, report_text(l, T_GAP), tt->gap);
    kpi(b, tt->on_track ? "ok" : "warn", report_text(l, T_TARGET), v, d);
    buf_puts(b, "</section>");
}

static void row_cells(struct buf *b, const struct cov_row *r)
{
    buf_printf(b, "<td>%ld</td><td>%ld</td><td>%ld</td><td>%ld</td>", r->assets, r->upgraded,
               r->planned, r->legacy);
    pct_cell(b, r->coverage, NULL);
    buf_printf(b, "<td>%ld</td>", r->online);
    pct_cell(b, r->completeness, NULL);
    buf_printf(b, "<td>%ld</td>", r->effective);
    pct_cell(b, r->effective_coverage, NULL);
}

static void row_head(struct buf *b, enum report_lang l, int nlabels, enum report_text a,
                     enum report_text bb)
{
    buf_puts(b, "<table><thead><tr>");
    buf_printf(b, "<th class='t'>%s</th>", report_text(l, a));
    if (nlabels > 1)
        buf_printf(b, "<th class='t'>%s</th>", report_text(l, bb));
    const enum report_text h[] = {T_ASSETS, T_UPGRADED,     T_PLANNED,   T_LEGACY,      T_COVERAGE,
                                  T_ONLINE, T_COMPLETENESS, T_EFFECTIVE, T_EFF_COVERAGE};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        buf_printf(b, "<th>%s</th>", report_text(l, h[i]));
    buf_puts(b, "</tr></thead><tbody>");
}

static void rows_table(struct buf *b, const struct coverage *c, enum report_lang l, bool by_cat)
{
    row_head(b, l, 1, by_cat ? T_CATEGORY : T_DISTRICT, T_COUNT_);
    size_t n = by_cat ? c->ncategories : c->ndistricts;
    for (size_t i = 0; i < n; i++) {
        const struct cov_row *r = by_cat ? &c->categories[i] : &c->districts[i];
        buf_puts(b, "<tr><td class='t'>");
        esc(b, by_cat ? report_category(l, r->category) : report_district(l, r->district));
        buf_puts(b, "</td>");
        row_cells(b, r);
        buf_puts(b, "</tr>");
    }
    buf_printf(b, "<tr class='sum'><td class='t'>%s</td>", report_text(l, T_TOTAL));
    row_cells(b, &c->total);
    buf_puts(b, "</tr></tbody></table>");
}

static void detail_table(struct buf *b, const struct coverage *c, enum report_lang l)
{
    row_head(b, l, 2, T_CATEGORY, T_DISTRICT);
    for (size_t i = 0; i < c->ngroups; i++) {
        const struct cov_row *r = &c->groups[i];
        buf_puts(b, "<tr><td class='t'>");
        esc(b, report_category(l, r->category));
        buf_puts(b, "</td><td class='t'>");
        esc(b, report_district(l, r->district));
        buf_puts(b, "</td>");
        row_cells(b, r);
        buf_puts(b, "</tr>");
    }
    buf_puts(b, "</tbody></table>");
}

static void target_row(struct buf *b, const struct cov_target *t, const struct cov_row *r,
                       enum report_lang l)
{
    char date[16];
    coverage_format_date(t->date, date, sizeof date);
    buf_puts(b, t->category ? "<tr><td class='t'>" : "<tr class='sum'><td class='t'>");
    esc(b, report_category(l, t->category));
    buf_puts(b, "</td>");
    pct_cell(b, r->coverage, NULL);
    pct_cell(b, r->effective_coverage, NULL);
    pct_cell(b, t->target, NULL);
    buf_printf(b, "<td>%s</td><td>%ld</td>", date, t->gap);
    if (isfinite(t->pace_needed))
        buf_printf(b, "<td>%.1f</td>", t->pace_needed);
    else
        buf_printf(b, "<td class='bad'>%s</td>", report_text(l, T_OVERDUE));
    buf_printf(b, "<td>%.1f</td>", t->pace_recent);
    pct_cell(b, t->projected, NULL);
    buf_printf(b, "<td class='%s'>%s</td></tr>", t->on_track ? "good" : "bad",
               report_text(l, t->on_track ? T_ON_TRACK : T_BEHIND));
}

static void targets_table(struct buf *b, const struct coverage *c, enum report_lang l)
{
    const enum report_text h[] = {T_COVERAGE,    T_EFF_COVERAGE, T_TARGET,    T_TARGET_DATE, T_GAP,
                                  T_PACE_NEEDED, T_PACE_RECENT,  T_PROJECTED, T_STATUS};
    buf_printf(b, "<table><thead><tr><th class='t'>%s</th>", report_text(l, T_CATEGORY));
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        buf_printf(b, "<th>%s</th>", report_text(l, h[i]));
    buf_puts(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < c->ncategories; i++)
        target_row(b, &c->targets[i], &c->categories[i], l);
    target_row(b, &c->total_target, &c->total, l);
    buf_puts(b, "</tbody></table>");
}

static void device_list(struct buf *b, enum report_lang l, enum report_text title,
                        const struct cov_device *v, size_t n, size_t total)
{
    buf_printf(b, "<section><h2>%s (%zu)</h2>", report_text(l, title), total);
    if (!total) {
        buf_printf(b, "<p class='more'>%s</p></section>", report_text(l, T_NONE));
        return;
    }
    bool reg = title != T_UNREGISTERED;
    buf_puts(b, "<table><thead><tr>");
    if (reg)
        buf_printf(b, "<th class='t'>%s</th><th class='t'>%s</th>", report_text(l, T_ASSET),
                   report_text(l, T_NAME));
    buf_printf(b, "<th class='t'>%s</th><th class='t'>%s</th><th class='t'>%s</th>",
               report_text(l, T_CATEGORY), report_text(l, T_DISTRICT), report_text(l, T_DEVICE));
    if (reg)
        buf_printf(b, "<th>%s</th>", report_text(l, T_UPGRADED_ON));
    buf_printf(b, "<th>%s</th><th>%s</th>", report_text(l, T_LAST_SEEN),
               report_text(l, T_READINGS));
    if (reg)
        buf_printf(b, "<th>%s</th><th>%s</th>", report_text(l, T_EXPECTED),
                   report_text(l, T_COMPLETENESS));
    buf_puts(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        const struct cov_device *d = &v[i];
        char seen[32], date[16];
        report_time(d->last_ms, seen, sizeof seen);
        buf_puts(b, "<tr>");
        if (reg) {
            buf_puts(b, "<td class='t mono'>");
            esc(b, d->asset->asset_id);
            buf_puts(b, "</td><td class='t'>");
            esc(b, d->asset->name);
            buf_puts(b, "</td>");
        }
        buf_puts(b, "<td class='t'>");
        esc(b, report_category(l, d->category));
        buf_puts(b, "</td><td class='t'>");
        esc(b, report_district(l, d->district));
        buf_puts(b, "</td><td class='t mono'>");
        esc(b, d->device && d->device[0] ? d->device : report_text(l, T_NO_DEVICE_ID));
        buf_puts(b, "</td>");
        if (reg) {
            coverage_format_date(d->asset->upgraded_on, date, sizeof date);
            buf_printf(b, "<td>%s</td>", date);
        }
        buf_printf(b, "<td>%s</td><td>%lld</td>", seen, (long long)d->stored);
        if (reg) {
            buf_printf(b, "<td>%lld</td>", (long long)d->expected);
            pct_cell(b, d->completeness, NULL);
        }
        buf_puts(b, "</tr>");
    }
    buf_puts(b, "</tbody></table>");
    if (total > n) {
        buf_puts(b, "<p class='more'>");
        buf_printf(b, "%s %zu", report_text(l, T_MORE), total - n);
        buf_puts(b, "</p>");
    }
    buf_puts(b, "</section>");
}

static int charts(struct buf *b, const struct coverage *c, enum report_lang l)
{
    size_t n = c->ncategories > c->ndistricts ? c->ncategories : c->ndistricts;
    struct svg_bar *bars = calloc(n ? n : 1, sizeof *bars);
    if (!bars)
        return -ENOMEM;
    buf_printf(b, "<section class='two'><div><h2>%s</h2>", report_text(l, T_BY_CATEGORY));
    for (size_t i = 0; i < c->ncategories; i++)
        bars[i] = (struct svg_bar){report_category(l, c->categories[i].category),
                                   c->categories[i].coverage, c->categories[i].effective_coverage,
                                   c->targets[i].target};
    report_svg_bars(b, bars, c->ncategories, l);
    buf_printf(b, "</div><div><h2>%s</h2>", report_text(l, T_BY_DISTRICT));
    for (size_t i = 0; i < c->ndistricts; i++)
        bars[i] =
            (struct svg_bar){report_district(l, c->districts[i].district), c->districts[i].coverage,
                             c->districts[i].effective_coverage, c->opt.def_target.target};
    report_svg_bars(b, bars, c->ndistricts, l);
    buf_puts(b, "</div></section>");
    free(bars);
    buf_printf(b, "<section><h2>%s</h2>", report_text(l, T_TREND));
    if (c->ntrends)
        report_svg_trend(b, &c->trends[0], &c->total_target, l);
    return buf_puts(b, "</section>");
}

int report_html(const struct coverage *c, const struct report_meta *m, struct buf *b)
{
    enum report_lang l = m->lang;
    char from[32], to[32], gen[32], thr[32];
    report_time(c->opt.from_ms, from, sizeof from);
    report_time(c->opt.to_ms, to, sizeof to);
    report_time(m->generated_ms, gen, sizeof gen);
    report_pct(c->opt.effective_threshold, thr, sizeof thr);
    buf_printf(b,
               "<!DOCTYPE html>\n<html lang='%s'><head><meta charset='utf-8'>"
               "<meta name='viewport' content='width=device-width,initial-scale=1'>"
               "<title>%s</title><style>%s</style></head><body>\n",
               l == REPORT_EN ? "en" : "zh-CN", report_text(l, T_TITLE), css);
    buf_printf(b,
               "<header><h1>%s</h1><div class='sub'>%s</div><div class='meta'>%s: %s – %s"
               " (UTC+8) · %s: %s · %s ≥ %s</div></header>\n",
               report_text(l, T_TITLE), report_text(l, T_SUBTITLE), report_text(l, T_PERIOD), from,
               to, report_text(l, T_GENERATED), gen, report_text(l, T_EFF_COVERAGE), thr);
    kpis(b, c, l);
    int rc = charts(b, c, l);
    if (rc)
        return rc;
    buf_printf(b, "<section><h2>%s</h2>", report_text(l, T_TARGETS));
    targets_table(b, c, l);
    buf_printf(b, "</section><section><h2>%s</h2>", report_text(l, T_BY_CATEGORY));
    rows_table(b, c, l, true);
    buf_printf(b, "</section><section><h2>%s</h2>", report_text(l, T_BY_DISTRICT));
    rows_table(b, c, l, false);
    buf_printf(b, "</section><section><h2>%s</h2>", report_text(l, T_DETAIL));
    detail_table(b, c, l);
    buf_puts(b, "</section>\n");
    device_list(b, l, T_WORST_OFFLINE, c->offline, c->noffline, c->offline_total);
    device_list(b, l, T_WORST_NEVER, c->never, c->nnever, c->never_total);
    device_list(b, l, T_WORST_LOWEST, c->lowest, c->nlowest, c->lowest_total);
    device_list(b, l, T_UNREGISTERED, c->unregistered, c->nunregistered, c->unregistered_total);
    buf_printf(b, "<footer><b>%s</b>: %s</footer>\n</body></html>\n", report_text(l, T_DEFINITIONS),
               report_text(l, T_DEF_TEXT));
    return 0;
}
