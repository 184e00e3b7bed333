#include "sim_raw.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"

#define RAW_BUF (64 * 1024)

struct sim_raw {
    int fd;
    int qos;
    unsigned window;  /* QoS 1: messages written and not yet acknowledged, at most */
    unsigned unacked; /* QoS 1: written, no PUBACK yet */
    uint16_t next_id;
    size_t len;
    int queued; /* messages in buf */
    size_t rlen;
    unsigned char rbuf[4096]; /* PUBACKs being read */
    unsigned char buf[RAW_BUF];
};

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Appends the MQTT variable-length "remaining length". */
static size_t put_varint(unsigned char *p, size_t v)
{
    size_t n = 0;
    do {
        unsigned char b = v % 128;
        v /= 128;
        p[n++] = (unsigned char)(v ? b | 128 : b);
    } while (v);
    return n;
}

static size_t put_str(unsigned char *p, const char *s, size_t n)
{
    p[0] = (unsigned char)(n >> 8);
    p[1] = (unsigned char)n;
    memcpy(p + 2, s, n);
    return n + 2;
}

static int parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *rest = NULL;
    if (strncmp(url, "tcp://", 6) == 0)
        rest = url + 6;
    else if (strncmp(url, "mqtt://", 7) == 0)
        rest = url + 7;
    if (!rest)
        return -EINVAL;
    const char *colon = strrchr(rest, ':');
    size_t hl = colon ? (size_t)(colon - rest) : strlen(rest);
    if (hl == 0 || hl >= hostlen)
        return -EINVAL;
    memcpy(host, rest, hl);
    host[hl] = '\0';
    snprintf(port, portlen, "%s", colon ? colon + 1 : "1883");
    return 0;
}

static int open_socket(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -EHOSTUNREACH;
    int fd = -ECONNREFUSED;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (s < 0)
            continue;
        if (connect(s, a->ai_addr, a->ai_addrlen) == 0) {
            fd = s;
            break;
        }
        fd = -errno;
        close(s);
    }
    freeaddrinfo(res);
    return fd;
}

struct sim_raw *sim_raw_connect(const struct config *cfg, unsigned index, int qos, unsigned window)
{
    char host[256], port[16], id[64];
    if (parse_url(cfg->mqtt.url, host, sizeof host, port, sizeof port) != 0) {
        log_error("sim", "engine raw needs a tcp:// url url=%s", cfg->mqtt.url);
        return NULL;
    }
    struct sim_raw *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->qos = qos;
    c->window = window ? window : 1;
    c->next_id = 1;
    c->fd = open_socket(host, port);
    if (c->fd < 0) {
        log_error("sim", "cannot connect url=%s error=\"%s\"", cfg->mqtt.url, strerror(-c->fd));
        goto err_free;
    }
    struct timeval tv = {10, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    snprintf(id, sizeof id, "lifeline-sim-%ld-%u", (long)getpid(), index);
    const char *user = cfg->mqtt.username && cfg->mqtt.username[0] ? cfg->mqtt.username : NULL;
    const char *pass = user ? cfg->mqtt.password : NULL;
    if (strlen(id) + (user ? strlen(user) : 0) + (pass ? strlen(pass) : 0) > 1000)
        goto err_close;
    unsigned char var[1100], *p = var;
    p += put_str(p, "MQTT", 4);
    *p++ = 4;                                                             /* 3.1.1 */
    *p++ = (unsigned char)(0x02 | (user ? 0x80 : 0) | (pass ? 0x40 : 0)); /* clean session */
    *p++ = 0;
    *p++ = 0; /* keep-alive off */
    p += put_str(p, id, strlen(id));
    if (user)
        p += put_str(p, user, strlen(user));
    if (pass)
        p += put_str(p, pass, strlen(pass));
    unsigned char pkt[1200];
    pkt[0] = 0x10;
    size_t n = 1 + put_varint(pkt + 1, (size_t)(p - var));
    memcpy(pkt + n, var, (size_t)(p - var));
    n += (size_t)(p - var);
    unsigned char ack[4];
    if (write_all(c->fd, pkt, n) != 0 || recv(c->fd, ack, 4, MSG_WAITALL) != 4 || ack[0] != 0x20 ||
        ack[3] != 0) {
        log_error("sim", "broker refused the connection url=%s", cfg->mqtt.url);
        goto err_close;
    }
    return c;
err_close:
    close(c->fd);
err_free:
    free(c);
    return NULL;
}

/* Reads what the broker sent: PUBACKs (4 bytes each), in the order of the
 * PUBLISHes, as mosquitto answers each one as it reads it. `block`: wait
 * for at least one. Returns the number acknowledged, or -errno. */
static int read_acks(struct sim_raw *c, bool block)
{
    int acked = 0;
    for (;;) {
        ssize_t r = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen,
                         block && acked == 0 ? 0 : MSG_DONTWAIT);
        if (r == 0)
            return -ECONNRESET;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return block && acked == 0 ? -ETIMEDOUT : acked;
            return -errno;
        }
        c->rlen += (size_t)r;
        size_t i = 0;
        for (; i + 4 <= c->rlen; i += 4) {
            if (c->rbuf[i] != 0x40 || c->rbuf[i + 1] != 2)
                return -EPROTO; /* only PUBACKs are expected: no subscriptions */
            acked++;
        }
        memmove(c->rbuf, c->rbuf + i, c->rlen - i);
        c->rlen -= i;
        if ((size_t)r < sizeof c->rbuf && (!block || acked > 0))
            break;
    }
    c->unacked -= (unsigned)acked;
    return acked;
}

