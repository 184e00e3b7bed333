/*
 * httpd: the daemon's small HTTP server (libmicrohttpd, its own thread).
 *
 * Serves GET /healthz and GET /metrics through callbacks that the daemon
 * provides, so that this module knows nothing of MQTT or the database.
 * Listens where http.listen says (loopback by default).
 */
#ifndef LIFELINE_HTTPD_H
#define LIFELINE_HTTPD_H

#include "buf.h"

struct httpd_handlers {
    void *ctx;
    /* Fills body (JSON) and returns the HTTP status for /healthz. */
    int (*health)(void *ctx, struct buf *body);
    /* Appends the Prometheus exposition for /metrics. */
    void (*metrics)(void *ctx, struct buf *body);
};

struct httpd;

/* Starts serving on "host:port" or "[v6]:port". NULL (reason logged) on error. */
struct httpd *httpd_start(const char *listen, const struct httpd_handlers *h);
/* Stops and frees; accepts NULL. */
void httpd_stop(struct httpd *s);
/* The port actually bound (useful with port 0). */
int httpd_port(const struct httpd *s);

#endif
