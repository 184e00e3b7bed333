/*
 * The coverage report inside the daemon (report_server.h).
 */
#include "report_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jsonout.h"
#include "knowledge.h"
#include "log.h"
#include "report_run.h"

#define TAG "report"
#define DAILY_AFTER_MS (5 * 60 * 1000) /* after midnight, so the last readings are in */

struct report_server {
    const struct config *cfg;
    pthread_mutex_t lock;  /* cur (the pointer; the knowledge is immutable), stop */
    struct knowledge *cur; /* the server's reference */
    pthread_mutex_t gen;   /* one report at a time */
    pthread_t daily;
    bool daily_running;
    bool stop;
    pthread_cond_t wake;
};

/* A reference to the knowledge in use, for one report; the lock keeps a reload from dropping
 * the server's reference between reading cur and taking ours. */
static struct knowledge *acquire(struct report_server *s)
{
    pthread_mutex_lock(&s->lock);
    struct knowledge *k = knowledge_ref(s->cur);
    pthread_mutex_unlock(&s->lock);
    return k;
}

void report_server_reload(struct report_server *s, struct knowledge *k)
{
    knowledge_ref(k);
    pthread_mutex_lock(&s->lock);
    struct knowledge *old = s->cur;
    s->cur = k;
    pthread_mutex_unlock(&s->lock);
    knowledge_unref(old); /* a report still using it keeps it alive until it finishes */
}

static int generate(struct report_server *s, int64_t from, int64_t to, enum report_format f,
                    enum report_lang lang, struct buf *out, char *err, size_t errsz)
{
    struct knowledge *k = acquire(s);
    pthread_mutex_lock(&s->gen);
    int rc = report_generate(s->cfg, k, from, to, report_now_ms(), f, lang, out, err, errsz);
    pthread_mutex_unlock(&s->gen);
    knowledge_unref(k);
    return rc;
}

static void serve(struct report_server *s, const struct httpd_request *req,
                  struct httpd_response *res, enum report_format f)
{
    enum report_lang lang;
    const char *l = httpd_query(req, "lang");
    const char *from_s = httpd_query(req, "from"), *to_s = httpd_query(req, "to");
    int64_t to = report_now_ms(), from;
    const char *bad = NULL;
    if (report_parse_lang(l ? l : s->cfg->report.lang, &lang) != 0)
        bad = "lang must be zh or en";
    else if (to_s && report_parse_time(to_s, true, &to) != 0)
        bad = "to must be YYYY-MM-DD or an RFC 3339 time";
    from = to - 7 * COV_DAY_MS;
    if (!bad && from_s && report_parse_time(from_s, false, &from) != 0)
        bad = "from must be YYYY-MM-DD or an RFC 3339 time";
    if (!bad && from >= to)
        bad = "from must be before to";
    char err[512];
    if (!bad && generate(s, from, to, f, lang, &res->body, err, sizeof err) == 0) {
        res->content_type = report_content_type(f);
        return;
    }
    buf_reset(&res->body);
    res->status = bad ? 400 : 503;
    res->content_type = "application/json";
    buf_puts(&res->body, "{");
    json_append_kv(&res->body, "error", bad ? bad : err);
    buf_puts(&res->body, "}\n");
    if (!bad)
        log_warn(TAG, "report failed error=\"%s\"", err);
}

static void on_coverage(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    serve(ctx, req, res, REPORT_JSON);
}

static void on_report(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    /* The report is one self-contained file with an inline <style> (it is
     * also mailed and archived as a file); it carries no script at all. */
    res->csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "frame-ancestors 'self'";
    serve(ctx, req, res, REPORT_HTML);
}

static int write_file(const char *path, const struct buf *b)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -errno;
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return -(e ? e : EIO);
    }
    return 0;
}

/* Writes the report of the 7 days before `day`'s midnight, unless it is there. */
static void write_daily(struct report_server *s, int32_t day)
{
    char dir[4096], path[4200], date[16];
    snprintf(dir, sizeof dir, "%s/reports", s->cfg->data_dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        log_error(TAG, "cannot create dir=%s error=\"%s\"", dir, strerror(errno));
        return;
    }
    coverage_format_date(day, date, sizeof date);
    int64_t to = (int64_t)day * COV_DAY_MS - COV_TZ_OFFSET_MS;
    static const enum report_format fmts[] = {REPORT_JSON, REPORT_HTML};
    static const char *const ext[] = {"json", "html"};
    enum report_lang lang = REPORT_ZH;
    report_parse_lang(s->cfg->report.lang, &lang);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/coverage-%s.%s", dir, date, ext[i]);
        struct stat st;
        if (stat(path, &st) == 0)
            continue;
        struct buf b;
        buf_init(&b, 256u * 1024 * 1024);
        char err[512];
        int rc = generate(s, to - 7 * COV_DAY_MS, to, fmts[i], lang, &b, err, sizeof err);
        if (rc == 0 && (rc = write_file(path, &b)) != 0)
            snprintf(err, sizeof err, "%s", strerror(-rc));
        if (rc == 0)
            log_info(TAG, "daily report written path=%s", path);
        else
            log_error(TAG, "daily report failed path=%s error=\"%s\"", path, err);
        buf_free(&b);
    }
}

static void *daily_main(void *arg)
{
    struct report_server *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        int64_t now = report_now_ms();
        int32_t today = coverage_day_of(now - DAILY_AFTER_MS);
        pthread_mutex_unlock(&s->lock);
        write_daily(s, today);
        pthread_mutex_lock(&s->lock);
        int64_t next = ((int64_t)today + 1) * COV_DAY_MS - COV_TZ_OFFSET_MS + DAILY_AFTER_MS;
        struct timespec ts = {.tv_sec = (time_t)(next / 1000), .tv_nsec = 0};
        while (!s->stop && report_now_ms() < next)
            pthread_cond_timedwait(&s->wake, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

struct report_server *report_server_new(const struct config *cfg, struct httpd *http,
                                        struct knowledge *k)
{
    struct report_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->gen, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->cur = knowledge_ref(k);
    if (http && (httpd_route(http, "GET", "/api/v1/coverage", on_coverage, s) != 0 ||
                 httpd_route(http, "GET", "/report", on_report, s) != 0)) {
        log_error(TAG, "cannot register the report routes: too many routes");
        report_server_free(s);
        return NULL;
    }
    if (cfg->report.daily) {
        if (pthread_create(&s->daily, NULL, daily_main, s) != 0) {
            log_error(TAG, "cannot start the daily report thread");
            report_server_free(s);
            return NULL;
        }
        s->daily_running = true;
    }
    return s;
}

void report_server_free(struct report_server *s)
{
    if (!s)
        return;
    if (s->daily_running) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->daily, NULL);
    }
    knowledge_unref(s->cur);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->gen);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
