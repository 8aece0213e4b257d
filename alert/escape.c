/* alert/escape.c — the meaning of string content: Python and JSON backslash
 * escapes, UTF-8 validation and encoding (lone surrogates kept as 3 bytes). */
#include "alert/internal.h"

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Reads n hex digits at p; false when fewer are there. */
static bool read_hex(const unsigned char *p, const unsigned char *end, int n, uint32_t *out)
{
    if (end - p < n)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        int h = hex_digit(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* JSON's \uD83D\uDE00: a high surrogate directly followed by an escaped low one is one code point. */
static size_t json_surrogate_pair(const unsigned char *p, const unsigned char *end, uint32_t high, uint32_t *cp)
{
    uint32_t low;
    if (high < 0xD800 || high > 0xDBFF || end - p < 12 || p[6] != '\\' || p[7] != 'u' || !read_hex(p + 8, end, 4, &low)
        || low < 0xDC00 || low > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
    return 12;
}

static size_t octal_escape(const unsigned char *p, const unsigned char *end, alert_escape_mode mode, uint32_t *cp,
                           const char **why)
{
    size_t n = 1;
    uint32_t v = 0;
    while (n <= 3 && p + n < end && p[n] >= '0' && p[n] <= '7')
        v = v * 8 + (uint32_t)(p[n++] - '0');
    if (mode == ALERT_ESC_PY_BYTES && v > 0xFF) {
        *why = "octal escape above \\377 in bytes";
        return 0;
    }
    *cp = v;
    return n;
}

static size_t hex_escape(const unsigned char *p, const unsigned char *end, int digits, uint32_t *cp, const char **why)
{
    static const char *const truncated[] = {
        [2] = "truncated \\x escape: expected 2 hex digits",
        [4] = "truncated \\u escape: expected 4 hex digits",
        [8] = "truncated \\U escape: expected 8 hex digits",
    };
    if (!read_hex(p + 2, end, digits, cp)) {
        *why = truncated[digits];
        return 0;
    }
    if (*cp > 0x10FFFF) {
        *why = "\\U escape beyond U+10FFFF";
        return 0;
    }
    return 2 + (size_t)digits;
}

size_t alert_escape_decode(const unsigned char *p, const unsigned char *end, alert_escape_mode mode, uint32_t *cp,
                           const char **why)
{
    bool json = mode == ALERT_ESC_JSON, bytes = mode == ALERT_ESC_PY_BYTES;
    *why = "invalid escape";
    if (end - p < 2)
        return 0;
    unsigned char c = p[1];
    switch (c) {
    case '\\': case '"': *cp = c; return 2;
    case 'b': *cp = '\b'; return 2;
    case 'f': *cp = '\f'; return 2;
    case 'n': *cp = '\n'; return 2;
    case 'r': *cp = '\r'; return 2;
    case 't': *cp = '\t'; return 2;
    case '/':
        *cp = c;
        return json ? 2 : 0;
    case 'u': {
        if (bytes)
            return 0;
        size_t n = hex_escape(p, end, 4, cp, why);
        if (n && json) {
            size_t pair = json_surrogate_pair(p, end, *cp, cp);
            return pair ? pair : n;
        }
        return n;
    }
    }
    if (json)
        return 0;
    switch (c) {
    case '\'': *cp = c; return 2;
    case 'a': *cp = '\a'; return 2;
    case 'v': *cp = '\v'; return 2;
    case '\n': *cp = ALERT_CP_NONE; return 2;
    case 'x': return hex_escape(p, end, 2, cp, why);
    case 'U': return bytes ? 0 : hex_escape(p, end, 8, cp, why);
    }
    if (c >= '0' && c <= '7')
        return octal_escape(p, end, mode, cp, why);
    if (c == 'N' && !bytes)
        *why = "\\N{...} escapes are not supported";
    return 0;
}

size_t alert_utf8_check(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t min, cp;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

size_t alert_utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

alert_escape_mode alert_node_escape_mode(const alert_doc *d, const alert_node *n)
{
    if (d->format == ALERT_FORMAT_AVRO)
        return ALERT_ESC_RAW;
    if (n->type == ALERT_BYTES)
        return ALERT_ESC_PY_BYTES;
    return d->format == ALERT_FORMAT_JSON ? ALERT_ESC_JSON : ALERT_ESC_PY_STR;
}

size_t alert_decode_piece(const unsigned char **p, const unsigned char *end, alert_escape_mode mode, char *out)
{
    if (**p != '\\' || mode == ALERT_ESC_RAW) {
        out[0] = (char)*(*p)++;
        return 1;
    }
    uint32_t cp;
    const char *why;
    /* The reader validated every escape, so this cannot fail. */
    *p += alert_escape_decode(*p, end, mode, &cp, &why);
    if (cp == ALERT_CP_NONE)
        return 0;
    if (mode == ALERT_ESC_PY_BYTES) {
        out[0] = (char)cp;
        return 1;
    }
    return alert_utf8_put(out, cp);
}
