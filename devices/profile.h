/*
 * profile: what is known about a device category (water_supply, drainage,
 * sewage, manhole_cover, bridge_tunnel, surveillance, ...): its fields with
 * type, unit and valid range, the default report interval, alarm defaults
 * for alert rules, and aliases that map vendor names to canonical fields
 * (tiltAngle -> tilt, RSRP -> rsrp, COD -> w01018).
 *
 * A profile is one JSON file, devices/profiles/<category>.json:
 *
 *   {"category": "manhole_cover",            optional; must equal the file name
 *    "title": {"en": "...", "zh": "..."},    optional
 *    "report_interval_s": 43200,             required, 1..31622400
 *    "fields": {"tilt": {"type": "float",    float | bool | string
 *                        "unit": "°",        optional
 *                        "min": 0, "max": 90,  optional (float only): valid range
 *                        "alarm": {"above": 10}}},  optional: below, above
 *                        (numbers), equals (bool or string), not_equals (string)
 *    "aliases": {"tiltAngle": "tilt"}}       optional; target must be a field
 *
 * The files in devices/profiles/ are compiled into the binary; a directory
 * given to profile_set_load() (config key profiles.dir) adds categories or
 * replaces a built-in one whole, file by file.
 *
 * A loaded set is immutable, so threads may read it without locks; a reload
 * builds a new set. Field lookups by name or alias are one hash probe.
 */
#ifndef LIFELINE_PROFILE_H
#define LIFELINE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#define PROFILE_MAX_FIELDS 256
#define PROFILE_MAX_CATEGORIES 64

enum profile_type { PROFILE_FLOAT, PROFILE_BOOL, PROFILE_STRING };

struct profile_alarm {
    double below, above;    /* NAN when not given */
    int equals_bool;        /* -1 when not given, else 0 or 1 */
    const char *equals_str; /* NULL when not given */
    const char *not_equals_str;
};

struct profile_field {
    const char *name; /* canonical name */
    const char *unit; /* "" when not given */
    enum profile_type type;
    double min, max; /* -INFINITY / INFINITY when not given */
    struct profile_alarm alarm;
};

struct profile {
    const char *category;
    const char *source; /* "built-in" or the file's path */
    int32_t report_interval_s;
    size_t nfields;
    const struct profile_field *fields;
    /* private: */
    struct profile_slot *slots; /* hash of names and aliases to field indices */
    size_t nslots;              /* a power of two */
    struct cJSON *doc;          /* owns every string above */
    char *source_copy;
};

struct profile_set;

/*
 * Loads the built-in profiles, then every *.json file in `dir` (NULL or "":
 * none), each of which adds its category or replaces the built-in one.
 * Every problem is appended to `errors` (may be NULL) as one line
 * "FILE: KEY: problem; fix: what to do" and counted in *nerrors. Returns the
 * set, or NULL when there was any error (or out of memory).
 */
struct profile_set *profile_set_load(const char *dir, struct buf *errors, int *nerrors);
/* Frees; accepts NULL. */
void profile_set_free(struct profile_set *s);
/* The profile of category[0..len), or NULL. */
const struct profile *profile_set_find(const struct profile_set *s, const char *category,
                                       size_t len);
size_t profile_set_count(const struct profile_set *s);
/* The i-th profile (i < profile_set_count), sorted by category. */
const struct profile *profile_set_at(const struct profile_set *s, size_t i);

/*
 * The field named key[0..len) or aliased by it, or NULL. *alias (may be
 * NULL) is set to true when key was an alias.
 */
const struct profile_field *profile_find_field(const struct profile *p, const char *key, size_t len,
                                               bool *alias);
/*
 * Writes p as Markdown: a "### category: title (中文)" heading, its default
 * report interval and file, and a table of its fields (name, type, unit,
 * min, max, alarm, aliases). docs/devices.md holds this output for the
 * built-in set, checked by tests/unit/test_profile.c.
 */
void profile_write_reference(const struct profile *p, FILE *out);
/* profile_write_reference() of every profile of s, by category, separated by a blank line. */
void profile_set_write_reference(const struct profile_set *s, FILE *out);
/* "float", "bool" or "string". */
const char *profile_type_name(enum profile_type t);

/*
 * Parses one profile from text[0..len) (not NUL-terminated) for `category`;
 * `source` names it in errors and in profile->source. Problems go to errors
 * as profile_set_load() describes. Returns the profile (free with
 * profile_free) or NULL.
 */
struct profile *profile_parse(const char *category, const char *source, const char *text,
                              size_t len, struct buf *errors, int *nerrors);
/* Frees; accepts NULL. */
void profile_free(struct profile *p);

/* The profiles compiled into the binary (generated from devices/profiles/). */
struct profile_builtin {
    const char *category;
    const char *json;
    size_t len;
};
extern const struct profile_builtin profile_builtins[];
extern const size_t profile_builtins_len;

#endif
