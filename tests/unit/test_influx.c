/*
 * Unit tests for the InfluxDB writer. Static helpers are reached by including
 * influx.c; status handling runs against an in-process libmicrohttpd server
 * that scripts the answers a real database will not give on demand (413, 503
 * with Retry-After, 401 then OK, ...) and records what arrived.
 */
#include "../../collector/influx.c"
#include "../../collector/influx_status.c"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "quarantine.h"

/* ---- static helpers ---------------------------------------------------- */

static void test_retry_after(void **state)
{
    (void)state;
    assert_int_equal(influx_parse_retry_after("1", 0, 100000), 1000);
    assert_int_equal(influx_parse_retry_after("  120 \r\n", 0, 1000000), 120000);
    assert_int_equal(influx_parse_retry_after("0", 0, 1000), 0);
    assert_int_equal(influx_parse_retry_after("100000", 0, 5000), 5000); /* capped */
    assert_int_equal(influx_parse_retry_after("", 0, 5000), -1);
    assert_int_equal(influx_parse_retry_after("soon", 0, 5000), -1);
    assert_int_equal(influx_parse_retry_after("-3", 0, 5000), -1);
    /* HTTP date: Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 */
    const char *date = "Wed, 21 Oct 2015 07:28:00 GMT";
    assert_int_equal(influx_parse_retry_after(date, 1445412480 - 7, 100000), 7000);
    assert_int_equal(influx_parse_retry_after(date, 1445412480 - 7, 3000), 3000);
    assert_int_equal(influx_parse_retry_after(date, 1445412480 + 60, 100000), 0); /* in the past */
}

static void test_split_middle(void **state)
{
    (void)state;
    size_t ll = 0;
    size_t ln = 0;
    const char *four = "a 1\nb 2\nc 3\nd 4\n";
    assert_int_equal(influx_split_middle(four, strlen(four), 4, &ll, &ln), 0);
    assert_int_equal(ll, 8);
    assert_int_equal(ln, 2);
    const char *three = "aa\nbbbbbbbbbb\nc\n";
    assert_int_equal(influx_split_middle(three, strlen(three), 3, &ll, &ln), 0);
    assert_int_equal(ll, 3);
    assert_int_equal(ln, 1);
    const char *one = "only one line\n";
    assert_int_equal(influx_split_middle(one, strlen(one), 1, &ll, &ln), -1);
    assert_int_equal(influx_count_lines(four, strlen(four)), 4);
    assert_int_equal(influx_count_lines("x\ny", 3), 2);
}

static void test_extract_error(void **state)
{
    (void)state;
    char out[256];
    const char *v1 = "{\"error\":\"partial write: field type conflict: dropped=1\"}\n";
    influx_extract_error(v1, strlen(v1), "ignored", 400, out, sizeof out);
    assert_string_equal(out, "partial write: field type conflict: dropped=1");
    const char *v2 = "{\"code\":\"invalid\",\"message\":\"unable to parse 'x': bad\"}";
    influx_extract_error(v2, strlen(v2), NULL, 400, out, sizeof out);
    assert_string_equal(out, "unable to parse 'x': bad");
    influx_extract_error("", 0, "authorization failed", 401, out, sizeof out);
    assert_string_equal(out, "authorization failed");
    const char *vm = "  cannot parse line \"x\"\nsecond\n";
    influx_extract_error(vm, strlen(vm), "", 400, out, sizeof out);
    assert_string_equal(out, "cannot parse line \"x\" second");
    influx_extract_error("", 0, "", 502, out, sizeof out);
    assert_string_equal(out, "http status 502");
    char tiny[8];
    influx_extract_error(v1, strlen(v1), NULL, 400, tiny, sizeof tiny);
    assert_string_equal(tiny, "partial");
    assert_true(influx_request_level_error("database is required"));
    assert_false(influx_request_level_error("partial write: database is required"));
    assert_true(influx_is_refusal(500, "retention policy not found: nope"));
    assert_false(influx_is_refusal(500, "timeout"));
    assert_false(influx_is_refusal(503, ""));
    assert_false(influx_is_refusal(429, ""));
    assert_false(influx_is_refusal(0, "Couldn't connect to server"));
    assert_true(influx_is_refusal(404, ""));
    assert_string_equal(influx_fix_hint(INFLUX_API_V1, 404, "database not found: \"x\""),
                        "database not found: create it or fix influx.database");
}

static void init_cfg(struct config *cfg, const char *url)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->influx.url = (char *)url;
    cfg->influx.api = INFLUX_API_V1;
    cfg->influx.database = "lifeline";
    cfg->influx.timeout_ms = 5000;
    cfg->influx.retry_min_ms = 10;
    cfg->influx.retry_max_ms = 40;
}

