/*
 * lineproto_number: integers and floats as line protocol text, in the C
 * locale whatever LC_NUMERIC says (lp_format_double, lp_put_i64).
 */
#include "lineproto.h"
#include "lineproto_impl.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "numparse.h"

static const char digits2[] = "00010203040506070809"
                              "10111213141516171819"
                              "20212223242526272829"
                              "30313233343536373839"
                              "40414243444546474849"
                              "50515253545556575859"
                              "60616263646566676869"
                              "70717273747576777879"
                              "80818283848586878889"
                              "90919293949596979899";

static const uint64_t pow10_u64[20] = {1ULL,
                                       10ULL,
                                       100ULL,
                                       1000ULL,
                                       10000ULL,
                                       100000ULL,
                                       1000000ULL,
                                       10000000ULL,
                                       100000000ULL,
                                       1000000000ULL,
                                       10000000000ULL,
                                       100000000000ULL,
                                       1000000000000ULL,
                                       10000000000000ULL,
                                       100000000000000ULL,
                                       1000000000000000ULL,
                                       10000000000000000ULL,
                                       100000000000000000ULL,
                                       1000000000000000000ULL,
                                       10000000000000000000ULL};

/* Digits of v from its bit length (log10(2) ~ 1233 / 4096), corrected by
 * one comparison: a 13-digit timestamp took 13 trips round a loop. */
static size_t count_digits(uint64_t v)
{
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1);
    size_t n = (size_t)((bits * 1233u) >> 12);
    return n + ((v | 1) >= pow10_u64[n]);
}

/* Writes v in decimal right to left; no memcpy, whose call costs more than
 * the copy at these sizes. */
static size_t put_u64(char *dst, uint64_t v)
{
    size_t n = count_digits(v);
    char *p = dst + n;
    while (v >= 100) {
        size_t r = (size_t)(v % 100) * 2;
        v /= 100;
        *--p = digits2[r + 1];
        *--p = digits2[r];
    }
    if (v >= 10) {
        *--p = digits2[2 * v + 1];
        *--p = digits2[2 * v];
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

size_t lp_put_i64(char *dst, int64_t v)
{
    if (v < 0) {
        dst[0] = '-';
        return 1 + put_u64(dst + 1, 0 - (uint64_t)v); /* INT64_MIN included */
    }
    return put_u64(dst, (uint64_t)v);
}

/* Writes neg, digits dig[0..k) and decimal exponent e (value = d.ddd x 10^e)
 * the way %g would, but always in the C locale. */
static size_t compose(char *dst, bool neg, const char *dig, size_t k, int e)
{
    size_t n = 0;
    if (neg)
        dst[n++] = '-';
    if (e < -4 || e >= 17) {
        dst[n++] = dig[0];
        if (k > 1) {
            dst[n++] = '.';
            memcpy(dst + n, dig + 1, k - 1);
            n += k - 1;
        }
        dst[n++] = 'e';
        if (e < 0)
            dst[n++] = '-';
        n += put_u64(dst + n, (uint64_t)(e < 0 ? -e : e));
    } else if (e >= 0) {
        size_t ip = (size_t)e + 1;
        for (size_t i = 0; i < ip; i++)
            dst[n++] = i < k ? dig[i] : '0';
        if (k > ip) {
            dst[n++] = '.';
            memcpy(dst + n, dig + ip, k - ip);
            n += k - ip;
        }
    } else {
        dst[n++] = '0';
        dst[n++] = '.';
        for (int i = -1; i > e; i--)
            dst[n++] = '0';
        memcpy(dst + n, dig, k);
        n += k;
    }
    return n;
}

/* The general case: %.15e, %.16e, then %.17e (which always round-trips), read
 * back digit by digit so that a non-C LC_NUMERIC cannot leak its decimal
 * point into the output. */
static size_t format_double_slow(char *dst, double v)
{
    char tmp[48];
    size_t len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        int w = snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (w < 0 || (size_t)w >= sizeof tmp)
            continue;
        const char *p = tmp;
        bool neg = *p == '-';
        if (neg)
            p++;
        char dig[24];
        size_t k = 0;
        for (; *p && *p != 'e' && *p != 'E'; p++)
            if (*p >= '0' && *p <= '9' && k < sizeof dig)
                dig[k++] = *p;
        int e = 0, esign = 1;
        if (*p)
            p++;
        if (*p == '-' || *p == '+')
            esign = *p++ == '-' ? -1 : 1;
        for (; *p >= '0' && *p <= '9'; p++)
            e = e * 10 + (*p - '0');
        while (k > 1 && dig[k - 1] == '0')
            k--;
        len = compose(dst, neg, dig, k, esign * e);
        double back;
        if (prec == 17 || (num_parse_double(dst, len, &back) == 0 && back == v))
            break;
    }
    return len;
}

/* Writes m x 10^-d as [-]int[.frac], 0.000ddd when m has no more than d digits. */
static size_t put_fixed(char *dst, bool neg, uint64_t m, size_t d)
{
    size_t k = count_digits(m);
    size_t len = (size_t)neg + (k > d ? k : d + 1) + (d > 0);
    char *p = dst + len;
    for (size_t i = 0; i < d; i++) {
        *--p = (char)('0' + m % 10);
        m /= 10;
    }
    if (d > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (neg)
        *--p = '-';
    return len;
}

static const double pow10_tab[] = {1e0, 1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
                                   1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};

size_t lp_format_double(char *dst, double v)
{
    if (v == 0) {
        if (signbit(v)) {
            memcpy(dst, "-0", 2);
            return 2;
        }
        dst[0] = '0';
        return 1;
    }
#if FLT_EVAL_METHOD == 0
    /* Fast path for the usual sensor value (12.5, 0.31, 87): the fewest
     * decimals d such that the integer N nearest v * 10^d gives back v as
     * N / 10^d. N < 2^53 and 10^d are exact doubles, so the division is
     * correctly rounded, exactly as strtod() rounds the text "N / 10^d". */
    double a = fabs(v);
    if (a >= 1e-4 && a < 0x1p53) {
        for (size_t d = 0; d < sizeof pow10_tab / sizeof pow10_tab[0]; d++) {
            double y = a * pow10_tab[d];
            if (y >= 0x1p53)
                break;
            int64_t m = (int64_t)y; /* signed: converts in one instruction */
            if (y - (double)m >= 0.5)
                m++;
            /* If v is N / 10^d rounded, y is within 2 ulps of N: skip the
             * division (the slow part) for every d that cannot match. */
            if (fabs(y - (double)m) > y * 0x1p-51 || (double)m / pow10_tab[d] != a)
                continue;
            while (d > 0 && m % 10 == 0) {
                m /= 10;
                d--;
            }
            return put_fixed(dst, v < 0, (uint64_t)m, d);
        }
    }
#endif
    return format_double_slow(dst, v);
}
