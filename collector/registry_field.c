/*
 * One registry value at a time. The messages name what was found and what
 * to write instead, since the reader is someone fixing a spreadsheet.
 */
#include "registry_field.h"
#include "numparse.h"

#include <string.h>
#include <strings.h>

#define QUOTE_MAX 80

int registry_field_quote(struct buf *b, const char *s, size_t len)
{
    size_t n = len;
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* do not cut a UTF-8 sequence */
    }
    int rc = buf_putc(b, '\'');
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\')
            rc = buf_printf(b, "\\x%02x", c);
        else
            rc = buf_putc(b, (char)c);
    }
    if (rc == 0 && n < len)
        rc = buf_puts(b, "...");
    return rc ? rc : buf_putc(b, '\'');
}

bool registry_field_status(const char *s, size_t len, enum asset_status *out, struct buf *msg)
{
    static const struct {
        const char *word;
        enum asset_status status;
        bool any_case;
    } words[] = {
        {"legacy", ASSET_LEGACY, true},     {"planned", ASSET_PLANNED, true},
        {"upgraded", ASSET_UPGRADED, true}, {"retired", ASSET_RETIRED, true},
        {"旧", ASSET_LEGACY, false},        {"未改造", ASSET_LEGACY, false},
        {"计划", ASSET_PLANNED, false},     {"计划改造", ASSET_PLANNED, false},
        {"已改造", ASSET_UPGRADED, false},  {"退役", ASSET_RETIRED, false},
        {"已退役", ASSET_RETIRED, false},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if (n == len && (words[i].any_case ? strncasecmp(s, words[i].word, n) == 0
                                           : memcmp(s, words[i].word, n) == 0)) {
            *out = words[i].status;
            return true;
        }
    }
    registry_field_quote(msg, s, len);
    buf_puts(msg, " is not a status; " REGISTRY_STATUS_FIX);
    return false;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* After Howard Hinnant's days_from_civil. */
int32_t registry_field_days(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

/* Digits s[*at..) up to `sep` (or the end): 1..maxdigits of them, in [lo, hi]. */
static bool part(const char *s, size_t len, size_t *at, char sep, size_t mindigits,
                 size_t maxdigits, int64_t lo, int64_t hi, int64_t *out)
{
    size_t start = *at, end = start;
    while (end < len && s[end] != sep)
        end++;
    if (end - start < mindigits || end - start > maxdigits || (s[start] == '+' || s[start] == '-'))
        return false;
    if (num_parse_i64(s + start, end - start, lo, hi, out) != 0)
        return false;
    *at = end + 1;
    return sep == '\0' ? end == len : end < len;
}

bool registry_field_date(const char *s, size_t len, int32_t *days, struct buf *msg)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char sep = len > 4 ? s[4] : '\0';
    int64_t y, m, d;
    size_t at = 0;
    bool ok = (sep == '-' || sep == '/') && part(s, len, &at, sep, 4, 4, 1970, 2099, &y) &&
              part(s, len, &at, sep, 1, 2, 1, 12, &m) && part(s, len, &at, '\0', 1, 2, 1, 31, &d);
    if (ok)
        ok = d <= mdays[m - 1] + (m == 2 && leap((int)y));
    if (ok) {
        *days = registry_field_days((int)y, (int)m, (int)d);
        return true;
    }
    registry_field_quote(msg, s, len);
    buf_puts(msg, " is not a valid date; fix: write YYYY-MM-DD (or YYYY/MM/DD as Excel does), "
                  "e.g. 2025-06-30, years 1970 to 2099");
    return false;
}

bool registry_field_coord(const char *s, size_t len, double limit, const char *what, double *out,
                          struct buf *msg)
{
    double v;
    int rc = num_parse_double(s, len, &v);
    if (rc == 0 && v >= -limit && v <= limit) {
        *out = v;
        return true;
    }
    registry_field_quote(msg, s, len);
    if (rc == 0)
        buf_printf(msg, " is outside %.0f..%.0f", -limit, limit);
    else
        buf_puts(msg, " is not a number");
    buf_printf(msg, "; fix: give the %s in decimal degrees (WGS84), e.g. %s, or leave it empty",
               what, limit < 100 ? "37.4512" : "116.3075");
    return false;
}

bool registry_field_interval(const char *s, size_t len, int32_t *out, struct buf *msg)
{
    int64_t v;
    if (num_parse_i64(s, len, 1, 604800, &v) == 0) {
        *out = (int32_t)v;
        return true;
    }
    registry_field_quote(msg, s, len);
    buf_puts(msg, " is not a whole number of seconds from 1 to 604800 (7 days); fix: write the "
                  "sensor's reporting interval, e.g. 300, or leave it empty for the category "
                  "default");
    return false;
}

bool registry_field_id(const char *s, size_t len, struct buf *msg)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            registry_field_quote(msg, s, len);
            buf_puts(msg, " contains a control character (a line break?); fix: remove it");
            return false;
        }
    }
    return true;
}
