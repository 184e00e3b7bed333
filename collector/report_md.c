/*
 * The coverage report as Markdown for chat tools (DingTalk, WeCom, Feishu):
 * headline figures, tables by category, by district and by category x
 * district, the targets, and the first five of each worst list. Registry
 * text has '|', '\', '<', '>', '*', '_', '`', '[' and ']' escaped and line
 * breaks turned into spaces.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MD_LIST_MAX 5

static void text(struct buf *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\n' || *p == '\r')
            buf_putc(b, ' ');
        else if (strchr("|\\<>*_`[]#", *p))
            buf_printf(b, "\\%c", *p);
        else
            buf_putc(b, *p);
    }
}

static void pct(struct buf *b, double v)
{
    char s[32];
    report_pct(v, s, sizeof s);
    buf_puts(b, s);
}

/* label2: a second label cell (the district of a category x district row), or NULL. */
static void row(struct buf *b, const char *label, const char *label2, const struct cov_row *r,
                bool bold)
{
    buf_puts(b, "| ");
    if (bold)
        buf_puts(b, "**");
    text(b, label);
    if (bold)
        buf_puts(b, "**");
    if (label2) {
        buf_puts(b, " | ");
        text(b, label2);
    }
    buf_printf(b, " | %ld | %ld | ", r->assets, r->upgraded);
    pct(b, r->coverage);
    buf_printf(b, " | %ld | ", r->online);
    pct(b, r->completeness);
    buf_puts(b, " | ");
    pct(b, r->effective_coverage);
    buf_puts(b, " |\n");
}

/* second: T_DISTRICT for the category x district table, else T_COUNT_ (no second label). */
static void head(struct buf *b, enum report_lang l, enum report_text first, enum report_text second)
{
    buf_printf(b, "| %s", report_text(l, first));
    if (second != T_COUNT_)
        buf_printf(b, " | %s", report_text(l, second));
    buf_printf(b, " | %s | %s | %s | %s | %s | %s |\n|---%s|---:|---:|---:|---:|---:|---:|\n",
               second != T_COUNT_ ? "|---" : "", report_text(l, T_ASSETS),
               report_text(l, T_UPGRADED), report_text(l, T_COVERAGE), report_text(l, T_ONLINE),
               report_text(l, T_COMPLETENESS), report_text(l, T_EFF_COVERAGE));
}

static void worst(struct buf *b, enum report_lang l, enum report_text title,
                  const struct cov_device *v, size_t n, size_t total)
{
    buf_printf(b, "\n**%s** (%zu)\n\n", report_text(l, title), total);
    if (!total) {
        buf_printf(b, "- %s\n", report_text(l, T_NONE));
        return;
    }
    for (size_t i = 0; i < n && i < MD_LIST_MAX; i++) {
        const struct cov_device *d = &v[i];
        char seen[32], comp[32];
        report_time(d->last_ms, seen, sizeof seen);
        report_pct(d->completeness, comp, sizeof comp);
        buf_puts(b, "- ");
        if (d->asset) {
            text(b, d->asset->asset_id);
            buf_putc(b, ' ');
            text(b, d->asset->name);
            buf_puts(b, " · ");
        }
        text(b, report_category(l, d->category));
        buf_puts(b, " · ");
        text(b, report_district(l, d->district));
        buf_puts(b, " · `");
        text(b, d->device && d->device[0] ? d->device : report_text(l, T_NO_DEVICE_ID));
        buf_printf(b, "` · %s %s", report_text(l, T_LAST_SEEN), seen);
        if (title == T_WORST_LOWEST)
            buf_printf(b, " · %s %s", report_text(l, T_COMPLETENESS), comp);
        if (title == T_UNREGISTERED)
            buf_printf(b, " · %s %lld", report_text(l, T_READINGS), (long long)d->stored);
        buf_putc(b, '\n');
    }
}

