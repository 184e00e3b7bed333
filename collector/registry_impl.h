/*
 * registry_impl: what the registry module's files share: the storage of a
 * registry (registry_store.c: arena, indexes, lookups) and the loader's state,
 * shared by registry.c (reading the file in chunks into libcsv) and
 * registry_rows.c (the header and each row checked and stored). Only the
 * registry module includes this header; everyone else uses registry.h.
 */
#ifndef LIFELINE_REGISTRY_IMPL_H
#define LIFELINE_REGISTRY_IMPL_H

#include <csv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
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

/* ---- the loader (registry.c, registry_rows.c) */

#define REGISTRY_MAX_COLUMNS 1024
#define REGISTRY_MAX_INTERNED 64

/* The columns the registry knows; registry_rows.c holds their names. */
enum registry_col {
    COL_ASSET_ID,
    COL_NAME,
    COL_CATEGORY,
    COL_DISTRICT,
    COL_LAT,
    COL_LON,
    COL_STATUS,
    COL_UPGRADED_ON,
    COL_DEVICE_ID,
    COL_MODEL,
    COL_INTERVAL,
    COL__COUNT
};

/* One registry_load's state: registry_load allocates, sets up and frees it. */
struct registry_loader {
    const char *file;
    struct buf *errors;
    int nerrors;
    struct buf line; /* one error line, appended whole so a full `errors` never cuts one */
    struct buf msg;  /* what a value check says, before it is known to be an error */
    bool (*known)(const char *name);
    struct registry *r;
    struct csv_parser p;
    size_t lineno;   /* the physical line being fed */
    size_t pending;  /* the line a row begun now starts on */
    size_t row_line; /* the line the current row starts on */
    size_t nfield;   /* fields seen in the current row */
    bool header_done, stop, oom;
    int colof[REGISTRY_MAX_COLUMNS]; /* header position -> enum registry_col, or -1 */
    size_t ncols;
    struct buf row; /* the current row's known fields, each NUL-terminated */
    size_t off[COL__COUNT], len[COL__COUNT];
    bool bad[COL__COUNT]; /* already reported for this row */
    bool all_empty;
    size_t extra; /* non-empty fields past the header's columns */
    const char *interned[REGISTRY_MAX_INTERNED];
    size_t interned_len[REGISTRY_MAX_INTERNED];
    size_t ninterned;
};

/*
 * Reports one error of the file: "FILE:LINE: COLUMN: message" (just "FILE:
 * message" when column is NULL), appended whole to L->errors as one line, and
 * counted in L->nerrors.
 */
void registry_fail(struct registry_loader *L, size_t line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* libcsv's callbacks (`data` is the loader): a field of the header or of a
 * row, and the end of a row, where the header is checked or the row checked
 * and stored. They do nothing once L->stop or L->oom is set. */
void registry_on_field(void *s, size_t len, void *data);
void registry_on_row(int c, void *data);

#endif