static void test_build_url(void **state)
{
    (void)state;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct config cfg;
    init_cfg(&cfg, "http://127.0.0.1:8086");
    cfg.influx.database = "城市生命线";
    cfg.influx.retention_policy = "one week";
    char *url = influx_write_url(c, &cfg);
    assert_string_equal(url, "http://127.0.0.1:8086/write?db=%E5%9F%8E%E5%B8%82%E7%94%9F%E5%91%BD"
                             "%E7%BA%BF&rp=one%20week&precision=ms");
    free(url);
    cfg.influx.api = INFLUX_API_V2;
    cfg.influx.url = "http://vm:8428/";
    cfg.influx.org = "my org";
    cfg.influx.bucket = "b&c";
    url = influx_write_url(c, &cfg);
    assert_string_equal(url, "http://vm:8428/api/v2/write?org=my%20org&bucket=b%26c&precision=ms");
    free(url);
    cfg.influx.org = NULL;
    cfg.influx.bucket = "";
    url = influx_write_url(c, &cfg);
    assert_string_equal(url, "http://vm:8428/api/v2/write?precision=ms");
    free(url);
    curl_easy_cleanup(c);
}

/* ---- scripted server --------------------------------------------------- */

enum script {
    S_OK,            /* 204 */
    S_RETRY_AFTER,   /* 503 + Retry-After: 1, then 204 */
    S_TOO_LARGE,     /* 413 over max_lines lines or for a line holding "huge" */
    S_BAD_V1,        /* 400 InfluxDB 1.x style for a body with a "bad" line */
    S_BAD_V2,        /* 422 InfluxDB 2.x style for a body with a "bad" line */
    S_UNAUTHORIZED2, /* 401 twice, then 204 */
    S_UNAVAILABLE,   /* 503 forever */
};

struct server {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t lock;
    enum script script;
    size_t max_lines;
    int calls;
    struct buf accepted; /* bodies answered 2xx, decompressed, in order */
    char auth[256];      /* Authorization of the last request */
    char db[256];        /* db= of the last request, decoded */
    bool all_gzip;       /* every request carried Content-Encoding: gzip */
};

static int inflate_all(const char *in, size_t len, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK)
        return -1;
    z.next_in = (const Bytef *)in;
    z.avail_in = (uInt)len;
    int rc;
    do {
        char chunk[4096];
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        buf_append(out, chunk, sizeof chunk - z.avail_out);
    } while (rc != Z_STREAM_END);
    inflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

/* The first line of body[0..len) holding `word`, copied into out; false if none. */
static bool find_line(const char *body, size_t len, const char *word, char *out, size_t outsz)
{
    const char *p = body;
    const char *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (memmem(p, n, word, strlen(word))) {
            snprintf(out, outsz, "%.*s", (int)n, p);
            return true;
        }
        p += n + 1;
    }
    return false;
}

/* Chooses the answer; returns the status and fills the JSON body and Retry-After. */
static unsigned decide(struct server *s, const struct buf *body, char *json, size_t jsz,
                       const char **retry_after)
{
    char line[512];
    s->calls++;
    switch (s->script) {
    case S_RETRY_AFTER:
        if (s->calls == 1) {
            *retry_after = "1";
            return 503;
        }
        return 204;
    case S_TOO_LARGE:
        if (influx_count_lines(body->data, body->len) > s->max_lines ||
            find_line(body->data, body->len, "huge", line, sizeof line)) {
            snprintf(json, jsz, "{\"error\":\"Request Entity Too Large\"}");
            return 413;
        }
        return 204;
    case S_BAD_V1:
    case S_BAD_V2:
        if (find_line(body->data, body->len, "bad", line, sizeof line)) {
            if (s->script == S_BAD_V1) {
                snprintf(json, jsz, "{\"error\":\"partial write: unable to parse '%s': bad\"}",
                         line);
                return 400;
            }
            snprintf(json, jsz, "{\"code\":\"unprocessable entity\",\"message\":\"rejected '%s'\"}",
                     line);
            return 422;
        }
        return 204;
    case S_UNAUTHORIZED2:
        if (s->calls <= 2) {
            snprintf(json, jsz, "{\"error\":\"authorization failed\"}");
            return 401;
        }
        return 204;
    case S_UNAVAILABLE:
        return 503;
    case S_OK:
    default:
        return 204;
    }
}

