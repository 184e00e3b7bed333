/*
 * reading: one decoded sensor reading, the unit that flows from a payload
 * decoder through validation to the line protocol encoder.
 *
 * A struct reading is made once per pipeline thread and reused for every
 * message: reading_reset() forgets the content but keeps the storage, so the
 * steady state allocates nothing. Field keys and string values live in the
 * reading's own arena, which is allocated once at its full capacity and never
 * moves, so the pointers in `fields` stay valid until the next reset.
 */
#ifndef LIFELINE_READING_H
#define LIFELINE_READING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define READING_MAX_FIELDS 128

enum field_type { FIELD_FLOAT, FIELD_INT, FIELD_BOOL, FIELD_STRING };

struct field {
    const char *key; /* NUL-terminated, in the arena or static */
    size_t key_len;
    int64_t ts_ms; /* this field's own time (Alink params carry one each); 0: the reading's */
    enum field_type type;
    union {
        double f;
        int64_t i;
        bool b;
        struct {
            const char *ptr; /* NUL-terminated, valid UTF-8, in the arena */
            size_t len;
        } s;
    } v;
};

struct reading {
    int64_t ts_ms;        /* the reading's own time, Unix epoch milliseconds */
    bool ts_from_receipt; /* true when the payload had no time and ts_ms is the receive time */
    size_t nfields;
    struct field fields[READING_MAX_FIELDS];
    char *arena;
    size_t arena_len;
    size_t arena_cap;
};

/* Allocates the arena (arena_cap bytes). 0 or -ENOMEM. */
int reading_init(struct reading *r, size_t arena_cap);
/* Releases the arena; accepts a reading that failed to init. */
void reading_free(struct reading *r);
/* Forgets fields and arena content; keeps the storage. */
void reading_reset(struct reading *r);
/* Copies n bytes plus a NUL into the arena. Returns the copy or NULL when full. */
char *reading_strdup(struct reading *r, const char *s, size_t n);
/* Appends a field slot and returns it (key and type still to be filled in),
 * or NULL when READING_MAX_FIELDS are in use. */
struct field *reading_add_field(struct reading *r);
/* The field with this key, or NULL. */
const struct field *reading_find(const struct reading *r, const char *key);

#endif
