/* tests/alert/test_shortest.c — the shortest round-trip decimal of a double or
 * float (alert/shortest.c) against an independent search by printf and strtod:
 * millions of random bit patterns, every tiny subnormal, powers of two and ten. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"
#include "tests/alert/random.h"

/* Whether the decimal m 10^e reads back to v; its text in buf. */
static bool reads_back(uint64_t m, int e, double v, bool float32, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llue%d", (unsigned long long)m, e);
    return float32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v;
}

/* The shortest digits by brute force: each length from 1 up, the correctly
 * rounded one by printf and (where a power of two makes the interval lopsided)
 * its two neighbours, until one reads back (strtod, strtof) to v; then repr()'s shape. */
static void oracle(double v, bool float32, char *out)
{
    if (isnan(v) || isinf(v)) {
        strcpy(out, "null");
        return;
    }
    char buf[64], text[48];
    double a = fabs(v);
    /* A decimal of k digits that reads back is within half a gap of v, closer than half a unit of
     * the 15th digit (a float's 6th): rounding to 15 (6) digits finds it. Not so for subnormals. */
    int first = a < (float32 ? 0x1p-126 : 0x1p-1022) ? 1 : float32 ? 6 : 15;
    for (int prec = first; a != 0; prec++) {
        snprintf(text, sizeof text, "%.*e", prec - 1, a);
        uint64_t m = 0;
        const char *p = text;
        for (; *p != 'e'; p++)
            if (*p != '.')
                m = m * 10 + (uint64_t)(*p - '0');
        int e = atoi(p + 1) - (prec - 1);
        uint64_t found = reads_back(m, e, a, float32, buf, sizeof buf)       ? m
                         : reads_back(m - 1, e, a, float32, buf, sizeof buf) ? m - 1
                         : reads_back(m + 1, e, a, float32, buf, sizeof buf) ? m + 1
                                                                              : 0;
        if (found) { /* its digits as d.ddde+X */
            char digits[24];
            int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)found);
            snprintf(text, sizeof text, "%c.%se%+03d", digits[0], digits + 1, e + n - 1);
            break;
        }
    }
    if (a == 0)
        snprintf(text, sizeof text, "0e+00");
    snprintf(buf, sizeof buf, "%s%s", signbit(v) ? "-" : "", text);
    char *w = out, digits[24];
    const char *p = buf;
    if (*p == '-')
        *w++ = *p++;
    size_t n = 0;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    int exp10 = atoi(p + 1), point = exp10 + 1;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    if (a == 0) {
        strcpy(w, "0.0");
    } else if (point > 16 || point < -3) {
        w += sprintf(w, "%c", digits[0]);
        if (n > 1)
            w += sprintf(w, ".%.*s", (int)n - 1, digits + 1);
        sprintf(w, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
    } else if (point <= 0) {
        sprintf(w, "0.%0*d%.*s", -point, 0, (int)n, digits);
        if (point == 0)
            sprintf(w, "0.%.*s", (int)n, digits);
    } else if ((size_t)point < n) {
        sprintf(w, "%.*s.%.*s", point, digits, (int)n - point, digits + point);
    } else {
        sprintf(w, "%.*s%0*d.0", (int)n, digits, point - (int)n, 0);
        if ((size_t)point == n)
            sprintf(w, "%.*s.0", (int)n, digits);
    }
}

static void same(double v, bool float32)
{
    char want[64], got[64];
    oracle(v, float32, want);
    size_t n = alert_put_shortest(got, v, float32);
    got[n] = '\0';
    cr_assert_str_eq(got, want, "%s %a: %s, not %s", float32 ? "float" : "double", v, got, want);
}

Test(shortest, random_doubles_and_floats, .timeout = 120)
{
    uint64_t state = 0x5eed5eed;
    for (int i = 0; i < 500000; i++) {
        uint64_t bits = next_random(&state);
        double d;
        memcpy(&d, &bits, 8);
        same(d, false);
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, 4);
        same(f, true);
    }
}

Test(shortest, decimals_as_alerts_hold_them, .timeout = 60)
{
    uint64_t state = 42;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = next_random(&state);
        double v = (double)(r % 100000000) / pow(10, (double)(r >> 40 & 15)) * ((r >> 60 & 1) ? -1 : 1);
        same(v, false);
        same((float)v, true);
    }
}

Test(shortest, subnormals_boundaries_and_powers)
{
    for (uint64_t c = 0; c < 4096; c++) {
        double d;
        memcpy(&d, &c, 8);
        same(d, false);
        uint32_t c32 = (uint32_t)c;
        float f;
        memcpy(&f, &c32, 4);
        same(f, true);
    }
    for (int e = -1074; e <= 1023; e++) {
        same(ldexp(1, e), false);
        same(nextafter(ldexp(1, e), 0), false);
        same(nextafter(ldexp(1, e), INFINITY), false);
    }
    for (int e = -149; e <= 127; e++) {
        same(ldexpf(1, e), true);
        same(nextafterf(ldexpf(1, e), 0), true);
        same(nextafterf(ldexpf(1, e), INFINITY), true);
    }
    for (int e = -325; e <= 308; e++) {
        char text[32];
        snprintf(text, sizeof text, "1e%d", e);
        same(strtod(text, NULL), false);
        same(strtof(text, NULL), true);
    }
    const double special[] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 9007199254740992.0, 9007199254740993.0, 1e23, 5e-324,
                              1.7976931348623157e308, 0.1, 0.3, 2.0 / 3};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) {
        same(special[i], false);
        same((float)special[i], true);
    }
}
