/*
 * httpd: the daemon's small HTTP server (libmicrohttpd, its own thread).
 *
 * A table of routes, each a method, a path (exact, or a prefix when it ends
 * in '*') and a handler. Modules register their own routes before
 * httpd_start, so this module knows nothing of MQTT, the database, alerts or
 * reports. Request bodies are collected up to HTTPD_MAX_BODY (413 past it).
 * Handlers run on the server's threads: they must be thread safe and must
 * not block for long. Listens where http.listen says (loopback by default).
 */
#ifndef LIFELINE_HTTPD_H
#define LIFELINE_HTTPD_H

#include <stddef.h>

#include "buf.h"

#define HTTPD_MAX_BODY (64 * 1024)
#define HTTPD_MAX_ROUTES 32

struct httpd_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded path without the query */
    const char *rest;   /* for prefix routes: the part after the prefix */
    const char *body;   /* NUL-terminated; "" when none */
    size_t body_len;
    void *conn; /* opaque, for httpd_query/httpd_header */
};

struct httpd_response {
    int status;               /* default 200 */
    const char *content_type; /* static string; default "application/json" */
    struct buf body;          /* the handler appends here (capped at 16 MiB) */
    const char *extra_header_name; /* optional, static */
    const char *extra_header_value;
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
