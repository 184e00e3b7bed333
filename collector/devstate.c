#include "devstate.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "profile.h"
#include "reading.h"
#include "registry.h"

#define NSHARDS 16
#define NBUCKETS 1024 /* per shard */
#define DEFAULT_INTERVAL_S 900
#define OFFLINE_INTERVALS 3

struct value {
    char key[48];
    char unit[16];
    enum field_type type;
    double num; /* FIELD_FLOAT */
    int64_t i;  /* FIELD_INT */
    bool b;     /* FIELD_BOOL */
    char s[DEVSTATE_STR_MAX];
    int64_t ts_ms;
};

/* An entry's strings, packed NUL-terminated into one block (id first). */
enum text_field { T_ID, T_ASSET, T_DEVICE, T_NAME, T_CATEGORY, T_DISTRICT, T_COUNT };

/* Each string is cut (at a character) to fit these, terminator included,
 * so the JSON and devstate_ident stay as they were with fixed arrays. */
static const size_t TEXT_CAP[T_COUNT] = {128, 64, 128, 256, 32, 96};

/* One per device: 100,000 registered assets are listed whether they report
 * or not, so the struct stays small and the text takes what it needs. */
struct entry {
    struct entry *next; /* hash chain */
    uint64_t version;   /* of the last change */
    char *text;         /* the T_COUNT strings, one allocation */
    const char *status; /* static: the registry's status name, "" unregistered */
    double lat, lon;
    int64_t last_seen_ms, last_ts_ms;
    uint64_t readings;
    struct value *values;  /* NULL until the device reports a field */
    uint16_t off[T_COUNT]; /* of each string in text; off[T_ID] is 0 */
    uint8_t nvalues, capvalues;
    bool registered;
    bool seen_in_sync; /* devstate_sync_registry's mark */
    bool whole;
    int32_t interval_s;
};

_Static_assert(DEVSTATE_MAX_VALUES <= UINT8_MAX, "nvalues is a uint8_t");

static const char *txt(const struct entry *e, enum text_field k)
{
    return e->text + e->off[k];
}

struct shard {
    pthread_mutex_t mu;
    struct entry *buckets[NBUCKETS];
};

struct devstate {
    struct shard shards[NSHARDS];
    atomic_uint_least64_t version;
    atomic_size_t unregistered;
};

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The length of src[0..n) cut at a character boundary to fit cap with its
 * terminator; 0 for a NULL src. */
static size_t cut_len(const char *src, size_t n, size_t cap)
{
    if (!src)
        return 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    return n;
}

/* Copies src[0..n) into dst, cut at a character boundary to fit. */
static void copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    n = cut_len(src, n, cap);
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_cstr(char *dst, size_t cap, const char *src)
{
    copy_text(dst, cap, src, src ? strlen(src) : 0);
}

/* An entry's strings before packing; NULL members are "". */
struct text_src {
    const char *s[T_COUNT];
    size_t len[T_COUNT];
};

static void src_set(struct text_src *t, enum text_field k, const char *s, size_t n)
{
    t->s[k] = s;
    t->len[k] = s ? n : 0;
}

static void src_set_cstr(struct text_src *t, enum text_field k, const char *s)
{
    src_set(t, k, s, s ? strlen(s) : 0);
}

/*
 * Packs t into e->text (replacing the old block) unless e already holds
 * exactly these strings: a registry reload touching nothing allocates
 * nothing. 0 or -ENOMEM (e unchanged).
 */
static int entry_set_text(struct entry *e, const struct text_src *t)
{
    size_t len[T_COUNT], total = 0;
    bool same = e->text != NULL;
    for (size_t k = 0; k < T_COUNT; k++) {
        len[k] = cut_len(t->s[k], t->len[k], TEXT_CAP[k]);
        total += len[k] + 1;
        if (same) {
            const char *cur = txt(e, (enum text_field)k);
            same = strlen(cur) == len[k] && (len[k] == 0 || memcmp(cur, t->s[k], len[k]) == 0);
        }
    }
    if (same)
        return 0;
    char *text = malloc(total);
    if (!text)
        return -ENOMEM;
    size_t at = 0;
    for (size_t k = 0; k < T_COUNT; k++) {
        e->off[k] = (uint16_t)at;
        if (len[k])
            memcpy(text + at, t->s[k], len[k]);
        text[at + len[k]] = '\0';
        at += len[k] + 1;
    }
    free(e->text);
    e->text = text;
    return 0;
}

