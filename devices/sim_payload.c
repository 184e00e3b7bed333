#include "sim_payload.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hj212.h"

int sim_topic(const struct sim_device *d, struct buf *out)
{
    switch (d->fmt) {
    case SIM_FORMAT_ALINK:
        return buf_printf(out, "/sys/%s/%s/thing/event/property/post", d->product, d->id);
    case SIM_FORMAT_HJ212:
        return buf_printf(out, "hj212/%s", d->id);
    case SIM_FORMAT_ONENET:
        return buf_printf(out, "$sys/%s/%s/thing/property/post", d->product, d->id);
    default:
        return buf_printf(out, "lifeline/%s/%s/%s", d->district, sim_category_name(d->cat), d->id);
    }
}

/* Appends an integer in decimal; printf is most of the cost of a message. */
static int put_i64(struct buf *out, int64_t v)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[n++] = '-';
    int rc = buf_reserve(out, n);
    if (rc)
        return rc;
    while (n)
        out->data[out->len++] = tmp[--n];
    out->data[out->len] = '\0';
    return 0;
}

/* Appends v with `dec` digits after the point (dec <= 6, |v| < 1e12), as
 * "%.*f" would, rounding half away from zero. */
static int put_fixed(struct buf *out, double v, int dec)
{
    static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    if (dec < 0 || dec > 6 || !(v > -1e12 && v < 1e12))
        return buf_printf(out, "%.*f", dec, v);
    int64_t m = llround(v * (double)pow10[dec]);
    if (m < 0) {
        int rc = buf_putc(out, '-');
        if (rc)
            return rc;
        m = -m;
    }
    int rc = put_i64(out, m / pow10[dec]);
    if (rc || dec == 0)
        return rc;
    char frac[8];
    int64_t f = m % pow10[dec];
    frac[0] = '.';
    for (int i = dec; i >= 1; i--) {
        frac[i] = (char)('0' + f % 10);
        f /= 10;
    }
    return buf_append(out, frac, (size_t)dec + 1);
}

static int put_key(struct buf *out, const char *pre, const char *key, const char *post)
{
    int rc = buf_puts(out, pre);
    rc = rc ? rc : buf_puts(out, key);
    return rc ? rc : buf_puts(out, post);
}

static int put_value(struct buf *out, const struct sim_value *v)
{
    switch (v->kind) {
    case SIM_BOOL:
        return buf_puts(out, v->b ? "true" : "false");
    case SIM_FLAG: {
        char q[3] = {'"', v->flag, '"'};
        return buf_append(out, q, 3);
    }
    default:
        return put_fixed(out, v->num, v->decimals);
    }
}

static int json(const struct sim_reading *r, struct buf *out)
{
    int rc = buf_puts(out, "{\"ts\":");
    rc = rc ? rc : put_i64(out, r->ts_ms);
    for (size_t i = 0; i < r->n && !rc; i++) {
        rc = put_key(out, ",\"", r->v[i].key, "\":");
        if (!rc)
            rc = put_value(out, &r->v[i]);
    }
    return rc ? rc : buf_putc(out, '}');
}

/* Alink and OneNET share the thing model's params; Alink adds "method". */
static int thing(const struct sim_device *d, const struct sim_reading *r, bool method,
                 struct buf *out)
{
    int rc = buf_printf(out, "{\"id\":\"%llu\",\"version\":\"1.0\",\"params\":{",
                        (unsigned long long)d->readings);
    for (size_t i = 0; i < r->n && !rc; i++) {
        rc = put_key(out, i ? ",\"" : "\"", r->v[i].key, "\":{\"value\":");
        rc = rc ? rc : put_value(out, &r->v[i]);
        rc = rc ? rc : buf_puts(out, ",\"time\":");
        rc = rc ? rc : put_i64(out, r->ts_ms);
        rc = rc ? rc : buf_putc(out, '}');
    }
    if (rc)
        return rc;
    return buf_puts(out, method ? "},\"method\":\"thing.event.property.post\"}" : "}}");
}

static int hj212(const struct sim_device *d, const struct sim_reading *r, struct buf *out)
{
    /* the data segment is built in place after the frame's 6-byte head, then
     * moved into its frame; an HJ 212 message is small */
    char seg[2048];
    struct tm tm;
    time_t t = (time_t)(r->ts_ms / 1000 + 8 * 3600);
    gmtime_r(&t, &tm);
    char flag = 'N';
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == SIM_FLAG)
            flag = r->v[i].flag;
    int n = snprintf(seg, sizeof seg,
                     "QN=%04d%02d%02d%02d%02d%02d%03d;ST=32;CN=2011;PW=123456;MN=%s;Flag=4;"
                     "CP=&&DataTime=%04d%02d%02d%02d%02d%02d",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(r->ts_ms % 1000), d->id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    bool first = true;
    for (size_t i = 0; i < r->n && n > 0 && (size_t)n < sizeof seg; i++) {
        const struct sim_value *v = &r->v[i];
        if (v->kind == SIM_FLAG)
            continue;
        size_t room = sizeof seg - (size_t)n;
        int k = v->kind == SIM_BOOL ? snprintf(seg + n, room, ";%s-Rtd=%d,%s-Flag=%c", v->key,
                                               v->b ? 1 : 0, v->key, first ? flag : 'N')
                                    : snprintf(seg + n, room, ";%s-Rtd=%.*f,%s-Flag=%c", v->key,
                                               v->decimals, v->num, v->key, first ? flag : 'N');
        n = k < 0 ? -1 : n + k;
        first = false;
    }
    if (n < 0 || (size_t)n + 3 > sizeof seg)
        return -EINVAL;
    memcpy(seg + n, "&&", 3);
    return hj212_frame(out, seg, (size_t)n + 2);
}

int sim_payload(const struct sim_device *d, const struct sim_reading *r, struct buf *out)
{
    size_t start = out->len;
    int rc;
    switch (d->fmt) {
    case SIM_FORMAT_ALINK:
    case SIM_FORMAT_ONENET:
        rc = thing(d, r, d->fmt == SIM_FORMAT_ALINK, out);
        break;
    case SIM_FORMAT_HJ212:
        rc = hj212(d, r, out);
        break;
    default:
        rc = json(r, out);
        break;
    }
    if (!rc && (r->faults & (1u << SIM_FAULT_MALFORMED)))
        buf_truncate(out, start + (out->len - start) / 2);
    return rc;
}
