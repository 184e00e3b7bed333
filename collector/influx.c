/*
 * influx: the writer: setup and teardown, what is done with each answer
 * (stored, refused, retry; the halving of a batch a database refuses in part)
 * and the retry and backoff around it. How an answer is judged is
 * influx_status.c's, the request itself influx_http.c's, the read side
 * influx_query.c's. test_influx reaches the static helpers here by including
 * this file.
 */
#include "influx.h"
#include "influx_impl.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"

#define TAG "influx"
#define RESPONSE_MAX (64 * 1024)    /* error bodies are short; the rest is not needed */
#define GZIP_MAX ((size_t)UINT_MAX) /* zlib counts in uInt */
#define STOP_POLL_MS 50             /* how often a backoff wait looks at *stop */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps up to ms; true when *stop became true first. */
static bool wait_or_stop(int64_t ms, const atomic_bool *stop)
{
    int64_t deadline = now_ms(CLOCK_MONOTONIC) + ms;
    for (;;) {
        if (stop && atomic_load(stop))
            return true;
        int64_t left = deadline - now_ms(CLOCK_MONOTONIC);
        if (left <= 0)
            return false;
        if (left > STOP_POLL_MS)
            left = STOP_POLL_MS;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)left * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ms with +-25% jitter, so that several collectors do not retry in step. */
static int64_t jitter(struct influx *w, int64_t ms)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    int64_t span = ms / 2;
    if (span <= 0)
        return ms;
    return ms - ms / 4 + (int64_t)(w->rng % (uint64_t)(span + 1));
}

/* Error text safe inside key="..." in a log line. */
static void log_text(char *out, size_t outsz, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < outsz; i++)
        out[i] = s[i] == '"' ? '\'' : s[i];
    out[i] = '\0';
}

static void note_ok(struct influx *w)
{
    if (w->state != LINK_OK) {
        log_info(TAG, "database accepts writes again after_ms=%lld failed_attempts=%llu",
                 (long long)(now_ms(CLOCK_MONOTONIC) - w->trouble_since_ms),
                 (unsigned long long)w->failed_attempts);
    }
    w->state = LINK_OK;
    w->refused_status = 0;
    if (!w->quiet)
        metrics_set(G_LAST_WRITE_OK, 1);
}

static void note_failure(struct influx *w, long status, const char *err)
{
    char text[ERROR_TEXT_MAX];
    log_text(text, sizeof text, err);
    enum link_state next = influx_is_refusal(status, err) ? LINK_REFUSED : LINK_UNAVAILABLE;
    if (w->state == LINK_OK) {
        w->trouble_since_ms = now_ms(CLOCK_MONOTONIC);
        w->failed_attempts = 0;
    }
    w->failed_attempts++;
    if (next == LINK_REFUSED && (w->state != LINK_REFUSED || w->refused_status != status)) {
        log_error(TAG, "write refused status=%ld error=\"%s\" fix=\"%s\"", status, text,
                  influx_fix_hint(w->api, status, err));
    } else if (next == LINK_UNAVAILABLE && w->state != LINK_UNAVAILABLE) {
        log_warn(TAG, "database unavailable, keeping data and retrying status=%ld error=\"%s\"",
                 status, text);
    }
    w->state = next;
    w->refused_status = next == LINK_REFUSED ? status : 0;
    if (!w->quiet)
        metrics_set(G_LAST_WRITE_OK, 0);
}

static void reject_line(struct influx *w, const char *line, size_t len, long status,
                        const char *err)
{
    if (len > 0 && line[len - 1] == '\n')
        len--;
    enum reason reason = status == 413 ? REASON_TOO_LARGE : REASON_DB_REJECTED;
    char detail[ERROR_TEXT_MAX + 64];
    if (status == 413)
        snprintf(detail, sizeof detail, "line too large for the database (413): %s", err);
    else
        snprintf(detail, sizeof detail, "%s", err);
    log_warn(TAG, "database rejected a line status=%ld bytes=%zu", status, len);
    if (w->q)
        (void)quarantine_add(w->q, now_ms(CLOCK_REALTIME), reason, detail, NULL, line, len);
    else if (!w->quiet)
        metrics_rejected(reason);
}

