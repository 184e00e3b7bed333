/*
 * report: renders the figures of coverage.h as HTML (self-contained, inline
 * CSS and SVG, printable on A4), CSV (UTF-8 with a byte order mark, for
 * Excel), JSON (schema in docs/reports.md) and Markdown (chat tools), with
 * Chinese or English labels (report_i18n.c). Registry strings are escaped
 * for each format. Renderers append to the caller's buffer and return 0 or
 * the buf error (-E2BIG, -ENOMEM).
 */
#ifndef LIFELINE_REPORT_H
#define LIFELINE_REPORT_H

#include <stdint.h>

#include "buf.h"
#include "coverage.h"

enum report_lang { REPORT_ZH, REPORT_EN };
enum report_format { REPORT_HTML, REPORT_CSV, REPORT_JSON, REPORT_MD };

/* What a report says about itself. */
struct report_meta {
    enum report_lang lang;
    int64_t generated_ms; /* when it was made */
};

/* "html", "csv", "json", "md" (also "markdown"). 0 or -EINVAL. */
int report_parse_format(const char *s, enum report_format *out);
/* "zh", "en". 0 or -EINVAL. */
int report_parse_lang(const char *s, enum report_lang *out);
/* The MIME type of a format ("text/html; charset=utf-8", ...). */
const char *report_content_type(enum report_format f);

int report_render(const struct coverage *c, enum report_format f, const struct report_meta *m,
                  struct buf *out);
int report_html(const struct coverage *c, const struct report_meta *m, struct buf *out);
int report_csv(const struct coverage *c, const struct report_meta *m, struct buf *out);
int report_json(const struct coverage *c, const struct report_meta *m, struct buf *out);
int report_md(const struct coverage *c, const struct report_meta *m, struct buf *out);

/* ------------------------------------------------------------ labels */

enum report_text {
    T_TITLE,
    T_SUBTITLE,
    T_PERIOD,
    T_GENERATED,
    T_CATEGORY,
    T_DISTRICT,
    T_ASSETS,
    T_UPGRADED,
    T_PLANNED,
    T_LEGACY,
    T_COVERAGE,
    T_ONLINE,
    T_COMPLETENESS,
    T_EFFECTIVE,
    T_EFF_COVERAGE,
    T_TARGET,
    T_TARGET_DATE,
    T_GAP,
    T_PACE_NEEDED,
    T_PACE_RECENT,
    T_PROJECTED,
    T_ON_TRACK,
    T_BEHIND,
    T_OVERDUE,
    T_TOTAL,
    T_BY_CATEGORY,
    T_BY_DISTRICT,
    T_DETAIL,
    T_TREND,
    T_TARGETS,
    T_WORST_OFFLINE,
    T_WORST_NEVER,
    T_WORST_LOWEST,
    T_UNREGISTERED,
    T_ASSET,
    T_NAME,
    T_DEVICE,
    T_LAST_SEEN,
    T_UPGRADED_ON,
    T_READINGS,
    T_EXPECTED,
    T_NONE,
    T_NO_DISTRICT,
    T_NO_DEVICE_ID,
    T_ACTUAL,
    T_PROJECTION,
    T_PER_MONTH,
    T_DEFINITIONS,
    T_DEF_TEXT,
    T_MORE,
    T_NOTHING_DUE,
    T_LEVEL,
    T_STATUS,
    T_KPI_ONLINE_OF,
    T_MONTH,
    T_COUNT_
};

const char *report_text(enum report_lang lang, enum report_text t);
/* The category's name in `lang` (the domain's six; others as they are). */
const char *report_category(enum report_lang lang, const char *category);
/* The district as written, or the "no district" label for "". */
const char *report_district(enum report_lang lang, const char *district);
/* "62.5%" (one decimal), or "—" for NAN. */
void report_pct(double ratio, char *out, size_t outsz);
/* "YYYY-MM-DD HH:MM" in China time, or "—" for 0. */
void report_time(int64_t ms, char *out, size_t outsz);

#endif
