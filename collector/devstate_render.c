/*
 * The live state as JSON: one device, a sorted listing, and the changes
 * since a version for the live stream.
 */
#include "devstate_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

/* What render and filter need of one device: its view and its heard state (e may be NULL). */
struct dev_ref {
    const struct view *v;
    const struct entry *e;
    int misses; /* report intervals without a reading before "offline" */
};

static int64_t last_seen(const struct dev_ref *d)
{
    return d->e ? d->e->last_seen_ms : 0;
}

static enum devstate_state state_of(const struct dev_ref *d, int64_t now_ms)
{
    if (last_seen(d) == 0)
        return DEVSTATE_NEVER;
    int64_t limit = (int64_t)d->v->interval_s * 1000 * d->misses;
    return now_ms - last_seen(d) <= limit ? DEVSTATE_ONLINE : DEVSTATE_OFFLINE;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

static bool matches(const struct dev_ref *d, const struct devstate_filter *f, int64_t now_ms)
{
    if (!f)
        return true;
    const char *const *s = d->v->s;
    if (!empty(f->district) && strcmp(f->district, s[T_DISTRICT]) != 0)
        return false;
    if (!empty(f->category) && strcmp(f->category, s[T_CATEGORY]) != 0)
        return false;
    if (!empty(f->device) && strcmp(f->device, s[T_ID]) != 0 && strcmp(f->device, s[T_DEVICE]) != 0)
        return false;
    if (f->has_state && state_of(d, now_ms) != f->state)
        return false;
    if (!empty(f->q) && !strcasestr(s[T_ID], f->q) && !strcasestr(s[T_NAME], f->q) &&
        !strcasestr(s[T_DEVICE], f->q) && !strcasestr(s[T_DISTRICT], f->q))
        return false;
    return true;
}

static int put_num(struct buf *b, double v)
{
    return isfinite(v) ? buf_printf(b, "%.15g", v) : buf_puts(b, "null");
}

static int put_kv(struct buf *b, const char *key, const char *val)
{
    int rc = buf_putc(b, ',');
    return rc ? rc : json_append_kv(b, key, val);
}

static const char *type_name(enum field_type t)
{
    switch (t) {
    case FIELD_INT:
        return "int";
    case FIELD_BOOL:
        return "bool";
    case FIELD_STRING:
        return "string";
    case FIELD_FLOAT:
        break;
    }
    return "float";
}

static int render_value(struct buf *b, const struct value *v)
{
    const char *key = devstate_value_key(v);
    int rc = json_append_string(b, key, strlen(key));
    rc = rc ? rc : buf_puts(b, ":{\"value\":");
    if (rc)
        return rc;
    switch ((enum field_type)v->type) {
    case FIELD_FLOAT:
        rc = put_num(b, v->v.num);
        break;
    case FIELD_INT:
        rc = buf_printf(b, "%lld", (long long)v->v.i);
        break;
    case FIELD_BOOL:
        rc = buf_puts(b, v->v.b ? "true" : "false");
        break;
    case FIELD_STRING: {
        const char *s = devstate_value_str(v);
        rc = json_append_string(b, s, strlen(s));
        break;
    }
    }
    size_t ulen;
    const char *unit = devstate_value_unit(v, &ulen);
    rc = rc ? rc : buf_puts(b, ",\"unit\":");
    rc = rc ? rc : json_append_string(b, unit, ulen);
    rc = rc ? rc : put_kv(b, "type", type_name((enum field_type)v->type));
    rc = rc ? rc : buf_printf(b, ",\"ts_ms\":%lld}", (long long)v->ts_ms);
    return rc;
}

/* One device as JSON. Its shard locked. */
static int render_dev(struct buf *b, const struct dev_ref *d, int64_t now_ms)
{
    const struct view *v = d->v;
    const struct entry *e = d->e;
    int rc = buf_putc(b, '{');
    rc = rc ? rc : json_append_kv(b, "id", v->s[T_ID]);
    rc = rc ? rc : put_kv(b, "asset", v->s[T_ASSET]);
    rc = rc ? rc : put_kv(b, "device", v->s[T_DEVICE]);
    rc = rc ? rc : put_kv(b, "name", v->s[T_NAME]);
    rc = rc ? rc : put_kv(b, "category", v->s[T_CATEGORY]);
    rc = rc ? rc : put_kv(b, "district", v->s[T_DISTRICT]);
    rc = rc ? rc : put_kv(b, "status", v->status);
    rc = rc ? rc : buf_puts(b, ",\"lat\":");
    rc = rc ? rc : put_num(b, v->lat);
    rc = rc ? rc : buf_puts(b, ",\"lon\":");
    rc = rc ? rc : put_num(b, v->lon);
    rc = rc ? rc : buf_printf(b, ",\"registered\":%s", v->registered ? "true" : "false");
    rc = rc ? rc : put_kv(b, "state", devstate_state_name(state_of(d, now_ms)));
    rc = rc ? rc
            : buf_printf(
                  b,
                  ",\"interval_s\":%d,\"last_seen_ms\":%lld,\"last_ts_ms\":%lld,"
                  "\"readings\":%llu,\"whole\":%s,\"values\":{",
                  (int)v->interval_s, (long long)last_seen(d), (long long)(e ? e->last_ts_ms : 0),
                  (unsigned long long)(e ? e->readings : 0), !e || e->whole ? "true" : "false");
    for (size_t i = 0; !rc && e && i < e->nvalues; i++) {
        if (i)
            rc = buf_putc(b, ',');
        rc = rc ? rc : render_value(b, &e->values[i]);
    }
    return rc ? rc : buf_puts(b, "}}");
}

/* A rendered device, gathered from the shards before sorting. */
struct item {
    uint64_t version;
    char *id;
    char *json;
    size_t len;
};

struct gather {
    struct item *items;
    size_t n, cap;
    struct buf tmp;
    const struct devstate_filter *f;
    uint64_t since, upto;
    int64_t now_ms;
};

static void gather_free(struct gather *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->items[i].id);
        free(g->items[i].json);
    }
    free(g->items);
    buf_free(&g->tmp);
}