static int write_range(struct influx *w, const char *body, size_t len, size_t nlines,
                       const atomic_bool *stop)
{
    int64_t backoff = w->retry_min_ms;
    for (;;) {
        long status = influx_post(w, body, len);
        if (!w->quiet)
            metrics_write_status((int)status);
        if (status >= 200 && status < 300) {
            note_ok(w);
            if (!w->quiet)
                metrics_add(C_POINTS_WRITTEN, nlines);
            return 0;
        }
        char err[ERROR_TEXT_MAX];
        if (status == 0)
            snprintf(err, sizeof err, "%s", w->curl_err);
        else
            influx_extract_error(w->resp.data ? w->resp.data : "", w->resp.len, w->db_error, status,
                                 err, sizeof err);
        if (status == 413 ||
            ((status == 400 || status == 422) && !influx_request_level_error(err))) {
            note_ok(w); /* the database is there and judged the lines */
            size_t left_len;
            size_t left_lines;
            if (influx_split_middle(body, len, nlines, &left_len, &left_lines) != 0) {
                reject_line(w, body, len, status, err);
                return 0;
            }
            log_debug(TAG, "splitting batch status=%ld lines=%zu", status, nlines);
            int rc = write_range(w, body, left_len, left_lines, stop);
            if (rc)
                return rc;
            return write_range(w, body + left_len, len - left_len, nlines - left_lines, stop);
        }
        note_failure(w, status, err);
        if (!w->quiet)
            metrics_add(C_WRITE_RETRIES, 1);
        int64_t delay =
            influx_parse_retry_after(w->retry_after, (int64_t)time(NULL), w->retry_max_ms * 10);
        if (delay < 0)
            delay = jitter(w, backoff);
        log_debug(TAG, "retrying status=%ld delay_ms=%lld", status, (long long)delay);
        if (wait_or_stop(delay, stop))
            return -ECANCELED;
        backoff = backoff > w->retry_max_ms / 2 ? w->retry_max_ms : backoff * 2;
    }
}

int influx_write(struct influx *w, const char *body, size_t len, size_t nlines,
                 const atomic_bool *stop)
{
    if (!w || (len > 0 && !body))
        return -EINVAL;
    if (len == 0)
        return 0;
    if (body[len - 1] != '\n')
        return -EINVAL;
    size_t actual = influx_count_lines(body, len);
    if (actual != nlines) {
        log_warn(TAG,
                 "batch line count differs from the caller's, using the body's claimed=%zu "
                 "actual=%zu",
                 nlines, actual);
        nlines = actual;
    }
    int64_t t0 = now_ms(CLOCK_MONOTONIC);
    int rc = write_range(w, body, len, nlines, stop);
    if (rc == 0) {
        if (!w->quiet)
            metrics_add(C_BATCHES_WRITTEN, 1);
        if (!w->quiet)
            metrics_batch_latency((double)(now_ms(CLOCK_MONOTONIC) - t0) / 1000.0);
    }
    return rc;
}

struct influx *influx_new(const struct config *cfg, struct quarantine *q)
{
    if (!cfg->influx.url || !cfg->influx.url[0]) {
        log_error(TAG, "influx.url is empty");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        log_error(TAG, "libcurl init failed error=\"%s\"", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    struct influx *w = calloc(1, sizeof *w);
    if (!w)
        goto fail;
    buf_init(&w->gz, GZIP_MAX);
    buf_init(&w->resp, RESPONSE_MAX);
    w->q = q;
    w->api = cfg->influx.api;
    w->gzip = cfg->influx.gzip;
    w->retry_min_ms = cfg->influx.retry_min_ms > 0 ? cfg->influx.retry_min_ms : 1000;
    w->retry_max_ms =
        cfg->influx.retry_max_ms > w->retry_min_ms ? cfg->influx.retry_max_ms : w->retry_min_ms;
    w->rng = (uint64_t)now_ms(CLOCK_REALTIME) ^ (uint64_t)(uintptr_t)w;
    w->rng |= 1;
    w->curl = curl_easy_init();
    if (!w->curl)
        goto fail;
    w->write_url = influx_write_url(w->curl, cfg);
    w->query_url = influx_query_url(w->curl, cfg);
    if (!w->write_url || !w->query_url || influx_setup_headers(w, cfg) != 0)
        goto fail;
    if (w->gzip) {
        if (deflateInit2(&w->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            goto fail;
        w->z_ready = true;
    }
    long timeout = cfg->influx.timeout_ms > 0 ? cfg->influx.timeout_ms : 10000;
    CURL *c = w->curl;
    curl_easy_setopt(c, CURLOPT_URL, w->write_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "lifeline/" LIFELINE_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, w->curl_err);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, influx_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, influx_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    if (w->api == INFLUX_API_V1 && cfg->influx.username && cfg->influx.username[0]) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->influx.username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->influx.password ? cfg->influx.password : "");
    }
    if (!w->quiet)
        metrics_set(G_LAST_WRITE_OK, 1);
    log_debug(TAG, "writer ready url=%s gzip=%d", w->write_url, (int)w->gzip);
    return w;

fail:
    log_error(TAG, "writer setup failed error=\"out of memory or library init\"");
    influx_free(w);
    return NULL;
}

void influx_free(struct influx *w)
{
    if (!w)
        return;
    if (w->curl)
        curl_easy_cleanup(w->curl);
    curl_slist_free_all(w->headers);
    if (w->z_ready)
        deflateEnd(&w->z);
    buf_free(&w->gz);
    buf_free(&w->resp);
    free(w->write_url);
    free(w->query_url);
    curl_slist_free_all(w->query_headers);
    free(w);
}

void influx_set_quiet(struct influx *w, bool quiet)
{
    w->quiet = quiet;
}
