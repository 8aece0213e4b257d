/* alert/avro_read.c — Avro binary into the tape, following a compiled schema:
 * names, strings and bytes copied into the doc's text, numbers kept as their
 * bits in the nodes (ALERT_F_BINARY), every length checked against what is left. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/avro_internal.h"
#include "alert/internal.h"

typedef struct {
    const alert_avro_schema *s;
    const unsigned char *p, *end, *msg;
    size_t base; /* added to offsets in messages */
    alert_error *err;
    char *text;  /* d->scratch: the names, then the message's strings and bytes */
    size_t text_len;
    alert_node *nodes;
    uint32_t n, cap, max_nodes;
    uint64_t bound; /* what the JSON of the nodes so far can take at most */
    uint32_t depth, max_depth;
    alert_doc *d;
} reader;

static __attribute__((format(printf, 3, 4), cold, noinline)) int fail(reader *r, const unsigned char *at,
                                                                      const char *fmt, ...)
{
    size_t offset = r->base + (size_t)(at - r->msg);
    r->err->offset = offset;
    int n = snprintf(r->err->msg, sizeof r->err->msg, "offset %zu: ", offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->msg + n, sizeof r->err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static __attribute__((noinline)) int grow_nodes(reader *r)
{
    if (r->cap >= r->max_nodes)
        return fail(r, r->p, "the record takes more than %u nodes (input.max_message_bytes / 4)", r->max_nodes);
    uint64_t cap = r->cap ? (uint64_t)r->cap * 2 : 1024;
    if (cap > r->max_nodes)
        cap = r->max_nodes;
    alert_node *nodes = realloc(r->nodes, cap * sizeof *nodes);
    if (!nodes)
        return fail(r, r->p, "out of memory");
    r->nodes = r->d->nodes = nodes;
    r->cap = r->d->cap_nodes = (uint32_t)cap;
    return 0;
}

/* Appends a scalar node; returns 0 or -1. */
static inline __attribute__((always_inline)) int push(reader *r, uint8_t type, uint8_t flags, uint32_t start,
                                                      uint32_t len, uint32_t count)
{
    if (__builtin_expect(r->n == r->cap, 0) && grow_nodes(r) != 0)
        return -1;
    alert_node *n = &r->nodes[r->n];
    *n = (alert_node){.start = start, .len = len, .next = r->n + 1, .count = count, .type = type, .flags = flags};
    r->n++;
    return 0;
}

static inline int push_bits(reader *r, uint8_t type, uint8_t flags, uint64_t bits)
{
    r->bound += 26; /* "-2.2250738585072014e-308," */
    return push(r, type, flags | ALERT_F_BINARY, (uint32_t)bits, (uint32_t)(bits >> 32), 0);
}

static __attribute__((noinline)) int read_long_slow(reader *r, int64_t *out)
{
    const unsigned char *p = r->p;
    uint64_t v = 0;
    for (unsigned i = 0;; i++) {
        if (i == 10)
            return fail(r, r->p, "varint longer than 10 bytes");
        if (p >= r->end)
            return fail(r, r->p, "input ends inside a varint");
        unsigned char b = *p++;
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    r->p = p;
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return 0;
}

/* A zigzag varint (Avro's int and long). */
static inline __attribute__((always_inline)) int read_long(reader *r, int64_t *out)
{
    if (__builtin_expect(r->p < r->end && *r->p < 0x80, 1)) {
        unsigned b = *r->p++;
        *out = (int64_t)(b >> 1) ^ -(int64_t)(b & 1);
        return 0;
    }
    return read_long_slow(r, out);
}

/* A length (of bytes, a string) that must be at least 0 and within what is left. */
static inline int read_length(reader *r, const char *what, size_t *out)
{
    const unsigned char *at = r->p;
    int64_t n;
    if (read_long(r, &n) != 0)
        return -1;
    if (n < 0)
        return fail(r, at, "negative length %lld of %s", (long long)n, what);
    if ((uint64_t)n > (size_t)(r->end - r->p))
        return fail(r, at, "%s of %lld bytes is longer than the %zu bytes left", what, (long long)n,
                    (size_t)(r->end - r->p));
    *out = (size_t)n;
    return 0;
}

/* Bytes that end plain string content: the JSON writer must escape these, or check them (non-ASCII). */
static const uint8_t byte_class[256] = {
    [0x00 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xFF] = 2,
};

/* Copies a string of n bytes at r->p into the text, checking it is UTF-8; its node's flags in *flags. */
static int take_string(reader *r, size_t n, uint8_t *flags, uint32_t *start)
{
    const unsigned char *p = r->p, *end = p + n;
    bool verbatim = true;
    while (p < end) {
        uint8_t c = byte_class[*p];
        if (c == 0) {
            p++;
        } else if (c == 1) {
            verbatim = false;
            p++;
        } else {
            size_t k = alert_utf8_check(p, end);
            if (k == 0)
                return fail(r, p, "string is not UTF-8 (byte 0x%02x)", *p);
            p += k;
        }
    }
    *flags = verbatim ? ALERT_F_VERBATIM : 0;
    r->bound += verbatim ? n + 3 : 6 * (uint64_t)n + 3;
    *start = (uint32_t)r->text_len;
    memcpy(r->text + r->text_len, r->p, n);
    r->text_len += n;
    r->p = end;
    return 0;
}

static int read_string(reader *r)
{
    size_t n = 0;
    uint8_t flags = 0;
    uint32_t start = 0;
    if (read_length(r, "string", &n) != 0 || take_string(r, n, &flags, &start) != 0)
        return -1;
    return push(r, ALERT_STR, flags, start, (uint32_t)n, 0);
}

static int take_bytes(reader *r, size_t n)
{
    uint32_t start = (uint32_t)r->text_len;
    memcpy(r->text + r->text_len, r->p, n);
    r->text_len += n;
    r->p += n;
    r->bound += ((uint64_t)n + 2) / 3 * 4 + 3;
    return push(r, ALERT_BYTES, 0, start, (uint32_t)n, 0);
}

static int read_value(reader *r, uint32_t type);

/* A container's node: its next, count and JSON bound (len, a sixth of it: see alert_avro_read) set by close. */
static int open_container(reader *r, uint8_t type, uint32_t *node, uint64_t *bound)
{
    if (++r->depth > r->max_depth)
        return fail(r, r->p, "nesting deeper than %u", r->max_depth);
    *node = r->n;
    *bound = r->bound;
    r->bound += 3;
    return push(r, type, 0, 0, 0, 0);
}

static void close_container(reader *r, uint32_t node, uint64_t bound, uint32_t count)
{
    alert_node *n = &r->nodes[node];
    uint64_t sixth = (r->bound - bound + 5) / 6;
    n->len = sixth < UINT32_MAX ? (uint32_t)sixth : UINT32_MAX;
    n->next = r->n;
    n->count = count;
    r->depth--;
}

static int read_record(reader *r, const avro_type *t)
{
    uint32_t node;
    uint64_t bound;
    if (open_container(r, ALERT_DICT, &node, &bound) != 0)
        return -1;
    const avro_member *m = &r->s->members[t->first];
    for (uint32_t i = 0; i < t->n; i++, m++) {
        if (push(r, ALERT_STR, ALERT_F_VERBATIM, m->name, m->name_len, 0) != 0)
            return -1;
        r->bound += m->name_len + 3;
        if (read_value(r, m->type) != 0)
            return -1;
    }
    close_container(r, node, bound, t->n);
    return 0;
}

/* An array's or map's blocks: a count, then (when it is negative) a byte size, then the items. */
static int read_blocks(reader *r, const avro_type *t, bool map)
{
    uint32_t node;
    uint64_t bound;
    if (open_container(r, map ? ALERT_DICT : ALERT_LIST, &node, &bound) != 0)
        return -1;
    uint64_t total = 0;
    uint32_t item_min = r->s->types[t->item].min_size + (map ? 1 : 0);
    for (;;) {
        const unsigned char *at = r->p;
        int64_t count;
        if (read_long(r, &count) != 0)
            return -1;
        if (count == 0)
            break;
        if (count < 0) {
            int64_t size;
            if (count == INT64_MIN)
                return fail(r, at, "block count out of range");
            count = -count;
            if (read_long(r, &size) != 0)
                return -1;
            if (size < 0)
                return fail(r, at, "negative block size %lld", (long long)size);
        }
        size_t left = (size_t)(r->end - r->p);
        if (item_min > 0 && (uint64_t)count > left / item_min)
            return fail(r, at, "block of %lld items is longer than the %zu bytes left", (long long)count, left);
        total += (uint64_t)count;
        if (total > UINT32_MAX)
            return fail(r, at, "more than %u items", UINT32_MAX);
        for (int64_t i = 0; i < count; i++) {
            if (map && read_string(r) != 0)
                return -1;
            if (read_value(r, t->item) != 0)
                return -1;
        }
    }
    close_container(r, node, bound, (uint32_t)total);
    return 0;
}

static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_value(reader *r, uint32_t type)
{
    const avro_type *t = &r->s->types[type];
    const unsigned char *at = r->p;
    int64_t v;
    size_t n = 0;
    switch ((avro_kind)t->kind) {
    case AVRO_NULL:
        r->bound += 5;
        return push(r, ALERT_NULL, 0, 0, 0, 0);
    case AVRO_BOOLEAN:
        if (r->p >= r->end)
            return fail(r, at, "input ends inside a boolean");
        if (*r->p > 1)
            return fail(r, at, "boolean byte 0x%02x is neither 0 nor 1", *r->p);
        r->bound += 6;
        return push(r, ALERT_BOOL, 0, 0, 0, *r->p++);
    case AVRO_INT:
    case AVRO_LONG:
        if (read_long(r, &v) != 0)
            return -1;
        return push_bits(r, ALERT_INT, 0, (uint64_t)v);
    case AVRO_FLOAT: {
        if (r->end - r->p < 4)
            return fail(r, at, "input ends inside a float");
        uint32_t bits = le32(r->p);
        float f;
        memcpy(&f, &bits, 4);
        double wide = f;
        uint64_t wbits;
        memcpy(&wbits, &wide, 8);
        r->p += 4;
        return push_bits(r, ALERT_FLOAT, ALERT_F_FLOAT32, wbits);
    }
    case AVRO_DOUBLE: {
        if (r->end - r->p < 8)
            return fail(r, at, "input ends inside a double");
        uint64_t bits = le32(r->p) | (uint64_t)le32(r->p + 4) << 32;
        r->p += 8;
        return push_bits(r, ALERT_FLOAT, 0, bits);
    }
    case AVRO_BYTES:
        if (read_length(r, "bytes", &n) != 0)
            return -1;
        return take_bytes(r, n);
    case AVRO_FIXED:
        if ((size_t)(r->end - r->p) < t->n)
            return fail(r, at, "input ends inside a fixed of %u bytes", t->n);
        return take_bytes(r, t->n);
    case AVRO_STRING:
        return read_string(r);
    case AVRO_RECORD:
        return read_record(r, t);
    case AVRO_ENUM: {
        if (read_long(r, &v) != 0)
            return -1;
        if (v < 0 || (uint64_t)v >= t->n)
            return fail(r, at, "enum index %lld out of range (%u symbols)", (long long)v, t->n);
        const avro_member *m = &r->s->members[t->first + (uint32_t)v];
        r->bound += m->name_len + 3;
        return push(r, ALERT_STR, ALERT_F_VERBATIM, m->name, m->name_len, 0);
    }
    case AVRO_ARRAY:
        return read_blocks(r, t, false);
    case AVRO_MAP:
        return read_blocks(r, t, true);
    case AVRO_UNION:
        if (read_long(r, &v) != 0)
            return -1;
        if (v < 0 || (uint64_t)v >= t->n)
            return fail(r, at, "union branch %lld out of range (%u branches)", (long long)v, t->n);
        return read_value(r, r->s->members[t->first + (uint32_t)v].type);
    case AVRO_REF:
        break;
    }
    return fail(r, at, "unresolved type"); /* the compiler resolves every reference */
}

int avro_read_value(alert_doc *d, const alert_avro_schema *s, const unsigned char *msg, size_t len, size_t pos,
                    size_t *end, size_t base, alert_error *err)
{
    if (!msg)
        msg = (const unsigned char *)""; /* an empty message may come as NULL: no arithmetic on it */
    reader r = {.s = s, .p = msg + pos, .end = msg + len, .msg = msg, .base = base, .err = err, .d = d,
                .nodes = d->nodes, .cap = d->cap_nodes, .max_depth = d->max_depth};
    size_t max_nodes = d->max_bytes / 4;
    r.max_nodes = max_nodes < UINT32_MAX - 1 ? (uint32_t)max_nodes : UINT32_MAX - 1;
    if (r.max_nodes < 16)
        r.max_nodes = 16;
    d->n_nodes = 0;
    d->format = ALERT_FORMAT_AVRO;
    d->compact = false;
    d->canonical = false;
    /* The text takes the names and at most every byte left, with 32 to spare for the writer's wide copies. */
    size_t need = s->names_len + (len - pos) + 32;
    if (need > UINT32_MAX)
        return fail(&r, r.p, "record of %zu bytes is too large", len - pos);
    if (d->scratch_cap < need) {
        char *text = realloc(d->scratch, need);
        if (!text)
            return fail(&r, r.p, "out of memory");
        d->scratch = text;
        d->scratch_cap = need;
    }
    r.text = d->scratch;
    if (s->names_len) /* a schema of no names has no names text at all */
        memcpy(r.text, s->names, s->names_len);
    r.text_len = s->names_len;
    if (read_value(&r, s->root) != 0)
        return -1;
    memset(r.text + r.text_len, 0, 32);
    d->src = r.text;
    d->len = r.text_len;
    d->scratch_len = 0;
    d->n_nodes = r.n;
    *end = (size_t)(r.p - msg);
    return 0;
}

int alert_avro_read(alert_doc *d, const alert_avro_schema *s, const char *msg, size_t len, alert_error *err)
{
    size_t end;
    d->n_nodes = 0;
    if (len > d->max_bytes) {
        err->offset = d->max_bytes;
        snprintf(err->msg, sizeof err->msg, "offset %zu: message of %zu bytes is over the limit of %zu bytes",
                 d->max_bytes, len, d->max_bytes);
        return -1;
    }
    if (avro_read_value(d, s, (const unsigned char *)msg, len, 0, &end, 0, err) != 0) {
        d->n_nodes = 0;
        return -1;
    }
    if (end != len) {
        d->n_nodes = 0;
        err->offset = end;
        snprintf(err->msg, sizeof err->msg, "offset %zu: %zu bytes after the record", end, len - end);
        return -1;
    }
    return 0;
}

bool alert_avro_is_container(const char *msg, size_t len) { return len >= 4 && memcmp(msg, "Obj\x01", 4) == 0; }

bool alert_avro_confluent_id(const char *msg, size_t len, uint32_t *schema_id)
{
    if (len < ALERT_AVRO_CONFLUENT_HEADER || msg[0] != 0)
        return false;
    const unsigned char *p = (const unsigned char *)msg + 1;
    *schema_id = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return true;
}
