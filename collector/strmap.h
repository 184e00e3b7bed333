/*
 * strmap: a string-keyed hash map (open addressing, linear probing) from a
 * copied key to a borrowed pointer. No deletion: the alert engine's tables
 * only grow (a resolved alert stays as history) or are rebuilt whole.
 * Not thread safe; the owner locks.
 */
#ifndef LIFELINE_STRMAP_H
#define LIFELINE_STRMAP_H

#include <stddef.h>

struct strmap;

/* An empty map; NULL on out of memory. */
struct strmap *strmap_new(void);
/* Frees the map and its key copies (not the values); accepts NULL. */
void strmap_free(struct strmap *m);
/* The value stored under key[0..len), or NULL. */
void *strmap_get(const struct strmap *m, const char *key, size_t len);
/* Stores val under a copy of key[0..len), replacing any earlier value. 0 or -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, size_t len, void *val);
/* Number of keys. */
size_t strmap_count(const struct strmap *m);

#endif
