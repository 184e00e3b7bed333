/*
 * lineproto_escape: names, tag values and string values as line protocol
 * text: escaped, or refused (a positive enum problem) where no escaping
 * would read back the same bytes. See lineproto.h for the rules.
 */
#include "lineproto.h"
#include "lineproto_impl.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static const unsigned char cls[256] = {
    ['\0'] = C_BAD,
    ['\n'] = C_BAD,
    ['\r'] = C_BAD,
    [','] = C_ESC_MEAS | C_ESC_KEY | C_AFTER_BS,
    [' '] = C_ESC_MEAS | C_ESC_KEY | C_AFTER_BS,
    ['='] = C_ESC_KEY | C_AFTER_BS,
    ['"'] = C_AFTER_BS | C_ESC_STR,
    ['\\'] = C_BS | C_AFTER_BS | C_ESC_STR,
};

/* Unless the line is reserved: makes room for the worst case of s[0..n) plus
 * `extra` bytes, or if that passes the cap, for its exact escaped size. */
static int reserve_text(const struct lpw *w, const char *s, size_t n, unsigned esc, size_t extra)
{
    if (w->reserved)
        return 0;
    struct buf *b = w->b;
    size_t worst = n <= (SIZE_MAX - extra) / 2 ? 2 * n + extra : SIZE_MAX;
    int rc = buf_reserve(b, worst);
    if (rc != -E2BIG)
        return rc;
    size_t exact = n + extra;
    for (size_t i = 0; i < n; i++)
        if (cls[(unsigned char)s[i]] & esc)
            exact++;
    return buf_reserve(b, exact);
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* True when none of the 8 bytes in x can need attention in a name or tag
 * value: every byte that is escaped, forbidden or a backslash is below '-'
 * (NUL, CR, LF, ' ', ','), '=' or '\'. Bytes below '-' that are harmless
 * ('!' to '+', tabs) only send the chunk to the exact loop. The tests are
 * the classic "has a byte less than n" / "has a zero byte" bit tricks: they
 * may mark the wrong byte of a word, never a word that has none. */
static bool chunk_plain(uint64_t x)
{
    uint64_t lt = (x - ONES * 0x2D) & ~x;
    uint64_t eq = x ^ (ONES * '=');
    uint64_t bs = x ^ (ONES * '\\');
    return ((lt | ((eq - ONES) & ~eq) | ((bs - ONES) & ~bs)) & HIGHS) == 0;
}

int lp_put_ident(const struct lpw *w, char lead, const char *s, size_t n, unsigned esc)
{
    struct buf *b = w->b;
    int rc = reserve_text(w, s, n, esc, 1);
    if (rc)
        return rc;
    char *p = b->data + b->len;
    if (lead)
        *p++ = lead;
    /* Names and tag values are mostly plain: copy them eight bytes at a time
     * while no byte needs a look (a third of the encoder went to the loop
     * below, byte by byte). The output never runs ahead of the input, so the
     * eight-byte store stays inside the reservation. */
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (!chunk_plain(x))
            break;
        memcpy(p, &x, 8);
        p += 8;
    }
    if (i < n && i >= 8 && i + 8 > n) { /* the rest: the last 8 bytes, overlapping */
        uint64_t x;
        memcpy(&x, s + n - 8, 8);
        if (chunk_plain(x)) {
            memcpy(p - i + n - 8, &x, 8);
            p += n - i;
            i = n;
        }
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned f = cls[c];
        if (!(f & (esc | C_BAD | C_BS))) {
            *p++ = (char)c;
            continue;
        }
        if (f & C_BAD)
            return c == '\0' ? PR_NUL : PR_NEWLINE;
        if (f & C_BS) {
            if (i + 1 == n)
                return PR_TRAILING_BS;
            if (cls[(unsigned char)s[i + 1]] & C_AFTER_BS)
                return PR_BS_SPECIAL;
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        *p++ = (char)c;
    }
    b->len = (size_t)(p - b->data);
    return 0;
}

bool lp_plain(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (!chunk_plain(x))
            break;
    }
    for (; i < n; i++)
        if (cls[(unsigned char)s[i]] & (C_ESC_MEAS | C_ESC_KEY | C_BAD | C_BS))
            return false;
    return true;
}

int lp_put_plain(const struct lpw *w, char lead, const char *s, size_t n)
{
    struct buf *b = w->b;
    if (!w->reserved) {
        int rc = buf_reserve(b, n + 1);
        if (rc)
            return rc;
    }
    b->data[b->len] = lead;
    memcpy(b->data + b->len + 1, s, n);
    b->len += n + 1;
    return 0;
}

int lp_put_string(const struct lpw *w, const char *s, size_t n)
{
    struct buf *b = w->b;
    int rc = reserve_text(w, s, n, C_ESC_STR, 3);
    if (rc)
        return rc;
    char *p = b->data + b->len;
    *p++ = '=';
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '"' || c == '\\')
            *p++ = '\\';
        else if (c == '\n' || c == '\r')
            return PR_NEWLINE;
        else if (c == '\0')
            return PR_NUL;
        *p++ = c;
    }
    *p++ = '"';
    b->len = (size_t)(p - b->data);
    return 0;
}
