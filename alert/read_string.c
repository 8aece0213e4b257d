/* alert/read_string.c — the reader's strings that are not plain content: escapes,
 * non-ASCII and control bytes, checked as each format allows. */
#include "alert/read_internal.h"

const uint8_t alert_read_string_stop[256] = {
    [0x00 ... 0x1F] = 1, ['"'] = 1, ['\''] = 1, ['\\'] = 1, [0x80 ... 0xFF] = 1,
};

/* An escape at i inside a string; returns its length, 0 after failing. JSON
 * escapes, and the Python ones JSON also has, may stay as they are in JSON output. */
static size_t string_escape(reader *r, size_t i, alert_escape_mode mode, bool *verbatim)
{
    uint32_t cp;
    const char *why;
    size_t n = alert_escape_decode(r->s + i, r->s + r->len, mode, &cp, &why);
    if (n == 0) {
        unsigned char c = i + 1 < r->len ? r->s[i + 1] : 0;
        if (strcmp(why, "invalid escape") == 0 && c > ' ' && c < 0x7F)
            alert_read_fail(r, i, "invalid escape '\\%c'", c);
        else
            alert_read_fail(r, i, "%s", why);
        return 0;
    }
    unsigned char c = r->s[i + 1];
    if (mode != ALERT_ESC_JSON && (c == 0 || !strchr("\\\"bfnrtu", c) || mode == ALERT_ESC_PY_BYTES))
        *verbatim = false;
    return n;
}

/* A raw byte that stopped the fast scan and is neither quote nor backslash. */
static size_t string_odd_byte(reader *r, size_t i, uint8_t type, bool *verbatim)
{
    unsigned char c = r->s[i];
    if (c >= 0x80) {
        if (type == ALERT_BYTES) {
            alert_read_fail(r, i, "non-ASCII byte in bytes literal");
            return 0;
        }
        size_t n = alert_utf8_check(r->s + i, r->s + r->len);
        if (n == 0)
            alert_read_fail(r, i, "invalid UTF-8 in string");
        return n;
    }
    *verbatim = false;
    if (c == '"' || c == '\'')
        return 1;
    if (c == 0)
        alert_read_fail(r, i, "NUL byte in string");
    else if (!r->python)
        alert_read_fail(r, i, "control character 0x%02x in string must be escaped", c);
    else if (c == '\n' || c == '\r')
        alert_read_fail(r, i, "newline in string");
    else
        return 1;
    return 0;
}

size_t alert_read_string_rest(reader *r, size_t open, size_t i, uint8_t type, uint8_t *flags)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    unsigned char quote = s[open];
    alert_escape_mode mode = type == ALERT_BYTES ? ALERT_ESC_PY_BYTES : r->python ? ALERT_ESC_PY_STR : ALERT_ESC_JSON;
    bool verbatim = true, escaped = false;
    size_t n;
    for (; i < len && s[i] != quote; i = plain_end(s, len, i + n)) {
        if (s[i] == '\\') {
            escaped = true;
            n = string_escape(r, i, mode, &verbatim);
        } else if (s[i] == '\'' && quote == '"') {
            n = 1;
        } else {
            n = string_odd_byte(r, i, type, &verbatim);
        }
        if (n == 0)
            return 0;
    }
    if (i >= len) {
        alert_read_fail(r, open, "unterminated string");
        return 0;
    }
    *flags = (escaped ? ALERT_F_ESCAPED : 0) | (verbatim && type == ALERT_STR ? ALERT_F_VERBATIM : 0);
    r->escaped |= escaped;
    return i;
}
