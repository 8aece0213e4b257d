/* alert/read.c — the reader: one message of Python-literal or JSON text into
 * the tape, in one pass and without recursion, with a precise error for bad input. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

typedef struct {
    alert_doc *d;
    const unsigned char *s;
    size_t len;
    bool python;
    bool escaped; /* a string needs decoding: alert_string will need the scratch */
    bool quiet;   /* only the error's offset is wanted (AUTO's first try): no formatting */
    alert_error *err;
} reader;

/* Bytes that end the fast scan of string content. */
static const uint8_t string_stop[256] = {
    [0x00 ... 0x1F] = 1, ['"'] = 1, ['\''] = 1, ['\\'] = 1, [0x80 ... 0xFF] = 1,
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1 /* scan 8 bytes at a time; the first match is the lowest byte */
#else
#define SWAR 0
#endif

static const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

/* Of 8 bytes, how many come before the first with a bit set in m. */
static inline unsigned before_mark(uint64_t m) { return m ? (unsigned)__builtin_ctzll(m) / 8 : 8; }

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* Marks the bytes equal to c (exact up to the first mark). */
static inline uint64_t equal_bytes(uint64_t x, unsigned char c)
{
    uint64_t v = x ^ (ones * c);
    return (v - ones) & ~v & highs;
}

/* How many of the 8 bytes at p are plain string content: no quote, backslash, control or non-ASCII byte. */
static inline unsigned plain_run8(const unsigned char *p)
{
    uint64_t x = load8(p);
    uint64_t control = (x - ones * 0x20) & ~x & highs;
    return before_mark(equal_bytes(x, '\'') | equal_bytes(x, '"') | equal_bytes(x, '\\') | control | (x & highs));
}

/* How many of the 8 bytes at p are ASCII digits before the first that is not. */
static inline unsigned digit_run8(const unsigned char *p)
{
    uint64_t x = load8(p);
    /* A digit is 0x30..0x39: high nibble 3, and still 3 after adding 6. A carry
     * out of a non-digit only disturbs the bytes after it. */
    uint64_t m = ((x & ones * 0xF0) ^ ones * 0x30) | (((x + ones * 0x06) & ones * 0xF0) ^ ones * 0x30);
    return before_mark(m);
}

static int fail(reader *r, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4), cold));

static int fail(reader *r, size_t offset, const char *fmt, ...)
{
    r->err->offset = offset;
    if (r->quiet)
        return -1;
    int n = snprintf(r->err->msg, sizeof r->err->msg, "offset %zu: ", offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->msg + n, sizeof r->err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* What is at pos, for "found ..." in messages. */
static const char *describe(const reader *r, size_t pos, char out[16])
{
    if (pos >= r->len)
        return "end of input";
    unsigned char c = r->s[pos];
    if (c > ' ' && c < 0x7F)
        snprintf(out, 16, "'%c'", c);
    else
        snprintf(out, 16, "byte 0x%02x", c);
    return out;
}

static __attribute__((cold)) int fail_found(reader *r, size_t pos, const char *expected)
{
    char buf[16];
    return fail(r, pos, "%s, found %s", expected, describe(r, pos, buf));
}

static const uint8_t space[256] = {[' '] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1};

static inline size_t skip_space(const reader *r, size_t pos)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    while (pos < len && s[pos] <= ' ' && space[s[pos]])
        pos++;
    return pos;
}

static int grow_nodes(reader *r)
{
    alert_doc *d = r->d;
    /* A node takes at least one byte and a message less than 4 GiB: the index never overflows. */
    uint32_t cap = d->cap_nodes == 0 ? 256 : d->cap_nodes < UINT32_MAX / 2 ? d->cap_nodes * 2 : UINT32_MAX;
    alert_node *nodes = realloc(d->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes)
        return fail(r, 0, "out of memory");
    d->nodes = nodes;
    d->cap_nodes = cap;
    return 0;
}

/* Appends a node; its `next` is provisional until its subtree is complete. */
static inline alert_node *push(reader *r, uint8_t type, size_t start, size_t len, uint8_t flags)
{
    alert_doc *d = r->d;
    if (__builtin_expect(d->n_nodes == d->cap_nodes, 0) && grow_nodes(r) != 0)
        return NULL;
    alert_node *n = &d->nodes[d->n_nodes++];
    *n = (alert_node){.start = (uint32_t)start, .len = (uint32_t)len, .next = d->n_nodes, .type = type, .flags = flags};
    return n;
}

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
            fail(r, i, "invalid escape '\\%c'", c);
        else
            fail(r, i, "%s", why);
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
            fail(r, i, "non-ASCII byte in bytes literal");
            return 0;
        }
        size_t n = alert_utf8_check(r->s + i, r->s + r->len);
        if (n == 0)
            fail(r, i, "invalid UTF-8 in string");
        return n;
    }
    *verbatim = false;
    if (c == '"' || c == '\'')
        return 1;
    if (c == 0)
        fail(r, i, "NUL byte in string");
    else if (!r->python)
        fail(r, i, "control character 0x%02x in string must be escaped", c);
    else if (c == '\n' || c == '\r')
        fail(r, i, "newline in string");
    else
        return 1;
    return 0;
}

