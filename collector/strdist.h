/*
 * strdist: how far apart two names are, for "did you mean ..." answers to a
 * misspelled configuration key or rule field.
 */
#ifndef LIFELINE_STRDIST_H
#define LIFELINE_STRDIST_H

#include <stddef.h>

/* The longest name str_distance measures; longer ones are SIZE_MAX away. */
#define STRDIST_MAX 128

/*
 * Optimal string alignment distance between a[0..la) and b[0..lb),
 * case-insensitive (ASCII): insertions, deletions, substitutions and
 * transpositions of neighbours count 1 each. SIZE_MAX when either is longer
 * than STRDIST_MAX.
 */
size_t str_distance(const char *a, size_t la, const char *b, size_t lb);

/* The largest distance still worth suggesting for a name of len bytes. */
size_t str_distance_limit(size_t len);

#endif
