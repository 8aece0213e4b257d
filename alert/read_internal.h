/* alert/read_internal.h — what the reader's files (read.c, read_string.c,
 * read_number.c) share: its state and errors, and the scans its hot loop inlines. */
#ifndef ALERT_READ_INTERNAL_H
#define ALERT_READ_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "alert/internal.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct {
    alert_doc *d;
    const unsigned char *s;
    size_t len;
    bool python;
    bool escaped; /* a string needs decoding: alert_string will need the scratch */
    bool quiet;   /* only the error's offset is wanted (AUTO's first try): no formatting */
    alert_error *err;
} reader;

int alert_read_fail(reader *r, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4), cold));
/* "EXPECTED, found" what is at pos. */
int alert_read_fail_found(reader *r, size_t pos, const char *expected) __attribute__((cold));

/* ---- strings (read_string.c reads what these stop at) ---- */

/* Bytes that end plain string content: quotes, backslash, control and non-ASCII bytes (read_string.c). */
extern const uint8_t alert_read_string_stop[256];

#ifdef __SSE2__
/* Of the 16 bytes at p, a bit for each that ends plain string content. A
 * signed difference from 0x20, saturated, takes control and non-ASCII bytes
 * (negative) at once: its sign bit is what movemask takes (a compare would be
 * two steps, GCC negating the one it makes). */
static inline unsigned string_stops16(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i quotes = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\'')), _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
    __m128i odd = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')), _mm_subs_epi8(x, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(quotes, odd));
}
#endif

/* The first byte at or after i that ends plain string content, or len. */
static inline size_t plain_end(const unsigned char *s, size_t len, size_t i)
{
#ifdef __SSE2__
    for (; i + 16 <= len; i += 16) {
        unsigned m = string_stops16(s + i);
        if (m)
            return i + (unsigned)__builtin_ctz(m);
    }
    if (len >= 16) {
        /* The last 16 bytes of the message, without the ones before i. */
        unsigned m = string_stops16(s + len - 16) >> (i - (len - 16));
        return m ? i + (unsigned)__builtin_ctz(m) : len;
    }
#endif
    while (i < len && !alert_read_string_stop[s[i]])
        i++;
    return i;
}

/* The rest of a string opened at open from i, the first byte that is not plain
 * content nor its closing quote. Returns where the closing quote is, 0 after failing. */
size_t alert_read_string_rest(reader *r, size_t open, size_t i, uint8_t type, uint8_t *flags);

/* ---- numbers (read_number.c reads those of an uncommon shape) ---- */

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Whether the decimal digits [p, p+n) (no sign, no leading zero) exceed int64_t. */
static inline bool beyond_int64(const unsigned char *p, size_t n, bool negative)
{
    if (n != 19)
        return n > 19;
    return memcmp(p, negative ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

/* A number in the one grammar both formats share (JSON's) at start: only its
 * shape is checked here. Returns where it ends (with its type and flags), 0 after failing. */
size_t alert_read_number_end(reader *r, size_t start, uint8_t *type, uint8_t *flags);

#ifdef __SSE2__
/* Of the 16 bytes at p, a bit for each ASCII digit. Adding 0x46 takes '0'-'9'
 * to the top of the signed bytes, 0x76-0x7F, and every other byte below. */
static inline unsigned digits16(const unsigned char *p)
{
    __m128i x = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), _mm_set1_epi8(0x46));
    return (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(x, _mm_set1_epi8(0x75)));
}

/* Of the 16 bytes at p, a bit for each that is not an ASCII digit. */
static inline unsigned non_digits16(const unsigned char *p) { return ~digits16(p) & 0xFFFF; }

/* Of the 48 bytes at p, a bit for each that is not an ASCII digit (and the bits above). */
static inline uint64_t non_digits48(const unsigned char *p)
{
    return ~(digits16(p) | (uint64_t)digits16(p + 16) << 16 | (uint64_t)digits16(p + 32) << 32);
}

/* The digits of a number from i and its fraction if any (31.923990219, or
 * 2.453 of 2.453e-06), from other: a bit for each of the `width` bytes from i
 * that is not a digit, and bits past them of which at least one is set (a run
 * reaching past the width is not known to end there). Returns their length,
 * with *type, when they and the 2 bytes after them are in the window and keep
 * the grammar; 0 otherwise. */