static void copy_value(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key,
                       char *out, size_t outsz)
{
    const char *v = MHD_lookup_connection_value(c, kind, key);
    snprintf(out, outsz, "%s", v ? v : "");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)method;
    (void)version;
    struct server *s = cls;
    struct buf *raw = *con_cls;
    if (!raw) {
        raw = calloc(1, sizeof *raw);
        buf_init(raw, 64u << 20);
        *con_cls = raw;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        buf_append(raw, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
    bool gz = enc && strcmp(enc, "gzip") == 0;
    struct buf body;
    buf_init(&body, 64u << 20);
    if (gz)
        inflate_all(raw->data, raw->len, &body);
    else
        buf_append(&body, raw->data ? raw->data : "", raw->len);
    char json[1024] = "";
    const char *retry_after = NULL;
    pthread_mutex_lock(&s->lock);
    if (!gz)
        s->all_gzip = false;
    copy_value(conn, MHD_HEADER_KIND, "Authorization", s->auth, sizeof s->auth);
    copy_value(conn, MHD_GET_ARGUMENT_KIND, "db", s->db, sizeof s->db);
    unsigned status = decide(s, &body, json, sizeof json, &retry_after);
    if (status / 100 == 2)
        buf_append(&s->accepted, body.data ? body.data : "", body.len);
    pthread_mutex_unlock(&s->lock);
    buf_free(&body);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_COPY);
    if (json[0])
        MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after)
        MHD_add_response_header(r, "Retry-After", retry_after);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct buf *raw = *con_cls;
    if (raw) {
        buf_free(raw);
        free(raw);
        *con_cls = NULL;
    }
}

static void server_start(struct server *s, enum script script)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->script = script;
    s->all_gzip = true;
    buf_init(&s->accepted, 64u << 20);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
    assert_true(s->port > 0);
}

static void server_stop(struct server *s)
{
    if (s->d)
        MHD_stop_daemon(s->d);
    buf_free(&s->accepted);
    pthread_mutex_destroy(&s->lock);
}

/* ---- writer against the scripted server -------------------------------- */

struct fixture {
    struct server srv;
    char dir[64];
    char qpath[128];
    char url[64];
    struct config cfg;
    struct quarantine *q;
};

static struct fixture *fixture_new(enum script script)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    metrics_reset();
    server_start(&f->srv, script);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_influx.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->qpath, sizeof f->qpath, "%s/quarantine.jsonl", f->dir);
    f->q = quarantine_open(f->qpath);
    assert_non_null(f->q);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)f->srv.port);
    init_cfg(&f->cfg, f->url);
    return f;
}

static void fixture_free(struct fixture *f)
{
    quarantine_close(f->q);
    server_stop(&f->srv);
    unlink(f->qpath);
    rmdir(f->dir);
    free(f);
}

/* Closes the quarantine and returns its records as a JSON array (caller deletes). */
static cJSON *read_quarantine(struct fixture *f)
{
    quarantine_close(f->q);
    f->q = NULL;
    cJSON *all = cJSON_CreateArray();
    FILE *fp = fopen(f->qpath, "r");
    assert_non_null(fp);
    char line[8192];
    while (fgets(line, sizeof line, fp)) {
        cJSON *rec = cJSON_Parse(line);
        assert_non_null(rec);
        cJSON_AddItemToArray(all, rec);
    }
    fclose(fp);
    return all;
}

static const char *rec_str(const cJSON *rec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static int64_t mono_ms(void)
{
    return now_ms(CLOCK_MONOTONIC);
}

static void test_write_ok_gzip(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_OK);
    f->cfg.influx.gzip = true;
    f->cfg.influx.database = "城市生命线";
    struct influx *w = influx_new(&f->cfg, f->q);
    assert_non_null(w);
    const char *body = "pump,asset=顾官屯镇\\ 1号泵房 pressure_out=0.31 1764380000000\n"
                       "pump,asset=b pressure_out=0.32 1764380000000\n";
    assert_int_equal(influx_write(w, body, strlen(body), 2, NULL), 0);
    assert_int_equal(influx_write(w, body, 0, 0, NULL), 0);
    assert_int_equal(influx_write(w, "x 1", 3, 1, NULL), -EINVAL);
    assert_string_equal(f->srv.accepted.data, body);
    assert_true(f->srv.all_gzip);
    assert_string_equal(f->srv.db, "城市生命线");
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 2);
    assert_int_equal(metrics_get(C_BATCHES_WRITTEN), 1);
    assert_int_equal(metrics_get(C_WRITE_RETRIES), 0);
    assert_int_equal(metrics_write_status_count(204), 1);
    assert_int_equal(metrics_gauge(G_LAST_WRITE_OK), 1);
    influx_free(w);
    fixture_free(f);
}

