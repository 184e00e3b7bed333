/*
 * registry: the asset registry, loaded from the CSV file operators export
 * from their spreadsheet (UTF-8, header row, quoted fields may hold commas
 * and newlines), columns:
 *   asset_id, name, category, district, lat, lon, status, upgraded_on,
 *   device_id, model, report_interval_s
 * Immutable once loaded: a reload builds a new registry and swaps it in, so
 * readers never lock. Lookups by device_id are O(1).
 *
 * The file: an optional UTF-8 byte order mark (Excel's "CSV UTF-8"), LF,
 * CRLF or lone-CR line ends, double-quoted fields with "" for a quote. The
 * header names the columns in any order, case-insensitively; asset_id,
 * category and status are required, unknown columns are ignored, rows whose
 * fields are all empty are skipped. Values:
 *   status       legacy | planned | upgraded | retired in any case, or
 *                旧/未改造, 计划/计划改造, 已改造, 退役/已退役
 *   upgraded_on  YYYY-MM-DD or YYYY/M/D (Excel), 1970..2099; required when
 *                status is upgraded; checked but not stored otherwise
 *   lat, lon     decimal degrees, both or neither
 *   device_id    unique when not empty; asset_id unique and non-empty; no
 *                control characters in either
 *   report_interval_s  1..604800, empty = 0
 * Every string is UTF-8 (checked) and lives in the registry's arena.
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
 * status, missing column), LINE being the physical line where the row
 * starts; file-level problems (unreadable, empty) are "FILE: problem; fix:
 * ...". `errors` may be NULL. `known_category(name)` says which categories
 * exist (profiles; category_known() in devices/category.h); NULL accepts
 * any. Returns the registry (the caller's, to registry_free()), or NULL
 * when there were errors (*nerrors says how many; 0 on success) or the file
 * cannot be read. A file with a header and no rows is an empty registry.
 */
struct registry *registry_load(const char *path, bool (*known_category)(const char *name),
                               struct buf *errors, int *nerrors);
/* Frees; accepts NULL. */
void registry_free(struct registry *r);
/*
 * The asset whose device_id is exactly dev[0..len) (need not be
 * NUL-terminated), or NULL; NULL for r == NULL (no registry) and len == 0.
 * Allocates nothing; safe from any number of threads.
 */
const struct asset *registry_find_device(const struct registry *r, const char *dev, size_t len);
/* The asset with this asset_id, or NULL (also for r == NULL). */
const struct asset *registry_find_asset(const struct registry *r, const char *id);
/* Number of assets; 0 for NULL. */
size_t registry_count(const struct registry *r);
/* The i-th asset in file order, or NULL when i >= registry_count. */
const struct asset *registry_at(const struct registry *r, size_t i);
/* "legacy", "planned", "upgraded", "retired". */
const char *asset_status_name(enum asset_status s);

#endif
