/*
 * utf8: strict UTF-8 checks, for everything that must be text (JSON strings,
 * quarantine payloads, line protocol).
 */
#ifndef LIFELINE_UTF8_H
#define LIFELINE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the sequence a lead byte announces (1..4), 0 for a bad lead byte. */
size_t utf8_seq_len(unsigned char c);
/* True when s[0..len) is valid UTF-8: no overlongs, no surrogates, nothing
 * past U+10FFFF. NUL bytes are valid (callers that cannot carry them check). */
bool utf8_valid(const char *s, size_t len);

#endif
