/* alert/shortest.c — binary numbers as JSON text: a double (or a float's
 * 32-bit value) as the shortest decimal that reads back to it, in the shape
 * Python's repr() gives it; an int64 exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

/* The fewest significant digits of v that read back to it (as a double, or
 * as a float when float32), correctly rounded: digits without a point and
 * the exponent of the first. A k-digit decimal that reads back to v is
 * within half an ulp of it, closer than half a unit of the 15th (float: 6th)
 * digit, so rounding v to 15 (6) digits finds it when there is one; beyond,
 * 16 and 17 (7 to 9) are tried in turn, each the closest of its length. */
static size_t shortest_digits(double v, bool float32, char digits[20], int *exp10)
{
    char buf[40];
    int first = float32 ? 6 : 15, last = float32 ? 9 : 17;
    for (int prec = first;; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (prec == last)
            break;
        if (float32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    /* buf: "d.ddddde[+-]XX" */
    size_t n = 0;
    const char *p = buf;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    *exp10 = atoi(p + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
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
    char digits[20];
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