static void test_retry_after_honoured(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_RETRY_AFTER);
    f->cfg.influx.retry_max_ms = 500; /* Retry-After cap is 5 s */
    struct influx *w = influx_new(&f->cfg, f->q);
    const char *body = "m v=1 1\n";
    int64_t t0 = mono_ms();
    assert_int_equal(influx_write(w, body, strlen(body), 1, NULL), 0);
    int64_t took = mono_ms() - t0;
    assert_true(took >= 1000);
    assert_true(took < 4000);
    assert_string_equal(f->srv.accepted.data, body);
    assert_int_equal(metrics_write_status_count(503), 1);
    assert_int_equal(metrics_get(C_WRITE_RETRIES), 1);
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 1);
    assert_false(f->srv.all_gzip);
    influx_free(w);
    fixture_free(f);
}

static void test_too_large_splits(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_TOO_LARGE);
    f->srv.max_lines = 3;
    f->cfg.influx.gzip = true;
    struct influx *w = influx_new(&f->cfg, f->q);
    struct buf body;
    buf_init(&body, 4096);
    for (int i = 0; i < 10; i++)
        buf_printf(&body, "m,i=%d v=%d 1764380000000\n", i, i);
    assert_int_equal(influx_write(w, body.data, body.len, 10, NULL), 0);
    assert_string_equal(f->srv.accepted.data, body.data);
    /* 10 -> 5+5 -> (2+3)+(2+3): three 413s, four accepted bodies */
    assert_int_equal(metrics_write_status_count(413), 3);
    assert_int_equal(metrics_write_status_count(204), 4);
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 10);
    assert_int_equal(metrics_get(C_BATCHES_WRITTEN), 1);
    cJSON *recs = read_quarantine(f);
    assert_int_equal(cJSON_GetArraySize(recs), 0);
    cJSON_Delete(recs);
    buf_free(&body);
    influx_free(w);
    fixture_free(f);
}

static void test_too_large_single_line_quarantined(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_TOO_LARGE);
    f->srv.max_lines = 100;
    struct influx *w = influx_new(&f->cfg, f->q);
    const char *body = "m a=1 1\nm huge=1 2\nm c=1 3\nm d=1 4\n";
    assert_int_equal(influx_write(w, body, strlen(body), 4, NULL), 0);
    assert_string_equal(f->srv.accepted.data, "m a=1 1\nm c=1 3\nm d=1 4\n");
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 3);
    cJSON *recs = read_quarantine(f);
    assert_int_equal(cJSON_GetArraySize(recs), 1);
    const cJSON *r = cJSON_GetArrayItem(recs, 0);
    assert_string_equal(rec_str(r, "reason"), "too_large");
    assert_string_equal(rec_str(r, "payload"), "m huge=1 2");
    assert_string_equal(rec_str(r, "detail"),
                        "line too large for the database (413): Request Entity Too Large");
    cJSON_Delete(recs);
    influx_free(w);
    fixture_free(f);
}

/* Writes 20 lines with bad ones at 0, 7, 8 and 19 and checks the outcome. */
static void check_bad_lines(enum script script, const char *before, const char *after)
{
    struct fixture *f = fixture_new(script);
    if (script == S_BAD_V2) {
        f->cfg.influx.api = INFLUX_API_V2;
        f->cfg.influx.token = "s3cret";
        f->cfg.influx.org = "o";
        f->cfg.influx.bucket = "b";
    }
    struct influx *w = influx_new(&f->cfg, f->q);
    struct buf body;
    struct buf good;
    buf_init(&body, 4096);
    buf_init(&good, 4096);
    for (int i = 0; i < 20; i++) {
        bool bad = i == 0 || i == 7 || i == 8 || i == 19;
        buf_printf(&body, "m,i=%d %s=%d %d\n", i, bad ? "bad" : "v", i, 1000 + i);
        if (!bad)
            buf_printf(&good, "m,i=%d v=%d %d\n", i, i, 1000 + i);
    }
    assert_int_equal(influx_write(w, body.data, body.len, 20, NULL), 0);
    assert_string_equal(f->srv.accepted.data, good.data);
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 16);
    assert_int_equal(metrics_get(C_WRITE_RETRIES), 0);
    assert_int_equal(metrics_rejected_count(REASON_DB_REJECTED), 4);
    if (script == S_BAD_V2)
        assert_string_equal(f->srv.auth, "Token s3cret");
    cJSON *recs = read_quarantine(f);
    assert_int_equal(cJSON_GetArraySize(recs), 4);
    const int bad_at[] = {0, 7, 8, 19};
    for (int k = 0; k < 4; k++) {
        const cJSON *r = cJSON_GetArrayItem(recs, k);
        char line[64];
        char detail[128];
        snprintf(line, sizeof line, "m,i=%d bad=%d %d", bad_at[k], bad_at[k], 1000 + bad_at[k]);
        snprintf(detail, sizeof detail, "%s%s%s", before, line, after);
        assert_string_equal(rec_str(r, "reason"), "db_rejected");
        assert_string_equal(rec_str(r, "payload"), line);
        assert_string_equal(rec_str(r, "detail"), detail);
        assert_string_equal(rec_str(r, "topic"), "");
    }
    cJSON_Delete(recs);
    buf_free(&body);
    buf_free(&good);
    influx_free(w);
    fixture_free(f);
}

