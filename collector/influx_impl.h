/*
 * influx_impl: what influx.c (the writer: setup, retries, the halving of a
 * refused batch), influx_status.c (how an answer is judged, the write URL),
 * influx_http.c (one POST over libcurl) and influx_query.c (the read side)
 * share. Not for use outside the influx module.
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

/* The full write URL for cfg->influx (/write or /api/v2/write with db, rp or
 * org, bucket, precision=ms); malloc'd, NULL on allocation failure. */
char *influx_write_url(CURL *c, const struct config *cfg);
/* Appends cfg->influx.url without its trailing slashes, then path. 0 or a buf error. */
int influx_url_path(struct buf *b, const struct config *cfg, const char *path);

/* Milliseconds to wait according to a Retry-After value v (delta seconds or an
 * HTTP date, against now_s), capped at cap_ms; -1 when v is empty or
 * unparseable. */
int64_t influx_parse_retry_after(const char *v, int64_t now_s, int64_t cap_ms);

/* Lines in body[0..len): newline-terminated ones plus an unterminated tail. */
size_t influx_count_lines(const char *body, size_t len);

/* Splits `nlines` complete lines of body[0..len) after line nlines/2. 0 with
 * the left half's size and line count, or -1 when there is no boundary. */
int influx_split_middle(const char *body, size_t len, size_t nlines, size_t *left_len,
                        size_t *left_lines);

/* The database's explanation of a refusal into out (outsz > 0): the JSON
 * "error" (InfluxDB 1.x) or "message" (2.x) field of body[0..len), else the
 * X-Influxdb-Error header (may be NULL), else the plain body
 * (VictoriaMetrics), else "http status N". */
void influx_extract_error(const char *body, size_t len, const char *header, long status, char *out,
                          size_t outsz);

/* True when a 400's error text is about the request, not a line (no database,
 * bucket, org, bad precision): such a batch is not split. */
bool influx_request_level_error(const char *text);

/* True when status with error text err is a refusal no retry fixes (as
 * opposed to the database being unavailable). */
bool influx_is_refusal(long status, const char *err);

/* A static hint, for the log, at the setting that fixes a refusal. */
const char *influx_fix_hint(enum influx_api api, long status, const char *err);

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