/* A str or bytes literal whose opening quote is at open. */
static inline __attribute__((always_inline)) int read_string(reader *r, size_t *pos, size_t open, uint8_t type)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    unsigned char quote = s[open];
    alert_escape_mode mode = type == ALERT_BYTES ? ALERT_ESC_PY_BYTES : r->python ? ALERT_ESC_PY_STR : ALERT_ESC_JSON;
    bool verbatim = true, escaped = false;
    size_t i = open + 1, n;
    for (;;) {
        unsigned k = 8;
        while (SWAR && k == 8 && i + 8 <= len)
            i += k = plain_run8(s + i);
        while (i < len && !string_stop[s[i]])
            i++;
        if (i >= len)
            return fail(r, open, "unterminated string");
        if (s[i] == quote)
            break;
        if (s[i] == '\\') {
            escaped = true;
            n = string_escape(r, i, mode, &verbatim);
        } else if (s[i] == '\'' && quote == '"') {
            n = 1;
        } else {
            n = string_odd_byte(r, i, type, &verbatim);
        }
        if (n == 0)
            return -1;
        i += n;
    }
    uint8_t flags = (escaped ? ALERT_F_ESCAPED : 0) | (verbatim && type == ALERT_STR ? ALERT_F_VERBATIM : 0);
    if (!push(r, type, open + 1, i - open - 1, flags))
        return -1;
    r->escaped |= escaped;
    *pos = i + 1;
    return 0;
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static inline __attribute__((always_inline)) size_t skip_digits(const reader *r, size_t i)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    for (unsigned k = 8; SWAR && k == 8 && i + 8 <= len; i += k)
        k = digit_run8(s + i);
    while (i < len && is_digit(s[i]))
        i++;
    return i;
}

/* Whether the decimal digits [p, p+n) (no sign, no leading zero) exceed int64_t. */
static bool beyond_int64(const unsigned char *p, size_t n, bool negative)
{
    if (n != 19)
        return n > 19;
    return memcmp(p, negative ? "9223372036854775808" : "9223372036854775807", 19) > 0;
}

/* A number in the one grammar both formats share (JSON's): only its shape is checked here. */
static int read_number(reader *r, size_t *pos)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    size_t start = *pos, i = start;
    bool negative = s[i] == '-';
    i += negative;
    if (i >= len || !is_digit(s[i]))
        return fail_found(r, i, "expected a digit after '-'");
    size_t digits = i;
    if (s[i] == '0' && i + 1 < len && is_digit(s[i + 1]))
        return fail(r, i, "leading zero in number");
    i = skip_digits(r, i);
    size_t int_end = i;
    uint8_t type = ALERT_INT;
    if (i < len && s[i] == '.') {
        if (i + 1 >= len || !is_digit(s[i + 1]))
            return fail_found(r, i + 1, "expected a digit after '.'");
        i = skip_digits(r, i + 1);
        type = ALERT_FLOAT;
    }
    if (i < len && (s[i] | 0x20) == 'e') {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= len || !is_digit(s[i]))
            return fail_found(r, i, "expected a digit in the exponent");
        i = skip_digits(r, i);
        type = ALERT_FLOAT;
    }
    uint8_t flags = type == ALERT_INT && beyond_int64(s + digits, int_end - digits, negative) ? ALERT_F_BIGINT : 0;
    if (!push(r, type, start, i - start, flags))
        return -1;
    *pos = i;
    return 0;
}

