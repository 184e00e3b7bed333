/*
 * jsonout: small helpers that append JSON text to a buf, for the records and
 * responses Lifeline writes itself (quarantine, /healthz, alerts). Input text
 * must be valid UTF-8; it is copied as is, with '"', '\\' and control
 * characters escaped. All return 0 or the buf error.
 */
#ifndef LIFELINE_JSONOUT_H
#define LIFELINE_JSONOUT_H

#include <stddef.h>

#include "buf.h"

/* Appends s[0..len) as a quoted JSON string. */
int json_append_string(struct buf *b, const char *s, size_t len);
/* Appends "key": then the quoted value (C strings; value NULL -> null). */
int json_append_kv(struct buf *b, const char *key, const char *value);
/* Appends the standard base64 encoding of p[0..len), quoted. */
int json_append_base64(struct buf *b, const void *p, size_t len);

#endif
