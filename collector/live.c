#include "live.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "influx.h"
#include "jsonout.h"
#include "live_history.h"
#include "log.h"
#include "numparse.h"
#include "tileurl.h"
#include "webassets.h"

#define POLL_MS 100
#define FILTER_MAX 256

struct alert_ev {
    char device[128], asset[64], district[96], category[32];
    char *json;
};

struct live {
    const struct config *cfg;
    struct devstate *ds;
    atomic_int streams;
    pthread_mutex_t mu;                    /* guards ring */
    struct alert_ev ring[LIVE_ALERT_RING]; /* event n is at ring[n % LIVE_ALERT_RING] */
    atomic_uint_least64_t alerts;          /* events noted so far */
    pthread_mutex_t query_mu;              /* one history query at a time */
    struct influx *db;                     /* made at the first query */
    const char *tile_url;                  /* http.map_tile_url, or NULL */
    char csp[LIVE_CSP_MAX];                /* the page's; allows the tile origin if any */
};

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

void live_note_alert(struct live *l, const char *device, const char *asset, const char *district,
                     const char *category, const char *json, size_t len)
{
    if (!l)
        return;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, json, len);
    copy[len] = '\0';
    pthread_mutex_lock(&l->mu);
    uint64_t n = atomic_load(&l->alerts);
    struct alert_ev *ev = &l->ring[n % LIVE_ALERT_RING];
    free(ev->json);
    ev->json = copy;
    copy_str(ev->device, sizeof ev->device, device);
    copy_str(ev->asset, sizeof ev->asset, asset);
    copy_str(ev->district, sizeof ev->district, district);
    copy_str(ev->category, sizeof ev->category, category);
    atomic_store(&l->alerts, n + 1);
    pthread_mutex_unlock(&l->mu);
}

