/* alert/value.c — scalar values read from the tape on demand: numbers are
 * converted only when a rule asks, strings decoded only when escaped. */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alert/internal.h"

int alert_int(const alert_doc *d, uint32_t node, int64_t *out)
{
    if (node >= d->n_nodes)
        return -1;
    const alert_node *n = &d->nodes[node];
    if (n->type != ALERT_INT || (n->flags & (ALERT_F_BIGINT | ALERT_F_BINARY))) {
        if (n->type != ALERT_INT || !(n->flags & ALERT_F_BINARY))
            return -1;
        *out = (int64_t)((uint64_t)n->len << 32 | n->start); /* Avro: the value itself (alert/avro.h) */
        return 0;
    }
    const char *p = d->src + n->start, *end = p + n->len;
    bool negative = *p == '-';
    uint64_t v = 0;
    for (p += negative; p < end; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    /* The reader set ALERT_F_BIGINT beyond int64_t, so only INT64_MIN needs care. */
    *out = !negative ? (int64_t)v : v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
    return 0;
}

/* strtod on the token: the message is not NUL-terminated, so it reads a copy. */
static double token_to_double(const char *p, size_t n)
{
    char local[128];
    char *buf = n < sizeof local ? local : malloc(n + 1);
    if (!buf)
        return NAN;
    memcpy(buf, p, n);
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (buf != local)
        free(buf);
    return v;
}

/* The exact powers of ten a double holds: 5^22 < 2^53. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* digits / 10^-scale or digits * 10^scale, for digits below 2^53 and scale
 * within 22: digits and power of ten are then both exact doubles, so one
 * multiplication or division rounds once, exactly as strtod does. */
static double scaled_decimal(uint64_t digits, ptrdiff_t scale, bool negative)
{
    double v = scale >= 0 ? (double)digits * exact_pow10[scale] : (double)digits / exact_pow10[-scale];
    return negative ? -v : v;
}

/* The token's value when it has at most 15 significant digits and a decimal
 * exponent within 1e+-22 (scaled_decimal). Returns false for anything else
 * (strtod reads it). */
static bool small_decimal(const char *p, const char *end, double *out)
{
#if FLT_EVAL_METHOD == 0
    bool negative = p < end && *p == '-';
    p += negative;
    const char *start = p;
    uint64_t digits = 0;
    while (p < end && *p == '0')
        p++; /* leading zeros are not significant */
    const char *first = p;
    for (; p < end && (unsigned)(*p - '0') < 10; p++)
        digits = digits * 10 + (uint64_t)(*p - '0');
    ptrdiff_t significant = p - first, scale = 0;
    if (p < end && *p == '.') {
        const char *fraction = ++p;
        if (digits == 0)
            while (p < end && *p == '0')
                p++;
        first = p;
        for (; p < end && (unsigned)(*p - '0') < 10; p++)
            digits = digits * 10 + (uint64_t)(*p - '0');
        significant += p - first;
        scale = fraction - p;
        if (p == start + 1)
            return false; /* a point and no digit */
    }
    if (p == start || significant > 15)
        return false; /* beyond 15 digits, digits may have wrapped: strtod reads it */
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool negative_exp = p < end && *p == '-';
        p += p < end && (*p == '-' || *p == '+');
        int exp = 0;
        if (p == end)
            return false;
        for (; p < end && (unsigned)(*p - '0') < 10; p++)
            if ((exp = exp * 10 + (*p - '0')) > 1000)
                return false;
        scale += negative_exp ? -exp : exp;
    }
    if (p != end || scale < -22 || scale > 22)
        return false;
    *out = scaled_decimal(digits, scale, negative);
    return true;
#else
    (void)p, (void)end, (void)out;
    return false; /* wider intermediates would round twice */
#endif
}

