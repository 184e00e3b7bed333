/*
 * httpd: the daemon's small HTTP server (libmicrohttpd, its own thread).
 *
 * A table of routes, each a method, a path (exact, or a prefix when it ends
 * in '*') and a handler. Modules register their own routes before
 * httpd_start, so this module knows nothing of MQTT, the database, alerts or
 * reports. Request bodies are collected up to HTTPD_MAX_BODY (413 past it:
 * at once when Content-Length announces more, else once the body has
 * arrived, the excess read and dropped). Request line and headers must fit
 * in the 64 KiB a connection may use (libmicrohttpd answers 414 or 431).
 * Each connection has its own thread (so that a live stream may wait for
 * news without holding up anyone else); handlers must be thread safe and
 * must not block for long. At most HTTPD_MAX_CONNECTIONS at once. Every
 * response carries a Content-Security-Policy (HTTPD_DEFAULT_CSP unless the
 * handler names another), nosniff and no-store. Listens where http.listen
 * says (loopback by default).
 */
#ifndef LIFELINE_HTTPD_H
#define LIFELINE_HTTPD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define HTTPD_MAX_BODY (64 * 1024)
#define HTTPD_MAX_ROUTES 32
#define HTTPD_MAX_CONNECTIONS 64

struct httpd_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded path without the query */
    const char *rest;   /* for prefix routes: the part after the prefix */
    const char *body;   /* NUL-terminated; "" when none */
    size_t body_len;
    void *conn; /* opaque, for httpd_query/httpd_header */
};

/*
 * A streaming response's producer (Server-Sent Events). Called on the
 * connection's own thread whenever the client has taken everything produced
 * so far: appends the next bytes to `out` and returns 0 to go on, 1 to end
 * the stream after `out`, or a negative errno to drop the connection. It
 * may block, but for at most about a second at a time, and must return
 * soon once *stopping is true (the server is shutting down).
 */
typedef int (*httpd_stream_fn)(void *ctx, struct buf *out, const atomic_bool *stopping);

/* Sent with every response unless the handler sets `csp`. */
#define HTTPD_DEFAULT_CSP "default-src 'self'; script-src 'self'; style-src 'self'"

struct httpd_response {
    int status;                    /* default 200 */
    const char *content_type;      /* static string; default "application/json" */
    struct buf body;               /* the handler appends here (capped at 16 MiB) */
    const char *extra_header_name; /* optional, static */
    const char *extra_header_value;
    const char *csp; /* optional, must outlive the response (static or the route's ctx):
                        replaces HTTPD_DEFAULT_CSP */
    /*
     * Optional: a stream instead of `body` (which is then ignored). The
     * server owns stream_ctx from then on and calls stream_free(stream_ctx)
     * when the connection ends (also when it could not be started).
     */
    httpd_stream_fn stream;
    void *stream_ctx;
    void (*stream_free)(void *ctx);
};

/* Fills res (status, content type, body). */
typedef void (*httpd_handler_fn)(void *ctx, const struct httpd_request *req,
                                 struct httpd_response *res);

/* A query parameter's decoded value, or NULL. Valid during the handler. */
const char *httpd_query(const struct httpd_request *req, const char *name);
/* A request header's value, or NULL. Valid during the handler. */
const char *httpd_header(const struct httpd_request *req, const char *name);

struct httpd;

/* A server with no routes yet; nothing listens until httpd_start. */
struct httpd *httpd_new(const char *listen);
/*
 * Adds a route. `path` is matched exactly, or as a prefix when it ends in
 * '*' (e.g. "/api/v1/alerts/" followed by a star). Routes are tried in the order added. 0, or
 * -ENOSPC past HTTPD_MAX_ROUTES. Not after httpd_start.
 */
int httpd_route(struct httpd *s, const char *method, const char *path, httpd_handler_fn fn,
                void *ctx);
/* Starts listening. 0, or a negative errno (reason logged). */
int httpd_start(struct httpd *s);
/* Stops and frees; accepts NULL. */
void httpd_stop(struct httpd *s);
/* The port actually bound (useful with port 0). */
int httpd_port(const struct httpd *s);

#endif
