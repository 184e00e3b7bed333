/*
 * The per-device observations of the coverage report (an open-addressing
 * index over an array kept in insertion order), and the date and target
 * parsing the report shares with the configuration checks.
 */
#include "coverage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"

struct cov_counts {
    struct cov_obs *obs;
    size_t n, cap;
    uint32_t *slots; /* index + 1; 0 empty */
    size_t mask;
};

struct cov_counts *cov_counts_new(void)
{
    return calloc(1, sizeof(struct cov_counts));
}

void cov_counts_free(struct cov_counts *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free((char *)c->obs[i].device);
        free((char *)c->obs[i].category);
        free((char *)c->obs[i].district);
    }
    free(c->obs);
    free(c->slots);
    free(c);
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static long find(const struct cov_counts *c, const char *device)
{
    if (!c || !c->slots)
        return -1;
    for (size_t i = hash(device) & c->mask;; i = (i + 1) & c->mask) {
        uint32_t v = c->slots[i];
        if (!v)
            return -1;
        if (strcmp(c->obs[v - 1].device, device) == 0)
            return (long)v - 1;
    }
}

static int rehash(struct cov_counts *c, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return -ENOMEM;
    free(c->slots);
    c->slots = s;
    c->mask = nslots - 1;
    for (size_t k = 0; k < c->n; k++) {
        size_t i = hash(c->obs[k].device) & c->mask;
        while (s[i])
            i = (i + 1) & c->mask;
        s[i] = (uint32_t)(k + 1);
    }
    return 0;
}

/* The observation of device, added (empty) when new; NULL when out of memory. */
static struct cov_obs *get(struct cov_counts *c, const char *category, const char *device)
{
    long at = find(c, device);
    if (at >= 0)
        return &c->obs[at];
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct cov_obs *o = realloc(c->obs, cap * sizeof *o);
        if (!o)
            return NULL;
        c->obs = o;
        c->cap = cap;
    }
    if ((c->n + 1) * 2 > c->mask + 1 || !c->slots) {
        size_t nslots = 128;
        while (nslots < (c->n + 1) * 2)
            nslots *= 2;
        if (rehash(c, nslots) != 0)
            return NULL;
    }
    struct cov_obs *o = &c->obs[c->n];
    memset(o, 0, sizeof *o);
    o->device = strdup(device);
    o->category = strdup(category ? category : "");
    o->district = strdup("");
    if (!o->device || !o->category || !o->district) {
        free((char *)o->device);
        free((char *)o->category);
        free((char *)o->district);
        return NULL;
    }
    size_t i = hash(device) & c->mask;
    while (c->slots[i])
        i = (i + 1) & c->mask;
    c->slots[i] = (uint32_t)(c->n + 1);
    c->n++;
    return o;
}

int cov_counts_add_stored(struct cov_counts *c, const char *category, const char *device,
                          int64_t stored)
{
    struct cov_obs *o = get(c, category, device);
    if (!o)
        return -ENOMEM;
    o->stored += stored > 0 ? stored : 0;
    return 0;
}

int cov_counts_set_last(struct cov_counts *c, const char *category, const char *device,
                        int64_t last_ms, const char *district, bool unregistered)
{
    struct cov_obs *o = get(c, category, device);
    if (!o)
        return -ENOMEM;
    if (last_ms <= o->last_ms)
        return 0;
    char *d = strdup(district ? district : "");
    if (!d)
        return -ENOMEM;
    free((char *)o->district);
    o->district = d;
    o->last_ms = last_ms;
    o->unregistered = unregistered;
    return 0;
}

const struct cov_obs *cov_counts_find(const struct cov_counts *c, const char *device)
{
    long at = find(c, device);
    return at >= 0 ? &c->obs[at] : NULL;
}

size_t cov_counts_size(const struct cov_counts *c)
{
    return c ? c->n : 0;
}

const struct cov_obs *cov_counts_at(const struct cov_counts *c, size_t i)
{
    return c && i < c->n ? &c->obs[i] : NULL;
}

/* ------------------------------------------------------------ dates and targets */

/* Howard Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int coverage_parse_date(const char *s, int32_t *days)
{
    int64_t y, m, d;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        num_parse_i64(s, 4, 1970, 2099, &y) || num_parse_i64(s + 5, 2, 1, 12, &m) ||
        num_parse_i64(s + 8, 2, 1, 31, &d))
        return -EINVAL;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -EINVAL;
    *days = (int32_t)days_from_civil(y, m, d);
    return 0;
}

int32_t coverage_days(int y, int m, int d)
{
    return (int32_t)days_from_civil(y, m, d);
}

void coverage_civil(int32_t days, int *y, int *m, int *d)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

void coverage_format_date(int32_t days, char *out, size_t outsz)
{
    int y, m, d;
    coverage_civil(days, &y, &m, &d);
    snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
}

int32_t coverage_day_of(int64_t ms)
{
    int64_t t = ms + COV_TZ_OFFSET_MS;
    int64_t d = t / COV_DAY_MS - (t % COV_DAY_MS < 0);
    return (int32_t)d;
}

int coverage_parse_target(const char *s, int32_t def_date, struct cov_target_spec *out, char *why,
                          size_t whysz)
{
    static const char fix[] = "fix: write CATEGORY=PERCENT or CATEGORY=PERCENT@YYYY-MM-DD, e.g. "
                              "'manhole_cover=85@2026-12-31'";
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || (size_t)(eq - s) >= sizeof out->category) {
        snprintf(why, whysz, "'%.80s' has no category before '='; %s", s, fix);
        return -EINVAL;
    }
    const char *pct = eq + 1;
    const char *at = strchr(pct, '@');
    size_t plen = at ? (size_t)(at - pct) : strlen(pct);
    if (plen > 0 && pct[plen - 1] == '%')
        plen--;
    double v;
    if (plen == 0 || num_parse_double(pct, plen, &v) != 0 || !(v >= 0 && v <= 100)) {
        snprintf(why, whysz, "'%.80s' needs a percentage from 0 to 100 after '='; %s", s, fix);
        return -EINVAL;
    }
    int32_t date = def_date;
    if (at && coverage_parse_date(at + 1, &date) != 0) {
        snprintf(why, whysz, "'%.80s' has a bad date after '@'; %s", s, fix);
        return -EINVAL;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->category, s, (size_t)(eq - s));
    out->target = v / 100.0;
    out->date = date;
    return 0;
}