static bool is_name_byte(unsigned char c) { return c == '_' || is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* A bare word: the format's spelling of true, false or null, or an error. */
static int read_name(reader *r, size_t *pos)
{
    static const char *const words[2][3] = {{"null", "false", "true"}, {"None", "False", "True"}};
    size_t start = *pos, i = start;
    while (i < r->len && is_name_byte(r->s[i]))
        i++;
    size_t n = i - start;
    for (int w = 0; w < 3; w++) {
        if (strlen(words[r->python][w]) == n && memcmp(r->s + start, words[r->python][w], n) == 0) {
            alert_node *node = push(r, w ? ALERT_BOOL : ALERT_NULL, start, n, 0);
            if (!node)
                return -1;
            node->count = w == 2;
            *pos = i;
            return 0;
        }
    }
    return fail(r, start, "unknown name '%.*s'", (int)(n > 40 ? 40 : n), (const char *)r->s + start);
}

static uint8_t container_type(unsigned char c)
{
    return c == '{' ? ALERT_DICT : c == '[' ? ALERT_LIST : ALERT_TUPLE;
}

static unsigned char closer(uint8_t type)
{
    return type == ALERT_DICT ? '}' : type == ALERT_LIST ? ']' : ')';
}

/* The innermost open container, kept out of the tape while it is being filled. */
typedef struct {
    uint32_t node;  /* ALERT_ABSENT at the top level */
    uint32_t count; /* elements so far (a dict's keys and values both count) */
    uint8_t type;
    uint32_t depth;
} open_state;

/* Opens a container at pos. While it is open its `next` links to the enclosing one. */
static int open_container(reader *r, size_t pos, open_state *o)
{
    if (o->depth == r->d->max_depth)
        return fail(r, pos, "nesting deeper than %u levels", r->d->max_depth);
    uint8_t type = container_type(r->s[pos]);
    alert_node *n = push(r, type, pos, 0, 0);
    if (!n)
        return -1;
    if (o->node != ALERT_ABSENT)
        r->d->nodes[o->node].count = o->count;
    n->next = o->node;
    *o = (open_state){.node = r->d->n_nodes - 1, .count = 0, .type = type, .depth = o->depth + 1};
    return 0;
}

/* Closes the innermost container with the closer at pos; returns its node. */
static uint32_t close_container(reader *r, size_t pos, bool after_comma, open_state *o)
{
    alert_node *n = &r->d->nodes[o->node];
    uint32_t closed = o->node;
    if (o->type == ALERT_TUPLE && o->count == 1 && !after_comma) {
        fail(r, n->start, "a parenthesized value is not a tuple: a 1-tuple needs a trailing comma");
        return ALERT_ABSENT;
    }
    n->count = o->type == ALERT_DICT ? o->count / 2 : o->count;
    n->len = (uint32_t)(pos + 1 - n->start);
    o->node = n->next;
    n->next = r->d->n_nodes;
    o->depth--;
    if (o->node != ALERT_ABSENT) {
        o->count = r->d->nodes[o->node].count;
        o->type = r->d->nodes[o->node].type;
    }
    return closed;
}

/* A value at pos: a scalar is read whole, a container is only opened. */
static int read_value(reader *r, size_t *pos, open_state *o)
{
    size_t p = *pos;
    unsigned char c = p < r->len ? r->s[p] : 0;
    switch (c) {
    case '(':
        if (!r->python)
            break;
        /* fall through */
    case '{': case '[':
        *pos = p + 1;
        return open_container(r, p, o);
    case '\'':
        if (!r->python)
            break;
        /* fall through */
    case '"':
        return read_string(r, pos, p, ALERT_STR);
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        return read_number(r, pos);
    case 'b':
        if (r->python && p + 1 < r->len && (r->s[p + 1] == '\'' || r->s[p + 1] == '"'))
            return read_string(r, pos, p + 1, ALERT_BYTES);
        return read_name(r, pos);
    default:
        if (c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
            return read_name(r, pos);
    }
    return fail_found(r, p, "expected a value");
}

/* Where the key node n starts in the text: its quote, or the b of b'...'. */
static size_t key_offset(const alert_node *n)
{
    return n->start - (n->type == ALERT_STR) - 2 * (n->type == ALERT_BYTES);
}

/* Checks the key just read (node key) of a dict. */
static int check_key(reader *r, uint32_t key)
{
    const alert_node *n = &r->d->nodes[key];
    uint8_t t = n->type;
    if (!r->python && t != ALERT_STR)
        return fail(r, key_offset(n), "object key must be a string");
    if (t == ALERT_BYTES || t == ALERT_LIST || t == ALERT_TUPLE || t == ALERT_DICT)
        return fail(r, key_offset(n), "dict key must be str, int, float, bool or None, not %s",
                    alert_type_name((alert_type)t));
    return 0;
}

static const char *after_element(uint8_t type)
{
    return type == ALERT_DICT ? "expected ',' or '}' after dict value"
         : type == ALERT_LIST ? "expected ',' or ']' after list element"
                              : "expected ',' or ')' after tuple element";
}

/* The whole message: values and separators in a loop, the open containers
 * chained through their `next`, so deep nesting costs no stack. */
static int read_tape(reader *r)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    open_state o = {.node = ALERT_ABSENT};
    size_t pos = skip_space(r, 0);
    r->d->n_nodes = 0;
    /* Each turn starts at a value, spaces already skipped. */
    for (;;) {
        uint32_t open = o.node, last;
        if (read_value(r, &pos, &o) != 0)
            return -1;
        if (o.node == open) {
            last = r->d->n_nodes - 1;
        } else {
            pos = skip_space(r, pos);
            if (pos >= len || s[pos] != closer(o.type))
                continue;
            last = close_container(r, pos++, false, &o); /* empty */
        }
        /* A value is complete: its separator, or the closers of what it ends. */
        for (;;) {
            if (last == ALERT_ABSENT)
                return -1;
            if (o.node == ALERT_ABSENT) {
                pos = skip_space(r, pos);
                if (pos < len)
                    return fail_found(r, pos, "expected end of input after the value");
                return 0;
            }
            pos = skip_space(r, pos);
            unsigned char c = pos < len ? s[pos] : 0;
            if (o.type == ALERT_DICT && (++o.count & 1)) {
                if (check_key(r, last) != 0)
                    return -1;
                if (r->python && o.count == 1 && pos < len && (c == ',' || c == '}'))
                    return fail(r, pos, "set literals are not supported: JSON has no sets");
                if (pos >= len || c != ':')
                    return fail_found(r, pos, "expected ':' after dict key");
                pos = skip_space(r, pos + 1);
                break;
            }
            if (o.type != ALERT_DICT)
                o.count++;
            if (pos < len && c == ',') {
                pos = skip_space(r, pos + 1);
                if (!r->python || pos >= len || s[pos] != closer(o.type))
                    break;
                last = close_container(r, pos++, true, &o); /* after a Python trailing comma */
                continue;
            }
            if (pos < len && c == closer(o.type)) {
                last = close_container(r, pos++, false, &o);
                continue;
            }
            return fail_found(r, pos, after_element(o.type));
        }
    }
}

/* Reads the message as one format; AUTO is decided by the caller. */
static int read_as(alert_doc *d, const char *msg, size_t len, alert_format fmt, bool quiet, alert_error *err)
{
    reader r = {.d = d,
                .s = (const unsigned char *)msg,
                .len = len,
                .python = fmt == ALERT_FORMAT_PYTHON,
                .quiet = quiet,
                .err = err};
    d->format = fmt;
    if (read_tape(&r) != 0)
        return -1;
    if (r.escaped && d->scratch_cap < len) {
        /* Decoded text is never longer than its raw span, so each string
         * decodes at its own offset and earlier results stay valid. */
        char *scratch = realloc(d->scratch, len);
        if (!scratch)
            return fail(&r, 0, "out of memory");
        d->scratch = scratch;
        d->scratch_cap = len;
    }
    d->scratch_len = r.escaped ? len : 0;
    return 0;
}

/* Reads the message as fmt; AUTO tries JSON, then Python. */
static int read_auto(alert_doc *d, const char *msg, size_t len, alert_format fmt, alert_error *err)
{
    if (fmt != ALERT_FORMAT_AUTO)
        return read_as(d, msg, len, fmt, false, err);
    /* JSON first, quietly: most Python alerts fail it at their first quote. */
    if (read_as(d, msg, len, ALERT_FORMAT_JSON, true, err) == 0)
        return 0;
    size_t json_offset = err->offset;
    if (read_as(d, msg, len, ALERT_FORMAT_PYTHON, false, err) == 0)
        return 0;
    /* Neither: the reading that got further explains best. */
    if (json_offset > err->offset)
        read_as(d, msg, len, ALERT_FORMAT_JSON, false, err);
    return -1;
}

int alert_parse(alert_doc *d, const char *msg, size_t len, alert_format fmt, alert_error *err)
{
    d->src = msg;
    d->len = len;
    d->n_nodes = 0;
    size_t limit = d->max_bytes < UINT32_MAX ? d->max_bytes : UINT32_MAX - 1;
    if (len > limit) {
        reader r = {.err = err};
        return fail(&r, limit, "message of %zu bytes is over the limit of %zu bytes", len, limit);
    }
    if (read_auto(d, msg, len, fmt, err) == 0)
        return 0;
    d->n_nodes = 0; /* nothing half-read is left to look at */
    return -1;
}
