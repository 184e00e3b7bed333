/*
 * numparse: the one checked number parser (no atoi/strtol elsewhere).
 *
 * Each function parses the whole of s[0..len) (no leading or trailing blanks,
 * no trailing garbage) in the C locale and returns 0, -EINVAL when the text is
 * not a number of that kind, or -ERANGE when it is outside [min, max].
 * `s` need not be NUL-terminated.
 */
#ifndef LIFELINE_NUMPARSE_H
#define LIFELINE_NUMPARSE_H

#include <stddef.h>
#include <stdint.h>

int num_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);
int num_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);
/* Accepts decimal and exponent notation; refuses NaN, Inf and hex floats. */
int num_parse_double(const char *s, size_t len, double *out);

#endif
