/* alert/write.c — the JSON writer: any node of the tape as compact JSON, numbers
 * copied digit for digit, strings re-escaped only when they must be. */
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

void alert_buf_free(alert_buf *b)
{
    free(b->data);
    *b = (alert_buf){0};
}

/* Makes room for n more bytes; writes after it need no checks. */
static inline int reserve(alert_buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return 0;
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap - b->len < n)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline void put(alert_buf *b, const void *p, size_t n)
{
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void put_char(alert_buf *b, char c) { b->data[b->len++] = c; }

/* One decoded character (code point cp, UTF-8 in utf8[0..n)) as JSON string content. */
static void put_json_char(alert_buf *b, uint32_t cp, const char *utf8, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    static const char short_escape[32] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
    if (cp == '"' || cp == '\\') {
        put_char(b, '\\');
        put_char(b, (char)cp);
    } else if (cp < 0x20 && short_escape[cp]) {
        put_char(b, '\\');
        put_char(b, short_escape[cp]);
    } else if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) {
        /* Control characters must be escaped; a lone surrogate can only be. */
        char u[6] = {'\\', 'u', hex[cp >> 12], hex[cp >> 8 & 15], hex[cp >> 4 & 15], hex[cp & 15]};
        put(b, u, 6);
    } else {
        put(b, utf8, n);
    }
}

/* A str whose raw span cannot be copied: every character re-escaped for JSON. */
static void put_string_escaped(alert_buf *b, const alert_doc *d, const alert_node *n)
{
    const unsigned char *p = (const unsigned char *)d->src + n->start, *end = p + n->len;
    alert_escape_mode mode = alert_node_escape_mode(d, n);
    while (p < end) {
        uint32_t cp = *p;
        const char *why;
        if (cp == '\\') {
            size_t len = alert_escape_decode(p, end, mode, &cp, &why);
            p += len;
            if (cp == ALERT_CP_NONE)
                continue;
            char utf8[4];
            put_json_char(b, cp, utf8, alert_utf8_put(utf8, cp));
        } else {
            /* Raw UTF-8 passes byte by byte: its bytes are all >= 0x80. */
            put_json_char(b, cp, (const char *)p, 1);
            p++;
        }
    }
}

/* Bytes: standard base64 with padding, of the decoded content. */
static void put_base64(alert_buf *b, const alert_doc *d, const alert_node *n)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)d->src + n->start, *end = p + n->len;
    unsigned char group[3];
    size_t have = 0;
    while (p < end) {
        have += alert_decode_piece(&p, end, ALERT_ESC_PY_BYTES, (char *)group + have);
        if (have == 3 || (p == end && have > 0)) {
            uint32_t v = (uint32_t)group[0] << 16 | (have > 1 ? group[1] : 0) << 8 | (have > 2 ? group[2] : 0);
            char out[4] = {digits[v >> 18], digits[v >> 12 & 63], have > 1 ? digits[v >> 6 & 63] : '=',
                           have > 2 ? digits[v & 63] : '='};
            put(b, out, 4);
            have = 0;
        }
    }
}

/* A dict key that is not a str: quoted, spelled as Python's json.dumps spells it. */
static void put_key_spelling(alert_buf *b, const alert_doc *d, const alert_node *n)
{
    put_char(b, '"');
    if (n->type == ALERT_BOOL)
        put(b, n->count ? "true" : "false", n->count ? 4 : 5);
    else if (n->type == ALERT_NULL)
        put(b, "null", 4);
    else
        put(b, d->src + n->start, n->len);
    put_char(b, '"');
}

/* The most a scalar node can take as JSON: escapes at most sextuple a byte. */
static size_t scalar_room(const alert_node *n)
{
    if (n->type == ALERT_STR && !(n->flags & ALERT_F_VERBATIM))
        return 6 * (size_t)n->len + 2;
    if (n->type == ALERT_BYTES)
        return (size_t)n->len / 3 * 4 + 6;
    return (size_t)n->len + 7;
}

/* Copies a short span with two fixed 8-byte moves when both sides have the room. */
static inline void put_span(alert_buf *b, const alert_doc *d, const alert_node *n, bool slack)
{
    if (slack && n->len <= 16 && (size_t)n->start + 16 <= d->len) {
        uint64_t x[2];
        memcpy(x, d->src + n->start, 16);
        memcpy(b->data + b->len, x, 16);
        b->len += n->len;
    } else {
        put(b, d->src + n->start, n->len);
    }
}

