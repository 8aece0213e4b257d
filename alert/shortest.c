/* alert/shortest.c — binary numbers as JSON text: a double (or a float's
 * 32-bit value) as the shortest decimal that reads back to it, in the shape
 * Python's repr() gives it; an int64 exactly. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alert/internal.h"

#include "alert/shortest_table.h"

/* floor(e log2 10), floor(q log10 2) and floor(log10(3/4 2^q)) for the
 * exponents of doubles (scripts/gen_shortest_table.py checks them exactly). */
static inline int floor_log2_pow10(int e) { return (int)(((int64_t)e * 913124641741) >> 38); }
static inline int floor_log10_pow2(int q) { return (int)(((int64_t)q * 661971961083) >> 41); }
static inline int floor_log10_three_quarters_pow2(int q) { return (int)(((int64_t)q * 661971961083 - 274743187321) >> 41); }

#define MASK63 ((UINT64_C(1) << 63) - 1)

/* g * cp / 2^127, rounded to odd (its lowest bit set when anything was cut). */
static inline uint64_t round_odd(const uint64_t g[2], uint64_t cp)
{
    unsigned __int128 y = (unsigned __int128)g[0] * cp;
    uint64_t x1 = (uint64_t)(((unsigned __int128)g[1] * cp) >> 64);
    uint64_t z = ((uint64_t)y >> 1) + x1;
    uint64_t high = (uint64_t)(y >> 64) + (z >> 63);
    return high | (((z & MASK63) + MASK63) >> 63);
}

/* The shortest decimal f 10^*exp10 in the rounding interval of c 2^q (Giulietti's
 * Schubfach: the interval's ends and c scaled by one precomputed power of ten,
 * then the candidates of one digit less and the two nearest). c_min is the
 * format's least normal significand, where the interval below is half as wide. */
static uint64_t to_decimal(int q, uint64_t c, uint64_t c_min, int q_min, int *exp10)
{
    uint64_t odd = c & 1, cb = c << 2, cbr = cb + 2, cbl;
    int k;
    if (c != c_min || q == q_min) {
        cbl = cb - 2;
        k = floor_log10_pow2(q);
    } else {
        cbl = cb - 1;
        k = floor_log10_three_quarters_pow2(q);
    }
    int h = q + floor_log2_pow10(-k) + 2;
    const uint64_t *g = shortest_g[-k - SHORTEST_G_MIN];
    uint64_t vb = round_odd(g, cb << h), vbl = round_odd(g, cbl << h), vbr = round_odd(g, cbr << h);
    uint64_t s = vb >> 2;
    *exp10 = k;
    if (s >= 10) { /* one digit less (Java's >= 100 keeps two digits at least: repr() keeps one) */
        uint64_t sp10 = s / 10 * 10, tp10 = sp10 + 10;
        bool upin = vbl + odd <= sp10 << 2, wpin = (tp10 << 2) + odd <= vbr;
        if (upin != wpin)
            return upin ? sp10 : tp10;
    }
    uint64_t t = s + 1;
    bool uin = vbl + odd <= s << 2, win = (t << 2) + odd <= vbr;
    if (uin != win)
        return uin ? s : t;
    int64_t cmp = (int64_t)(vb - ((s + t) << 1));
    return cmp < 0 || (cmp == 0 && (s & 1) == 0) ? s : t;
}

/* The shortest digits of v > 0 (finite) that read back to it, as a double or
 * (float32) a float: digits without a point, and the exponent of the first. */
static size_t shortest_digits(double v, bool float32, char digits[24], int *exp10)
{
    uint64_t c, f;
    int q, e = 0, mantissa = float32 ? 23 : 52, q_min = float32 ? -149 : -1074;
    uint64_t t, biased;
    if (float32) {
        float x = (float)v;
        uint32_t bits;
        memcpy(&bits, &x, 4);
        biased = bits >> 23 & 0xFF;
        t = bits & ((UINT32_C(1) << 23) - 1);
    } else {
        uint64_t bits;
        memcpy(&bits, &v, 8);
        biased = bits >> 52 & 0x7FF;
        t = bits & ((UINT64_C(1) << 52) - 1);
    }
    uint64_t c_min = UINT64_C(1) << mantissa;
    if (biased != 0) {
        c = c_min | t;
        q = (int)biased + q_min - 1;
        int mq = -q;
        if (mq > 0 && mq < mantissa + 1 && (c >> mq) << mq == c) {
            f = c >> mq; /* an integer: its own digits */
            goto digits;
        }
    } else {
        c = t; /* subnormal */
        q = q_min;
    }
    f = to_decimal(q, c, c_min, q_min, &e);
digits:;
    char tmp[24];
    size_t n = 0;
    for (; f; f /= 10)
        tmp[n++] = (char)('0' + f % 10);
    size_t zeros = 0;
    while (zeros < n - 1 && tmp[zeros] == '0')
        zeros++;
    size_t len = n - zeros;
    for (size_t i = 0; i < len; i++)
        digits[i] = tmp[n - 1 - i];
    *exp10 = e + (int)n - 1;
    return len;
}

size_t alert_put_shortest(char *out, double v, bool float32)
{
    if (isnan(v) || isinf(v)) {
        memcpy(out, "null", 4);
        return 4;
    }
    char *w = out;
    if (signbit(v)) {
        *w++ = '-';
        v = -v;
    }
    if (v == 0) {
        memcpy(w, "0.0", 3);
        return (size_t)(w + 3 - out);
    }
    char digits[24] = "";
    int exp10;
    size_t n = shortest_digits(v, float32, digits, &exp10);
    int point = exp10 + 1; /* digits are 0.DIGITS x 10^point */
    if (point > 16 || point < -3) {
        /* repr()'s exponent form: d[.ddd]e+XX */
        *w++ = digits[0];
        if (n > 1) {
            *w++ = '.';
            memcpy(w, digits + 1, n - 1);
            w += n - 1;
        }
        w += sprintf(w, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    } else if (point <= 0) {
        memcpy(w, "0.", 2);
        w += 2;
        memset(w, '0', (size_t)-point);
        w += -point;
        memcpy(w, digits, n);
        w += n;
    } else if ((size_t)point < n) {
        memcpy(w, digits, (size_t)point);
        w += point;
        *w++ = '.';
        memcpy(w, digits + point, n - (size_t)point);
        w += n - (size_t)point;
    } else {
        memcpy(w, digits, n);
        w += n;
        memset(w, '0', (size_t)point - n);
        w += (size_t)point - n;
        memcpy(w, ".0", 2);
        w += 2;
    }
    return (size_t)(w - out);
}

size_t alert_put_int64(char *out, int64_t v)
{
    char tmp[24];
    char *t = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--t = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--t = '-';
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(out, t, n);
    return n;
}
