/*
 * devstate_impl: the live state's storage, shared by devstate.c (sync,
 * note, lookups) and devstate_render.c (JSON, listings, changes). Only
 * those include it.
 *
 * Two kinds of entry. A registered asset is "bound": bound[i] for registry
 * index i, NULL until the asset reports (its text, status, coordinates and
 * interval are read from the registry of ds->k when rendered). Everything
 * else is "loose", in a hash chain keyed by its id, with its own text: an
 * unregistered device, or a heard asset that left the registry on a reload.
 *
 * Locks: kmu (a rwlock) guards k, bound, nbound, abase and sync_base:
 * readers hold it shared for a whole call, devstate_sync_knowledge holds it
 * exclusively. The writer thread (sync and note) reads those without it,
 * being their only writer. A shard's mutex guards the contents of its
 * entries, its loose chains and the bound[i] with i % NSHARDS == its index.
 */
#ifndef LIFELINE_DEVSTATE_IMPL_H
#define LIFELINE_DEVSTATE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devstate.h"
#include "knowledge.h"
#include "reading.h"

#define NSHARDS 16
#define NBUCKETS 1024 /* loose chains per shard */
#define DEFAULT_INTERVAL_S 900

/*
 * One field's latest value, 32 bytes. The key and unit are the profile
 * field's strings (pf, in the profiles of ds->k: a sync moves them to the
 * new knowledge or gives the value its own copy before the old one is
 * dropped) when the reading's key is that field's canonical name; else
 * (a vendor extra, an alias, a profile not synced) the value owns one
 * block "key\0unit\0". Strings of up to 7 bytes are kept inline.
 */
struct value {
    union {
        const struct profile_field *pf; /* !(flags & V_OWN_KEY) */
        char *own;                      /* V_OWN_KEY: "key\0unit\0" */
    } k;
    union {
        double num; /* FIELD_FLOAT */
        int64_t i;  /* FIELD_INT */
        bool b;     /* FIELD_BOOL */
        char *s;    /* FIELD_STRING with V_STR_HEAP: scap bytes */
        char in[8]; /* FIELD_STRING otherwise */
    } v;
    int64_t ts_ms;
    uint8_t type; /* enum field_type */
    uint8_t flags;
    uint8_t scap;
};

enum { V_OWN_KEY = 1, V_STR_HEAP = 2 };

#define DEVSTATE_KEY_MAX 48  /* keys this long or longer are not kept */
#define DEVSTATE_UNIT_MAX 16 /* units are cut (at a character) to fit, terminator included */

/* A loose entry's strings, packed NUL-terminated into one block (id first). */
enum text_field { T_ID, T_ASSET, T_DEVICE, T_NAME, T_CATEGORY, T_DISTRICT, T_COUNT };

/* Each string is cut (at a character) to fit these, terminator included,
 * so the JSON and devstate_ident stay as they were with fixed arrays. */
extern const size_t devstate_text_cap[T_COUNT];

struct entry {
    struct entry *next; /* loose: hash chain */
    uint64_t version;   /* of the last change */
    int64_t last_seen_ms, last_ts_ms;
    uint64_t readings;
    struct value *values; /* NULL until the device reports a field */
    /* loose only (bound entries read these from the registry): */
    char *text;         /* the T_COUNT strings, one allocation */
    const char *status; /* static: the registry's status name, "" unregistered */
    double lat, lon;
    int32_t interval_s;
    uint16_t off[T_COUNT]; /* of each string in text; off[T_ID] is 0 */
    uint8_t nvalues, capvalues;
    bool whole;
};

struct shard {
    pthread_mutex_t mu;
    struct entry *buckets[NBUCKETS];
};

struct devstate {
    struct shard shards[NSHARDS];
    pthread_rwlock_t kmu;
    struct knowledge *k;       /* the knowledge synced last; NULL before */
    struct entry **bound;      /* registry index -> entry once heard */
    size_t nbound;             /* registry_count */
    const struct asset *abase; /* registry_at(registry, 0) */
    uint64_t sync_base;        /* never-heard asset i has version sync_base + i + 1 */
    atomic_uint_least64_t version;
    atomic_size_t unregistered;
    atomic_int offline_misses;        /* devstate_set_offline_misses */
    const struct profile *profile_ok; /* writer only: last profile found in k's set */
};

/* The key, the unit (cut to DEVSTATE_UNIT_MAX; *unit_len its length) and,
 * for a string, the value of v. */
const char *devstate_value_key(const struct value *v);
const char *devstate_value_unit(const struct value *v, size_t *unit_len);
const char *devstate_value_str(const struct value *v);
/* Records the fields of reading r in e's values (profile p: o->profile). Shard locked. */
void devstate_values_note(struct devstate *ds, struct entry *e, const struct reading *r,
                          const struct profile *p);
/* Frees e's values and what they own. */
void devstate_values_free(struct entry *e);

/*
 * A sync's move of the values' keys to new profiles: prepared before the
 * lock (allocates every copy needed: 0 or -ENOMEM, nothing changed), applied
 * under it (cannot fail), freed after either.
 */
struct devstate_remap {
    const struct profile_set *from;   /* the profiles of ds->k */
    const struct profile_field ***to; /* [profile][field] in the new set, or NULL */
    char **blocks;                    /* own copies, in visiting order */
    size_t nblocks, capblocks, used;
};
int devstate_remap_prepare(struct devstate *ds, const struct profile_set *to,
                           struct devstate_remap *m);
void devstate_remap_apply(struct devstate *ds, struct devstate_remap *m);
void devstate_remap_free(struct devstate_remap *m);

/* One device's strings as rendered, each NUL-terminated and cut to its cap. */
struct view {
    const char *s[T_COUNT];
    const char *status;
    double lat, lon;
    int32_t interval_s;
    bool registered;
    char cut[T_COUNT][256]; /* room for a string longer than its cap */
};

/* Fills v for bound asset i (e may be NULL: never heard). kmu held. */
void devstate_view_bound(const struct devstate *ds, size_t i, struct view *v);
/* Fills v for a loose entry. */
void devstate_view_loose(const struct entry *e, struct view *v);
/* The length of src[0..n) cut at a character boundary to fit cap with its terminator. */
size_t devstate_cut_len(const char *src, size_t n, size_t cap);
/* The shard of bound asset i. */
static inline struct shard *bound_shard(struct devstate *ds, size_t i)
{
    return &ds->shards[i % NSHARDS];
}
/* The loose entry with id[0..n), or NULL; its shard is returned locked in *locked. */
struct entry *devstate_loose_find(struct devstate *ds, const char *id, size_t n,
                                  struct shard **locked);
/* The registry index of the asset with this asset_id in ds->k, or -1. kmu held. */
long devstate_asset_index(const struct devstate *ds, const char *id);

#endif
