/*
 * influx_query: the read side of the influx module: InfluxQL over /query on
 * the writer's handle, which is then set back to writing.
 */
#include "influx.h"
#include "influx_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *influx_query_url(CURL *c, const struct config *cfg)
{
    struct buf b;
    buf_init(&b, 64 * 1024);
    char sep = '?';
    bool v2 = cfg->influx.api == INFLUX_API_V2;
    int rc = influx_url_path(&b, cfg, "/query");
    if (!rc)
        rc = influx_add_param(&b, c, &sep, "db", v2 ? cfg->influx.bucket : cfg->influx.database);
    if (!rc && !v2)
        rc = influx_add_param(&b, c, &sep, "rp", cfg->influx.retention_policy);
    if (!rc)
        rc = influx_add_param(&b, c, &sep, "epoch", "ms");
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return b.data;
}

static size_t on_query_body(char *p, size_t size, size_t n, void *ud)
{
    size_t len = size * n;
    /* Past the caller's cap: stop the transfer rather than parse half a document. */
    return buf_append(ud, p, len) == 0 ? len : 0;
}

static const char not_influxql[] =
    "reports read InfluxDB with InfluxQL at /query: they need InfluxDB 1.x, or InfluxDB 2 "
    "with its v1-compatible /query (a DBRP mapping for the bucket); VictoriaMetrics does not "
    "serve InfluxQL";

int influx_query(struct influx *w, const char *q, struct buf *json_out, char *err, size_t errsz)
{
    char *esc = curl_easy_escape(w->curl, q, 0);
    struct buf form;
    buf_init(&form, 16 * 1024 * 1024);
    int rc = esc ? buf_printf(&form, "q=%s", esc) : -ENOMEM;
    curl_free(esc);
    if (rc) {
        snprintf(err, errsz, "query too long or out of memory");
        buf_free(&form);
        return rc;
    }
    buf_reset(json_out);
    w->db_error[0] = '\0';
    w->curl_err[0] = '\0';
    CURL *c = w->curl;
    curl_easy_setopt(c, CURLOPT_URL, w->query_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->query_headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_query_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, json_out);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* back to writing */
    curl_easy_setopt(c, CURLOPT_URL, w->write_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, influx_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    buf_free(&form);
    if (cc == CURLE_WRITE_ERROR) {
        snprintf(err, errsz, "the answer to a query is larger than %zu bytes", json_out->max);
        return -E2BIG;
    }
    if (cc != CURLE_OK) {
        snprintf(err, errsz, "cannot query %s: %s", w->query_url,
                 w->curl_err[0] ? w->curl_err : curl_easy_strerror(cc));
        return -EIO;
    }
    const char *text = w->db_error[0] ? w->db_error : json_out->data ? json_out->data : "";
    if (status == 401 || status == 403) {
        snprintf(err, errsz,
                 "the database refused the query (HTTP %ld): %.300s; fix: check "
                 "influx.username and influx.password_file, or influx.token_file",
                 status, text);
        return -EACCES;
    }
    bool json = json_out->data && strstr(json_out->data, "\"results\"");
    if (status == 404 || status == 405 || (status == 200 && !json) ||
        (status == 400 && !json && !strstr(text, "error parsing query"))) {
        snprintf(err, errsz, "%s answered HTTP %ld: %s", w->query_url, status, not_influxql);
        return -ENOTSUP;
    }
    if (status != 200) {
        snprintf(err, errsz, "query failed (HTTP %ld): %.300s", status, text);
        return -EIO;
    }
    return 0;
}
