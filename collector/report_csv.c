/*
 * The coverage report as CSV for Excel: UTF-8 with a byte order mark (or
 * Excel reads the Chinese as mojibake), CRLF line ends, one row per
 * category x district, then the category totals, the district totals and
 * the overall total; percentages as numbers (62.5 for 62.5%).
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One field, quoted when it must be; a leading = + - @ is defused with a
 * quote so that a registry name cannot become a spreadsheet formula. */
static void field(struct buf *b, const char *s, bool last)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    if (quote)
        buf_putc(b, '"');
    if (formula)
        buf_putc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_putc(b, '"');
        buf_putc(b, *p);
    }
    if (quote)
        buf_putc(b, '"');
    buf_puts(b, last ? "\r\n" : ",");
}

static void pct(struct buf *b, double v, bool last)
{
    if (isnan(v))
        buf_puts(b, "");
    else
        buf_printf(b, "%.1f", v * 100.0);
    buf_puts(b, last ? "\r\n" : ",");
}

static void row(struct buf *b, const char *level, const struct cov_row *r, enum report_lang lang)
{
    field(b, level, false);
    field(b, r->category ? r->category : "", false);
    field(b, r->category ? report_category(lang, r->category) : report_text(lang, T_TOTAL), false);
    field(b, report_district(lang, r->district), false);
    buf_printf(b, "%ld,%ld,%ld,%ld,", r->assets, r->upgraded, r->planned, r->legacy);
    pct(b, r->coverage, false);
    buf_printf(b, "%ld,", r->online);
    pct(b, r->completeness, false);
    buf_printf(b, "%ld,", r->effective);
    pct(b, r->effective_coverage, true);
}

int report_csv(const struct coverage *c, const struct report_meta *m, struct buf *b)
{
    enum report_lang l = m->lang;
    buf_puts(b, "\xEF\xBB\xBF");
    const enum report_text head[] = {
        T_LEVEL,  T_CATEGORY, T_CATEGORY, T_DISTRICT,     T_ASSETS,    T_UPGRADED,    T_PLANNED,
        T_LEGACY, T_COVERAGE, T_ONLINE,   T_COMPLETENESS, T_EFFECTIVE, T_EFF_COVERAGE};
    size_t nh = sizeof head / sizeof head[0];
    for (size_t i = 0; i < nh; i++) {
        const char *t = report_text(l, head[i]);
        char h[128];
        if (head[i] == T_COVERAGE || head[i] == T_COMPLETENESS || head[i] == T_EFF_COVERAGE)
            snprintf(h, sizeof h, "%s (%%)", t);
        else if (i == 1)
            snprintf(h, sizeof h, "%s (id)", t);
        else
            snprintf(h, sizeof h, "%s", t);
        field(b, h, i + 1 == nh);
    }
    const char *lv_group = l == REPORT_EN ? "detail" : "明细";
    const char *lv_cat = report_text(l, T_BY_CATEGORY);
    const char *lv_dis = report_text(l, T_BY_DISTRICT);
    for (size_t i = 0; i < c->ngroups; i++)
        row(b, lv_group, &c->groups[i], l);
    for (size_t i = 0; i < c->ncategories; i++)
        row(b, lv_cat, &c->categories[i], l);
    for (size_t i = 0; i < c->ndistricts; i++)
        row(b, lv_dis, &c->districts[i], l);
    row(b, report_text(l, T_TOTAL), &c->total, l);
    return buf_puts(b, "");
}
