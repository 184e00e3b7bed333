/*
 * The coverage report as JSON (schema "lifeline.coverage/1", documented in
 * docs/reports.md). Keys are English whatever the language; *_label keys
 * carry the names in the report's language. Ratios are 0..1; a ratio that
 * cannot be computed (nothing expected) and an overdue pace are null.
 */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonout.h"

static void key(struct buf *b, const char *k)
{
    json_append_string(b, k, strlen(k));
    buf_putc(b, ':');
}

static void str(struct buf *b, const char *k, const char *v)
{
    key(b, k);
    if (v)
        json_append_string(b, v, strlen(v));
    else
        buf_puts(b, "null");
    buf_putc(b, ',');
}

static void num(struct buf *b, const char *k, double v)
{
    key(b, k);
    if (isfinite(v))
        buf_printf(b, "%.6g,", v);
    else
        buf_puts(b, "null,");
}

static void integer(struct buf *b, const char *k, long long v)
{
    key(b, k);
    buf_printf(b, "%lld,", v);
}

static void date(struct buf *b, const char *k, int32_t days)
{
    char d[16];
    coverage_format_date(days, d, sizeof d);
    str(b, k, d);
}

static void time_ms(struct buf *b, const char *k, int64_t ms)
{
    key(b, k);
    if (ms > 0)
        buf_printf(b, "%lld,", (long long)ms);
    else
        buf_puts(b, "null,");
}

/* Drops the ',' after the last member and closes the object or array. */
static void close(struct buf *b, char c)
{
    if (b->len && b->data[b->len - 1] == ',')
        buf_truncate(b, b->len - 1);
    buf_putc(b, c);
}

static void row(struct buf *b, const struct cov_row *r, enum report_lang lang)
{
    buf_putc(b, '{');
    str(b, "category", r->category);
    str(b, "district", r->district);
    str(b, "category_label", r->category ? report_category(lang, r->category) : NULL);
    str(b, "district_label", r->district ? report_district(lang, r->district) : NULL);
    integer(b, "assets", r->assets);
    integer(b, "upgraded", r->upgraded);
    integer(b, "planned", r->planned);
    integer(b, "legacy", r->legacy);
    num(b, "coverage", r->coverage);
    integer(b, "online", r->online);
    integer(b, "reported", r->reported);
    integer(b, "expected", r->expected);
    integer(b, "stored", r->stored);
    num(b, "completeness", r->completeness);
    integer(b, "effective", r->effective);
    num(b, "effective_coverage", r->effective_coverage);
    close(b, '}');
    buf_putc(b, ',');
}

static void rows(struct buf *b, const char *k, const struct cov_row *r, size_t n,
                 enum report_lang lang)
{
    key(b, k);
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        row(b, &r[i], lang);
    close(b, ']');
    buf_putc(b, ',');
}

static void target(struct buf *b, const struct cov_target *t)
{
    buf_putc(b, '{');
    str(b, "category", t->category);
    num(b, "target", t->target);
    date(b, "target_date", t->date);
    integer(b, "assets", t->assets);
    integer(b, "upgraded", t->upgraded);
    integer(b, "needed", t->needed);
    integer(b, "gap", t->gap);
    num(b, "months_left", t->months_left);
    num(b, "pace_needed", t->pace_needed);
    num(b, "pace_recent", t->pace_recent);
    num(b, "projected", t->projected);
    key(b, "on_track");
    buf_puts(b, t->on_track ? "true" : "false");
    close(b, '}');
    buf_putc(b, ',');
}

static void device(struct buf *b, const struct cov_device *d)
{
    buf_putc(b, '{');
    str(b, "asset_id", d->asset ? d->asset->asset_id : NULL);
    str(b, "name", d->asset ? d->asset->name : NULL);
    str(b, "category", d->category);
    str(b, "district", d->district);
    str(b, "device", d->device);
    if (d->asset && d->asset->upgraded_on >= 0)
        date(b, "upgraded_on", d->asset->upgraded_on);
    time_ms(b, "last_seen", d->last_ms);
    integer(b, "stored", d->stored);
    integer(b, "expected", d->expected);
    num(b, "completeness", d->completeness);
    close(b, '}');
    buf_putc(b, ',');
}

static void list(struct buf *b, const char *k, const struct cov_device *v, size_t n, size_t total)
{
    key(b, k);
    buf_printf(b, "{\"total\":%zu,\"items\":[", total);
    for (size_t i = 0; i < n; i++)
        device(b, &v[i]);
    close(b, ']');
    buf_puts(b, "},");
}

static void trend(struct buf *b, const struct cov_trend *t)
{
    buf_putc(b, '{');
    str(b, "category", t->category);
    key(b, "months");
    buf_putc(b, '[');
    for (size_t i = 0; i < t->nmonths; i++) {
        const struct cov_month *m = &t->months[i];
        buf_printf(b, "{\"month\":\"%04d-%02d\",\"upgraded\":%ld,", m->year, m->month, m->upgraded);
        num(b, "coverage", m->coverage);
        buf_printf(b, "\"projected\":%s},", m->projected ? "true" : "false");
    }
    close(b, ']');
    buf_puts(b, "},");
}

int report_json(const struct coverage *c, const struct report_meta *m, struct buf *b)
{
    buf_putc(b, '{');
    str(b, "schema", "lifeline.coverage/1");
    str(b, "lang", m->lang == REPORT_EN ? "en" : "zh");
    time_ms(b, "generated", m->generated_ms);
    key(b, "period");
    buf_putc(b, '{');
    time_ms(b, "from", c->opt.from_ms);
    time_ms(b, "to", c->opt.to_ms);
    date(b, "to_day", c->to_day);
    close(b, '}');
    buf_putc(b, ',');
    time_ms(b, "now", c->opt.now_ms);
    key(b, "settings");
    buf_putc(b, '{');
    num(b, "effective_threshold", c->opt.effective_threshold);
    integer(b, "offline_misses", c->opt.offline_misses);
    num(b, "default_target", c->opt.def_target.target);
    date(b, "default_target_date", c->opt.def_target.date);
    close(b, '}');
    buf_putc(b, ',');
    rows(b, "groups", c->groups, c->ngroups, m->lang);
    rows(b, "categories", c->categories, c->ncategories, m->lang);
    rows(b, "districts", c->districts, c->ndistricts, m->lang);
    key(b, "total");
    row(b, &c->total, m->lang);
    key(b, "targets");
    buf_putc(b, '[');
    for (size_t i = 0; i < c->ncategories; i++)
        target(b, &c->targets[i]);
    close(b, ']');
    buf_putc(b, ',');
    key(b, "total_target");
    target(b, &c->total_target);
    key(b, "trends");
    buf_putc(b, '[');
    for (size_t i = 0; i < c->ntrends; i++)
        trend(b, &c->trends[i]);
    close(b, ']');
    buf_putc(b, ',');
    key(b, "worst");
    buf_putc(b, '{');
    list(b, "offline", c->offline, c->noffline, c->offline_total);
    list(b, "never_reported", c->never, c->nnever, c->never_total);
    list(b, "lowest_completeness", c->lowest, c->nlowest, c->lowest_total);
    close(b, '}');
    buf_putc(b, ',');
    list(b, "unregistered", c->unregistered, c->nunregistered, c->unregistered_total);
    close(b, '}');
    return buf_putc(b, '\n');
}
