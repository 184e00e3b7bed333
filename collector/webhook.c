#include "webhook.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define TAG "webhook"
#define RESPONSE_MAX 65536

static const char *const format_names[] = {"json", "wecom", "dingtalk"};

struct msg {
    enum webhook_format fmt;
    char *url;
    char *label;
    char *body;
    size_t len;
    int attempts;    /* made so far */
    int64_t next_at; /* monotonic ms */
};

struct webhook {
    struct webhook_opts o;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct msg **q; /* o.queue_max slots, arrival order */
    size_t n;
    bool stop;
    int64_t drain_until; /* while stop: monotonic deadline */
    struct webhook_stats st;
    CURL *curl;
    struct curl_slist *headers;
    struct buf resp;
    uint64_t rng;
};

const char *webhook_format_name(enum webhook_format f)
{
    return (unsigned)f < 3 ? format_names[f] : "unknown";
}

int webhook_parse(const char *spec, enum webhook_format *fmt, const char **url, struct buf *msg)
{
    const char *eq = strchr(spec, '=');
    size_t k = 3;
    if (eq)
        for (k = 0; k < 3; k++)
            if (strlen(format_names[k]) == (size_t)(eq - spec) &&
                strncmp(spec, format_names[k], (size_t)(eq - spec)) == 0)
                break;
    if (k == 3) {
        if (msg)
            buf_printf(msg,
                       "'%.80s' is not FORMAT=URL with FORMAT %s; fix: write e.g. "
                       "\"wecom=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY\"",
                       spec, WEBHOOK_FORMAT_NAMES);
        return -EINVAL;
    }
    const char *u = eq + 1;
    const char *rest = strncmp(u, "http://", 7) == 0    ? u + 7
                       : strncmp(u, "https://", 8) == 0 ? u + 8
                                                        : NULL;
    if (!rest || !rest[0] || rest[0] == '/' || rest[0] == ':' || rest[0] == '?') {
        if (msg)
            buf_printf(msg,
                       "the URL after '%s=' is not http:// or https:// with a host; fix: "
                       "write e.g. \"json=https://ops.example/hooks/lifeline\"",
                       format_names[k]);
        return -EINVAL;
    }
    *fmt = (enum webhook_format)k;
    *url = u;
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void msg_free(struct msg *m)
{
    if (!m)
        return;
    free(m->url);
    free(m->label);
    free(m->body);
    free(m);
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ctx)
{
    struct buf *b = ctx;
    size_t n = size * nmemb;
    buf_append(b, p, n); /* a cut answer is still read as far as it goes */
    return n;
}

/* The robots answer 200 with {"errcode":N,"errmsg":"..."}; N != 0 is a refusal. */
static bool robot_refused(const struct buf *resp, char *why, size_t whylen)
{
    cJSON *j = cJSON_ParseWithLength(resp->data ? resp->data : "", resp->len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "errcode");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "errmsg");
    bool refused = cJSON_IsNumber(code) && code->valuedouble != 0;
    if (refused)
        snprintf(why, whylen, "errcode %.0f: %s", code->valuedouble,
                 cJSON_IsString(text) ? text->valuestring : "");
    cJSON_Delete(j);
    return refused;
}

/* One attempt. 0 delivered, -EAGAIN worth retrying, -EPERM permanent. */
static int send_one(struct webhook *w, const struct msg *m, long *status, char *why, size_t whylen)
{
    CURL *c = w->curl;
    buf_reset(&w->resp);
    curl_easy_setopt(c, CURLOPT_URL, m->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, m->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->len);
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    if (rc != CURLE_OK) {
        snprintf(why, whylen, "%s", curl_easy_strerror(rc));
        return -EAGAIN;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (*status / 100 == 2) {
        if (m->fmt != WEBHOOK_JSON && robot_refused(&w->resp, why, whylen))
            return -EAGAIN;
        return 0;
    }
    snprintf(why, whylen, "http status %ld", *status);
    if (*status == 408 || *status == 429 || *status >= 500)
        return -EAGAIN;
    return -EPERM;
}

static int64_t backoff_ms(struct webhook *w, int attempts)
{
    int64_t d = w->o.retry_min_ms;
    for (int i = 1; i < attempts && d < w->o.retry_max_ms; i++)
        d *= 2;
    if (d > w->o.retry_max_ms)
        d = w->o.retry_max_ms;
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return d + (int64_t)(w->rng % (uint64_t)(d / 4 + 1));
}

/* Index of the message due first; lock held, n > 0. */
static size_t next_due(const struct webhook *w)
{
    size_t best = 0;
    for (size_t i = 1; i < w->n; i++)
        if (w->q[i]->next_at < w->q[best]->next_at)
            best = i;
    return best;
}

static void take(struct webhook *w, size_t i)
{
    memmove(&w->q[i], &w->q[i + 1], (w->n - i - 1) * sizeof w->q[0]);
    w->n--;
}

static void wait_until(struct webhook *w, int64_t at)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t left = at - mono_ms();
    if (left <= 0)
        return;
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (long)(left % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->cond, &w->lock, &ts);
}