static inline __attribute__((always_inline)) unsigned mantissa_in(const unsigned char *s, size_t i, uint64_t other,
                                                                  unsigned width, uint8_t *type)
{
    unsigned whole = (unsigned)__builtin_ctzll(other), n = whole;
    if (whole - 1 >= width - 1 || (s[i] == '0' && whole > 1))
        return 0;
    *type = ALERT_INT;
    if (s[i + whole] == '.') {
        n = (unsigned)__builtin_ctzll(other & (other - 1)); /* the next byte that is not a digit */
        if (n == whole + 1)
            return 0;
        *type = ALERT_FLOAT;
    }
    return n < width - 1 ? n : 0; /* n + 1 < width, with no sum to keep (GCC spilled it) */
}

/* The flags of a number of type `type` from start whose n digits start at i. */
static inline __attribute__((always_inline)) uint8_t number_flags(const unsigned char *s, size_t start, size_t i,
                                                                  unsigned n, uint8_t type)
{
    return n >= 19 && type == ALERT_INT && beyond_int64(s + i, n, i > start) ? ALERT_F_BIGINT : 0;
}

/* Where the number from start ends whose mantissa of n bytes (see mantissa_in,
 * with other and width) starts at i: after its exponent if any (e-06), with
 * its type and flags; 0 if that is not of a common shape. */
static inline __attribute__((always_inline)) size_t number_rest(const unsigned char *s, size_t start, size_t i,
                                                                unsigned n, uint64_t other, unsigned width,
                                                                uint8_t *type, uint8_t *flags)
{
    if ((s[i + n] | 0x20) != 'e') {
        *flags = number_flags(s, start, i, n, *type);
        return i + n;
    }
    unsigned digits = n + 1 + (s[i + n + 1] == '+' || s[i + n + 1] == '-');
    unsigned exponent = (unsigned)__builtin_ctzll(other >> digits);
    n = digits + exponent;
    if (exponent == 0 || n >= width)
        return 0;
    *type = ALERT_FLOAT;
    *flags = 0;
    return i + n;
}

/* Where the number whose digits start at i ends (see mantissa_in for other and
 * width), when it has a common shape: digits, maybe a fraction, maybe an
 * exponent (2.453e-06). 0 otherwise. */
static inline __attribute__((always_inline)) size_t number_in(const unsigned char *s, size_t start, size_t i,
                                                              uint64_t other, unsigned width, uint8_t *type,
                                                              uint8_t *flags)
{
    unsigned n = mantissa_in(s, i, other, width, type);
    return n ? number_rest(s, start, i, n, other, width, type, flags) : 0;
}

/* Where the number at start ends when it has a common shape within the next
 * 16 bytes, or else 32, from digit masks, with its type and flags; 0 otherwise.
 * The 32 bytes after the sign must be readable. */
static inline __attribute__((always_inline)) size_t window_number_end(const unsigned char *s, size_t start,
                                                                      uint8_t *type, uint8_t *flags)
{
    size_t i = start + (s[start] == '-');
    uint64_t other = non_digits16(s + i);
    size_t end = number_in(s, start, i, other | ~(uint64_t)0 << 16, 16, type, flags);
    if (end == 0)
        end = number_in(s, start, i, other | (uint64_t)non_digits16(s + i + 16) << 16 | ~(uint64_t)0 << 32, 32, type,
                        flags);
    return end;
}

/* The same for a number less than 33 bytes from the end of the message (the
 * last ones of a message are), on a copy padded with spaces: a space ends a
 * number as the end of the message does. */
size_t alert_read_tail_number_end(const unsigned char *s, size_t len, size_t start, uint8_t *type, uint8_t *flags);
#endif

/* Where the number at start ends when it has a common shape (see number_in),
 * with its type and flags; 0 otherwise (alert_read_number_end reads it). */
static inline __attribute__((always_inline)) size_t plain_number_end(const unsigned char *s, size_t len, size_t start,
                                                                     uint8_t *type, uint8_t *flags)
{
#ifdef __SSE2__
    if (start + 33 > len) {
        /* Through copies: the caller's type and flags, never addressed by a
         * call, can stay in registers. */
        uint8_t tail_type, tail_flags;
        size_t end = alert_read_tail_number_end(s, len, start, &tail_type, &tail_flags);
        if (end) {
            *type = tail_type;
            *flags = tail_flags;
        }
        return end;
    }
    return window_number_end(s, start, type, flags);
#else
    (void)s, (void)len, (void)start, (void)type, (void)flags;
    return 0;
#endif
}

#endif