#if FLT_EVAL_METHOD == 0 && defined(__SSE2__)
/* 16 zero bytes, then 16 of 0xFF: the 16 from k on are 0xFF from byte 16 - k on. */
static const unsigned char from_byte[32] = {
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

/* small_decimal for the shape most fields have, digits around a point and
 * no exponent, at most 15 digits in all, in a few vector steps
 * instead of a loop per digit: the 16 bytes that end with the token (q..end,
 * after its sign) are read at once, the point's byte taken out, and the
 * digits summed in pairs, fours and eights. The digits and scale are then those
 * small_decimal finds (leading zeros add nothing to either), so the value is
 * the same single rounding. src is where the message starts: nothing before it
 * is read. Returns false, having decided nothing, for any other token. */
static bool point_decimal(const char *src, const char *q, const char *end, bool negative, double *out)
{
    ptrdiff_t m = end - q; /* the token's bytes, the point's included */
    if (m < 2 || m > 16 || end - src < 16)
        return false;
    __m128i t = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(end - 16)), _mm_set1_epi8('0'));
    /* A byte is no digit where t, unsigned, is 10 or more (signed after flipping the top bit). */
    unsigned other = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(_mm_xor_si128(t, _mm_set1_epi8((char)0x80)),
                                                                _mm_set1_epi8((char)(0x80 + 9)))) &
                     (0xFFFFu << (16 - m));
    unsigned point = other ? (unsigned)__builtin_ctz(other) : 0;
    /* One byte no digit, a point (with a digit on one side at least, as m > 1). */
    if (other != 1u << point || end[(ptrdiff_t)point - 16] != '.')
        return false;
    /* The bytes before the point move up by one over it; the m - 1 digits end the vector, zeros before them. */
    __m128i after = _mm_loadu_si128((const __m128i *)(const void *)(from_byte + 15 - point));
    t = _mm_or_si128(_mm_and_si128(after, t), _mm_andnot_si128(after, _mm_slli_si128(t, 1)));
    t = _mm_and_si128(t, _mm_loadu_si128((const __m128i *)(const void *)(from_byte + m - 1)));
    /* Pairs (the byte first in the text is the more significant), then fours, then eights. */
    __m128i pairs = _mm_add_epi16(_mm_mullo_epi16(_mm_and_si128(t, _mm_set1_epi16(0xFF)), _mm_set1_epi16(10)),
                                  _mm_srli_epi16(t, 8));
    __m128i fours = _mm_madd_epi16(pairs, _mm_set1_epi32(1 << 16 | 100) /* 100, 1 */);
    __m128i eights = _mm_madd_epi16(_mm_packs_epi32(fours, fours), _mm_set1_epi32(1 << 16 | 10000) /* 10000, 1 */);
    uint64_t digits = (uint64_t)(uint32_t)_mm_cvtsi128_si32(eights) * 100000000u +
                      (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(eights, 4));
    *out = scaled_decimal(digits, (ptrdiff_t)point - 15, negative);
    return true;
}
#endif

double alert_double(const alert_doc *d, uint32_t node)
{
    if (node >= d->n_nodes)
        return NAN;
    const alert_node *n = &d->nodes[node];
    int64_t i;
    double v;
    if (n->type == ALERT_INT && alert_int(d, node, &i) == 0)
        return (double)i;
    if (n->type != ALERT_INT && n->type != ALERT_FLOAT)
        return NAN;
    if (n->flags & ALERT_F_BINARY) {
        uint64_t bits = (uint64_t)n->len << 32 | n->start;
        memcpy(&v, &bits, sizeof v);
        return v;
    }
    const char *p = d->src + n->start, *end = p + n->len;
#if FLT_EVAL_METHOD == 0 && defined(__SSE2__)
    bool negative = n->len > 0 && *p == '-';
    if (point_decimal(d->src, p + negative, end, negative, &v))
        return v;
#endif
    return small_decimal(p, end, &v) ? v : token_to_double(p, n->len);
}

int alert_string(alert_doc *d, uint32_t node, const char **s, size_t *n)
{
    if (node >= d->n_nodes)
        return -1;
    const alert_node *node_p = &d->nodes[node];
    if (node_p->type != ALERT_STR && node_p->type != ALERT_BYTES)
        return -1;
    const unsigned char *p = (const unsigned char *)d->src + node_p->start, *end = p + node_p->len;
    if (!(node_p->flags & ALERT_F_ESCAPED)) {
        *s = (const char *)p;
        *n = node_p->len;
        return 0;
    }
    /* Decoded text is never longer than the raw span: it goes at the same offset in the scratch. */
    char *out = d->scratch + node_p->start, *o = out;
    alert_escape_mode mode = alert_node_escape_mode(d, node_p);
    while (p < end)
        o += alert_decode_piece(&p, end, mode, o);
    *s = out;
    *n = (size_t)(o - out);
    return 0;
}
