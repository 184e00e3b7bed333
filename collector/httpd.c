#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "numparse.h"

struct route {
    const char *method;
    char path[128];
    size_t len;
    int prefix;
    httpd_handler_fn fn;
    void *ctx;
};

struct httpd {
    struct MHD_Daemon *mhd;
    char listen[256];
    struct route routes[HTTPD_MAX_ROUTES];
    size_t nroutes;
    int port;
    atomic_bool stopping;
};

/* A streaming response in progress: what the producer made, not yet sent. */
struct stream {
    struct httpd *s;
    httpd_stream_fn fn;
    void *ctx;
    void (*free_fn)(void *ctx);
    struct buf pending;
    size_t off;
    bool ending; /* the producer said this is the last of it */
};

#define STREAM_CHUNK (64 * 1024)

/* Per-connection state while a request body arrives. */
struct pending {
    struct buf body;
    int too_large;
};

const char *httpd_query(const struct httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *httpd_header(const struct httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    while (st->off >= st->pending.len) {
        if (st->ending)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (atomic_load(&st->s->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        buf_reset(&st->pending);
        st->off = 0;
        int rc = st->fn(st->ctx, &st->pending, &st->s->stopping);
        if (rc < 0)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        st->ending = rc > 0;
    }
    size_t n = st->pending.len - st->off;
    if (n > max)
        n = max;
    memcpy(out, st->pending.data + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void stream_done(void *cls)
{
    struct stream *st = cls;
    if (st->free_fn)
        st->free_fn(st->ctx);
    buf_free(&st->pending);
    free(st);
}

static struct MHD_Response *make_stream(struct httpd *s, struct httpd_response *res)
{
    struct stream *st = calloc(1, sizeof *st);
    if (!st) {
        if (res->stream_free)
            res->stream_free(res->stream_ctx);
        return NULL;
    }
    st->s = s;
    st->fn = res->stream;
    st->ctx = res->stream_ctx;
    st->free_fn = res->stream_free;
    buf_init(&st->pending, 16u << 20);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_CHUNK,
                                                               stream_read, st, stream_done);
    if (!r)
        stream_done(st);
    return r;
}

static enum MHD_Result send_response(struct httpd *s, struct MHD_Connection *c,
                                     struct httpd_response *res)
{
    struct MHD_Response *r =
        res->stream ? make_stream(s, res)
                    : MHD_create_response_from_buffer(res->body.len,
                                                      res->body.data ? res->body.data : (void *)"",
                                                      MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", res->content_type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", res->csp ? res->csp : HTTPD_DEFAULT_CSP);
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (res->extra_header_name && res->extra_header_value)
        MHD_add_response_header(r, res->extra_header_name, res->extra_header_value);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)res->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_plain(struct MHD_Connection *c, int status, const char *text)
{
    struct httpd_response res = {.status = status, .content_type = "text/plain; charset=utf-8"};
    buf_init(&res.body, 4096);
    buf_puts(&res.body, text);
    enum MHD_Result ret = send_response(NULL, c, &res);
    buf_free(&res.body);
    return ret;
}

static const struct route *find_route(const struct httpd *s, const char *method, const char *url,
                                      int *method_mismatch)
{
    *method_mismatch = 0;
    for (size_t i = 0; i < s->nroutes; i++) {
        const struct route *r = &s->routes[i];
        int match = r->prefix ? strncmp(url, r->path, r->len) == 0 : strcmp(url, r->path) == 0;
        if (!match)
            continue;
        if (strcmp(method, r->method) == 0 ||
            (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
            return r;
        *method_mismatch = 1;
    }
    return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
    (void)version;
    struct httpd *s = cls;
    struct pending *p = *state;
    if (!p) { /* first call: headers only */
        /* A body announced too large is refused before it is sent: the
         * client is not left to upload a gigabyte that would be dropped. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        int64_t announced;
        if (cl && num_parse_i64(cl, strlen(cl), 0, INT64_MAX, &announced) == 0 &&
            announced > HTTPD_MAX_BODY)
            return send_plain(c, 413, "request body too large\n");
        p = calloc(1, sizeof *p);
        if (!p)
            return MHD_NO;
        buf_init(&p->body, HTTPD_MAX_BODY);
        *state = p;
        return MHD_YES;
    }
    if (*upload_len != 0) {
        if (buf_append(&p->body, upload, *upload_len) != 0)
            p->too_large = 1;
        *upload_len = 0;
        return MHD_YES;
    }
    if (p->too_large)
        return send_plain(c, 413, "request body too large\n");

    int wrong_method;
    const struct route *r = find_route(s, method, url, &wrong_method);
    if (!r)
        return wrong_method ? send_plain(c, 405, "method not allowed\n")
                            : send_plain(c, 404, "not found\n");
    struct httpd_request req = {.method = method,
                                .path = url,
                                .rest = r->prefix ? url + r->len : "",
                                .body = p->body.data ? p->body.data : "",
                                .body_len = p->body.len,
                                .conn = c};
    struct httpd_response res = {.status = 200, .content_type = "application/json"};
    buf_init(&res.body, 16u << 20);
    r->fn(r->ctx, &req, &res);
    enum MHD_Result ret = send_response(s, c, &res);
    buf_free(&res.body);
    return ret;
}

static void request_done(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)c;
    (void)why;
    struct pending *p = *state;
    if (p) {
        buf_free(&p->body);
        free(p);
        *state = NULL;
    }
}

/* Splits "host:port" or "[v6]:port" into a socket address. 0 or -EINVAL. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    const char *colon = strrchr(listen, ':');
    if (!colon)
        return -EINVAL;
    int64_t port;
    if (num_parse_i64(colon + 1, strlen(colon + 1), 0, 65535, &port) != 0)
        return -EINVAL;
    char host[256];
    const char *h = listen;
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return -EINVAL;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (strcmp(host, "localhost") == 0)
        memcpy(host, "127.0.0.1", 10);
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
        return 0;
    }
    return -EINVAL;
}

struct httpd *httpd_new(const char *listen)
{
    if (strlen(listen) >= sizeof((struct httpd *)0)->listen)
        return NULL;
    struct httpd *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    memcpy(s->listen, listen, strlen(listen) + 1);
    return s;
}

int httpd_route(struct httpd *s, const char *method, const char *path, httpd_handler_fn fn,
                void *ctx)
{
    if (s->nroutes >= HTTPD_MAX_ROUTES || s->mhd)
        return -ENOSPC;
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof s->routes[0].path)
        return -EINVAL;
    struct route *r = &s->routes[s->nroutes++];
    r->method = method;
    r->prefix = path[n - 1] == '*';
    r->len = r->prefix ? n - 1 : n;
    memcpy(r->path, path, r->len);
    r->path[r->len] = '\0';
    r->fn = fn;
    r->ctx = ctx;
    return 0;
}

int httpd_start(struct httpd *s)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(s->listen, &ss, &sslen) != 0) {
        log_error("httpd", "bad listen address listen=%s", s->listen);
        return -EINVAL;
    }
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)HTTPD_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_END);
    if (!s->mhd) {
        int e = errno;
        log_error("httpd", "cannot listen listen=%s error=\"%s\"", s->listen, strerror(e));
        return e ? -e : -EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    log_info("httpd", "listening listen=%s port=%d routes=%zu", s->listen, s->port, s->nroutes);
    return 0;
}

void httpd_stop(struct httpd *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true); /* streams end within their producer's wait */
    if (s->mhd)
        MHD_stop_daemon(s->mhd);
    free(s);
}

int httpd_port(const struct httpd *s)
{
    return s->port;
}
