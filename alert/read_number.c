/* alert/read_number.c — the reader's numbers of an uncommon shape, checked against
 * the one grammar both formats share. */
#include "alert/read_internal.h"

static size_t skip_digits(const unsigned char *s, size_t len, size_t i)
{
    while (i < len && is_digit(s[i]))
        i++;
    return i;
}

size_t alert_read_number_end(reader *r, size_t start, uint8_t *type, uint8_t *flags)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    size_t i = start;
    bool negative = s[i] == '-';
    i += negative;
    if (i >= len || !is_digit(s[i]))
        return alert_read_fail_found(r, i, "expected a digit after '-'"), 0;
    size_t digits = i;
    if (s[i] == '0' && i + 1 < len && is_digit(s[i + 1]))
        return alert_read_fail(r, i, "leading zero in number"), 0;
    i = skip_digits(s, len, i);
    size_t int_end = i;
    *type = ALERT_INT;
    if (i < len && s[i] == '.') {
        if (i + 1 >= len || !is_digit(s[i + 1]))
            return alert_read_fail_found(r, i + 1, "expected a digit after '.'"), 0;
        i = skip_digits(s, len, i + 1);
        *type = ALERT_FLOAT;
    }
    if (i < len && (s[i] | 0x20) == 'e') {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return alert_read_fail_found(r, i, "expected a digit in the exponent"), 0;
        i = skip_digits(s, len, i);
        *type = ALERT_FLOAT;
    }
    *flags = *type == ALERT_INT && beyond_int64(s + digits, int_end - digits, negative) ? ALERT_F_BIGINT : 0;
    return i;
}

#ifdef __SSE2__
size_t alert_read_tail_number_end(const unsigned char *s, size_t len, size_t start, uint8_t *type, uint8_t *flags)
{
    unsigned char padded[48];
    memset(padded, ' ', sizeof padded);
    memcpy(padded, s + start, len - start);
    size_t end = window_number_end(padded, 0, type, flags);
    return end ? start + end : 0;
}
#endif
