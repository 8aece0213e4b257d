/* alert/value.c — scalar values read from the tape on demand: numbers are
 * converted only when a rule asks, strings decoded only when escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

int alert_int(const alert_doc *d, uint32_t node, int64_t *out)
{
    if (node >= d->n_nodes)
        return -1;
    const alert_node *n = &d->nodes[node];
    if (n->type != ALERT_INT || (n->flags & ALERT_F_BIGINT))
        return -1;
    const char *p = d->src + n->start, *end = p + n->len;
    bool negative = *p == '-';
    uint64_t v = 0;
    for (p += negative; p < end; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    /* The reader set ALERT_F_BIGINT beyond int64_t, so only INT64_MIN needs care. */
    *out = !negative ? (int64_t)v : v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
    return 0;
}

/* strtod on the token: the message is not NUL-terminated, so it reads a copy. */
static double token_to_double(const char *p, size_t n)
{
    char local[128];
    char *buf = n < sizeof local ? local : malloc(n + 1);
    if (!buf)
        return NAN;
    memcpy(buf, p, n);
    buf[n] = '\0';
    double v = strtod(buf, NULL);
    if (buf != local)
        free(buf);
    return v;
}

double alert_double(const alert_doc *d, uint32_t node)
{
    int64_t i;
    if (alert_int(d, node, &i) == 0)
        return (double)i;
    if (node >= d->n_nodes || (d->nodes[node].type != ALERT_INT && d->nodes[node].type != ALERT_FLOAT))
        return NAN;
    return token_to_double(d->src + d->nodes[node].start, d->nodes[node].len);
}

int alert_string(alert_doc *d, uint32_t node, const char **s, size_t *n)
{
    if (node >= d->n_nodes)
        return -1;
    const alert_node *node_p = &d->nodes[node];
    if (node_p->type != ALERT_STR && node_p->type != ALERT_BYTES)
        return -1;
    const unsigned char *p = (const unsigned char *)d->src + node_p->start, *end = p + node_p->len;
    if (!(node_p->flags & ALERT_F_ESCAPED)) {
        *s = (const char *)p;
        *n = node_p->len;
        return 0;
    }
    /* Decoded text is never longer than the raw span: it goes at the same offset in the scratch. */
    char *out = d->scratch + node_p->start, *o = out;
    alert_escape_mode mode = alert_node_escape_mode(d, node_p);
    while (p < end)
        o += alert_decode_piece(&p, end, mode, o);
    *s = out;
    *n = (size_t)(o - out);
    return 0;
}
