/*
 * The live state: sync with the knowledge, the pipeline's notes, lookups.
 * Rendering is in devstate_render.c; the layout in devstate_impl.h.
 */
#include "devstate_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "registry.h"

const size_t devstate_text_cap[T_COUNT] = {128, 64, 128, 256, 32, 96};

_Static_assert(DEVSTATE_MAX_VALUES <= UINT8_MAX, "nvalues is a uint8_t");

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

size_t devstate_cut_len(const char *src, size_t n, size_t cap)
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
    n = devstate_cut_len(src, n, cap);
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_cstr(char *dst, size_t cap, const char *src)
{
    copy_text(dst, cap, src, src ? strlen(src) : 0);
}

static const char *txt(const struct entry *e, enum text_field k)
{
    return e->text + e->off[k];
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

/* Packs t into e->text (replacing the old block). 0 or -ENOMEM (e unchanged). */
static int entry_set_text(struct entry *e, const struct text_src *t)
{
    size_t len[T_COUNT], total = 0;
    for (size_t k = 0; k < T_COUNT; k++) {
        len[k] = devstate_cut_len(t->s[k], t->len[k], devstate_text_cap[k]);
        total += len[k] + 1;
    }
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
    pthread_rwlock_init(&ds->kmu, NULL);
    atomic_init(&ds->offline_misses, DEVSTATE_OFFLINE_MISSES);
    return ds;
}

static void entry_free(struct entry *e)
{
    if (e) {
        devstate_values_free(e);
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
    for (size_t i = 0; i < ds->nbound; i++)
        entry_free(ds->bound[i]);
    free(ds->bound);
    knowledge_unref(ds->k);
    pthread_rwlock_destroy(&ds->kmu);
    free(ds);
}

static const struct registry *reg_of(const struct devstate *ds)
{
    return ds->k ? ds->k->registry : NULL;
}

/* An id is kept cut to its cap: hashing and comparing the cut one finds an
 * over-long id again instead of adding an entry per reading. */
static size_t key_len(const char *id, size_t n)
{
    return devstate_cut_len(id, n, devstate_text_cap[T_ID]);
}

/* The shard and bucket slot of loose id[0..n). */
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

struct entry *devstate_loose_find(struct devstate *ds, const char *id, size_t n,
                                  struct shard **locked)
{
    struct entry **slot;
    struct shard *s = locate(ds, id, n, &slot);
    pthread_mutex_lock(&s->mu);
    *locked = s;
    return chain_find(slot, id, n);
}

long devstate_asset_index(const struct devstate *ds, const char *id)
{
    const struct asset *a = registry_find_asset(reg_of(ds), id);
    return a ? (long)(a - ds->abase) : -1;
}

static struct entry *entry_new(void)
{
    struct entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->status = "";
    e->lat = NAN;
    e->lon = NAN;
    e->whole = true;
    e->interval_s = DEFAULT_INTERVAL_S;
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

void devstate_view_bound(const struct devstate *ds, size_t i, struct view *v)
{
    const struct asset *a = &ds->abase[i];
    const char *src[T_COUNT] = {a->asset_id, a->asset_id, a->device_id,
                                a->name,     a->category, a->district};
    for (size_t k = 0; k < T_COUNT; k++) {
        const char *s = src[k] ? src[k] : "";
        size_t n = strlen(s), cut = devstate_cut_len(s, n, devstate_text_cap[k]);
        if (cut < n) {
            memcpy(v->cut[k], s, cut);
            v->cut[k][cut] = '\0';
            s = v->cut[k];
        }
        v->s[k] = s;
    }
    const struct profile *p =
        ds->k->profiles ? profile_set_find(ds->k->profiles, a->category, strlen(a->category))
                        : NULL;
    v->status = asset_status_name(a->status);
    v->lat = a->lat;
    v->lon = a->lon;
    v->interval_s = interval_of(a, p);
    v->registered = true;
}

void devstate_view_loose(const struct entry *e, struct view *v)
{
    for (size_t k = 0; k < T_COUNT; k++)
        v->s[k] = txt(e, (enum text_field)k);
    v->status = e->status;
    v->lat = e->lat;
    v->lon = e->lon;
    v->interval_s = e->interval_s;
    v->registered = false;
}

/* The text and the registry's other fields of asset a, copied into loose entry e. */
static int copy_asset(struct entry *e, const struct asset *a, const struct profile_set *ps)
{
    struct text_src t;
    src_set_cstr(&t, T_ID, a->asset_id);
    src_set_cstr(&t, T_ASSET, a->asset_id);
    src_set_cstr(&t, T_DEVICE, a->device_id);
    src_set_cstr(&t, T_NAME, a->name);
    src_set_cstr(&t, T_CATEGORY, a->category);
    src_set_cstr(&t, T_DISTRICT, a->district);
    if (entry_set_text(e, &t) != 0)
        return -ENOMEM;
    const struct profile *p = ps ? profile_set_find(ps, a->category, strlen(a->category)) : NULL;
    e->status = asset_status_name(a->status);
    e->lat = a->lat;
    e->lon = a->lon;
    e->interval_s = interval_of(a, p);
    return 0;
}

static void chain_push(struct devstate *ds, struct entry *e)
{
    struct entry **slot;
    locate(ds, e->text, strlen(e->text), &slot);
    e->next = *slot;
    *slot = e;
}

/*
 * Heard assets that leave the registry become loose with a copy of their
 * text, made before the lock is taken (readers keep rendering meanwhile).
 * orphans[j] is the loose entry for old bound index j, or NULL. 0 or -ENOMEM.
 */
static int prepare_orphans(struct devstate *ds, const struct registry *nreg,
                           struct entry **newbound, struct entry ***orphans_out)
{
    struct entry **orphans = ds->nbound ? calloc(ds->nbound, sizeof *orphans) : NULL;
    if (ds->nbound && !orphans)
        return -ENOMEM;
    const struct profile_set *ps = ds->k ? ds->k->profiles : NULL;
    for (size_t i = 0; i < ds->nbound; i++) {
        if (!ds->bound[i])
            continue;
        const struct asset *a = &ds->abase[i];
        const struct asset *na = registry_find_asset(nreg, a->asset_id);
        if (na) {
            newbound[na - registry_at(nreg, 0)] = ds->bound[i];
            continue;
        }
        struct entry *o = entry_new();
        if (!o || copy_asset(o, a, ps) != 0) {
            entry_free(o);
            for (size_t j = 0; j < i; j++)
                entry_free(orphans[j]);
            free(orphans);
            return -ENOMEM;
        }
        orphans[i] = o;
    }
    *orphans_out = orphans;
    return 0;
}

int devstate_sync_knowledge(struct devstate *ds, struct knowledge *k)
{
    const struct registry *nreg = k ? k->registry : NULL;
    size_t n = registry_count(nreg);
    struct entry **newbound = n ? calloc(n, sizeof *newbound) : NULL, **orphans = NULL;
    struct devstate_remap remap;
    if ((n && !newbound) || devstate_remap_prepare(ds, k ? k->profiles : NULL, &remap) != 0) {
        free(newbound);
        return -ENOMEM;
    }
    if (prepare_orphans(ds, nreg, newbound, &orphans) != 0) {
        devstate_remap_free(&remap);
        free(newbound);
        return -ENOMEM;
    }
    pthread_rwlock_wrlock(&ds->kmu);
    /* before anything moves: apply visits the entries as prepare did */
    devstate_remap_apply(ds, &remap);
    /* Loose entries the registry now names: a heard asset back in it is
     * bound again, an unregistered device it now names is forgotten. */
    for (size_t i = 0; i < NSHARDS; i++) {
        for (size_t b = 0; b < NBUCKETS; b++) {
            struct entry **pp = &ds->shards[i].buckets[b];
            while (*pp) {
                struct entry *e = *pp;
                const char *asset = txt(e, T_ASSET), *dev = txt(e, T_DEVICE);
                const struct asset *a = asset[0] ? registry_find_asset(nreg, asset) : NULL;
                bool named = !asset[0] && registry_find_device(nreg, dev, strlen(dev));
                if (!a && !named) {
                    pp = &e->next;
                    continue;
                }
                *pp = e->next;
                size_t j = a ? (size_t)(a - registry_at(nreg, 0)) : 0;
                if (a && !newbound[j]) {
                    free(e->text);
                    e->text = NULL;
                    e->next = NULL;
                    newbound[j] = e;
                } else {
                    if (named)
                        atomic_fetch_sub(&ds->unregistered, 1);
                    entry_free(e);
                }
            }
        }
    }
    /* Every asset of the new registry counts as changed, in registry order,
     * then the heard ones that left it, now unregistered. */
    uint64_t base = atomic_load(&ds->version);
    for (size_t j = 0; j < n; j++)
        if (newbound[j])
            newbound[j]->version = base + j + 1;
    uint64_t v = base + n;
    for (size_t i = 0; i < ds->nbound; i++) {
        if (!orphans[i])
            continue;
        struct entry *e = ds->bound[i], *o = orphans[i];
        /* the heard state moves into the entry that carries the text */
        o->last_seen_ms = e->last_seen_ms;
        o->last_ts_ms = e->last_ts_ms;
        o->readings = e->readings;
        o->whole = e->whole;
        o->values = e->values;
        o->nvalues = e->nvalues;
        o->capvalues = e->capvalues;
        e->values = NULL;
        e->nvalues = e->capvalues = 0;
        entry_free(e);
        o->version = ++v;
        chain_push(ds, o);
    }
    atomic_store(&ds->version, v);
    struct knowledge *old = ds->k;
    free(ds->bound);
    ds->k = knowledge_ref(k);
    ds->bound = newbound;
    ds->nbound = n;
    ds->abase = registry_at(nreg, 0);
    ds->sync_base = base;
    pthread_rwlock_unlock(&ds->kmu);
    devstate_remap_free(&remap);
    free(orphans);
    knowledge_unref(old);
    return 0;
}

/* The bound entry of a registered asset, made when it first reports; its
 * shard is returned locked. NULL (nothing locked) when a is not in the
 * registry synced (a sync that ran out of memory) or on out of memory. */
static struct entry *bound_entry(struct devstate *ds, const struct asset *a, struct shard **locked)
{
    /* the pipeline's asset is in the registry synced unless that sync failed */
    uintptr_t off = (uintptr_t)a - (uintptr_t)ds->abase;
    size_t i = off / sizeof *a;
    if (!ds->abase || (uintptr_t)a < (uintptr_t)ds->abase || i >= ds->nbound ||
        off % sizeof *a != 0) {
        long j = devstate_asset_index(ds, a->asset_id);
        if (j < 0)
            return NULL;
        i = (size_t)j;
    }
    struct shard *s = bound_shard(ds, i);
    pthread_mutex_lock(&s->mu);
    if (!ds->bound[i] && !(ds->bound[i] = entry_new())) {
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    *locked = s;
    return ds->bound[i];
}

/* The loose entry of an unregistered device, made when it first reports;
 * its shard is returned locked (also when NULL is returned). */
static struct entry *loose_entry(struct devstate *ds, const struct devstate_obs *o,
                                 struct shard **locked)
{
    struct entry **slot;
    struct shard *s = locate(ds, o->device, o->device_len, &slot);
    pthread_mutex_lock(&s->mu);
    *locked = s;
    struct entry *e = chain_find(slot, o->device, o->device_len);
    if (e)
        return e;
    if (atomic_load(&ds->unregistered) >= DEVSTATE_MAX_UNREGISTERED)
        return NULL;
    struct text_src t = {0};
    src_set(&t, T_ID, o->device, o->device_len);
    src_set(&t, T_DEVICE, o->device, o->device_len);
    src_set(&t, T_CATEGORY, o->category, o->category_len);
    src_set(&t, T_DISTRICT, o->district, o->district_len);
    e = entry_new();
    if (!e || entry_set_text(e, &t) != 0) {
        free(e);
        return NULL;
    }
    e->interval_s = interval_of(NULL, o->profile);
    e->next = *slot;
    *slot = e;
    atomic_fetch_add(&ds->unregistered, 1);
    return e;
}

void devstate_note(struct devstate *ds, const struct devstate_obs *o)
{
    struct shard *s = NULL;
    struct entry *e;
    if (o->asset)
        e = bound_entry(ds, o->asset, &s);
    else if (o->device && o->device_len)
        e = loose_entry(ds, o, &s);
    else
        return;
    if (e) {
        const struct reading *r = o->reading;
        e->last_seen_ms = o->recv_ms;
        e->last_ts_ms = r->ts_ms;
        e->readings++;
        e->whole = o->whole;
        devstate_values_note(ds, e, r, o->profile);
        e->version = atomic_fetch_add(&ds->version, 1) + 1;
    }
    if (s)
        pthread_mutex_unlock(&s->mu);
}

void devstate_set_offline_misses(struct devstate *ds, int misses)
{
    atomic_store(&ds->offline_misses, misses > 0 ? misses : DEVSTATE_OFFLINE_MISSES);
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

int devstate_ident(struct devstate *ds, const char *id, struct devstate_ident *out)
{
    struct view v;
    struct shard *s = NULL;
    int rc = 0;
    pthread_rwlock_rdlock(&ds->kmu);
    long i = devstate_asset_index(ds, id);
    if (i >= 0) {
        devstate_view_bound(ds, (size_t)i, &v);
    } else {
        const struct entry *e = devstate_loose_find(ds, id, strlen(id), &s);
        if (e)
            devstate_view_loose(e, &v);
        else
            rc = -ENOENT;
    }
    if (rc == 0) {
        copy_cstr(out->asset, sizeof out->asset, v.s[T_ASSET]);
        copy_cstr(out->device, sizeof out->device, v.s[T_DEVICE]);
        copy_cstr(out->category, sizeof out->category, v.s[T_CATEGORY]);
    }
    if (s)
        pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&ds->kmu);
    return rc;
}