static void test_bad_lines_v1(void **state)
{
    (void)state;
    check_bad_lines(S_BAD_V1, "partial write: unable to parse '", "': bad");
}

static void test_bad_lines_v2(void **state)
{
    (void)state;
    check_bad_lines(S_BAD_V2, "rejected '", "'");
}

static void test_unauthorized_then_ok(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_UNAUTHORIZED2);
    f->cfg.influx.username = "lifeline";
    f->cfg.influx.password = "p@ss:w0rd";
    struct influx *w = influx_new(&f->cfg, f->q);
    const char *body = "m v=1 1\nm v=2 2\n";
    assert_int_equal(influx_write(w, body, strlen(body), 2, NULL), 0);
    assert_string_equal(f->srv.accepted.data, body);
    assert_string_equal(f->srv.auth, "Basic bGlmZWxpbmU6cEBzczp3MHJk");
    assert_int_equal(metrics_write_status_count(401), 2);
    assert_int_equal(metrics_get(C_WRITE_RETRIES), 2);
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 2);
    assert_int_equal(metrics_gauge(G_LAST_WRITE_OK), 1);
    cJSON *recs = read_quarantine(f);
    assert_int_equal(cJSON_GetArraySize(recs), 0);
    cJSON_Delete(recs);
    influx_free(w);
    fixture_free(f);
}

struct stopper {
    atomic_bool stop;
    uint64_t after_retries;
    int64_t stopped_at;
};

static void *stopper_main(void *arg)
{
    struct stopper *s = arg;
    int64_t deadline = mono_ms() + 10000;
    while (metrics_get(C_WRITE_RETRIES) < s->after_retries && mono_ms() < deadline) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    s->stopped_at = mono_ms();
    atomic_store(&s->stop, true);
    return NULL;
}

/* The writer is in a long backoff wait; stop must end it within ~100 ms. */
static void check_stop(struct fixture *f, uint64_t after_retries)
{
    f->cfg.influx.retry_min_ms = 60000;
    f->cfg.influx.retry_max_ms = 60000;
    struct influx *w = influx_new(&f->cfg, f->q);
    struct stopper s = {.after_retries = after_retries};
    atomic_init(&s.stop, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stopper_main, &s), 0);
    const char *body = "m v=1 1\n";
    assert_int_equal(influx_write(w, body, strlen(body), 1, &s.stop), -ECANCELED);
    int64_t late = mono_ms() - s.stopped_at;
    pthread_join(t, NULL);
    assert_true(late < 1000);
    assert_int_equal(metrics_get(C_WRITE_RETRIES), after_retries);
    assert_int_equal(metrics_get(C_POINTS_WRITTEN), 0);
    assert_int_equal(metrics_get(C_BATCHES_WRITTEN), 0);
    assert_int_equal(metrics_gauge(G_LAST_WRITE_OK), 0);
    influx_free(w);
}

static void test_stop_cancels_retry(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_UNAVAILABLE);
    check_stop(f, 1);
    assert_int_equal(metrics_write_status_count(503), 1);
    fixture_free(f);
}

static void test_connection_refused_then_stop(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(S_OK);
    /* nothing listens on the server's port once it has stopped */
    MHD_stop_daemon(f->srv.d);
    f->srv.d = NULL;
    check_stop(f, 1);
    assert_int_equal(metrics_write_status_count(0), 1);
    fixture_free(f);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_split_middle),
        cmocka_unit_test(test_extract_error),
        cmocka_unit_test(test_build_url),
        cmocka_unit_test(test_write_ok_gzip),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_too_large_splits),
        cmocka_unit_test(test_too_large_single_line_quarantined),
        cmocka_unit_test(test_bad_lines_v1),
        cmocka_unit_test(test_bad_lines_v2),
        cmocka_unit_test(test_unauthorized_then_ok),
        cmocka_unit_test(test_stop_cancels_retry),
        cmocka_unit_test(test_connection_refused_then_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
