/*
 * registry_impl: the storage of a registry, shared by registry.c (loading)
 * and registry_store.c (arena, indexes, lookups). Only the registry module
 * includes this header; everyone else uses registry.h.
 */
#ifndef LIFELINE_REGISTRY_IMPL_H
#define LIFELINE_REGISTRY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"

/* One arena block; blocks never move, so strings in them keep their address. */
struct registry_block {
    struct registry_block *next;
    size_t used, size;
    char data[];
};

/* One slot of an open-addressing index (linear probing). */
struct registry_slot {
    uint32_t hash;
    uint32_t idx1; /* asset index + 1; 0 is an empty slot */
};

/* An index: grown as keys come (device: at most half full, asset: 4/5; registry_index_put). */
struct registry_index {
    struct registry_slot *slots;
    size_t mask; /* mask + 1 slots, a power of two */
    size_t n;    /* keys in it */
};

struct registry {
    struct asset *assets; /* room for cap assets, the row bound given to registry_reserve */
    size_t n, cap;
    /* Sized by the keys, not the rows: 100,000 rows of which 52,000 have a
     * device id take a 131,072-slot device index, not a 262,144-slot one. */
    struct registry_index by_device, by_asset;
    struct registry_block *blocks;
};

/*
 * Allocates room for up to `rows` assets and both (small) indexes. 0 or
 * -ENOMEM (registry_free undoes it).
 */
int registry_reserve(struct registry *r, size_t rows);
/* Copies s[0..len) into the arena, NUL-terminated; "" for len 0; NULL when out of memory. */
const char *registry_arena_dup(struct registry *r, const char *s, size_t len);
/* The hash the indexes use. */
uint32_t registry_hash(const char *s, size_t len);
/* Index of the asset whose device_id (device) or asset_id is s[0..len) with hash h, or -1. */
long registry_index_find(const struct registry *r, bool device, const char *s, size_t len,
                         uint32_t h);
/* Adds asset idx under hash h; its key must not be in the index yet. 0 or -ENOMEM. */
int registry_index_put(struct registry *r, bool device, uint32_t h, size_t idx);
/* Gives back the room registry_reserve took for rows that did not come. */
void registry_shrink(struct registry *r);

#endif
