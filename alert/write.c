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

static int put_scalar(alert_buf *b, const alert_doc *d, const alert_node *n, bool is_key)
{
    if (reserve(b, scalar_room(n)) != 0)
        return -1;
    if (is_key && n->type != ALERT_STR) {
        put_key_spelling(b, d, n);
        return 0;
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
            put(b, d->src + n->start, n->len);
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
        put(b, d->src + n->start, n->len);
    }
    return 0;
}

/* An open container while writing: elements still to write (a dict's keys and values both count). */
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

/* After an element: its separator, or the closers of the containers it ends. */
static int end_element(alert_buf *b, frame_stack *st)
{
    while (st->n > 0) {
        frame *f = &st->frames[st->n - 1];
        if (reserve(b, 1) != 0)
            return -1;
        if (--f->remaining > 0) {
            put_char(b, f->dict && (f->remaining & 1) ? ':' : ',');
            return 0;
        }
        put_char(b, f->dict ? '}' : ']');
        st->n--;
    }
    return 0;
}

/* The tape in order, without recursion: containers push a frame, every
 * finished element pops what it ends. */
static int write_nodes(const alert_doc *d, uint32_t node, alert_buf *out, frame_stack *st)
{
    uint32_t i = node;
    do {
        const alert_node *n = &d->nodes[i];
        bool is_key = st->n > 0 && st->frames[st->n - 1].dict && !(st->frames[st->n - 1].remaining & 1);
        if (n->type == ALERT_LIST || n->type == ALERT_TUPLE || n->type == ALERT_DICT) {
            bool dict = n->type == ALERT_DICT;
            if (reserve(out, 2) != 0)
                return -1;
            put_char(out, dict ? '{' : '[');
            if (n->count > 0) {
                if (push_frame(st, (frame){.remaining = dict ? 2 * n->count : n->count, .dict = dict}) != 0)
                    return -1;
                i++;
                continue;
            }
            put_char(out, dict ? '}' : ']');
        } else if (put_scalar(out, d, n, is_key) != 0) {
            return -1;
        }
        i = n->next;
        if (end_element(out, st) != 0)
            return -1;
    } while (st->n > 0);
    return 0;
}

int alert_write_json(const alert_doc *d, uint32_t node, alert_buf *out)
{
    frame_stack st = {.n = 0, .cap = 64};
    st.frames = st.local;
    int rc = write_nodes(d, node, out, &st);
    if (st.frames != st.local)
        free(st.frames);
    return rc;
}