int report_md(const struct coverage *c, const struct report_meta *m, struct buf *b)
{
    enum report_lang l = m->lang;
    char from[32], to[32], gen[32], cov[32], eff[32], comp[32], tgt[32], date[16];
    report_time(c->opt.from_ms, from, sizeof from);
    report_time(c->opt.to_ms, to, sizeof to);
    report_time(m->generated_ms, gen, sizeof gen);
    report_pct(c->total.coverage, cov, sizeof cov);
    report_pct(c->total.effective_coverage, eff, sizeof eff);
    report_pct(c->total.completeness, comp, sizeof comp);
    report_pct(c->total_target.target, tgt, sizeof tgt);
    coverage_format_date(c->total_target.date, date, sizeof date);
    buf_printf(b, "## %s\n\n%s: %s – %s · %s: %s\n\n", report_text(l, T_TITLE),
               report_text(l, T_PERIOD), from, to, report_text(l, T_GENERATED), gen);
    buf_printf(b,
               "**%s %s** (%ld / %ld) · **%s %s** · %s %s · %s %ld / %ld · %s %s @ %s, %s %ld\n\n",
               report_text(l, T_COVERAGE), cov, c->total.upgraded, c->total.assets,
               report_text(l, T_EFF_COVERAGE), eff, report_text(l, T_COMPLETENESS), comp,
               report_text(l, T_ONLINE), c->total.online, c->total.upgraded,
               report_text(l, T_TARGET), tgt, date, report_text(l, T_GAP), c->total_target.gap);
    buf_printf(b, "### %s\n\n", report_text(l, T_BY_CATEGORY));
    head(b, l, T_CATEGORY, T_COUNT_);
    for (size_t i = 0; i < c->ncategories; i++)
        row(b, report_category(l, c->categories[i].category), NULL, &c->categories[i], false);
    row(b, report_text(l, T_TOTAL), NULL, &c->total, true);
    buf_printf(b, "\n### %s\n\n", report_text(l, T_BY_DISTRICT));
    head(b, l, T_DISTRICT, T_COUNT_);
    for (size_t i = 0; i < c->ndistricts; i++)
        row(b, report_district(l, c->districts[i].district), NULL, &c->districts[i], false);
    row(b, report_text(l, T_TOTAL), NULL, &c->total, true);
    buf_printf(b, "\n### %s\n\n", report_text(l, T_DETAIL));
    head(b, l, T_CATEGORY, T_DISTRICT);
    for (size_t i = 0; i < c->ngroups; i++)
        row(b, report_category(l, c->groups[i].category), report_district(l, c->groups[i].district),
            &c->groups[i], false);
    buf_printf(
        b, "\n### %s\n\n| %s | %s | %s | %s | %s | %s | %s |\n|---|---:|---|---:|---:|---:|---|\n",
        report_text(l, T_TARGETS), report_text(l, T_CATEGORY), report_text(l, T_TARGET),
        report_text(l, T_TARGET_DATE), report_text(l, T_GAP), report_text(l, T_PACE_NEEDED),
        report_text(l, T_PACE_RECENT), report_text(l, T_STATUS));
    for (size_t i = 0; i < c->ncategories; i++) {
        const struct cov_target *t = &c->targets[i];
        report_pct(t->target, tgt, sizeof tgt);
        coverage_format_date(t->date, date, sizeof date);
        buf_puts(b, "| ");
        text(b, report_category(l, t->category));
        buf_printf(b, " | %s | %s | %ld | ", tgt, date, t->gap);
        if (isfinite(t->pace_needed))
            buf_printf(b, "%.1f", t->pace_needed);
        else
            buf_puts(b, report_text(l, T_OVERDUE));
        buf_printf(b, " | %.1f | %s |\n", t->pace_recent,
                   report_text(l, t->on_track ? T_ON_TRACK : T_BEHIND));
    }
    worst(b, l, T_WORST_OFFLINE, c->offline, c->noffline, c->offline_total);
    worst(b, l, T_WORST_NEVER, c->never, c->nnever, c->never_total);
    worst(b, l, T_WORST_LOWEST, c->lowest, c->nlowest, c->lowest_total);
    worst(b, l, T_UNREGISTERED, c->unregistered, c->nunregistered, c->unregistered_total);
    return 0;
}
