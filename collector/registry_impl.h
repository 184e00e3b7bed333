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

/* One slot of an open-addressing index (linear probing, at most half full). */
struct registry_slot {
    uint32_t hash;
    uint32_t idx1; /* asset index + 1; 0 is an empty slot */
};

struct registry {
    struct asset *assets; /* room for cap assets, the row bound given to registry_reserve */
    size_t n, cap;
    struct registry_slot *by_device, *by_asset;
    size_t mask; /* both tables have mask + 1 slots */
    struct registry_block *blocks;
};

/*
 * Allocates room for up to `rows` assets and both indexes, sized so they
 * stay at most half full. 0 or -ENOMEM (registry_free undoes it).
 */
int registry_reserve(struct registry *r, size_t rows);
/* Copies s[0..len) into the arena, NUL-terminated; "" for len 0; NULL when out of memory. */
const char *registry_arena_dup(struct registry *r, const char *s, size_t len);
/* The hash the indexes use. */
uint32_t registry_hash(const char *s, size_t len);
/* Index of the asset whose device_id (device) or asset_id is s[0..len) with hash h, or -1. */
long registry_index_find(const struct registry *r, bool device, const char *s, size_t len,
                         uint32_t h);
/* Adds asset idx under hash h; its key must not be in the index yet. */
void registry_index_put(struct registry *r, bool device, uint32_t h, size_t idx);
/* Gives back the room registry_reserve took for rows that did not come. */
void registry_shrink(struct registry *r);

#endif
