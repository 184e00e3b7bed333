/*
 * devstate: the live state of every device, for the operator view (JSON API,
 * live stream, web page): who it is (asset, name, category, district,
 * coordinates, read from the registry), when it was last heard from, its
 * last values with their units (from the category profile) and whether its
 * last reading was whole.
 *
 * Written by the pipeline thread for every stored reading (devstate_note),
 * read by HTTP threads. Cheap for the writer: no I/O, one short per-shard
 * mutex, no allocation once a device's values are known. Every change bumps
 * a process-wide version; each device remembers the version of its last
 * change, so a reader that remembers the version it last saw finds what
 * changed since (coalesced: one entry per device however many readings
 * came) without any per-reader queue on the writer's side.
 *
 * Devices are keyed by asset_id when the registry knows them, else by the
 * device id (at most DEVSTATE_MAX_UNREGISTERED such). Registered assets
 * that never reported are listed too (state "never").
 *
 * Memory: the state holds a reference to the knowledge (knowledge.h) it was
 * last synced with and reads the registry's strings in place: a registered
 * asset costs one pointer until it reports, when its entry (counts, last
 * values) is made. Only devices the registry does not name (unregistered
 * ones, and heard assets that left the registry on a reload) keep a copy
 * of their text.
 *
 * Threads: devstate_sync_knowledge and devstate_note are called from one
 * thread (the pipeline's), never at the same time; the rest from any
 * thread. A reload waits for the readers in progress.
 *
 * State: "never" (no reading since start), "online" (last reading received
 * within offline_misses report intervals: the asset's, else its category's,
 * else 15 minutes; the daemon sets alerts.offline_misses, so that the live
 * view, the alerts and the coverage report agree), "offline" otherwise.
 */
#ifndef LIFELINE_DEVSTATE_H
#define LIFELINE_DEVSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DEVSTATE_MAX_UNREGISTERED 4096
#define DEVSTATE_MAX_VALUES 64    /* fields kept per device; later new ones are not */
#define DEVSTATE_STR_MAX 64       /* string values are cut (at a character) to fit */
#define DEVSTATE_OFFLINE_MISSES 3 /* until devstate_set_offline_misses */

struct devstate;
struct knowledge;
struct profile;
struct reading;
struct asset;

/* NULL on out of memory. */
struct devstate *devstate_new(void);
/* Frees; accepts NULL. */
void devstate_free(struct devstate *ds);

/*
 * Brings the known assets in line with k's registry (may be NULL: none) and
 * its report intervals with k's profiles: takes a reference to k (the
 * caller keeps its own) and drops the one to the knowledge synced before;
 * heard assets are matched to the new registry by asset_id (their counts
 * and values stay), never-heard assets that left the registry are
 * forgotten, heard ones stay, marked unregistered (their text copied), and
 * unregistered devices the registry now names are forgotten. Call at start
 * and on every reload. 0, or -ENOMEM with the state unchanged (still on the
 * knowledge synced before). k == NULL: no registry, no profiles.
 */
int devstate_sync_knowledge(struct devstate *ds, struct knowledge *k);

/*
 * A device is "offline" once silent for this many report intervals (any
 * thread; misses <= 0: DEVSTATE_OFFLINE_MISSES). The daemon passes
 * alerts.offline_misses.
 */
void devstate_set_offline_misses(struct devstate *ds, int misses);

/* One stored reading, as the pipeline saw it. */
struct devstate_obs {
    const struct asset *asset; /* NULL: not in the registry; else in the knowledge synced */
    const char *device;        /* the sensor's id */
    size_t device_len;
    const char *category; /* the measurement written */
    size_t category_len;
    const char *district; /* NULL or the tag written */
    size_t district_len;
    const struct profile *profile; /* for units and the report interval; may be NULL */
    const struct reading *reading;
    int64_t recv_ms; /* when the broker handed it over */
    bool whole;      /* false when validation removed bad fields (validate.partial) */
};

/* Records a stored reading. Never fails: past the limits it forgets quietly. */
void devstate_note(struct devstate *ds, const struct devstate_obs *o);

/* The version of the latest change (0 before any); any thread. */
uint64_t devstate_version(const struct devstate *ds);

enum devstate_state { DEVSTATE_NEVER, DEVSTATE_ONLINE, DEVSTATE_OFFLINE };
/* "never", "online", "offline". */
const char *devstate_state_name(enum devstate_state s);
/* 0 and *out, or -EINVAL. */
int devstate_state_parse(const char *name, enum devstate_state *out);

/* Which devices a listing or stream wants; NULL or "" members match all. */
struct devstate_filter {
    const char *district;
    const char *category;
    const char *device; /* id, asset_id or device id, exactly */
    const char *q;      /* substring of id, name, device, district (ASCII case-insensitive) */
    bool has_state;
    enum devstate_state state;
};

/*
 * Appends {"now_ms":..,"version":..,"count":N,"devices":[...]} to out, the
 * devices matching f (NULL: all) sorted by id, each as devstate_render_one
 * describes. 0 or a buf error (-E2BIG, -ENOMEM).
 */
int devstate_render_list(struct devstate *ds, const struct devstate_filter *f, int64_t now_ms,
                         struct buf *out);
/*
 * Appends one device as a JSON object:
 *   {"id","asset","device","name","category","district","status","lat","lon",
 *    "registered","state","last_seen_ms","last_ts_ms","readings","whole",
 *    "values":{"<field>":{"value":v,"unit":"MPa","type":"float"}}}
 * status is the registry's (legacy, planned, upgraded, retired; "" when
 * unregistered). lat/lon null when unknown; last_* 0 when never. `id` is the asset id or,
 * for an unregistered device, its device id. 0, -ENOENT, or a buf error.
 */
int devstate_render_one(struct devstate *ds, const char *id, int64_t now_ms, struct buf *out);

/* Who a device is, for queries about it. */
struct devstate_ident {
    char asset[64];
    char device[128];
    char category[32];
};
/* Fills *out for the device with this id. 0 or -ENOENT. */
int devstate_ident(struct devstate *ds, const char *id, struct devstate_ident *out);

/*
 * For the live stream: appends an SSE "reading" event (event: reading,
 * data: the device's JSON) for every device matching f whose last change is
 * newer than `since`, oldest change first, and sets *upto to the version
 * they bring the reader to. When more than `max_events` changed it appends
 * nothing and returns -EOVERFLOW: the reader is behind and must start over
 * from a listing (*upto is then the current version). 0 or a negative errno.
 */
int devstate_render_changes(struct devstate *ds, uint64_t since, const struct devstate_filter *f,
                            size_t max_events, int64_t now_ms, struct buf *out, uint64_t *upto);

#endif