static bool alert_matches(const struct alert_ev *ev, const struct devstate_filter *f)
{
    return (!f->district || !*f->district || strcmp(f->district, ev->district) == 0) &&
           (!f->category || !*f->category || strcmp(f->category, ev->category) == 0) &&
           (!f->device || !*f->device || strcmp(f->device, ev->device) == 0 ||
            (ev->asset[0] && strcmp(f->device, ev->asset) == 0));
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void json_error(struct httpd_response *res, int status, const char *msg)
{
    res->status = status;
    buf_reset(&res->body);
    buf_putc(&res->body, '{');
    json_append_kv(&res->body, "error", msg);
    buf_puts(&res->body, "}\n");
}

/* Reads ?state=; false (and a 400 answer) when it is not a state. */
static bool read_filter(const struct httpd_request *req, struct devstate_filter *f,
                        struct httpd_response *res)
{
    memset(f, 0, sizeof *f);
    f->district = httpd_query(req, "district");
    f->category = httpd_query(req, "category");
    f->device = httpd_query(req, "device");
    f->q = httpd_query(req, "q");
    const char *st = httpd_query(req, "state");
    if (st && *st) {
        if (devstate_state_parse(st, &f->state) != 0) {
            json_error(res, 400, "state must be online, offline or never");
            return false;
        }
        f->has_state = true;
    }
    return true;
}

static void on_devices(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    struct live *l = ctx;
    struct devstate_filter f;
    if (!read_filter(req, &f, res))
        return;
    if (devstate_render_list(l->ds, &f, wall_ms(), &res->body) != 0)
        json_error(res, 500, "the device list does not fit in a response");
}

#define HISTORY_SUFFIX "/history"
#define HISTORY_ANSWER_MAX (8u << 20)

/* GET /api/v1/devices/{id}/history?hours=24 */
static void on_history(struct live *l, const char *id, const struct httpd_request *req,
                       struct httpd_response *res)
{
    struct devstate_ident who;
    if (devstate_ident(l->ds, id, &who) != 0) {
        json_error(res, 404, "no such device");
        return;
    }
    int64_t hours = 24;
    const char *h = httpd_query(req, "hours");
    if (h && *h && num_parse_i64(h, strlen(h), 1, 168, &hours) != 0) {
        json_error(res, 400, "hours must be 1 to 168");
        return;
    }
    struct buf q, answer;
    buf_init(&q, 4096);
    buf_init(&answer, HISTORY_ANSWER_MAX);
    char err[256] = "";
    int rc = live_history_query(&q, who.category, who.asset, who.device, (int)hours);
    pthread_mutex_lock(&l->query_mu);
    if (!rc && !l->db)
        l->db = influx_new(l->cfg, NULL);
    rc = rc ? rc : l->db ? influx_query(l->db, q.data, &answer, err, sizeof err) : -ENOMEM;
    pthread_mutex_unlock(&l->query_mu);
    if (rc == 0)
        rc = live_history_json(answer.data, answer.len, (int)hours, &res->body, err, sizeof err);
    if (rc) {
        log_warn("live", "history query failed device=%s error=\"%s\"", id, err);
        json_error(res, 502, err[0] ? err : "the database did not answer");
    }
    buf_free(&q);
    buf_free(&answer);
}

static void on_device(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    struct live *l = ctx;
    size_t n = strlen(req->rest), sl = strlen(HISTORY_SUFFIX);
    if (n > sl && strcmp(req->rest + n - sl, HISTORY_SUFFIX) == 0) {
        char id[256];
        if (n - sl >= sizeof id) {
            json_error(res, 404, "no such device");
            return;
        }
        memcpy(id, req->rest, n - sl);
        id[n - sl] = '\0';
        on_history(l, id, req, res);
        return;
    }
    if (!req->rest[0] || strchr(req->rest, '/')) {
        json_error(res, 404, "no such device");
        return;
    }
    int rc = devstate_render_one(l->ds, req->rest, wall_ms(), &res->body);
    if (rc == -ENOENT)
        json_error(res, 404, "no such device");
    else if (rc)
        json_error(res, 500, "the device does not fit in a response");
    else
        buf_putc(&res->body, '\n');
}

/* One client's stream: its filter (copied) and how far it has got. */
struct stream {
    struct live *l;
    char district[FILTER_MAX], category[FILTER_MAX], device[FILTER_MAX];
    struct devstate_filter f;
    uint64_t since;
    uint64_t alerts_sent; /* alert events taken from the ring so far */
    bool hello_sent;
};

/* Appends the alert events the stream has not had yet. 0 or a buf error. */
static int take_alerts(struct stream *st, struct buf *out)
{
    struct live *l = st->l;
    pthread_mutex_lock(&l->mu);
    uint64_t n = atomic_load(&l->alerts);
    int rc = 0;
    if (n - st->alerts_sent > LIVE_ALERT_RING) {
        rc = buf_puts(out, "event: resync\ndata: {\"reason\":\"alerts_behind\"}\n\n");
        st->alerts_sent = n;
    }
    for (; !rc && st->alerts_sent < n; st->alerts_sent++) {
        const struct alert_ev *ev = &l->ring[st->alerts_sent % LIVE_ALERT_RING];
        if (ev->json && alert_matches(ev, &st->f))
            rc = buf_printf(out, "event: alert\ndata: %s\n\n", ev->json);
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static void stream_free(void *ctx)
{
    struct stream *st = ctx;
    if (st) {
        atomic_fetch_sub(&st->l->streams, 1);
        free(st);
    }
}

static void sleep_ms(int ms)
{
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/*
 * Waits (polling the version, so that the pipeline never signals anyone)
 * until something the client wants changed, then sends it; a comment line
 * every LIVE_HEARTBEAT_MS keeps proxies and the connection timeout quiet.
 */
static int produce(void *ctx, struct buf *out, const atomic_bool *stopping)
{
    struct stream *st = ctx;
    struct devstate *ds = st->l->ds;
    if (!st->hello_sent) {
        st->hello_sent = true;
        return buf_printf(out, "retry: 2000\nevent: hello\ndata: {\"version\":%llu}\n\n",
                          (unsigned long long)st->since) < 0
                   ? -EIO
                   : 0;
    }
    for (int waited = 0; waited < LIVE_HEARTBEAT_MS; waited += POLL_MS) {
        if (atomic_load(stopping))
            return 1;
        if (atomic_load(&st->l->alerts) > st->alerts_sent) {
            if (take_alerts(st, out) != 0)
                return -EIO;
            if (out->len)
                return 0;
        }
        if (devstate_version(ds) > st->since) {
            uint64_t upto;
            int rc = devstate_render_changes(ds, st->since, &st->f, LIVE_MAX_BEHIND, wall_ms(), out,
                                             &upto);
            st->since = upto;
            if (rc == -EOVERFLOW)
                return buf_printf(out,
                                  "event: resync\ndata: {\"version\":%llu,\"reason\":\"behind\"}"
                                  "\n\n",
                                  (unsigned long long)upto) < 0
                           ? -EIO
                           : 0;
            if (rc)
                return rc;
            if (out->len)
                return 0;
        }
        sleep_ms(POLL_MS);
    }
    return buf_puts(out, ": ping\n\n") ? -EIO : 0;
}

static void copy_param(char *dst, const char *src, const char **slot)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= FILTER_MAX)
        n = FILTER_MAX - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
    *slot = dst;
}

static void on_stream(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    struct live *l = ctx;
    struct devstate_filter f;
    if (!read_filter(req, &f, res))
        return;
    /* Where to start: ?since= (a listing's version), or the id of the last
     * event a reconnecting EventSource saw (Last-Event-ID), whichever is
     * later; never past now (a restarted daemon counts from 0 again). */
    uint64_t now_v = devstate_version(l->ds);
    uint64_t since = 0;
    bool given = false;
    const char *from[2] = {httpd_query(req, "since"), httpd_header(req, "Last-Event-ID")};
    for (int i = 0; i < 2; i++) {
        int64_t v;
        if (!from[i] || !*from[i])
            continue;
        if (num_parse_i64(from[i], strlen(from[i]), 0, INT64_MAX, &v) != 0) {
            json_error(res, 400, "since must be a version number from /api/v1/devices");
            return;
        }
        given = true;
        if ((uint64_t)v > since)
            since = (uint64_t)v;
    }
    if (!given || since > now_v)
        since = now_v;
    if (atomic_fetch_add(&l->streams, 1) >= LIVE_MAX_STREAMS) {
        atomic_fetch_sub(&l->streams, 1);
        json_error(res, 503, "too many live streams open");
        return;
    }
    struct stream *st = calloc(1, sizeof *st);
    if (!st) {
        atomic_fetch_sub(&l->streams, 1);
        json_error(res, 503, "out of memory");
        return;
    }
    st->l = l;
    st->since = since;
    st->alerts_sent = atomic_load(&l->alerts);
    st->f = f;
    copy_param(st->district, f.district, &st->f.district);
    copy_param(st->category, f.category, &st->f.category);
    copy_param(st->device, f.device, &st->f.device);
    st->f.q = NULL;
    res->content_type = "text/event-stream; charset=utf-8";
    res->stream = produce;
    res->stream_ctx = st;
    res->stream_free = stream_free;
}

/* GET /api/v1/settings: what the page needs to know of the configuration. */
static void on_settings(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    (void)req;
    struct live *l = ctx;
    int rc = buf_putc(&res->body, '{');
    if (l->tile_url)
        rc = rc ? rc : json_append_kv(&res->body, "map_tile_url", l->tile_url);
    else
        rc = rc ? rc : buf_puts(&res->body, "\"map_tile_url\":null");
    rc = rc ? rc : buf_puts(&res->body, "}\n");
    if (rc)
        json_error(res, 500, "the settings do not fit in a response");
}

static void on_asset(void *ctx, const struct httpd_request *req, struct httpd_response *res)
{
    struct live *l = ctx;
    res->csp = l->csp;
    const char *path = strcmp(req->path, "/") == 0 ? "/ui/index.html" : req->path;
    const struct web_asset *a = web_asset_find(path);
    if (!a) {
        res->status = 404;
        res->content_type = "text/plain; charset=utf-8";
        buf_puts(&res->body, "not found\n");
        return;
    }
    res->content_type = a->content_type;
    if (buf_append(&res->body, a->data, a->len) != 0)
        json_error(res, 500, "asset too large");
}

struct live *live_new(const struct config *cfg, struct devstate *ds)
{
    struct live *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->cfg = cfg;
    l->ds = ds;
    /* The tile origin is the one place besides 'self' the page may load from. */
    char origin[LIVE_CSP_MAX / 2];
    const char *tiles = cfg->http.map_tile_url;
    if (tiles && tileurl_origin(tiles, origin, sizeof origin) == 0) {
        l->tile_url = tiles;
        snprintf(l->csp, sizeof l->csp, "%s; img-src 'self' %s", HTTPD_DEFAULT_CSP, origin);
    } else {
        if (tiles)
            log_warn("live", "map tiles off: not a tile URL map_tile_url=%s", tiles);
        snprintf(l->csp, sizeof l->csp, "%s", HTTPD_DEFAULT_CSP);
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->query_mu, NULL);
    return l;
}

int live_register(struct live *l, struct httpd *http)
{
    if (httpd_route(http, "GET", "/api/v1/devices", on_devices, l) != 0 ||
        httpd_route(http, "GET", "/api/v1/devices/*", on_device, l) != 0 ||
        httpd_route(http, "GET", "/api/v1/stream", on_stream, l) != 0 ||
        httpd_route(http, "GET", "/api/v1/settings", on_settings, l) != 0 ||
        httpd_route(http, "GET", "/", on_asset, l) != 0 ||
        httpd_route(http, "GET", "/ui/*", on_asset, l) != 0) {
        log_error("live", "cannot register the live view routes: too many routes");
        return -ENOSPC;
    }
    return 0;
}

int live_stream_count(struct live *l)
{
    return l ? atomic_load(&l->streams) : 0;
}

void live_free(struct live *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < LIVE_ALERT_RING; i++)
        free(l->ring[i].json);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->query_mu);
    influx_free(l->db);
    free(l);
}
