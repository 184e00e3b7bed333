/*
 * registry: the asset registry, loaded from the CSV file operators export
 * from their spreadsheet (UTF-8, header row, quoted fields may hold commas
 * and newlines), columns:
 *   asset_id, name, category, district, lat, lon, status, upgraded_on,
 *   device_id, model, report_interval_s
 * Immutable once loaded: a reload builds a new registry and swaps it in, so
 * readers never lock. Lookups by device_id are O(1).
 */
#ifndef LIFELINE_REGISTRY_H
#define LIFELINE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum asset_status { ASSET_LEGACY, ASSET_PLANNED, ASSET_UPGRADED, ASSET_RETIRED };

struct asset {
    const char *asset_id; /* unique, non-empty */
    const char *name;     /* UTF-8, may be Chinese */
    const char *category; /* one of the known categories */
    const char *district;
    double lat, lon;       /* WGS84; NAN when not given */
    enum asset_status status;
    int32_t upgraded_on;   /* days since 1970-01-01, or -1 when not upgraded */
    const char *device_id; /* the sensor's id in topics or payloads; "" when none */
    const char *model;     /* "" when not given */
    int32_t report_interval_s; /* 0: the category default */
    int line;                  /* line in the CSV file where the row starts */
};

struct registry;

/*
 * Loads and validates the CSV at `path`. Every problem is appended to
 * `errors` as "FILE:LINE: COLUMN: problem; fix: what to do" (duplicate
 * asset_id or device_id, unknown category, bad coordinates, bad date, bad
 * status, missing column). `known_category(name)` says which categories
 * exist (profiles). Returns the registry, or NULL when there were errors
 * (*nerrors says how many) or the file cannot be read.
 */
struct registry *registry_load(const char *path, bool (*known_category)(const char *name),
                               struct buf *errors, int *nerrors);
/* Frees; accepts NULL. */
void registry_free(struct registry *r);
/* The asset whose device_id is exactly dev[0..len), or NULL. */
const struct asset *registry_find_device(const struct registry *r, const char *dev, size_t len);
/* The asset with this asset_id, or NULL. */
const struct asset *registry_find_asset(const struct registry *r, const char *id);
size_t registry_count(const struct registry *r);
/* The i-th asset in file order (i < registry_count). */
const struct asset *registry_at(const struct registry *r, size_t i);
const char *asset_status_name(enum asset_status s);

#endif
