/*
 * buf: a growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * The caller owns the struct; buf_free() releases the storage and accepts a
 * buffer that was never grown. The content is always NUL-terminated when
 * data != NULL, so buf.data can be handed to C string functions; the NUL is
 * not counted in len. Appending past `max` fails with -E2BIG and leaves the
 * content unchanged.
 */
#ifndef LIFELINE_BUF_H
#define LIFELINE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
};

/* Sets up an empty buffer that may hold at most `max` bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t max);
/* Releases the storage; the buffer is empty and usable again afterwards. */
void buf_free(struct buf *b);
/* Forgets the content, keeps the storage. */
void buf_reset(struct buf *b);
/* Makes room for `n` more bytes. 0, -E2BIG past the cap, -ENOMEM. */
int buf_reserve(struct buf *b, size_t n);
/* Appends n bytes. 0, -E2BIG, -ENOMEM. */
int buf_append(struct buf *b, const void *p, size_t n);
/* Appends a C string. 0, -E2BIG, -ENOMEM. */
int buf_puts(struct buf *b, const char *s);
/* Appends one byte. 0, -E2BIG, -ENOMEM. */
int buf_putc(struct buf *b, char c);
/* Appends printf-formatted text. 0, -E2BIG, -ENOMEM, -EINVAL on a format error. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Shortens the content to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

#endif
