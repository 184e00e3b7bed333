/*
 * Decoder choice by topic filter, and the adapter that gives plain JSON
 * (whose identity is in the topic template) the decoder_fn shape.
 */
#include "dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alink.h"
#include "hj212.h"
#include "json_plain.h"
#include "onenet.h"
#include "timestamp.h"
#include "topic.h"

struct route {
    char *filter;
    const char *name;
    decoder_fn fn;
};

struct zone {
    char *filter;
    int offset_min;
};

struct dispatch {
    size_t n;
    struct route r[DISPATCH_MAX_ROUTES];
    struct topic_template *tt;
    char *tmpl;
    bool zones_set; /* dispatch_set_hj212_zones was called */
    int zone_default;
    size_t nzones;
    struct zone z[DISPATCH_MAX_ROUTES];
};

static int json_topic_decode(const struct decoder_input *in, struct reading *r,
                             struct device_ref *who, enum reason *why, char *detail,
                             size_t detail_len);

static const struct {
    const char *name;
    decoder_fn fn;
} decoders[] = {
    {"json", json_topic_decode},
    {"alink", alink_decode},
    {"onenet", onenet_decode},
    {"hj212", hj212_decode},
};

#define NDECODERS (sizeof decoders / sizeof decoders[0])

bool dispatch_decoder_known(const char *name)
{
    for (size_t i = 0; i < NDECODERS; i++)
        if (strcmp(decoders[i].name, name) == 0)
            return true;
    return false;
}

bool dispatch_filter_matches(const char *f, const char *t, size_t len)
{
    const char *end = t + len;
    if (len > 0 && t[0] == '$' && (f[0] == '+' || f[0] == '#'))
        return false;
    for (;;) {
        if (f[0] == '#')
            return true;
        const char *tl = memchr(t, '/', (size_t)(end - t));
        size_t tn = tl ? (size_t)(tl - t) : (size_t)(end - t);
        size_t fn = strcspn(f, "/");
        if (!(fn == 1 && f[0] == '+') && (fn != tn || memcmp(f, t, tn) != 0))
            return false;
        f += fn;
        if (!tl) /* last topic level: the filter must end too, or go on with "/#" */
            return f[0] == '\0' || strcmp(f, "/#") == 0;
        if (f[0] == '\0')
            return false;
        f++;
        t = tl + 1;
    }
}

static int json_topic_decode(const struct decoder_input *in, struct reading *r,
                             struct device_ref *who, enum reason *why, char *detail,
                             size_t detail_len)
{
    struct topic_match m;
    memset(who, 0, sizeof *who);
    if (topic_template_match(in->tt, in->topic, in->topic_len, &m) != 0) {
        *why = REASON_TOPIC;
        snprintf(detail, detail_len, "topic does not fit the template");
        return -EINVAL;
    }
    who->device = topic_match_get(&m, "device", &who->device_len);
    who->category = topic_match_get(&m, "category", &who->category_len);
    who->district = topic_match_get(&m, "district", &who->district_len);
    return json_plain_decode(in->payload, in->len, in->recv_ms, r, why, detail, detail_len);
}

struct dispatch *dispatch_new(char *const *routes, size_t n, const char *topic_template, char *err,
                              size_t errlen)
{
    struct dispatch *d = calloc(1, sizeof *d);
    if (!d || n > DISPATCH_MAX_ROUTES) {
        snprintf(err, errlen, "%s", d ? "too many routes" : "out of memory");
        goto fail;
    }
    d->tt = topic_template_new(topic_template, err, errlen);
    if (!d->tt || !(d->tmpl = strdup(topic_template)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strrchr(routes[i], '=');
        size_t k = NDECODERS;
        if (eq)
            for (k = 0; k < NDECODERS && strcmp(decoders[k].name, eq + 1) != 0; k++)
                ;
        if (k == NDECODERS) {
            snprintf(err, errlen, "route '%s' is not FILTER=DECODER", routes[i]);
            goto fail;
        }
        d->r[i].filter = strndup(routes[i], (size_t)(eq - routes[i]));
        if (!d->r[i].filter) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        d->r[i].name = decoders[k].name;
        d->r[i].fn = decoders[k].fn;
        d->n++;
    }
    return d;
fail:
    dispatch_free(d);
    return NULL;
}

int dispatch_set_hj212_zones(struct dispatch *d, int default_min, char *const *overrides, size_t n,
                             char *err, size_t errlen)
{
    if (n > DISPATCH_MAX_ROUTES) {
        snprintf(err, errlen, "more than %d time zone overrides", DISPATCH_MAX_ROUTES);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strrchr(overrides[i], '=');
        int off;
        if (!eq || eq == overrides[i] || ts_parse_zone(eq + 1, strlen(eq + 1), &off) != 0) {
            snprintf(err, errlen, "time zone override '%s' is not FILTER=ZONE", overrides[i]);
            return -EINVAL;
        }
        char *f = strndup(overrides[i], (size_t)(eq - overrides[i]));
        if (!f) {
            snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        d->z[d->nzones].filter = f;
        d->z[d->nzones++].offset_min = off;
    }
    d->zone_default = default_min;
    d->zones_set = true;
    return 0;
}

static const struct route *route_for(const struct dispatch *d, const char *topic, size_t len)
{
    for (size_t i = 0; i < d->n; i++)
        if (dispatch_filter_matches(d->r[i].filter, topic, len))
            return &d->r[i];
    return NULL;
}

const char *dispatch_decoder_for(const struct dispatch *d, const char *topic, size_t len)
{
    const struct route *r = route_for(d, topic, len);
    return r ? r->name : NULL;
}

/* The HJ 212 zone of a topic: the first matching override, else the default. */
static int zone_for(const struct dispatch *d, const char *topic, size_t len)
{
    for (size_t i = 0; i < d->nzones; i++)
        if (dispatch_filter_matches(d->z[i].filter, topic, len))
            return d->z[i].offset_min;
    return d->zone_default;
}

void dispatch_free(struct dispatch *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->r[i].filter);
    for (size_t i = 0; i < d->nzones; i++)
        free(d->z[i].filter);
    topic_template_free(d->tt);
    free(d->tmpl);
    free(d);
}

int dispatch_decode(const struct dispatch *d, const struct decoder_input *in, struct reading *r,
                    struct device_ref *who, const char **decoder, enum reason *why, char *detail,
                    size_t detail_len)
{
    *decoder = NULL;
    memset(who, 0, sizeof *who);
    const struct route *rt = route_for(d, in->topic, in->topic_len);
    if (rt) {
        struct decoder_input x = *in;
        x.tt = d->tt;
        if (rt->fn == hj212_decode && d->zones_set)
            x.local_offset_min = zone_for(d, in->topic, in->topic_len);
        *decoder = rt->name;
        int rc = rt->fn(&x, r, who, why, detail, detail_len);
        if (rc == -EINVAL && *why == REASON_TOPIC && rt->fn == json_topic_decode)
            snprintf(detail, detail_len, "topic does not fit the template %s", d->tmpl);
        return rc;
    }
    *why = REASON_TOPIC;
    snprintf(detail, detail_len, "no mqtt.decoders filter matches the topic");
    return -EINVAL;
}
