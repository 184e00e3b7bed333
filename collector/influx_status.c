/*
 * influx_status: how the writer judges InfluxDB's answers (Retry-After, the
 * database's error text, refusal or retry, the fix to suggest) and splits a
 * refused batch, plus the write URL. Pure functions, no I/O: test_influx
 * calls them directly.
 */
#include "influx_impl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "numparse.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int influx_add_param(struct buf *b, CURL *c, char *sep, const char *key, const char *value)
{
    if (!value || !*value)
        return 0;
    char *esc = curl_easy_escape(c, value, 0);
    if (!esc)
        return -ENOMEM;
    int rc = buf_printf(b, "%c%s=%s", *sep, key, esc);
    curl_free(esc);
    *sep = '&';
    return rc;
}

int influx_url_path(struct buf *b, const struct config *cfg, const char *path)
{
    const char *base = cfg->influx.url;
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    int rc = buf_append(b, base, blen);
    return rc ? rc : buf_puts(b, path);
}

/* The full write URL for cfg->influx; malloc'd, NULL on allocation failure. */
char *influx_write_url(CURL *c, const struct config *cfg)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    char sep = '?';
    int rc = 0;
    if (cfg->influx.api == INFLUX_API_V2) {
        if (!rc)
            rc = influx_url_path(&b, cfg, "/api/v2/write");
        if (!rc)
            rc = influx_add_param(&b, c, &sep, "org", cfg->influx.org);
        if (!rc)
            rc = influx_add_param(&b, c, &sep, "bucket", cfg->influx.bucket);
    } else {
        if (!rc)
            rc = influx_url_path(&b, cfg, "/write");
        if (!rc)
            rc = influx_add_param(&b, c, &sep, "db", cfg->influx.database);
        if (!rc)
            rc = influx_add_param(&b, c, &sep, "rp", cfg->influx.retention_policy);
    }
    if (!rc)
        rc = influx_add_param(&b, c, &sep, "precision", "ms");
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return b.data;
}

/*
 * Milliseconds to wait according to a Retry-After value (delta seconds or an
 * HTTP date), capped at cap_ms; -1 when the value is empty or unparseable.
 */
int64_t influx_parse_retry_after(const char *v, int64_t now_s, int64_t cap_ms)
{
    size_t len = strlen(v);
    while (len > 0 && is_blank(*v)) {
        v++;
        len--;
    }
    while (len > 0 && is_blank(v[len - 1]))
        len--;
    if (len == 0)
        return -1;
    int64_t ms;
    int64_t secs;
    if (num_parse_i64(v, len, 0, INT64_MAX / 1000, &secs) == 0) {
        ms = secs * 1000;
    } else {
        char date[128];
        if (len >= sizeof date)
            return -1;
        memcpy(date, v, len);
        date[len] = '\0';
        time_t t = curl_getdate(date, NULL);
        if (t == (time_t)-1)
            return -1;
        int64_t delta = (int64_t)t - now_s;
        ms = delta <= 0 ? 0 : (delta > INT64_MAX / 1000 ? INT64_MAX : delta * 1000);
    }
    return ms > cap_ms ? cap_ms : ms;
}

size_t influx_count_lines(const char *body, size_t len)
{
    size_t n = 0;
    const char *p = body;
    const char *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        n++;
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

/*
 * Splits `nlines` complete lines after line nlines/2. 0 with the left half's
 * size and line count, or -1 when there is no boundary to split at.
 */
int influx_split_middle(const char *body, size_t len, size_t nlines, size_t *left_len,
                        size_t *left_lines)
{
    if (nlines < 2)
        return -1;
    size_t want = nlines / 2;
    size_t seen = 0;
    const char *p = body;
    const char *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return -1;
        p = nl + 1;
        if (++seen == want)
            break;
    }
    if (seen != want || p >= end)
        return -1;
    *left_len = (size_t)(p - body);
    *left_lines = want;
    return 0;
}

void influx_copy_text(char *out, size_t outsz, const char *s, size_t len)
{
    while (len > 0 && is_blank(*s)) {
        s++;
        len--;
    }
    while (len > 0 && is_blank(s[len - 1]))
        len--;
    if (len >= outsz)
        len = outsz - 1;
    for (size_t i = 0; i < len; i++)
        out[i] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    out[len] = '\0';
}

/*
 * The database's explanation of a refusal: the JSON "error" (InfluxDB 1.x) or
 * "message" (InfluxDB 2.x) field, else the X-Influxdb-Error header, else the
 * plain body (VictoriaMetrics), else "http status N".
 */
void influx_extract_error(const char *body, size_t len, const char *header, long status, char *out,
                          size_t outsz)
{
    if (len > 0) {
        cJSON *root = cJSON_ParseWithLength(body, len);
        if (root) {
            const char *keys[] = {"error", "message"};
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
                if (cJSON_IsString(item) && item->valuestring[0]) {
                    influx_copy_text(out, outsz, item->valuestring, strlen(item->valuestring));
                    cJSON_Delete(root);
                    return;
                }
            }
            cJSON_Delete(root);
        }
    }
    if (header && header[0]) {
        influx_copy_text(out, outsz, header, strlen(header));
        return;
    }
    if (len > 0) {
        influx_copy_text(out, outsz, body, len);
        if (out[0])
            return;
    }
    snprintf(out, outsz, "http status %ld", status);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * A 400 that is about the request, not a line: splitting would quarantine
 * every line of every batch, so it is handled as a configuration error.
 */
bool influx_request_level_error(const char *text)
{
    static const char *const prefixes[] = {
        "database is required", /* InfluxDB 1.x, no db= */
        "bucket is required",   /* InfluxDB 2.x */
        "organization",         /* InfluxDB 2.x org missing or unknown */
        "invalid precision",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (starts_with(text, prefixes[i]))
            return true;
    }
    return false;
}

/* InfluxDB 1.x answers 500 for a missing retention policy: no retry fixes that. */
bool influx_is_refusal(long status, const char *err)
{
    if (status == 500 && starts_with(err, "retention policy not found"))
        return true;
    return status >= 300 && status < 500 && status != 408 && status != 429;
}

const char *influx_fix_hint(enum influx_api api, long status, const char *err)
{
    if (starts_with(err, "retention policy not found"))
        return "create the retention policy or fix influx.retention_policy";
    if (starts_with(err, "database is required"))
        return "set influx.database";
    switch (status) {
    case 401:
        return api == INFLUX_API_V2 ? "check influx.token_file or influx.token_env"
                                    : "check influx.username and influx.password_file";
    case 403:
        return api == INFLUX_API_V2 ? "give the token write permission on the bucket"
                                    : "grant the user WRITE on the database";
    case 404:
        return api == INFLUX_API_V2
                   ? "bucket or org not found: create it or fix influx.bucket and influx.org"
                   : "database not found: create it or fix influx.database";
    default:
        return "check influx.url, influx.api and the database settings";
    }
}
