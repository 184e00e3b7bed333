#include "live_history.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jsonout.h"

#define POINTS 144 /* per chart */
#define MEAN_PREFIX "mean_"

/* Appends s between `quote`s with quote and backslash escaped (InfluxQL). */
static int put_quoted(struct buf *q, const char *s, char quote)
{
    int rc = buf_putc(q, quote);
    for (; !rc && *s; s++) {
        if (*s == quote || *s == '\\')
            rc = buf_putc(q, '\\');
        rc = rc ? rc : buf_putc(q, *s);
    }
    return rc ? rc : buf_putc(q, quote);
}

static int interval_s(int hours)
{
    int s = hours * 3600 / POINTS;
    return s < 60 ? 60 : s;
}

int live_history_query(struct buf *q, const char *category, const char *asset, const char *device,
                       int hours)
{
    bool by_asset = asset && *asset;
    int rc = buf_puts(q, "SELECT mean(*) FROM ");
    rc = rc ? rc : put_quoted(q, category, '"');
    rc = rc ? rc : buf_puts(q, by_asset ? " WHERE \"asset\" = " : " WHERE \"device\" = ");
    rc = rc ? rc : put_quoted(q, by_asset ? asset : device, '\'');
    rc = rc ? rc
            : buf_printf(q, " AND time > now() - %dh GROUP BY time(%ds) fill(none)", hours,
                         interval_s(hours));
    return rc;
}

static int fail(char *err, size_t errsz, const char *msg)
{
    snprintf(err, errsz, "%s", msg);
    return -EINVAL;
}

/* One column's points; *n is how many. 0 or a buf error. */
static int put_series(struct buf *out, const char *field, const cJSON *values, int col, int *n)
{
    *n = 0;
    int rc = buf_puts(out, "{");
    rc = rc ? rc : json_append_kv(out, "field", field);
    rc = rc ? rc : buf_puts(out, ",\"points\":[");
    bool first = true;
    const cJSON *row;
    cJSON_ArrayForEach(row, values)
    {
        const cJSON *t = cJSON_GetArrayItem(row, 0), *v = cJSON_GetArrayItem(row, col);
        if (rc || !cJSON_IsNumber(t) || !cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            continue;
        rc = buf_printf(out, "%s[%.0f,%.15g]", first ? "" : ",", t->valuedouble, v->valuedouble);
        first = false;
        (*n)++;
    }
    return rc ? rc : buf_puts(out, "]}");
}

int live_history_json(const char *answer, size_t len, int hours, struct buf *out, char *err,
                      size_t errsz)
{
    cJSON *doc = cJSON_ParseWithLength(answer, len);
    if (!doc)
        return fail(err, errsz, "the database's answer is not JSON");
    int rc = 0;
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "results"), 0);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(res, "error");
    if (!res || cJSON_IsString(e)) {
        rc = fail(err, errsz, cJSON_IsString(e) ? e->valuestring : "no results in the answer");
        goto done;
    }
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res, "series"), 0);
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(s, "columns");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(s, "values");
    rc = buf_printf(out, "{\"hours\":%d,\"interval_s\":%d,\"series\":[", hours, interval_s(hours));
    int n = cJSON_GetArraySize(cols);
    bool first = true;
    for (int i = 1; !rc && i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(cols, i);
        if (!cJSON_IsString(c))
            continue;
        const char *name = c->valuestring;
        if (strncmp(name, MEAN_PREFIX, strlen(MEAN_PREFIX)) == 0)
            name += strlen(MEAN_PREFIX);
        /* A field without a value in the window (InfluxDB still names its
         * column when another field has values) is left out, not charted empty. */
        size_t mark = out->len;
        int points = 0;
        if (!first)
            rc = buf_putc(out, ',');
        rc = rc ? rc : put_series(out, name, values, i, &points);
        if (!rc && points == 0)
            buf_truncate(out, mark);
        else
            first = false;
    }
    rc = rc ? rc : buf_puts(out, "]}\n");
done:
    cJSON_Delete(doc);
    return rc;
}