/* Writes buf. QoS 0: returns the messages written; QoS 1: those acknowledged
 * meanwhile (read without waiting). */
static int write_queued(struct sim_raw *c)
{
    int n = c->queued, rc = c->len ? write_all(c->fd, c->buf, c->len) : 0;
    c->len = 0;
    c->queued = 0;
    if (rc)
        return rc;
    if (c->qos == 0)
        return n;
    c->unacked += (unsigned)n;
    return read_acks(c, false);
}

int sim_raw_flush(struct sim_raw *c)
{
    return write_queued(c);
}

int sim_raw_drain(struct sim_raw *c)
{
    int done = write_queued(c);
    while (done >= 0 && c->unacked > 0) {
        int rc = read_acks(c, true);
        if (rc < 0)
            return rc;
        done += rc;
    }
    return done;
}

int sim_raw_publish(struct sim_raw *c, const char *topic, const void *payload, size_t len)
{
    size_t tl = strlen(topic), rem = 2 + tl + (c->qos ? 2 : 0) + len;
    if (tl > 65535 || rem + 5 > RAW_BUF)
        return -E2BIG;
    int done = 0;
    if (c->len + rem + 5 > RAW_BUF || (c->qos && c->unacked + (unsigned)c->queued >= c->window)) {
        done = write_queued(c);
        /* a full window: wait for the broker, as a well-behaved client does */
        while (done >= 0 && c->qos && c->unacked >= c->window) {
            int rc = read_acks(c, true);
            done = rc < 0 ? rc : done + rc;
        }
        if (done < 0)
            return done;
    }
    unsigned char *p = c->buf + c->len;
    *p++ = c->qos ? 0x32 : 0x30; /* PUBLISH, QoS 1 or 0 */
    p += put_varint(p, rem);
    p += put_str(p, topic, tl);
    if (c->qos) {
        *p++ = (unsigned char)(c->next_id >> 8);
        *p++ = (unsigned char)c->next_id;
        c->next_id = (uint16_t)(c->next_id == 65535 ? 1 : c->next_id + 1);
    }
    memcpy(p, payload, len);
    c->len = (size_t)(p + len - c->buf);
    c->queued++;
    return done;
}

void sim_raw_close(struct sim_raw *c)
{
    if (!c)
        return;
    sim_raw_drain(c);
    static const unsigned char disconnect[2] = {0xE0, 0x00};
    write_all(c->fd, disconnect, 2);
    close(c->fd);
    free(c);
}
