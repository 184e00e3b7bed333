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

struct httpd {
    struct MHD_Daemon *mhd;
    struct httpd_handlers h;
    int port;
};

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 const char *body, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
    (void)version;
    (void)upload;
    struct httpd *s = cls;
    if (*state == NULL) { /* first call: headers only */
        *state = s;
        return MHD_YES;
    }
    if (*upload_len != 0) /* no endpoint takes a body yet */
        return send_text(c, 413, "text/plain", "no body expected\n", 17);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_text(c, 405, "text/plain", "method not allowed\n", 19);

    struct buf body;
    buf_init(&body, 16u << 20);
    enum MHD_Result ret;
    if (strcmp(url, "/healthz") == 0) {
        int status = s->h.health(s->h.ctx, &body);
        ret = send_text(c, (unsigned)status, "application/json", body.data ? body.data : "",
                        body.len);
    } else if (strcmp(url, "/metrics") == 0) {
        s->h.metrics(s->h.ctx, &body);
        ret = send_text(c, 200, "text/plain; version=0.0.4", body.data ? body.data : "", body.len);
    } else {
        ret = send_text(c, 404, "text/plain", "not found\n", 10);
    }
    buf_free(&body);
    return ret;
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

struct httpd *httpd_start(const char *listen, const struct httpd_handlers *h)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(listen, &ss, &sslen) != 0) {
        log_error("httpd", "bad listen address listen=%s", listen);
        return NULL;
    }
    struct httpd *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->h = *h;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_END);
    if (!s->mhd) {
        log_error("httpd", "cannot listen listen=%s error=\"%s\"", listen, strerror(errno));
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    log_info("httpd", "listening listen=%s port=%d", listen, s->port);
    return s;
}

void httpd_stop(struct httpd *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->mhd);
    free(s);
}

int httpd_port(const struct httpd *s)
{
    return s->port;
}
