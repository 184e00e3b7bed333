/*
 * unknown_devices: the bounded set of device ids that sent readings but are
 * not in the asset registry (registry.unknown_devices = flag), so operators
 * can find them and add them; the live view serves the list, /metrics the
 * count (lifeline_unknown_devices).
 *
 * At most `cap` ids are held (ids longer than UNKNOWN_DEVICE_ID_MAX - 1
 * bytes are cut); later ones are only counted in `overflow`. Memory is
 * allocated once. Thread safe: the pipeline notes, any thread lists.
 */
#ifndef LIFELINE_UNKNOWN_DEVICES_H
#define LIFELINE_UNKNOWN_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNKNOWN_DEVICE_ID_MAX 128
#define UNKNOWN_CATEGORY_MAX 64

struct unknown_device {
    char id[UNKNOWN_DEVICE_ID_MAX];
    char category[UNKNOWN_CATEGORY_MAX]; /* as the message named it, "" when it did not */
    int64_t first_ms, last_ms;           /* receive times */
    uint64_t readings;
};

struct unknown_devices;
struct registry;

/* NULL on out of memory. cap >= 1. */
struct unknown_devices *unknown_devices_new(size_t cap);
/* Frees; accepts NULL. */
void unknown_devices_free(struct unknown_devices *u);
/* Notes one reading from device id[0..len) (category may be NULL). */
void unknown_devices_note(struct unknown_devices *u, const char *id, size_t len,
                          const char *category, size_t category_len, int64_t now_ms);
/* Forgets every id that `reg` now lists (after a reload). */
void unknown_devices_forget_registered(struct unknown_devices *u, const struct registry *reg);
/* Ids held. */
size_t unknown_devices_count(struct unknown_devices *u);
/* Ids seen but not held because the set was full. */
uint64_t unknown_devices_overflow(struct unknown_devices *u);
/* Copies up to max entries, most recently seen first; returns how many. */
size_t unknown_devices_list(struct unknown_devices *u, struct unknown_device *out, size_t max);

#endif
