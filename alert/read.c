/* alert/read.c — the reader: one message of Python-literal or JSON text into
 * the tape, in one pass and without recursion, with a precise error for bad input. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/read_internal.h"

int alert_read_fail(reader *r, size_t offset, const char *fmt, ...)
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

int alert_read_fail_found(reader *r, size_t pos, const char *expected)
{
    char buf[16];
    /* AUTO's JSON try fails so at the first quote of every Python message:
     * what was found is only formatted when it is shown. */
    return alert_read_fail(r, pos, "%s, found %s", expected, r->quiet ? "" : describe(r, pos, buf));
}

static const uint8_t space[256] = {[' '] = 1, ['\n'] = 1, ['\r'] = 1, ['\t'] = 1};

static inline size_t skip_space(const unsigned char *s, size_t len, size_t pos)
{
    while (pos < len && space[s[pos]])
        pos++;
    return pos;
}

/* Past the one space Python writes after ',' and ':', clearing *compact if
 * there is one. A branch, which is always predicted right, rather than
 * arithmetic on the byte, which would put a load in the chain of dependencies
 * from one token to the next. */
static inline size_t past_one_space(const unsigned char *s, size_t len, size_t pos, bool *compact)
{
    if (__builtin_expect(pos < len && s[pos] == ' ', 1)) {
        *compact = false;
        return pos + 1;
    }
    return pos;
}

/* The same where s[pos] is known to be in the message (the pair loop). */
static inline size_t past_one_space_in_reach(const unsigned char *s, size_t pos, bool *compact)
{
    if (__builtin_expect(s[pos] == ' ', 1)) {
        *compact = false;
        return pos + 1;
    }
    return pos;
}

/* The nodes being written, in the reading machine's locals while it runs (see
 * run): node stores cannot alias them, so they can stay in registers. */
typedef struct {
    alert_node *nodes;
    uint32_t n, cap;
} tape;

/* Doubles the doc's node array from cap nodes; the caller reloads it. */
static __attribute__((noinline)) int grow_nodes(reader *r, uint32_t cap)
{
    alert_doc *d = r->d;
    /* A node takes at least one byte and a message less than 4 GiB: the index never overflows. */
    cap = cap == 0 ? 256 : cap < UINT32_MAX / 2 ? cap * 2 : UINT32_MAX;
    alert_node *nodes = realloc(d->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes)
        return alert_read_fail(r, 0, "out of memory");
    d->nodes = nodes;
    d->cap_nodes = cap;
    return 0;
}

/* Appends a node; its `next` is provisional until its subtree is complete.
 * There is room: each state of the reading machine that pushes checked first. */
static inline __attribute__((always_inline)) alert_node *push(tape *t, uint8_t type, size_t start, size_t len,
                                                              uint8_t flags)
{
    alert_node *n = &t->nodes[t->n++];
    /* Field by field: a compound literal would clear the padding first. */
    n->start = (uint32_t)start;
    n->len = (uint32_t)len;
    n->next = t->n;
    n->count = 0;
    n->type = type;
    n->flags = flags;
    return n;
}

/* Where the closing quote of the string opened at open is, when all between
 * is plain content; 0 otherwise (alert_read_string_rest reads it). */
static inline __attribute__((always_inline)) size_t plain_string_end(const unsigned char *s, size_t len, size_t open)
{
    size_t i = plain_end(s, len, open + 1);
    return i < len && s[i] == s[open] ? i : 0;
}

#ifdef __SSE2__
/* Of the 16 bytes at p, a bit for each that ends a key quoted with quote in
 * the pair loop: the backslash, and every byte up to the quote in signed order
 * (control and non-ASCII bytes, space, the other quote, a little punctuation),
 * taken as string_stops16 takes those below 0x20. Two operations rather than
 * its four; the few keys stopped early are read by the general states. */
