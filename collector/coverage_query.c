/*
 * Reads per-device counts and last readings from InfluxDB (coverage_query.h).
 */
#include "coverage_query.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define ANSWER_MAX (256u * 1024 * 1024)
#define MAX_MEASUREMENTS 256

/* Appends `name` as an InfluxQL identifier: double quotes, '"' and '\' escaped. */
static int put_ident(struct buf *b, const char *name)
{
    int rc = buf_putc(b, '"');
    for (const char *p = name; *p && rc == 0; p++) {
        if (*p == '"' || *p == '\\')
            rc = buf_putc(b, '\\');
        if (rc == 0)
            rc = buf_putc(b, *p);
    }
    return rc ? rc : buf_putc(b, '"');
}

/* results[i], or NULL after writing why into err. */
static const cJSON *result(const cJSON *doc, int i, char *err, size_t errsz)
{
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "results"), i);
    if (!r) {
        snprintf(err, errsz, "the database's answer has no result %d", i);
        return NULL;
    }
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
    if (cJSON_IsString(e)) {
        snprintf(err, errsz, "query failed: %.300s", e->valuestring);
        return NULL;
    }
    return r;
}

static const char *device_tag(const cJSON *series)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(series, "tags");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, "device");
    return cJSON_IsString(d) ? d->valuestring : "";
}

static int read_counts(const cJSON *r, const char *meas, struct cov_counts *out)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "series"))
    {
        const char *dev = device_tag(s);
        const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "values"), 0);
        double best = 0;
        const cJSON *v;
        int col = 0;
        cJSON_ArrayForEach(v, row)
        {
            if (col++ > 0 && cJSON_IsNumber(v) && v->valuedouble > best)
                best = v->valuedouble;
        }
        if (!dev[0] || best <= 0)
            continue;
        if (cov_counts_add_stored(out, meas, dev, (int64_t)best) != 0)
            return -ENOMEM;
    }
    return 0;
}

static int read_last(const cJSON *r, const char *meas, struct cov_counts *out)
{
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(r, "series"))
    {
        const char *dev = device_tag(s);
        const cJSON *cols = cJSON_GetObjectItemCaseSensitive(s, "columns");
        const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "values"), 0);
        const cJSON *t = cJSON_GetArrayItem(row, 0);
        if (!dev[0] || !cJSON_IsNumber(t))
            continue;
        const char *district = "";
        bool unregistered = false;
        int n = cJSON_GetArraySize(cols);
        for (int i = 1; i < n; i++) {
            const cJSON *name = cJSON_GetArrayItem(cols, i);
            const cJSON *v = cJSON_GetArrayItem(row, i);
            if (!cJSON_IsString(name) || !cJSON_IsString(v))
                continue;
            if (strcmp(name->valuestring, "district") == 0)
                district = v->valuestring;
            else if (strcmp(name->valuestring, "unregistered") == 0)
                unregistered = strcmp(v->valuestring, "true") == 0;
        }
        if (cov_counts_set_last(out, meas, dev, (int64_t)t->valuedouble, district, unregistered) !=
            0)
            return -ENOMEM;
    }
    return 0;
}

static int query_doc(struct influx *db, const char *q, struct buf *ans, cJSON **doc, char *err,
                     size_t errsz)
{
    int rc = influx_query(db, q, ans, err, errsz);
    if (rc)
        return rc;
    *doc = cJSON_ParseWithLength(ans->data, ans->len);
    if (!*doc) {
        snprintf(err, errsz, "the database's answer is not JSON");
        return -EPROTO;
    }
    return 0;
}

/* The measurements worth asking about, copied into names[] (each freed by the caller). */
static int list_measurements(struct influx *db, const struct profile_set *profiles, struct buf *ans,
                             char **names, size_t *n, char *err, size_t errsz)
{
    cJSON *doc = NULL;
    int rc = query_doc(db, "SHOW MEASUREMENTS", ans, &doc, err, errsz);
    if (rc)
        return rc;
    const cJSON *r = result(doc, 0, err, errsz);
    if (!r) {
        cJSON_Delete(doc);
        return -EIO;
    }
    const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "series"), 0);
    const cJSON *row;
    *n = 0;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(s, "values"))
    {
        const cJSON *name = cJSON_GetArrayItem(row, 0);
        if (!cJSON_IsString(name) || *n == MAX_MEASUREMENTS)
            continue;
        const char *m = name->valuestring;
        if (profiles && !profile_set_find(profiles, m, strlen(m)))
            continue; /* not a category: alerts, the collector's own series */
        if (!(names[*n] = strdup(m))) {
            rc = -ENOMEM;
            break;
        }
        (*n)++;
    }
    cJSON_Delete(doc);
    return rc;
}

int coverage_query(struct influx *db, const struct profile_set *profiles, int64_t from_ms,
                   int64_t to_ms, int64_t now_ms, struct cov_counts *out, char *err, size_t errsz)
{
    struct buf ans, q;
    buf_init(&ans, ANSWER_MAX);
    buf_init(&q, 64 * 1024);
    char *names[MAX_MEASUREMENTS];
    size_t n = 0;
    int64_t lookback = now_ms - COV_LOOKBACK_MS;
    if (from_ms < lookback)
        lookback = from_ms;
    int rc = list_measurements(db, profiles, &ans, names, &n, err, errsz);
    for (size_t i = 0; i < n && rc == 0; i++) {
        buf_reset(&q);
        rc = buf_puts(&q, "SELECT count(*) FROM ");
        rc = rc ? rc : put_ident(&q, names[i]);
        rc = rc ? rc
                : buf_printf(&q,
                             " WHERE time >= %lldms AND time < %lldms GROUP BY \"device\"; "
                             "SELECT * FROM ",
                             (long long)from_ms, (long long)to_ms);
        rc = rc ? rc : put_ident(&q, names[i]);
        rc = rc ? rc
                : buf_printf(&q,
                             " WHERE time >= %lldms GROUP BY \"device\" ORDER BY time DESC "
                             "LIMIT 1",
                             (long long)lookback);
        if (rc) {
            snprintf(err, errsz, "query too long");
            break;
        }
        cJSON *doc = NULL;
        rc = query_doc(db, q.data, &ans, &doc, err, errsz);
        if (rc)
            break;
        const cJSON *r0 = result(doc, 0, err, errsz);
        const cJSON *r1 = r0 ? result(doc, 1, err, errsz) : NULL;
        if (!r0 || !r1)
            rc = -EIO;
        if (rc == 0)
            rc = read_counts(r0, names[i], out);
        if (rc == 0)
            rc = read_last(r1, names[i], out);
        if (rc == -ENOMEM)
            snprintf(err, errsz, "out of memory");
        cJSON_Delete(doc);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    buf_free(&ans);
    buf_free(&q);
    return rc;
}
