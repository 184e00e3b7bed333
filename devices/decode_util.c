#include "decode_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

int decode_fail(enum reason *why, char *detail, size_t detail_len, enum reason r, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = decode_vfail(why, detail, detail_len, r, fmt, ap);
    va_end(ap);
    return rc;
}

int decode_vfail(enum reason *why, char *detail, size_t detail_len, enum reason r, const char *fmt,
                 va_list ap)
{
    *why = r;
    if (!detail || detail_len == 0)
        return -EINVAL;
    int n = vsnprintf(detail, detail_len, fmt, ap);
    if (n < 0) {
        detail[0] = '\0';
    } else if ((size_t)n >= detail_len) {
        size_t end = detail_len - 1, lead = end;
        while (lead > 0 && ((unsigned char)detail[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && lead - 1 + utf8_seq_len((unsigned char)detail[lead - 1]) > end)
            detail[lead - 1] = '\0';
    }
    return -EINVAL;
}

size_t decode_find_nul(const char *p, size_t len)
{
    const char *z = memchr(p, '\0', len);
    if (z)
        return (size_t)(z - p);
    for (size_t i = 1; i + 5 <= len; i++) {
        if (memcmp(p + i, "u0000", 5) != 0)
            continue;
        size_t bs = 0;
        while (bs < i && p[i - 1 - bs] == '\\')
            bs++;
        if (bs % 2 == 1)
            return i - 1;
    }
    return len;
}

bool decode_name_ok(const char *name, size_t len)
{
    if (len == 0 || !utf8_valid(name, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return true;
}

size_t decode_split_topic(const char *topic, size_t len, struct decode_level *lv, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && topic[i] != '/')
            continue;
        if (n == max)
            return max + 1;
        lv[n].ptr = topic + start;
        lv[n].len = i - start;
        n++;
        start = i + 1;
    }
    return n;
}

bool decode_level_is(const struct decode_level *lv, const char *s)
{
    size_t n = strlen(s);
    return lv->len == n && memcmp(lv->ptr, s, n) == 0;
}