static inline unsigned key_stops16(const unsigned char *p, unsigned char quote)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i low = _mm_subs_epi8(x, _mm_set1_epi8((char)(quote + 1)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
}

/* The 4 bytes at p, the first lowest (one little-endian load). */
static inline uint32_t word_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 3 bytes as the low bytes of a word_at. */
#define BYTES3(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)
#endif

static bool is_name_byte(unsigned char c) { return c == '_' || is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

/* A bare word at start: the format's spelling of true, false or null (type and
 * value), or an error. Returns where it ends, 0 after failing. */
static __attribute__((noinline)) size_t name_end(reader *r, size_t start, uint8_t *type, bool *value)
{
    static const char *const words[2][3] = {{"null", "false", "true"}, {"None", "False", "True"}};
    size_t i = start;
    while (i < r->len && is_name_byte(r->s[i]))
        i++;
    size_t n = i - start;
    for (int w = 0; w < 3; w++) {
        if (strlen(words[r->python][w]) == n && memcmp(r->s + start, words[r->python][w], n) == 0) {
            *type = w ? ALERT_BOOL : ALERT_NULL;
            *value = w == 2;
            return i;
        }
    }
    return alert_read_fail(r, start, "unknown name '%.*s'", (int)(n > 40 ? 40 : n), (const char *)r->s + start), 0;
}

/* The innermost open container, kept out of the tape while it is being filled. */
typedef struct {
    uint32_t node;  /* ALERT_ABSENT at the top level */
    uint32_t count; /* elements so far (a dict's keys and values both count) */
    uint8_t type;
    uint32_t room; /* the levels that may still open (from the doc's max_depth) */
} open_state;

/* The closer of each container type: a load, not a register held for it. */
static const unsigned char closer[] = {[ALERT_LIST] = ']', [ALERT_TUPLE] = ')', [ALERT_DICT] = '}'};

/* Opens a container of type at pos (the caller has its opener at hand). While
 * it is open its `next` links to the enclosing one. */
static inline __attribute__((always_inline)) int open_container(reader *r, tape *t, size_t pos, uint8_t type,
                                                                open_state *o)
{
    if (o->room == 0)
        return alert_read_fail(r, pos, "nesting deeper than %u levels", r->d->max_depth);
    alert_node *n = push(t, type, pos, 0, 0);
    if (o->node != ALERT_ABSENT)
        t->nodes[o->node].count = o->count;
    n->next = o->node;
    *o = (open_state){.node = t->n - 1, .count = 0, .type = type, .room = o->room - 1};
    return 0;
}

/* Closes the innermost container with the closer at pos; returns its node. */
static inline __attribute__((always_inline)) uint32_t close_container(reader *r, tape *t, size_t pos, bool after_comma,
                                                                       open_state *o)
{
    alert_node *n = &t->nodes[o->node];
    uint32_t closed = o->node;
    if (o->type == ALERT_TUPLE && o->count == 1 && !after_comma) {
        alert_read_fail(r, n->start, "a parenthesized value is not a tuple: a 1-tuple needs a trailing comma");
        return ALERT_ABSENT;
    }
    n->count = o->type == ALERT_DICT ? o->count / 2 : o->count;
    n->len = (uint32_t)(pos + 1 - n->start);
    o->node = n->next;
    n->next = t->n;
    o->room++;
    if (o->node != ALERT_ABSENT) {
        o->count = t->nodes[o->node].count;
        o->type = t->nodes[o->node].type;
    }
    return closed;
}

/* Where the key node n starts in the text: its quote, or the b of b'...'. */
static size_t key_offset(const alert_node *n)
{
    return n->start - (n->type == ALERT_STR) - 2 * (n->type == ALERT_BYTES);
}

/* Checks a key just read (node n) of a dict. */
static int check_key(reader *r, const alert_node *n)
{
    uint8_t t = n->type;
    if (!r->python && t != ALERT_STR)
        return alert_read_fail(r, key_offset(n), "object key must be a string");
    if (t == ALERT_BYTES || t == ALERT_LIST || t == ALERT_TUPLE || t == ALERT_DICT)
        return alert_read_fail(r, key_offset(n), "dict key must be str, int, float, bool or None, not %s",
                                alert_type_name((alert_type)t));
    return 0;
}

static const char *after_element(uint8_t type)
{
    return type == ALERT_DICT ? "expected ',' or '}' after dict value"
         : type == ALERT_LIST ? "expected ',' or ']' after list element"
                              : "expected ',' or ')' after tuple element";
}

/* A turn of the pair loop (see run) reads no byte more than 49 past where it
 * starts: the quote, the 48 bytes of its masks (a number ends within them) and
 * the one after; or a str of 15 bytes after a key of 15, then ", ". It runs no
 * closer than this to the message's end. */
#define PAIR_REACH 64
#define PAIR_NUMBER_WIDTH 29 /* the bytes of a value's digit mask the pair loop sees */

/* Where the reading machine resumes, and why it stopped. */
typedef enum { AT_VALUE, AT_KEY, AFTER_VALUE } machine_state;
typedef enum { STOP_DONE, STOP_FAILED, STOP_GROW, STOP_STRING, STOP_NUMBER, STOP_NAME } machine_stop;

/* The reading machine between runs. */
typedef struct {
    tape t;
    open_state o;
    size_t pos;    /* STOP_STRING: the opening quote; STOP_NUMBER, STOP_NAME: the token */
    uint32_t last; /* the value just completed */
    uint8_t state; /* machine_state */
    uint8_t type;  /* STOP_STRING: ALERT_STR or ALERT_BYTES */
    bool compact;  /* JSON, and no space met yet inside the root value (see alert_doc) */
    bool canonical; /* Python, and in repr()'s shape so far (see alert_doc) */
} machine;

/* Runs the machine over the message until it is read, fails, or meets what
 * only a call can read: room for more nodes, a string with escapes or odd bytes,
 * a number of an uncommon shape, a name. Making no call keeps everything in
 * registers. Three states (labels): at a value, at a dict key, after a value.
 * Spaces are skipped where they are found, so the common path (Python's ", "
 * and ": ") never looks for more. Inlined once per format (python constant). */
static inline __attribute__((always_inline)) machine_stop run(reader *r, machine *m, const bool python)
{
    const unsigned char *s = r->s;
    const size_t len = r->len;
    tape t = m->t;
    open_state o = m->o;
    size_t pos = m->pos, end;
    uint32_t last = m->last; /* read by after for a dict's key or a failed close; the pair
                              * loop, which completes neither, does not keep it */
    bool compact = m->compact; /* Python's is never used: its updates are left out */
    bool canonical = m->canonical; /* nor JSON's */
    uint8_t type, flags;
    unsigned char c;
    machine_stop stop;
#ifdef __SSE2__
    const unsigned char quote = python ? '\'' : '"'; /* what a format's plain keys are quoted with */
    size_t pairs_end;                                  /* the pair loop's last start (see key) */
    size_t window;                                     /* where the pair loop's masks start */
    unsigned stops, key_len, value_at; /* value_at: from the window */
    uint32_t sep; /* 4 bytes at once: what ends a key, what ends a value */
    uint64_t non_digits;
#endif

    if (m->state == AT_KEY)
        goto key;
    if (m->state == AFTER_VALUE)
        goto after;

value:
    if (t.n == t.cap) {
        m->state = AT_VALUE;
        stop = STOP_GROW;
        goto stopped;
    }
    c = pos < len ? s[pos] : 0;
    switch (c) {
    case ' ': case '\t': case '\n': case '\r':
        /* Spaces before the root value are outside it; inside it, the one
         * space due after ',' or ':' was passed before coming here. */
        compact &= o.node == ALERT_ABSENT;
        canonical &= o.node == ALERT_ABSENT;
        pos = skip_space(s, len, pos);
        goto value;
    case '(':
        if (!python)
            goto not_a_value;
        canonical = false;
        /* fall through */
    case '{': case '[':
        if (open_container(r, &t, pos, c == '{' ? ALERT_DICT : c == '[' ? ALERT_LIST : ALERT_TUPLE, &o) != 0)
            return STOP_FAILED;
        pos++;
    opened: /* just inside the opener of o */
        end = skip_space(s, len, pos);
        compact &= end == pos;
        canonical &= end == pos;
        pos = end;
        if (pos < len && s[pos] == closer[o.type]) {
            last = close_container(r, &t, pos++, false, &o); /* empty */
            goto after;
        }
        if (o.type == ALERT_DICT)
            goto key;
        goto value;
    case ')': case ']': case '}':
        /* A closer where a value is due: Python's trailing comma, or not a value
         * (a container just opened was closed above; after a key a value must come). */
        if (!python || c != closer[o.type] || (o.type == ALERT_DICT && (o.count & 1)))
            goto not_a_value;
        canonical = false;
        last = close_container(r, &t, pos++, true, &o);
        goto after;
    case '\'':
        if (!python)
            goto not_a_value;
        /* fall through */
    case '"':
        canonical &= c == '\'';
        if ((end = plain_string_end(s, len, pos)) == 0) {
            m->type = ALERT_STR;
            stop = STOP_STRING;
            goto stopped_at_token;
        }
        push(&t, ALERT_STR, pos + 1, end - pos - 1, ALERT_F_VERBATIM);
        pos = end + 1;
        break;
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        if ((end = plain_number_end(s, len, pos, &type, &flags)) == 0) {
            stop = STOP_NUMBER;
            goto stopped_at_token;
        }
        push(&t, type, pos, end - pos, flags);
        pos = end;
        break;
    case 'b':
        if (python && pos + 1 < len && (s[pos + 1] == '\'' || s[pos + 1] == '"')) {
            canonical = false;
            pos++;
            m->type = ALERT_BYTES;
            stop = STOP_STRING;
            goto stopped_at_token;
        }
        /* fall through */
    default:
        if (c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) {
            canonical = false;
            stop = STOP_NAME;
            goto stopped_at_token;
        }
    not_a_value:
        alert_read_fail_found(r, pos, "expected a value");
        return STOP_FAILED;
    }
    last = t.n - 1;
    goto after;

key: /* a dict's key is due: the pair loop takes the common pairs while it may run */
#ifdef __SSE2__
    if (len >= PAIR_REACH && t.cap - t.n >= 2) {
        /* A turn of the pair loop that goes on to the next pushes 2 nodes and
         * moves at least 4 bytes (the shortest, '':0, moves 5). So turn k
         * starts at least 4k bytes from here with at most 2k nodes pushed; if
         * it starts at most 2 * room - 4 bytes from here, 4k <= 2 * room - 4
         * and its 2 nodes fit: 2k + 2 <= room. */
        pairs_end = pos + 2 * (size_t)(t.cap - t.n) - 4;
        if (pairs_end > len - PAIR_REACH)
            pairs_end = len - PAIR_REACH;
        if (pos <= pairs_end)
            goto pair;
    }
#endif
key_general: /* a plain str key directly followed by ':' goes straight to its value */
    if (t.n == t.cap) {
        m->state = AT_KEY;
        stop = STOP_GROW;
        goto stopped;
    }
    if (pos < len && (s[pos] == '"' || (python && s[pos] == '\'')) && (end = plain_string_end(s, len, pos)) != 0) {
        canonical &= s[pos] == '\'';
        push(&t, ALERT_STR, pos + 1, end - pos - 1, ALERT_F_VERBATIM);
        last = t.n - 1;
        pos = end + 1;
        if (pos >= len || s[pos] != ':')
            goto after;
        o.count++;
        pos = past_one_space(s, len, pos + 1, &compact);
    }
    goto value;

#ifdef __SSE2__
pair: /* 'key': VALUE, with a plain key of at most 15 bytes (see key_stops16) and
       * a plain number or short str value, up to the next key; nothing read here
       * needs a bound check (see PAIR_REACH), and room for both nodes was made sure
       * (see key). What else is met, the general states read from where the loop is. */
    if (s[pos] != quote)
        goto key_general;
pair_quoted: /* at a quote */
    /* The digit masks of the value are taken with the key's, from the same
     * loads: a number's end is then found without waiting for one more load. */
    window = pos + 1;
    stops = key_stops16(s + window, quote);
    non_digits = non_digits48(s + window);
    if (stops == 0)
        goto key_general;
    key_len = (unsigned)__builtin_ctz(stops);
    end = window + key_len;
    /* The key's end and the value's first byte from one load. Each format's
     * usual shape is tested first: "': " as repr() writes it, '":' as compact
     * JSON has it. */
    sep = word_at(s + end);
    if (!python && __builtin_expect((sep & 0xFFFF) == BYTES3(quote, ':', 0) && (sep >> 16 & 0xFF) != ' ', 1)) {
        value_at = key_len + 2;
        c = (unsigned char)(sep >> 16);
    } else if ((sep & 0xFFFFFF) == BYTES3(quote, ':', ' ')) {
        compact = false;
        value_at = key_len + 3;
        c = (unsigned char)(sep >> 24);
    } else if ((sep & 0xFFFF) == BYTES3(quote, ':', 0)) {
        value_at = key_len + 2;
        c = (unsigned char)(sep >> 16);
    } else {
        goto key_general;
    }
    pos = window + value_at;
    push(&t, ALERT_STR, window, key_len, ALERT_F_VERBATIM);
    o.count++;
    if (is_digit(c) || c == '-') {
        /* The sign from the mask rather than from c: one load less in the
         * chain, which runs from the key's length to the mask's shift. */
        uint64_t other = non_digits >> value_at;
        unsigned sign = other & 1;
        size_t digits = pos + sign;
        /* At most 19 bytes from the window's start (a 15-byte key, "': ", a
         * sign): at least 29 bytes of the window are after them, and then the
         * bits above its 48, all set, end any run of digits. */
        other >>= sign;
        if ((end = number_in(s, pos, digits, other, PAIR_NUMBER_WIDTH, &type, &flags)) == 0)
            goto value;
        push(&t, type, pos, end - pos, flags);
    } else if (c == quote && (stops = string_stops16(s + pos + 1)) != 0 &&
               s[end = pos + 1 + (unsigned)__builtin_ctz(stops)] == quote) {
        push(&t, ALERT_STR, pos + 1, end - pos - 1, ALERT_F_VERBATIM);
        end++;
    } else if (c == '{') {
        /* The key and the dict: 2 nodes for at least 4 bytes, as a turn may. */
        if (open_container(r, &t, pos, ALERT_DICT, &o) != 0)
            return STOP_FAILED;
        pos++;
        if (s[pos] == quote && pos <= pairs_end)
            goto pair_quoted;
        goto opened;
    } else {
        goto value;
    }
    pos = end;
pair_after: /* after a value of the dict o, its key counted */
    /* The usual separator and the next key's quote, in one test: ", '" in
     * Python, ',"' in compact JSON. */
    if (python ? __builtin_expect((word_at(s + pos) & 0xFFFFFF) == BYTES3(',', ' ', quote), 1)
               : __builtin_expect((word_at(s + pos) & 0xFFFF) == BYTES3(',', quote, 0), 1)) {
        o.count++;
        pos += python ? 2 : 1; /* Python's compact is never used (see run) */
        if (pos <= pairs_end)
            goto pair_quoted;
        goto key_general;
    }
    if (s[pos] == ',') {
        o.count++;
        pos = past_one_space_in_reach(s, pos + 1, &compact);
        if (pos <= pairs_end)
            goto pair;
        goto key_general;
    }
    if (s[pos] == '}') {
        o.count++;
        last = close_container(r, &t, pos++, false, &o);
        /* On in the pair loop if what was closed is a dict's value (not a
         * key, nor at the top); closers push nothing, and pairs_end bounds a run of them. */
        if (o.node != ALERT_ABSENT && o.type == ALERT_DICT && (o.count & 1) && pos <= pairs_end)
            goto pair_after;
    }
    goto after;
#endif

after: /* the separator of the value just completed, or the closers of what it ends */
    if (last == ALERT_ABSENT)
        return STOP_FAILED;
    c = pos < len ? s[pos] : 0;
    if (c <= ' ' && space[c]) {
        compact &= o.node == ALERT_ABSENT; /* spaces after the root value are outside it */
        canonical &= o.node == ALERT_ABSENT;
        pos = skip_space(s, len, pos);
        c = pos < len ? s[pos] : 0;
    }
    if (o.node == ALERT_ABSENT) {
        if (pos < len) {
            alert_read_fail_found(r, pos, "expected end of input after the value");
            return STOP_FAILED;
        }
        stop = STOP_DONE;
        goto stopped;
    }
    if (o.type == ALERT_DICT && (++o.count & 1)) {
        if (check_key(r, &t.nodes[last]) != 0)
            return STOP_FAILED;
        if (python && o.count == 1 && (c == ',' || c == '}')) {
            alert_read_fail(r, pos, "set literals are not supported: JSON has no sets");
            return STOP_FAILED;
        }
        if (c != ':') {
            alert_read_fail_found(r, pos, "expected ':' after dict key");
            return STOP_FAILED;
        }
        canonical &= t.nodes[last].type == ALERT_STR;
        pos = past_one_space(s, len, pos + 1, &compact);
        goto value;
    }
    if (o.type != ALERT_DICT)
        o.count++;
    if (c == ',') {
        pos = past_one_space(s, len, pos + 1, &compact);
        if (o.type == ALERT_DICT)
            goto key;
        goto value;
    }
    if (c == closer[o.type]) {
        last = close_container(r, &t, pos++, false, &o);
        goto after;
    }
    alert_read_fail_found(r, pos, after_element(o.type));
    return STOP_FAILED;

stopped_at_token: /* the caller reads the token at pos, and the machine goes on after it */
    m->state = AFTER_VALUE;
stopped:
    m->t = t;
    m->o = o;
    m->pos = pos;
    m->last = last;
    m->compact = compact && !python;
    m->canonical = canonical && python;
    return stop;
}

/* Does what the machine stopped for: makes room, or reads the token at m->pos
 * (room for its node was checked before the machine stopped). Returns 0 or -1. */
static __attribute__((noinline)) int unstop(reader *r, machine *m, machine_stop stop)
{
    size_t start = m->pos, end;
    uint8_t type = m->type, flags = 0;
    bool value = false;
    if (stop == STOP_GROW) {
        if (grow_nodes(r, m->t.cap) != 0)
            return -1;
        m->t.nodes = r->d->nodes;
        m->t.cap = r->d->cap_nodes;
        return 0;
    }
    if (stop == STOP_STRING) {
        end = alert_read_string_rest(r, start, plain_end(r->s, r->len, start + 1), type, &flags);
        if (end == 0)
            return -1;
        m->canonical &= (flags & ALERT_F_VERBATIM) != 0;
        push(&m->t, type, start + 1, end - start - 1, flags);
        m->pos = end + 1;
    } else {
        end = stop == STOP_NUMBER ? alert_read_number_end(r, start, &type, &flags) : name_end(r, start, &type, &value);
        if (end == 0)
            return -1;
        push(&m->t, type, start, end - start, flags)->count = value;
        m->pos = end;
    }
    m->last = m->t.n - 1;
    return 0;
}

/* The whole message, without recursion: the open containers are chained
 * through their `next`, so deep nesting costs no stack. */
static int read_tape(reader *r)
{
    machine m = {.t = {.nodes = r->d->nodes, .n = 0, .cap = r->d->cap_nodes},
                 .o = {.node = ALERT_ABSENT, .room = r->d->max_depth},
                 .state = AT_VALUE,
                 .compact = true,
                 .canonical = true};
    for (;;) {
        machine_stop stop = r->python ? run(r, &m, true) : run(r, &m, false);
        if (stop == STOP_DONE) {
            r->d->n_nodes = m.t.n;
            r->d->compact = m.compact;
            r->d->canonical = m.canonical;
            return 0;
        }
        if (stop == STOP_FAILED || unstop(r, &m, stop) != 0)
            return -1;
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
    d->compact = false;
    d->canonical = false;
    if (read_tape(&r) != 0)
        return -1;
    if (r.escaped && d->scratch_cap < len) {
        /* Decoded text is never longer than its raw span, so each string
         * decodes at its own offset and earlier results stay valid. */
        char *scratch = realloc(d->scratch, len);
        if (!scratch)
            return alert_read_fail(&r, 0, "out of memory");
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
    /* A dict whose first key is single-quoted is no JSON: Python is read first,
     * quietly, sparing a Python alert the JSON try. Should it fail, both are
     * read as below, which explains it. */
    if (len > 1 && msg[0] == '{' && msg[1] == '\'' && read_as(d, msg, len, ALERT_FORMAT_PYTHON, true, err) == 0)
        return 0;
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
        return alert_read_fail(&r, limit, "message of %zu bytes is over the limit of %zu bytes", len, limit);
    }
    if (fmt == ALERT_FORMAT_AVRO) {
        reader r = {.err = err};
        return alert_read_fail(&r, 0, "Avro is read with a schema (alert/avro.h), not as text");
    }
    if (read_auto(d, msg, len, fmt, err) == 0)
        return 0;
    d->n_nodes = 0; /* nothing half-read is left to look at */
    return -1;
}