struct devstate *devstate_new(void)
{
    struct devstate *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    for (size_t i = 0; i < NSHARDS; i++)
        pthread_mutex_init(&ds->shards[i].mu, NULL);
    return ds;
}

static void entry_free(struct entry *e)
{
    if (e) {
        free(e->values);
        free(e->text);
        free(e);
    }
}

void devstate_free(struct devstate *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < NSHARDS; i++) {
        for (size_t b = 0; b < NBUCKETS; b++) {
            struct entry *e = ds->shards[i].buckets[b];
            while (e) {
                struct entry *next = e->next;
                entry_free(e);
                e = next;
            }
        }
        pthread_mutex_destroy(&ds->shards[i].mu);
    }
    free(ds);
}

/* An id is kept cut to TEXT_CAP[T_ID]: hashing and comparing the cut one
 * finds an over-long id again instead of adding an entry per reading. */
static size_t key_len(const char *id, size_t n)
{
    return cut_len(id, n, TEXT_CAP[T_ID]);
}

/* The shard and bucket slot of id[0..n). */
static struct shard *locate(struct devstate *ds, const char *id, size_t n, struct entry ***slot)
{
    uint32_t h = hash(id, key_len(id, n));
    struct shard *s = &ds->shards[h % NSHARDS];
    *slot = &s->buckets[(h / NSHARDS) % NBUCKETS];
    return s;
}

/* The entry with id[0..n) in the chain at *slot, or NULL. Shard locked. */
static struct entry *chain_find(struct entry **slot, const char *id, size_t n)
{
    n = key_len(id, n);
    for (struct entry *e = *slot; e; e = e->next)
        if (strlen(e->text) == n && memcmp(e->text, id, n) == 0)
            return e;
    return NULL;
}

/* A new entry with the strings t (id among them) at the head of the chain
 * at *slot, or NULL on out of memory. Shard locked. */
static struct entry *chain_add(struct entry **slot, const struct text_src *t)
{
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    if (entry_set_text(e, t) != 0) {
        free(e);
        return NULL;
    }
    e->status = "";
    e->lat = NAN;
    e->lon = NAN;
    e->whole = true;
    e->interval_s = DEFAULT_INTERVAL_S;
    e->next = *slot;
    *slot = e;
    return e;
}

static int32_t interval_of(const struct asset *a, const struct profile *p)
{
    if (a && a->report_interval_s > 0)
        return a->report_interval_s;
    if (p && p->report_interval_s > 0)
        return p->report_interval_s;
    return DEFAULT_INTERVAL_S;
}

static void asset_text(struct text_src *t, const struct asset *a)
{
    src_set_cstr(t, T_ID, a->asset_id);
    src_set_cstr(t, T_ASSET, a->asset_id);
    src_set_cstr(t, T_DEVICE, a->device_id);
    src_set_cstr(t, T_NAME, a->name);
    src_set_cstr(t, T_CATEGORY, a->category);
    src_set_cstr(t, T_DISTRICT, a->district);
}

/* The registry's fields other than the text, which asset_text gives. */
static void fill_from_asset(struct entry *e, const struct asset *a, const struct profile *p)
{
    e->status = asset_status_name(a->status);
    e->lat = a->lat;
    e->lon = a->lon;
    e->interval_s = interval_of(a, p);
    e->registered = true;
}

