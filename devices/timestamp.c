#include "timestamp.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "numparse.h"

#define MS_PER_DAY INT64_C(86400000)

/* Howard Hinnant's days_from_civil: days since 1970-01-01, valid for any year. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t days_in_month(int64_t y, int64_t m)
{
    static const int8_t dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Exactly n decimal digits at s, into *out. */
static bool digits(const char *s, size_t n, int64_t *out)
{
    uint64_t v;
    if (num_parse_u64(s, n, 99999999, &v))
        return false;
    *out = (int64_t)v;
    return true;
}

struct civil {
    int64_t year, month, day, hour, min, sec, msec;
};

/* Range checks a broken-down time and converts it to epoch ms as if it were UTC. */
static int civil_to_ms(const struct civil *c, int64_t *ms)
{
    if (c->month < 1 || c->month > 12 || c->day < 1 || c->day > days_in_month(c->year, c->month) ||
        c->hour > 23 || c->min > 59 || c->sec > 60 || c->msec > 999)
        return -EINVAL;
    int64_t sec = c->sec, msec = c->msec;
    if (sec == 60) { /* leap second: see the header */
        sec = 59;
        msec = 999;
    }
    int64_t days = days_from_civil(c->year, c->month, c->day);
    *ms = days * MS_PER_DAY + ((c->hour * 60 + c->min) * 60 + sec) * 1000 + msec;
    return 0;
}

/* Parses the offset at s[0..len) into minutes east of UTC. */
static int parse_offset(const char *s, size_t len, int64_t *minutes)
{
    if (len == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *minutes = 0;
        return 0;
    }
    if (len < 3 || (s[0] != '+' && s[0] != '-'))
        return -EINVAL;
    int64_t hh, mm = 0;
    if (!digits(s + 1, 2, &hh))
        return -EINVAL;
    if (len == 6 && s[3] == ':') { /* +hh:mm */
        if (!digits(s + 4, 2, &mm))
            return -EINVAL;
    } else if (len == 5) { /* +hhmm */
        if (!digits(s + 3, 2, &mm))
            return -EINVAL;
    } else if (len != 3) { /* +hh */
        return -EINVAL;
    }
    if (hh > 23 || mm > 59)
        return -EINVAL;
    *minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return 0;
}

int ts_parse_zone(const char *s, size_t len, int *minutes)
{
    char tmp[8];
    int64_t m;
    if (len >= 3 && (memcmp(s, "UTC", 3) == 0 || memcmp(s, "GMT", 3) == 0)) {
        s += 3;
        len -= 3;
        if (len == 0) {
            *minutes = 0;
            return 0;
        }
        if (s[0] != '+' && s[0] != '-')
            return -EINVAL; /* "UTCZ" */
    }
    /* "+8" and "+8:30": a one-digit hour, as in UTC+8, becomes "+08..." */
    if (len >= 2 && len <= 5 && (s[0] == '+' || s[0] == '-') && s[1] >= '0' && s[1] <= '9' &&
        (len == 2 || s[2] == ':')) {
        tmp[0] = s[0];
        tmp[1] = '0';
        memcpy(tmp + 2, s + 1, len - 1);
        s = tmp;
        len++;
    }
    if (parse_offset(s, len, &m) != 0 || m < -12 * 60 || m > 14 * 60)
        return -EINVAL;
    *minutes = (int)m;
    return 0;
}

int ts_parse_iso8601(const char *s, size_t len, int64_t *ms)
{
    struct civil c = {0};
    /* YYYY-MM-DDThh:mm:ss is 19 bytes; at least one offset byte must follow. */
    if (len < 20)
        return -EINVAL;
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return -EINVAL;
    if (!digits(s, 4, &c.year) || !digits(s + 5, 2, &c.month) || !digits(s + 8, 2, &c.day) ||
        !digits(s + 11, 2, &c.hour) || !digits(s + 14, 2, &c.min) || !digits(s + 17, 2, &c.sec))
        return -EINVAL;
    size_t i = 19;
    if (s[i] == '.' || s[i] == ',') {
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            /* Only the first three digits count: truncation, not rounding. */
            if (i - start < 3)
                c.msec = c.msec * 10 + (s[i] - '0');
            i++;
        }
        size_t n = i - start;
        if (n == 0)
            return -EINVAL;
        for (; n < 3; n++)
            c.msec *= 10;
    }
    int64_t off;
    if (i >= len || parse_offset(s + i, len - i, &off))
        return -EINVAL; /* no offset, or a bad one */
    int64_t local;
    if (civil_to_ms(&c, &local))
        return -EINVAL;
    *ms = local - off * 60000;
    return 0;
}

int ts_from_number(double v, int64_t *ms)
{
    if (!isfinite(v) || v < 0)
        return -EINVAL;
    double x;
    if (v < 1e11)
        x = v * 1e3;
    else if (v < 1e14)
        x = v;
    else if (v < 1e17)
        x = v / 1e3;
    else
        x = v / 1e6;
    x = floor(x + 0.5);
    if (x > (double)TS_MAX_MS)
        return -ERANGE;
    *ms = (int64_t)x;
    return 0;
}

int ts_parse_compact_local(const char *s, size_t len, int offset_minutes, int64_t *ms)
{
    struct civil c = {0};
    if ((len != 14 && len != 17) || offset_minutes <= -1440 || offset_minutes >= 1440)
        return -EINVAL;
    if (!digits(s, 4, &c.year) || !digits(s + 4, 2, &c.month) || !digits(s + 6, 2, &c.day) ||
        !digits(s + 8, 2, &c.hour) || !digits(s + 10, 2, &c.min) || !digits(s + 12, 2, &c.sec))
        return -EINVAL;
    if (len == 17 && !digits(s + 14, 3, &c.msec))
        return -EINVAL;
    int64_t local;
    if (civil_to_ms(&c, &local))
        return -EINVAL;
    *ms = local - (int64_t)offset_minutes * 60000;
    return 0;
}

void ts_format_iso8601(int64_t ms, char out[32])
{
    /* Floor division, so times before 1970 land on the right day. */
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    int64_t y, m, d;
    civil_from_days(days, &y, &m, &d);
    int64_t sec = rem / 1000;
    /* The longest result (INT64_MIN) is 30 bytes; the wider scratch buffer
     * only keeps the compiler's truncation analysis, which cannot see that, quiet. */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)y,
             (long long)m, (long long)d, (long long)(sec / 3600), (long long)(sec / 60 % 60),
             (long long)(sec % 60), (long long)(rem % 1000));
    size_t n = strlen(tmp);
    if (n > 31)
        n = 31;
    memcpy(out, tmp, n);
    out[n] = '\0';
}
