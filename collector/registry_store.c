/*
 * Where a registry lives: one arena of large blocks for every string (no
 * allocation per string, nothing moves, so indexes and assets can point
 * into it while loading), the array of assets, and two open-addressing
 * hash indexes (device_id, asset_id) of (hash, asset index) slots. Lookups
 * allocate nothing and write nothing, so any number of threads may read.
 */
#include "registry_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES ((size_t)256 * 1024)

#define INDEX_MIN_SLOTS 1024

static int index_init(struct registry_index *x, size_t slots)
{
    x->slots = calloc(slots, sizeof *x->slots);
    x->mask = slots - 1;
    x->n = 0;
    return x->slots ? 0 : -ENOMEM;
}

int registry_reserve(struct registry *r, size_t rows)
{
    r->cap = rows;
    r->assets = malloc((rows ? rows : 1) * sizeof *r->assets);
    if (!r->assets || index_init(&r->by_device, INDEX_MIN_SLOTS) != 0 ||
        index_init(&r->by_asset, INDEX_MIN_SLOTS) != 0)
        return -ENOMEM;
    return 0;
}

void registry_shrink(struct registry *r)
{
    struct asset *fit = r->n ? realloc(r->assets, r->n * sizeof *r->assets) : NULL;
    if (fit)
        r->assets = fit; /* otherwise the larger array serves as well */
}

const char *registry_arena_dup(struct registry *r, const char *s, size_t len)
{
    if (len == 0)
        return "";
    struct registry_block *b = r->blocks;
    if (!b || b->size - b->used < len + 1) {
        size_t size = len + 1 > BLOCK_BYTES ? len + 1 : BLOCK_BYTES;
        struct registry_block *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->size = size;
        /* a big string gets a block of its own behind the current one, which stays in use */
        if (b && len + 1 > BLOCK_BYTES) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            r->blocks = nb;
        }
        b = nb;
    }
    char *p = b->data + b->used;
    memcpy(p, s, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

uint32_t registry_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    h ^= h >> 16; /* the table uses the low bits: mix the high ones in (murmur3's fmix32) */
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* True when the NUL-terminated `stored` is exactly s[0..len). */
static bool slice_eq(const char *stored, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (stored[i] == '\0' || stored[i] != s[i])
            return false;
    return stored[len] == '\0';
}

static const char *key_of(const struct asset *a, bool device)
{
    return device ? a->device_id : a->asset_id;
}

/* The index of the asset keyed s[0..len), or -1. */
long registry_index_find(const struct registry *r, bool device, const char *s, size_t len,
                         uint32_t h)
{
    const struct registry_index *x = device ? &r->by_device : &r->by_asset;
    const struct registry_slot *t = x->slots;
    for (size_t i = h & x->mask;; i = (i + 1) & x->mask) {
        if (t[i].idx1 == 0)
            return -1;
        if (t[i].hash == h && slice_eq(key_of(&r->assets[t[i].idx1 - 1], device), s, len))
            return (long)t[i].idx1 - 1;
    }
}

static void slot_put(struct registry_index *x, uint32_t h, uint32_t idx1)
{
    size_t i = h & x->mask;
    while (x->slots[i].idx1 != 0)
        i = (i + 1) & x->mask;
    x->slots[i].hash = h;
    x->slots[i].idx1 = idx1;
}

/* Doubles the slots of x, moving every key over (the hashes are kept). */
static int grow(struct registry_index *x)
{
    struct registry_index nx;
    if (index_init(&nx, (x->mask + 1) * 2) != 0)
        return -ENOMEM;
    for (size_t i = 0; i <= x->mask; i++)
        if (x->slots[i].idx1)
            slot_put(&nx, x->slots[i].hash, x->slots[i].idx1);
    nx.n = x->n;
    free(x->slots);
    *x = nx;
    return 0;
}

int registry_index_put(struct registry *r, bool device, uint32_t h, size_t idx)
{
    struct registry_index *x = device ? &r->by_device : &r->by_asset;
    /* The device index, which the pipeline asks for every reading, stays at
     * most half full (short probes); the asset index, asked on start-up,
     * reload and the live view's lookups by id, fills to 4/5: 100,000 assets
     * in 131,072 slots (1 MB) instead of 262,144. */
    size_t room = device ? (x->mask + 1) / 2 : (x->mask + 1) / 5 * 4;
    if (x->n + 1 > room && grow(x) != 0)
        return -ENOMEM;
    slot_put(x, h, (uint32_t)idx + 1);
    x->n++;
    return 0;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    for (struct registry_block *b = r->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(r->assets);
    free(r->by_device.slots);
    free(r->by_asset.slots);
    free(r);
}

const struct asset *registry_find_device(const struct registry *r, const char *dev, size_t len)
{
    if (!r || !dev || len == 0 || r->n == 0)
        return NULL;
    long i = registry_index_find(r, true, dev, len, registry_hash(dev, len));
    return i < 0 ? NULL : &r->assets[i];
}

const struct asset *registry_find_asset(const struct registry *r, const char *id)
{
    if (!r || !id || !*id || r->n == 0)
        return NULL;
    size_t len = strlen(id);
    long i = registry_index_find(r, false, id, len, registry_hash(id, len));
    return i < 0 ? NULL : &r->assets[i];
}

size_t registry_count(const struct registry *r)
{
    return r ? r->n : 0;
}

const struct asset *registry_at(const struct registry *r, size_t i)
{
    return r && i < r->n ? &r->assets[i] : NULL;
}

const char *asset_status_name(enum asset_status s)
{
    switch (s) {
    case ASSET_LEGACY:
        return "legacy";
    case ASSET_PLANNED:
        return "planned";
    case ASSET_UPGRADED:
        return "upgraded";
    case ASSET_RETIRED:
        return "retired";
    }
    return "unknown";
}