/* Puts a message back after a failed attempt, or gives it up; lock held. */
static void after_failure(struct webhook *w, struct msg *m, int rc, long status, const char *why)
{
    bool last = rc == -EPERM || m->attempts >= w->o.attempts || w->stop;
    if (last || w->n >= w->o.queue_max) {
        w->st.failed++;
        log_error(TAG,
                  "delivery failed, message given up dest=%s attempts=%d status=%ld error=\"%s\"%s",
                  m->label, m->attempts, status, why,
                  rc == -EPERM ? " fix=\"check the url and the robot's key or keywords\"" : "");
        msg_free(m);
        return;
    }
    int64_t delay = backoff_ms(w, m->attempts);
    w->st.retries++;
    log_warn(TAG, "delivery failed dest=%s attempt=%d status=%ld error=\"%s\" retry_in_ms=%lld",
             m->label, m->attempts, status, why, (long long)delay);
    m->next_at = mono_ms() + delay;
    w->q[w->n++] = m;
}

static void *run(void *arg)
{
    struct webhook *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        if (w->stop && (w->n == 0 || mono_ms() >= w->drain_until))
            break;
        if (w->n == 0) {
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        size_t i = next_due(w);
        if (!w->stop && w->q[i]->next_at > mono_ms()) {
            wait_until(w, w->q[i]->next_at);
            continue;
        }
        struct msg *m = w->q[i];
        take(w, i);
        pthread_mutex_unlock(&w->lock);
        long status = 0;
        char why[256] = "";
        int rc = send_one(w, m, &status, why, sizeof why);
        m->attempts++;
        pthread_mutex_lock(&w->lock);
        if (rc == 0) {
            w->st.delivered++;
            if (m->attempts > 1)
                log_info(TAG, "delivered after retries dest=%s attempts=%d", m->label, m->attempts);
            msg_free(m);
        } else {
            after_failure(w, m, rc, status, why);
        }
    }
    if (w->n)
        log_warn(TAG, "stopping with undelivered messages dropped=%zu", w->n);
    w->st.dropped += w->n;
    for (size_t i = 0; i < w->n; i++)
        msg_free(w->q[i]);
    w->n = 0;
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct webhook *webhook_new(const struct webhook_opts *opts)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error(TAG, "libcurl init failed");
        return NULL;
    }
    struct webhook *w = calloc(1, sizeof *w);
    if (!w)
        goto err_global;
    w->o = *opts;
    if (w->o.retry_min_ms < 1)
        w->o.retry_min_ms = 1000;
    if (w->o.retry_max_ms < w->o.retry_min_ms)
        w->o.retry_max_ms = w->o.retry_min_ms;
    if (w->o.attempts < 1)
        w->o.attempts = 1;
    if (w->o.queue_max < 1)
        w->o.queue_max = 1;
    w->rng = (uint64_t)mono_ms() ^ (uint64_t)(uintptr_t)w;
    w->rng |= 1;
    buf_init(&w->resp, RESPONSE_MAX);
    w->q = calloc(w->o.queue_max, sizeof *w->q);
    w->curl = curl_easy_init();
    w->headers = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
    if (!w->q || !w->curl || !w->headers)
        goto err_free;
    curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS,
                     (long)(w->o.timeout_ms > 0 ? w->o.timeout_ms : 10000));
    curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, &w->resp);
    curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->lock, NULL);
    if (pthread_create(&w->thread, NULL, run, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        goto err_free;
    }
    return w;

err_free:
    curl_slist_free_all(w->headers);
    if (w->curl)
        curl_easy_cleanup(w->curl);
    free(w->q);
    buf_free(&w->resp);
    free(w);
err_global:
    curl_global_cleanup();
    log_error(TAG, "cannot start the webhook sender");
    return NULL;
}

int webhook_post(struct webhook *w, enum webhook_format fmt, const char *url, const char *label,
                 const char *body, size_t len)
{
    struct msg *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->fmt = fmt;
    m->url = strdup(url);
    m->label = strdup(label);
    m->body = malloc(len + 1);
    if (!m->url || !m->label || !m->body) {
        msg_free(m);
        return -ENOMEM;
    }
    memcpy(m->body, body, len);
    m->body[len] = '\0';
    m->len = len;
    m->next_at = mono_ms();
    pthread_mutex_lock(&w->lock);
    if (w->n == w->o.queue_max) {
        /* The oldest message is the least useful one to an operator now. */
        log_warn(TAG, "queue full, oldest message dropped dest=%s", w->q[0]->label);
        msg_free(w->q[0]);
        take(w, 0);
        w->st.dropped++;
    }
    w->q[w->n++] = m;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void webhook_stats(struct webhook *w, struct webhook_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->st;
    out->queued = w->n;
    pthread_mutex_unlock(&w->lock);
}

void webhook_free(struct webhook *w, int drain_ms)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    w->drain_until = mono_ms() + (drain_ms > 0 ? drain_ms : 0);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    curl_slist_free_all(w->headers);
    curl_easy_cleanup(w->curl);
    free(w->q);
    buf_free(&w->resp);
    free(w);
    curl_global_cleanup();
}
