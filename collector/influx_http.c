/*
 * influx_http: one write request over the writer's kept-alive libcurl
 * handle: its headers, the gzip of the body, the POST, and what the answer's
 * headers and body say (judged by influx.c).
 */
#include "influx.h"
#include "influx_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Copies the value of header `name` when line p[0..len) is that header. */
static void header_value(const char *p, size_t len, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (len <= nl || p[nl] != ':' || strncasecmp(p, name, nl) != 0)
        return;
    influx_copy_text(out, outsz, p + nl + 1, len - nl - 1);
}

size_t influx_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct influx *w = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* a new response (after a 100 Continue): forget the previous one's */
        w->retry_after[0] = '\0';
        w->db_error[0] = '\0';
        return len;
    }
    header_value(p, len, "retry-after", w->retry_after, sizeof w->retry_after);
    header_value(p, len, "x-influxdb-error", w->db_error, sizeof w->db_error);
    return len;
}

size_t influx_on_body(char *p, size_t size, size_t n, void *ud)
{
    struct influx *w = ud;
    size_t len = size * n;
    (void)buf_append(&w->resp, p, len); /* past the cap: keep what we have */
    return len;
}

static int compress_body(struct influx *w, const char *body, size_t len)
{
    if (len > UINT_MAX)
        return -E2BIG;
    if (deflateReset(&w->z) != Z_OK)
        return -EIO;
    uLong bound = deflateBound(&w->z, (uLong)len);
    buf_reset(&w->gz);
    int rc = buf_reserve(&w->gz, bound);
    if (rc)
        return rc;
    w->z.next_in = (const Bytef *)body;
    w->z.avail_in = (uInt)len;
    w->z.next_out = (Bytef *)w->gz.data;
    w->z.avail_out = (uInt)bound;
    if (deflate(&w->z, Z_FINISH) != Z_STREAM_END)
        return -EIO;
    w->gz.len = bound - w->z.avail_out;
    w->gz.data[w->gz.len] = '\0';
    return 0;
}

/* One POST. The HTTP status, or 0 for a transport error (text in curl_err). */
long influx_post(struct influx *w, const char *body, size_t len)
{
    buf_reset(&w->resp);
    w->retry_after[0] = '\0';
    w->db_error[0] = '\0';
    w->curl_err[0] = '\0';
    if (w->gzip) {
        int rc = compress_body(w, body, len);
        if (rc) {
            snprintf(w->curl_err, sizeof w->curl_err, "gzip failed: %s", strerror(-rc));
            return 0;
        }
        body = w->gz.data;
        len = w->gz.len;
    }
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(w->curl);
    if (rc != CURLE_OK) {
        if (!w->curl_err[0])
            snprintf(w->curl_err, sizeof w->curl_err, "%s", curl_easy_strerror(rc));
        return 0;
    }
    long status = 0;
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

int influx_setup_headers(struct influx *w, const struct config *cfg)
{
    w->query_headers = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    if (!w->query_headers)
        return -ENOMEM;
    const char *fixed[] = {"Content-Type: text/plain; charset=utf-8",
                           "Expect:", /* no 100-continue round trip for big bodies */
                           cfg->influx.gzip ? "Content-Encoding: gzip" : NULL};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (!fixed[i])
            continue;
        struct curl_slist *l = curl_slist_append(w->headers, fixed[i]);
        if (!l)
            return -ENOMEM;
        w->headers = l;
    }
    if (cfg->influx.api == INFLUX_API_V2 && cfg->influx.token && cfg->influx.token[0]) {
        struct buf h;
        buf_init(&h, 64 * 1024);
        int rc = buf_printf(&h, "Authorization: Token %s", cfg->influx.token);
        struct curl_slist *l = rc ? NULL : curl_slist_append(w->headers, h.data);
        struct curl_slist *ql = rc ? NULL : curl_slist_append(w->query_headers, h.data);
        if (ql)
            w->query_headers = ql;
        buf_free(&h);
        if (!l || !ql)
            return rc ? rc : -ENOMEM;
        w->headers = l;
    }
    return 0;
}
