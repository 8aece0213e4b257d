/* alert/write_drop.c — a node as JSON with some dict entries left out (a rule's
 * `drop`): the parts that hold no dropped entry go through alert_write_json whole. */
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

static int put_text(alert_buf *out, const char *s, size_t n)
{
    if (out->cap - out->len < n) {
        size_t cap = out->cap ? out->cap * 2 : 4096;
        while (cap - out->len < n)
            cap *= 2;
        char *data = realloc(out->data, cap);
        if (!data)
            return -1;
        out->data = data;
        out->cap = cap;
    }
    memcpy(out->data + out->len, s, n);
    out->len += n;
    return 0;
}

/* Whether some dropped node lies inside node's subtree. */
static bool holds(const alert_doc *d, uint32_t node, const uint32_t *drop, size_t n_drop)
{
    for (size_t k = 0; k < n_drop; k++)
        if (drop[k] != ALERT_ABSENT && drop[k] > node && drop[k] < d->nodes[node].next)
            return true;
    return false;
}

/* A dict key as JSON writes it: a str as a JSON string, another scalar's JSON quoted. */
static int put_key(const alert_doc *d, uint32_t key, alert_buf *out)
{
    if (d->nodes[key].type == ALERT_STR)
        return alert_write_json(d, key, out);
    return put_text(out, "\"", 1) || alert_write_json(d, key, out) || put_text(out, "\"", 1) ? -1 : 0;
}

int alert_write_json_dropping(const alert_doc *d, uint32_t node, const uint32_t *drop, size_t n_drop, alert_buf *out)
{
    if (node >= d->n_nodes)
        return -1;
    const alert_node *n = &d->nodes[node];
    if (n->type < ALERT_LIST || !holds(d, node, drop, n_drop))
        return alert_write_json(d, node, out);
    bool dict = n->type == ALERT_DICT, first = true;
    if (put_text(out, dict ? "{" : "[", 1))
        return -1;
    uint32_t item = node + 1;
    for (uint32_t k = 0; k < n->count; k++) {
        uint32_t value = dict ? item + 1 : item, next = d->nodes[value].next;
        bool dropped = false;
        for (size_t j = 0; dict && j < n_drop; j++)
            dropped |= drop[j] == value;
        if (!dropped) {
            if ((!first && put_text(out, ",", 1)) || (dict && (put_key(d, item, out) || put_text(out, ":", 1))) ||
                alert_write_json_dropping(d, value, drop, n_drop, out))
                return -1;
            first = false;
        }
        item = next;
    }
    return put_text(out, dict ? "}" : "]", 1);
}