static void put_scalar(alert_buf *b, const alert_doc *d, const alert_node *n, bool is_key, bool slack)
{
    if (is_key && n->type != ALERT_STR) {
        put_key_spelling(b, d, n);
        return;
    }
    switch (n->type) {
    case ALERT_NULL:
        put(b, "null", 4);
        break;
    case ALERT_BOOL:
        put(b, n->count ? "true" : "false", n->count ? 4 : 5);
        break;
    case ALERT_STR:
        put_char(b, '"');
        if (n->flags & ALERT_F_VERBATIM)
            put_span(b, d, n, slack);
        else
            put_string_escaped(b, d, n);
        put_char(b, '"');
        break;
    case ALERT_BYTES:
        put_char(b, '"');
        put_base64(b, d, n);
        put_char(b, '"');
        break;
    default:
        put_span(b, d, n, slack);
    }
}

/* The enclosing open containers while writing; the innermost one lives in
 * write_nodes' locals. remaining: elements still to write (a dict's keys and values both count). */
typedef struct {
    uint32_t remaining;
    bool dict;
} frame;

typedef struct {
    frame *frames, local[64];
    size_t n, cap;
} frame_stack;

static int push_frame(frame_stack *st, frame f)
{
    if (st->n == st->cap) {
        frame *bigger = malloc(2 * st->cap * sizeof *bigger);
        if (!bigger)
            return -1;
        memcpy(bigger, st->frames, st->n * sizeof *bigger);
        if (st->frames != st->local)
            free(st->frames);
        st->frames = bigger;
        st->cap *= 2;
    }
    st->frames[st->n++] = f;
    return 0;
}

/* Whether the whole subtree is small enough to reserve for at once: then
 * nothing below checks for room (6 bytes out per byte in at most, plus 16 of
 * slack for put_span). Bigger subtrees reserve node by node. */
static bool reserve_whole(const alert_doc *d, uint32_t node, alert_buf *out, int *rc)
{
    size_t span = (size_t)d->nodes[node].len + 3;
    *rc = 0;
    if (span > (1u << 20))
        return false;
    *rc = reserve(out, 6 * span + 32);
    return true;
}

/* The tape in order, without recursion: a container with elements becomes the
 * innermost frame, each finished element counts down and closes what it ends. */
static int write_nodes(const alert_doc *d, uint32_t i, alert_buf *out, frame_stack *st, bool whole)
{
    frame top = {.remaining = 0, .dict = false};
    size_t depth = 0;
    do {
        const alert_node *n = &d->nodes[i];
        if (n->type >= ALERT_LIST) {
            bool dict = n->type == ALERT_DICT;
            if (!whole && reserve(out, 2) != 0)
                return -1;
            put_char(out, dict ? '{' : '[');
            if (n->count > 0) {
                if (depth > 0 && push_frame(st, top) != 0)
                    return -1;
                top = (frame){.remaining = dict ? 2 * n->count : n->count, .dict = dict};
                depth++;
                i++;
                continue;
            }
            put_char(out, dict ? '}' : ']');
        } else {
            if (!whole && reserve(out, scalar_room(n)) != 0)
                return -1;
            put_scalar(out, d, n, top.dict && !(top.remaining & 1), whole);
        }
        i = n->next;
        /* The element is done: its separator, or the closers of what it ends. */
        while (depth > 0) {
            if (!whole && reserve(out, 1) != 0)
                return -1;
            if (--top.remaining > 0) {
                put_char(out, top.dict && (top.remaining & 1) ? ':' : ',');
                break;
            }
            put_char(out, top.dict ? '}' : ']');
            if (--depth > 0)
                top = st->frames[--st->n];
        }
    } while (depth > 0);
    return 0;
}

int alert_write_json(const alert_doc *d, uint32_t node, alert_buf *out)
{
    int rc;
    bool whole = reserve_whole(d, node, out, &rc);
    if (rc != 0)
        return -1;
    frame_stack st = {.n = 0, .cap = 64};
    st.frames = st.local;
    rc = write_nodes(d, node, out, &st, whole);
    if (st.frames != st.local)
        free(st.frames);
    return rc;
}