/* Adds one device when its version is in (since, upto] and it matches. */
static int gather_one(struct gather *g, const struct dev_ref *d, uint64_t version)
{
    if (version <= g->since || version > g->upto || !matches(d, g->f, g->now_ms))
        return 0;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct item *it = realloc(g->items, cap * sizeof *it);
        if (!it)
            return -ENOMEM;
        g->items = it;
        g->cap = cap;
    }
    buf_reset(&g->tmp);
    int rc = render_dev(&g->tmp, d, g->now_ms);
    if (rc)
        return rc;
    struct item *it = &g->items[g->n];
    it->version = version;
    it->id = strdup(d->v->s[T_ID]);
    it->json = malloc(g->tmp.len + 1);
    if (!it->id || !it->json) {
        free(it->id);
        free(it->json);
        return -ENOMEM;
    }
    memcpy(it->json, g->tmp.data, g->tmp.len + 1);
    it->len = g->tmp.len;
    g->n++;
    return 0;
}

/* Collects every matching device with since < version <= upto, rendered. kmu held. */
static int gather(struct devstate *ds, struct gather *g)
{
    struct view v;
    int misses = atomic_load(&ds->offline_misses);
    int rc = 0;
    for (size_t i = 0; i < NSHARDS && !rc; i++) {
        struct shard *s = &ds->shards[i];
        pthread_mutex_lock(&s->mu);
        for (size_t j = i; j < ds->nbound && !rc; j += NSHARDS) {
            const struct entry *e = ds->bound[j];
            uint64_t version = e ? e->version : ds->sync_base + j + 1;
            if (version <= g->since || version > g->upto)
                continue;
            devstate_view_bound(ds, j, &v);
            rc = gather_one(g, &(struct dev_ref){&v, e, misses}, version);
        }
        for (size_t b = 0; b < NBUCKETS && !rc; b++) {
            for (const struct entry *e = s->buckets[b]; e && !rc; e = e->next) {
                devstate_view_loose(e, &v);
                rc = gather_one(g, &(struct dev_ref){&v, e, misses}, e->version);
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

static void gather_init(struct gather *g, const struct devstate_filter *f, uint64_t since,
                        uint64_t upto, int64_t now_ms)
{
    memset(g, 0, sizeof *g);
    buf_init(&g->tmp, 1 << 20);
    g->f = f;
    g->since = since;
    g->upto = upto;
    g->now_ms = now_ms;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->id, ((const struct item *)b)->id);
}

static int by_version(const void *a, const void *b)
{
    uint64_t x = ((const struct item *)a)->version, y = ((const struct item *)b)->version;
    return x < y ? -1 : x > y;
}

int devstate_render_list(struct devstate *ds, const struct devstate_filter *f, int64_t now_ms,
                         struct buf *out)
{
    struct gather g;
    pthread_rwlock_rdlock(&ds->kmu);
    uint64_t v = devstate_version(ds);
    gather_init(&g, f, 0, UINT64_MAX, now_ms);
    int rc = gather(ds, &g);
    pthread_rwlock_unlock(&ds->kmu);
    if (rc)
        goto done;
    if (g.n > 1) /* qsort wants a non-NULL base even for nothing */
        qsort(g.items, g.n, sizeof *g.items, by_id);
    rc = buf_printf(out, "{\"now_ms\":%lld,\"version\":%llu,\"count\":%zu,\"devices\":[",
                    (long long)now_ms, (unsigned long long)v, g.n);
    for (size_t i = 0; i < g.n && !rc; i++) {
        if (i)
            rc = buf_putc(out, ',');
        rc = rc ? rc : buf_append(out, g.items[i].json, g.items[i].len);
    }
    rc = rc ? rc : buf_puts(out, "]}\n");
done:
    gather_free(&g);
    return rc;
}

int devstate_render_one(struct devstate *ds, const char *id, int64_t now_ms, struct buf *out)
{
    struct view v;
    struct shard *s = NULL;
    int rc = -ENOENT, misses = atomic_load(&ds->offline_misses);
    pthread_rwlock_rdlock(&ds->kmu);
    long i = devstate_asset_index(ds, id);
    if (i >= 0) {
        s = bound_shard(ds, (size_t)i);
        pthread_mutex_lock(&s->mu);
        devstate_view_bound(ds, (size_t)i, &v);
        rc = render_dev(out, &(struct dev_ref){&v, ds->bound[i], misses}, now_ms);
    } else {
        const struct entry *e = devstate_loose_find(ds, id, strlen(id), &s);
        if (e) {
            devstate_view_loose(e, &v);
            rc = render_dev(out, &(struct dev_ref){&v, e, misses}, now_ms);
        }
    }
    if (s)
        pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&ds->kmu);
    return rc;
}

int devstate_render_changes(struct devstate *ds, uint64_t since, const struct devstate_filter *f,
                            size_t max_events, int64_t now_ms, struct buf *out, uint64_t *upto)
{
    /* Only changes up to the version read first: one made while the shards
     * are walked may sit in a shard already passed, and is picked up next
     * time rather than lost. */
    uint64_t v = devstate_version(ds);
    *upto = v;
    if (v <= since)
        return 0;
    struct gather g;
    gather_init(&g, f, since, v, now_ms);
    pthread_rwlock_rdlock(&ds->kmu);
    int rc = gather(ds, &g);
    pthread_rwlock_unlock(&ds->kmu);
    if (rc)
        goto done;
    if (g.n > max_events) {
        rc = -EOVERFLOW;
        goto done;
    }
    if (g.n > 1)
        qsort(g.items, g.n, sizeof *g.items, by_version);
    for (size_t i = 0; i < g.n && !rc; i++) {
        rc = buf_printf(out,
                        "event: reading\nid: %llu\ndata: ", (unsigned long long)g.items[i].version);
        rc = rc ? rc : buf_append(out, g.items[i].json, g.items[i].len);
        rc = rc ? rc : buf_puts(out, "\n\n");
    }
done:
    gather_free(&g);
    return rc;
}
