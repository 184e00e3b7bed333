/*
 * Grouping of chat events by district: the first event of a district opens a
 * batch, which collects that district's events for group_window_ms and then
 * goes out as one message. So a feeder outage that takes 200 devices of one
 * town offline within seconds becomes one message, not 200. The window is
 * fixed from the first event (not sliding), so a steady trickle still gets
 * through within one window.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "notify_impl.h"

struct open_batch {
    struct notify_batch b;
    int64_t opened_ms;
    size_t cap;
};

struct notify_group {
    int window_ms;
    size_t max_events;
    struct open_batch *open; /* in order of opening */
    size_t n, cap;
};

struct notify_group *notify_group_new(int window_ms, size_t max_events)
{
    struct notify_group *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->window_ms = window_ms > 0 ? window_ms : 0;
    g->max_events = max_events ? max_events : 1;
    return g;
}

void notify_batch_free(struct notify_batch *b)
{
    free(b->ev);
    memset(b, 0, sizeof *b);
}

void notify_group_free(struct notify_group *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        notify_batch_free(&g->open[i].b);
    free(g->open);
    free(g);
}

static struct open_batch *find_or_open(struct notify_group *g, const char *district, int64_t now_ms)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->open[i].b.district, district) == 0)
            return &g->open[i];
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        struct open_batch *p = realloc(g->open, cap * sizeof *p);
        if (!p)
            return NULL;
        g->open = p;
        g->cap = cap;
    }
    struct open_batch *o = &g->open[g->n++];
    memset(o, 0, sizeof *o);
    memcpy(o->b.district, district, strlen(district) + 1);
    o->opened_ms = now_ms;
    return o;
}

int notify_group_add(struct notify_group *g, const struct alert_event *ev, int64_t now_ms)
{
    char district[sizeof ev->alert.district];
    size_t dn = strnlen(ev->alert.district, sizeof district - 1);
    memcpy(district, ev->alert.district, dn);
    district[dn] = '\0';
    struct open_batch *o = find_or_open(g, district, now_ms);
    if (!o)
        return -ENOMEM;
    o->b.total++;
    if (o->b.n == g->max_events)
        return 0; /* counted, not listed: the message says how many more */
    if (o->b.n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4;
        if (cap > g->max_events)
            cap = g->max_events;
        struct alert_event *p = realloc(o->b.ev, cap * sizeof *p);
        if (!p) {
            o->b.total--;
            return -ENOMEM;
        }
        o->b.ev = p;
        o->cap = cap;
    }
    o->b.ev[o->b.n++] = *ev;
    return 0;
}

bool notify_group_take(struct notify_group *g, int64_t now_ms, bool force, struct notify_batch *out)
{
    if (g->n == 0)
        return false;
    /* Batches are kept in order of opening, so the first is due first. */
    if (!force && g->open[0].opened_ms + g->window_ms > now_ms)
        return false;
    *out = g->open[0].b;
    memmove(&g->open[0], &g->open[1], (g->n - 1) * sizeof g->open[0]);
    g->n--;
    return true;
}

int64_t notify_group_deadline(const struct notify_group *g)
{
    return g->n ? g->open[0].opened_ms + g->window_ms : INT64_MAX;
}
