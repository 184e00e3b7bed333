/*
 * lineproto_impl: what lineproto.c (the point and its refusals),
 * lineproto_escape.c (names, tag values and string values as text) and
 * lineproto_number.c (integers and floats as text) share.
 * Not for use outside the lineproto module.
 */
#ifndef LIFELINE_LINEPROTO_IMPL_H
#define LIFELINE_LINEPROTO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "lineproto.h"

/* Byte classes. ESC_MEAS / ESC_KEY / ESC_STR: escaped with a backslash in the
 * measurement / in tag keys, tag values and field keys / in string values.
 * BAD: never written. BS: the backslash itself. AFTER_BS: may not follow a
 * backslash in names and tag values. */
enum {
    C_ESC_MEAS = 1,
    C_ESC_KEY = 2,
    C_BAD = 4,
    C_BS = 8,
    C_AFTER_BS = 16,
    C_ESC_STR = 32, /* escaped inside a string field value */
};

/* What lp_put_ident found wrong; positive so it cannot be mistaken for -errno. */
enum problem { PR_NEWLINE = 1, PR_NUL, PR_TRAILING_BS, PR_BS_SPECIAL };

/* The output of one call. When the whole line's worst case was reserved up
 * front (the usual case), the writers below skip their own reservations. */
struct lpw {
    struct buf *b;
    bool reserved;
};

/* Appends `lead` (unless NUL) and s[0..n) with the bytes in class `esc`
 * escaped. Returns 0, -E2BIG, -ENOMEM, or a positive enum problem. */
int lp_put_ident(const struct lpw *w, char lead, const char *s, size_t n, unsigned esc);

/* Appends `lead` and s[0..n) as they are: the caller vouched with lp_plain().
 * 0, -E2BIG or -ENOMEM. */
int lp_put_plain(const struct lpw *w, char lead, const char *s, size_t n);

/* Appends ="s" with '"' and '\' escaped. 0, -E2BIG, -ENOMEM or PR_*. */
int lp_put_string(const struct lpw *w, const char *s, size_t n);

/* Writes v in decimal (a leading '-' when negative, INT64_MIN included) into
 * dst, which must hold 20 bytes. Returns the length; no NUL is written. */
size_t lp_put_i64(char *dst, int64_t v);

#endif