int devstate_sync_registry(struct devstate *ds, const struct registry *reg,
                           const struct profile_set *ps)
{
    int rc = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&ds->shards[i].mu);
        for (size_t b = 0; b < NBUCKETS; b++)
            for (struct entry *e = ds->shards[i].buckets[b]; e; e = e->next)
                e->seen_in_sync = false;
        pthread_mutex_unlock(&ds->shards[i].mu);
    }
    size_t n = registry_count(reg);
    for (size_t i = 0; i < n; i++) {
        const struct asset *a = registry_at(reg, i);
        const struct profile *p =
            ps ? profile_set_find(ps, a->category, strlen(a->category)) : NULL;
        struct entry **slot;
        size_t idlen = strlen(a->asset_id);
        struct shard *s = locate(ds, a->asset_id, idlen, &slot);
        pthread_mutex_lock(&s->mu);
        struct text_src t;
        asset_text(&t, a);
        struct entry *e = chain_find(slot, a->asset_id, idlen);
        if (!e)
            e = chain_add(slot, &t);
        else if (entry_set_text(e, &t) != 0)
            e = NULL; /* keeps its old text; a later reload retries */
        if (e) {
            fill_from_asset(e, a, p);
            e->seen_in_sync = true;
            e->version = atomic_fetch_add(&ds->version, 1) + 1;
        } else {
            rc = -ENOMEM;
        }
        pthread_mutex_unlock(&s->mu);
    }
    /* Sweep: what the registry no longer holds, or now holds under an asset. */
    for (size_t i = 0; i < NSHARDS; i++) {
        struct shard *s = &ds->shards[i];
        pthread_mutex_lock(&s->mu);
        for (size_t b = 0; b < NBUCKETS; b++) {
            struct entry **pp = &s->buckets[b];
            while (*pp) {
                struct entry *e = *pp;
                bool drop = false;
                if (e->registered && !e->seen_in_sync) {
                    drop = e->last_seen_ms == 0;
                    if (!drop) {
                        e->registered = false;
                        e->version = atomic_fetch_add(&ds->version, 1) + 1;
                    }
                } else if (!e->registered && !txt(e, T_ASSET)[0] &&
                           registry_find_device(reg, txt(e, T_DEVICE), strlen(txt(e, T_DEVICE)))) {
                    drop = true;
                    atomic_fetch_sub(&ds->unregistered, 1);
                }
                if (drop) {
                    *pp = e->next;
                    entry_free(e);
                } else {
                    pp = &e->next;
                }
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

/* The value slot for key, added when new; NULL past the limit. Shard locked. */
static struct value *value_slot(struct entry *e, const char *key, size_t klen)
{
    for (size_t i = 0; i < e->nvalues; i++)
        if (strncmp(e->values[i].key, key, sizeof e->values[i].key) == 0)
            return &e->values[i];
    if (e->nvalues >= DEVSTATE_MAX_VALUES || klen >= sizeof e->values[0].key)
        return NULL;
    if (e->nvalues == e->capvalues) {
        size_t cap = e->capvalues ? (size_t)e->capvalues * 2 : 8;
        if (cap > DEVSTATE_MAX_VALUES)
            cap = DEVSTATE_MAX_VALUES;
        struct value *v = realloc(e->values, cap * sizeof *v);
        if (!v)
            return NULL;
        e->values = v;
        e->capvalues = (uint8_t)cap;
    }
    struct value *v = &e->values[e->nvalues++];
    memset(v, 0, sizeof *v);
    copy_text(v->key, sizeof v->key, key, klen);
    return v;
}

static void note_value(struct entry *e, const struct field *f, const struct profile *p,
                       int64_t ts_ms)
{
    struct value *v = value_slot(e, f->key, f->key_len);
    if (!v)
        return;
    v->type = f->type;
    v->ts_ms = f->ts_ms ? f->ts_ms : ts_ms;
    switch (f->type) {
    case FIELD_FLOAT:
        v->num = f->v.f;
        break;
    case FIELD_INT:
        v->i = f->v.i;
        break;
    case FIELD_BOOL:
        v->b = f->v.b;
        break;
    case FIELD_STRING:
        copy_text(v->s, sizeof v->s, f->v.s.ptr, f->v.s.len);
        break;
    }
    const struct profile_field *pf = p ? profile_find_field(p, f->key, f->key_len, NULL) : NULL;
    copy_cstr(v->unit, sizeof v->unit, pf ? pf->unit : "");
}

void devstate_note(struct devstate *ds, const struct devstate_obs *o)
{
    const char *id = o->asset ? o->asset->asset_id : o->device;
    size_t idlen = o->asset ? strlen(o->asset->asset_id) : o->device_len;
    if (!id || idlen == 0)
        return;
    struct entry **slot;
    struct shard *s = locate(ds, id, idlen, &slot);
    pthread_mutex_lock(&s->mu);
    struct entry *e = chain_find(slot, id, idlen);
    if (!e && !o->asset) {
        if (atomic_load(&ds->unregistered) >= DEVSTATE_MAX_UNREGISTERED)
            goto out;
        atomic_fetch_add(&ds->unregistered, 1);
    }
    if (!e) {
        struct text_src t = {0};
        if (o->asset) {
            asset_text(&t, o->asset);
        } else {
            src_set(&t, T_ID, id, idlen);
            src_set(&t, T_DEVICE, o->device, o->device_len);
            src_set(&t, T_CATEGORY, o->category, o->category_len);
            src_set(&t, T_DISTRICT, o->district, o->district_len);
        }
        e = chain_add(slot, &t);
        if (!e) {
            if (!o->asset)
                atomic_fetch_sub(&ds->unregistered, 1);
            goto out;
        }
        if (o->asset)
            fill_from_asset(e, o->asset, o->profile);
        else
            e->interval_s = interval_of(NULL, o->profile);
    }
    const struct reading *r = o->reading;
    e->last_seen_ms = o->recv_ms;
    e->last_ts_ms = r->ts_ms;
    e->readings++;
    e->whole = o->whole;
    for (size_t i = 0; i < r->nfields; i++)
        note_value(e, &r->fields[i], o->profile, r->ts_ms);
    e->version = atomic_fetch_add(&ds->version, 1) + 1;
out:
    pthread_mutex_unlock(&s->mu);
}

uint64_t devstate_version(const struct devstate *ds)
{
    return atomic_load(&((struct devstate *)ds)->version);
}

const char *devstate_state_name(enum devstate_state s)
{
    switch (s) {
    case DEVSTATE_ONLINE:
        return "online";
    case DEVSTATE_OFFLINE:
        return "offline";
    case DEVSTATE_NEVER:
        break;
    }
    return "never";
}

int devstate_state_parse(const char *name, enum devstate_state *out)
{
    static const enum devstate_state all[] = {DEVSTATE_NEVER, DEVSTATE_ONLINE, DEVSTATE_OFFLINE};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, devstate_state_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -EINVAL;
}

static enum devstate_state state_of(const struct entry *e, int64_t now_ms)
{
    if (e->last_seen_ms == 0)
        return DEVSTATE_NEVER;
    int64_t limit = (int64_t)e->interval_s * 1000 * OFFLINE_INTERVALS;
    return now_ms - e->last_seen_ms <= limit ? DEVSTATE_ONLINE : DEVSTATE_OFFLINE;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

static bool matches(const struct entry *e, const struct devstate_filter *f, int64_t now_ms)
{
    if (!f)
        return true;
    if (!empty(f->district) && strcmp(f->district, txt(e, T_DISTRICT)) != 0)
        return false;
    if (!empty(f->category) && strcmp(f->category, txt(e, T_CATEGORY)) != 0)
        return false;
    if (!empty(f->device) && strcmp(f->device, txt(e, T_ID)) != 0 &&
        strcmp(f->device, txt(e, T_DEVICE)) != 0)
        return false;
    if (f->has_state && state_of(e, now_ms) != f->state)
        return false;
    if (!empty(f->q) && !strcasestr(txt(e, T_ID), f->q) && !strcasestr(txt(e, T_NAME), f->q) &&
        !strcasestr(txt(e, T_DEVICE), f->q) && !strcasestr(txt(e, T_DISTRICT), f->q))
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
    int rc = json_append_string(b, v->key, strlen(v->key));
    rc = rc ? rc : buf_puts(b, ":{\"value\":");
    if (rc)
        return rc;
    switch (v->type) {
    case FIELD_FLOAT:
        rc = put_num(b, v->num);
        break;
    case FIELD_INT:
        rc = buf_printf(b, "%lld", (long long)v->i);
        break;
    case FIELD_BOOL:
        rc = buf_puts(b, v->b ? "true" : "false");
        break;
    case FIELD_STRING:
        rc = json_append_string(b, v->s, strlen(v->s));
        break;
    }
    rc = rc ? rc : put_kv(b, "unit", v->unit);
    rc = rc ? rc : put_kv(b, "type", type_name(v->type));
    rc = rc ? rc : buf_printf(b, ",\"ts_ms\":%lld}", (long long)v->ts_ms);
    return rc;
}

/* One device as JSON. Shard locked. */
static int render_entry(struct buf *b, const struct entry *e, int64_t now_ms)
{
    int rc = buf_putc(b, '{');
    rc = rc ? rc : json_append_kv(b, "id", txt(e, T_ID));
    rc = rc ? rc : put_kv(b, "asset", txt(e, T_ASSET));
    rc = rc ? rc : put_kv(b, "device", txt(e, T_DEVICE));
    rc = rc ? rc : put_kv(b, "name", txt(e, T_NAME));
    rc = rc ? rc : put_kv(b, "category", txt(e, T_CATEGORY));
    rc = rc ? rc : put_kv(b, "district", txt(e, T_DISTRICT));
    rc = rc ? rc : put_kv(b, "status", e->status);
    rc = rc ? rc : buf_puts(b, ",\"lat\":");
    rc = rc ? rc : put_num(b, e->lat);
    rc = rc ? rc : buf_puts(b, ",\"lon\":");
    rc = rc ? rc : put_num(b, e->lon);
    rc = rc ? rc : buf_printf(b, ",\"registered\":%s", e->registered ? "true" : "false");
    rc = rc ? rc : put_kv(b, "state", devstate_state_name(state_of(e, now_ms)));
    rc = rc ? rc
            : buf_printf(b,
                         ",\"interval_s\":%d,\"last_seen_ms\":%lld,\"last_ts_ms\":%lld,"
                         "\"readings\":%llu,\"whole\":%s,\"values\":{",
                         (int)e->interval_s, (long long)e->last_seen_ms, (long long)e->last_ts_ms,
                         (unsigned long long)e->readings, e->whole ? "true" : "false");
    for (size_t i = 0; !rc && i < e->nvalues; i++) {
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
};

static void gather_free(struct gather *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->items[i].id);
        free(g->items[i].json);
    }
    free(g->items);
}

/* Collects every matching entry with since < version <= upto, rendered. */
static int gather(struct devstate *ds, const struct devstate_filter *f, uint64_t since,
                  uint64_t upto, int64_t now_ms, struct gather *g)
{
    struct buf tmp;
    buf_init(&tmp, 1 << 20);
    int rc = 0;
    for (size_t i = 0; i < NSHARDS && !rc; i++) {
        struct shard *s = &ds->shards[i];
        pthread_mutex_lock(&s->mu);
        for (size_t b = 0; b < NBUCKETS && !rc; b++) {
            for (struct entry *e = s->buckets[b]; e && !rc; e = e->next) {
                if (e->version <= since || e->version > upto || !matches(e, f, now_ms))
                    continue;
                if (g->n == g->cap) {
                    size_t cap = g->cap ? g->cap * 2 : 64;
                    struct item *it = realloc(g->items, cap * sizeof *it);
                    if (!it) {
                        rc = -ENOMEM;
                        break;
                    }
                    g->items = it;
                    g->cap = cap;
                }
                buf_reset(&tmp);
                rc = render_entry(&tmp, e, now_ms);
                if (rc)
                    break;
                struct item *it = &g->items[g->n];
                it->version = e->version;
                it->id = strdup(txt(e, T_ID));
                it->json = malloc(tmp.len + 1);
                if (!it->id || !it->json) {
                    free(it->id);
                    free(it->json);
                    rc = -ENOMEM;
                    break;
                }
                memcpy(it->json, tmp.data, tmp.len + 1);
                it->len = tmp.len;
                g->n++;
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
    buf_free(&tmp);
    return rc;
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
    struct gather g = {0};
    uint64_t v = devstate_version(ds);
    int rc = gather(ds, f, 0, UINT64_MAX, now_ms, &g);
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
    struct entry **slot;
    size_t n = strlen(id);
    struct shard *s = locate(ds, id, n, &slot);
    pthread_mutex_lock(&s->mu);
    const struct entry *e = chain_find(slot, id, n);
    int rc = e ? render_entry(out, e, now_ms) : -ENOENT;
    pthread_mutex_unlock(&s->mu);
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
    struct gather g = {0};
    int rc = gather(ds, f, since, v, now_ms, &g);
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

int devstate_ident(struct devstate *ds, const char *id, struct devstate_ident *out)
{
    struct entry **slot;
    size_t n = strlen(id);
    struct shard *s = locate(ds, id, n, &slot);
    pthread_mutex_lock(&s->mu);
    const struct entry *e = chain_find(slot, id, n);
    if (e) {
        copy_cstr(out->asset, sizeof out->asset, txt(e, T_ASSET));
        copy_cstr(out->device, sizeof out->device, txt(e, T_DEVICE));
        copy_cstr(out->category, sizeof out->category, txt(e, T_CATEGORY));
    }
    pthread_mutex_unlock(&s->mu);
    return e ? 0 : -ENOENT;
}
