/* tests/fuzz/fuzz_alert_roundtrip.c — libFuzzer target for the reader and writer:
 * any bytes, read in each format, either fail cleanly or give JSON that is valid
 * UTF-8, reads back as JSON, and writes back to the very same bytes, as does
 * each container; Python in repr()'s shape is written from its source as from its nodes. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"

/* An independent UTF-8 check (not the reader's), strict as RFC 3629. */
static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return 0;
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7F >> len));
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

/* Every value accessor on every node must be safe. */
static void touch_values(alert_doc *d)
{
    for (uint32_t i = 0; i < d->n_nodes; i++) {
        const char *s;
        size_t n;
        int64_t v;
        if (alert_string(d, i, &s, &n) == 0)
            assert(n <= d->nodes[i].len);
        (void)alert_int(d, i, &v);
        (void)alert_double(d, i);
    }
}

/* Every container of d is written as the same one of its JSON reading again
 * (whose subtrees, compact, are copied as they are; keys aside, the two tapes
 * match node for node). */
static void same_containers(const alert_doc *d, const alert_doc *again)
{
    alert_buf a = {0}, b = {0};
    for (uint32_t i = 0; i < d->n_nodes; i++) {
        if (d->nodes[i].type < ALERT_LIST)
            continue;
        a.len = b.len = 0;
        assert(alert_write_json(d, i, &a) == 0 && alert_write_json(again, i, &b) == 0);
        assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    }
    alert_buf_free(&a);
    alert_buf_free(&b);
}

/* The tape's shape (see alert_node): a container's elements follow it, each
 * subtree ends where its `next` says, and a dict key is a scalar whose value is
 * the node after it (what dict scans rely on). */
static void tape_shape(const alert_doc *d)
{
    for (uint32_t i = 0; i < d->n_nodes; i++) {
        const alert_node *n = &d->nodes[i];
        assert(n->next > i && n->next <= d->n_nodes);
        if (n->type < ALERT_LIST) {
            assert(n->next == i + 1);
            continue;
        }
        uint32_t e = i + 1;
        for (uint32_t k = 0; k < n->count; k++) {
            if (n->type == ALERT_DICT) {
                assert(d->nodes[e].type < ALERT_BYTES && d->nodes[e].next == e + 1); /* str, int, float, bool, None */
                e++;
            }
            e = d->nodes[e].next;
        }
        assert(e == n->next);
    }
}

/* A canonical doc (see alert_doc): every container written from its source is
 * what writing it node by node gives. */
static void canonical_as_nodes(alert_doc *d)
{
    alert_buf a = {0}, b = {0};
    for (uint32_t i = 0; d->canonical && i < d->n_nodes; i++) {
        if (d->nodes[i].type < ALERT_LIST)
            continue;
        a.len = b.len = 0;
        assert(alert_write_json(d, i, &a) == 0);
        d->canonical = false;
        assert(alert_write_json(d, i, &b) == 0);
        d->canonical = true;
        assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    }
    alert_buf_free(&a);
    alert_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const alert_format formats[] = {ALERT_FORMAT_AUTO, ALERT_FORMAT_PYTHON, ALERT_FORMAT_JSON};
    alert_doc d, again;
    alert_doc_init(&d);
    alert_doc_init(&again);
    alert_buf first = {0}, second = {0};
    alert_error err;
    /* An exact-size copy, so that ASan sees any read past the message. */
    char *msg = malloc(size ? size : 1);
    memcpy(msg, data, size);
    for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
        if (alert_parse(&d, msg, size, formats[f], &err) != 0) {
            assert(err.offset <= size && strncmp(err.msg, "offset ", 7) == 0);
            continue;
        }
        tape_shape(&d);
        touch_values(&d);
        first.len = second.len = 0;
        assert(alert_write_json(&d, 0, &first) == 0);
        assert(valid_utf8((const unsigned char *)first.data, first.len));
        int rc = alert_parse(&again, first.data, first.len, ALERT_FORMAT_JSON, &err);
        assert(rc == 0);
        assert(again.n_nodes == d.n_nodes);
        assert(alert_write_json(&again, 0, &second) == 0);
        assert(second.len == first.len && memcmp(second.data, first.data, first.len) == 0);
        same_containers(&d, &again);
        canonical_as_nodes(&d);
    }
    free(msg);
    alert_buf_free(&first);
    alert_buf_free(&second);
    alert_doc_free(&d);
    alert_doc_free(&again);
    return 0;
}
