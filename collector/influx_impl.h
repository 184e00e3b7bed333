/*
 * influx_impl: what influx.c (the writer: setup, retries, how answers are
 * judged), influx_http.c (one POST over libcurl) and influx_query.c (the read
 * side) share. Not for use outside the influx module.
 */
#ifndef LIFELINE_INFLUX_IMPL_H
#define LIFELINE_INFLUX_IMPL_H

#define ZLIB_CONST
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "buf.h"
#include "config.h"
#include "influx.h"
#include "quarantine.h"

#define ERROR_TEXT_MAX 1024

enum link_state { LINK_OK, LINK_UNAVAILABLE, LINK_REFUSED };

struct influx {
    CURL *curl;
    struct curl_slist *headers;
    char *write_url;
    char *query_url;                  /* /query for influx_query */
    struct curl_slist *query_headers; /* form body, v2 token */
    struct quarantine *q;
    enum influx_api api;
    bool gzip;
    bool z_ready;
    z_stream z;
    struct buf gz;   /* compressed body, reused */
    struct buf resp; /* response body, capped */
    char retry_after[128];
    char db_error[ERROR_TEXT_MAX]; /* X-Influxdb-Error */
    char curl_err[CURL_ERROR_SIZE];
    int64_t retry_min_ms;
    int64_t retry_max_ms;
    enum link_state state;
    long refused_status;
    int64_t trouble_since_ms; /* monotonic, when state left LINK_OK */
    uint64_t failed_attempts; /* since state left LINK_OK */
    uint64_t rng;
    bool quiet; /* not the readings' writer: keep out of the process metrics */
};

/* Appends `key=escaped(value)` when value is set; `*sep` is '?' first, then '&'.
 * 0, -ENOMEM or -E2BIG. */
int influx_add_param(struct buf *b, CURL *c, char *sep, const char *key, const char *value);

/* Copies s[0..len) into out (outsz > 0), trimmed, control characters as spaces. */
void influx_copy_text(char *out, size_t outsz, const char *s, size_t len);

/* libcurl callbacks of a write: Retry-After and X-Influxdb-Error into w, the
 * body into w->resp (up to its cap). `ud` is the writer. */
size_t influx_on_header(char *p, size_t size, size_t n, void *ud);
size_t influx_on_body(char *p, size_t size, size_t n, void *ud);

/* The write request's headers (w->headers) and the query's (w->query_headers):
 * content types, gzip, the v2 token. 0 or -ENOMEM (influx_free undoes it). */
int influx_setup_headers(struct influx *w, const struct config *cfg);

/* One POST of body[0..len) to the write URL, gzipped when w->gzip. The HTTP
 * status, or 0 for a transport error (text in w->curl_err). */
long influx_post(struct influx *w, const char *body, size_t len);

/* The InfluxQL query URL (/query, also InfluxDB 2's v1-compatible one);
 * malloc'd, NULL on allocation failure. */
char *influx_query_url(CURL *c, const struct config *cfg);

#endif
