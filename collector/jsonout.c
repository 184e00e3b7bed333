#include "jsonout.h"

#include <string.h>

int json_append_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    int rc = buf_reserve(b, len + 2);
    if (rc)
        return rc;
    rc = buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = buf_append(b, s + start, i - start);
        if (rc)
            break;
        start = i + 1;
        switch (c) {
        case '"':
            rc = buf_append(b, "\\\"", 2);
            break;
        case '\\':
            rc = buf_append(b, "\\\\", 2);
            break;
        case '\n':
            rc = buf_append(b, "\\n", 2);
            break;
        case '\r':
            rc = buf_append(b, "\\r", 2);
            break;
        case '\t':
            rc = buf_append(b, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = buf_append(b, u, sizeof u);
        }
        }
    }
    if (!rc)
        rc = buf_append(b, s + start, len - start);
    if (!rc)
        rc = buf_putc(b, '"');
    return rc;
}

int json_append_kv(struct buf *b, const char *key, const char *value)
{
    int rc = json_append_string(b, key, strlen(key));
    if (!rc)
        rc = buf_putc(b, ':');
    if (!rc)
        rc = value ? json_append_string(b, value, strlen(value)) : buf_puts(b, "null");
    return rc;
}

int json_append_base64(struct buf *b, const void *p, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *s = p;
    int rc = buf_reserve(b, (len + 2) / 3 * 4 + 2);
    if (rc)
        return rc;
    buf_putc(b, '"');
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        char q[4] = {tbl[s[i] >> 2], tbl[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
                     tbl[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)], tbl[s[i + 2] & 63]};
        buf_append(b, q, 4);
    }
    if (i < len) {
        unsigned a = s[i], c = i + 1 < len ? s[i + 1] : 0;
        char q[4] = {tbl[a >> 2], tbl[((a & 3) << 4) | (c >> 4)],
                     i + 1 < len ? tbl[(c & 15) << 2] : '=', '='};
        buf_append(b, q, 4);
    }
    return buf_putc(b, '"');
}
