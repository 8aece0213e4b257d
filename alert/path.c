/* alert/path.c — paths like "a.b[2].c": parsed once, then followed through the
 * tape without copying; whatever is not there is ALERT_ABSENT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/internal.h"

static int path_fail(alert_error *err, size_t offset, const char *what)
{
    err->offset = offset;
    snprintf(err->msg, sizeof err->msg, "offset %zu: %s", offset, what);
    return -1;
}

/* A plain key at *pos: up to the next '.', '[' or end. */
static int parse_plain_key(const char *t, size_t len, size_t *pos, alert_step *step, alert_error *err)
{
    size_t i = *pos;
    while (i < len && t[i] != '.' && t[i] != '[' && t[i] != ']')
        i++;
    if (i < len && t[i] == ']')
        return path_fail(err, i, "unexpected ']'");
    if (i == *pos)
        return path_fail(err, i, "empty key");
    *step = (alert_step){.key = t + *pos, .key_len = (uint32_t)(i - *pos), .index = -1};
    *pos = i;
    return 0;
}

/* A bracket at *pos: [N] or ['key'] or ["key"]. */
static int parse_bracket(const char *t, size_t len, size_t *pos, alert_step *step, alert_error *err)
{
    size_t i = *pos + 1;
    if (i < len && (t[i] == '\'' || t[i] == '"')) {
        const char *close = memchr(t + i + 1, t[i], len - i - 1);
        if (!close)
            return path_fail(err, i, "unterminated quoted key");
        *step = (alert_step){.key = t + i + 1, .key_len = (uint32_t)(close - t - i - 1), .index = -1};
        i = (size_t)(close - t) + 1;
    } else if (i < len && t[i] >= '0' && t[i] <= '9') {
        int64_t v = 0;
        for (; i < len && t[i] >= '0' && t[i] <= '9'; i++) {
            v = v * 10 + (t[i] - '0');
            if (v > INT32_MAX)
                return path_fail(err, *pos + 1, "index too large");
        }
        *step = (alert_step){.index = (int32_t)v};
    } else {
        return path_fail(err, i, "expected an index or a quoted key after '['");
    }
    if (i >= len || t[i] != ']')
        return path_fail(err, i, "expected ']'");
    *pos = i + 1;
    return 0;
}

int alert_path_parse(const char *text, size_t len, alert_path *path, alert_error *err)
{
    *path = (alert_path){0};
    if (len == 0)
        return path_fail(err, 0, "empty path");
    /* One block: the steps, then the copy of the text their keys point into. */
    size_t max_steps = len;
    alert_step *steps = malloc(max_steps * sizeof *steps + len);
    if (!steps)
        return path_fail(err, 0, "out of memory");
    char *t = (char *)(steps + max_steps);
    memcpy(t, text, len);
    size_t pos = 0, n = 0;
    int rc = 0;
    while (rc == 0 && pos < len) {
        if (t[pos] == '[') {
            rc = parse_bracket(t, len, &pos, &steps[n++], err);
            continue;
        }
        if (n > 0) {
            if (t[pos] != '.') {
                rc = path_fail(err, pos, "expected '.' or '[' after ']'");
                break;
            }
            pos++;
        }
        rc = parse_plain_key(t, len, &pos, &steps[n++], err);
    }
    if (rc != 0) {
        free(steps);
        return -1;
    }
    *path = (alert_path){.steps = steps, .n = n};
    return 0;
}

void alert_path_free(alert_path *path)
{
    free(path->steps);
    *path = (alert_path){0};
}

/* Whether an escaped str key decodes to exactly key. */
static bool escaped_key_equals(const alert_doc *d, const alert_node *k, const char *key, size_t key_len)
{
    const unsigned char *p = (const unsigned char *)d->src + k->start, *end = p + k->len;
    alert_escape_mode mode = alert_node_escape_mode(d, k);
    size_t at = 0;
    char piece[4];
    while (p < end) {
        size_t n = alert_decode_piece(&p, end, mode, piece);
        if (n > key_len - at || memcmp(key + at, piece, n) != 0)
            return false;
        at += n;
    }
    return at == key_len;
}

/* Whether key node k, other than a verbatim str, is spelled step's key in JSON (unquoted). */
static bool other_key_matches(const alert_doc *d, const alert_node *k, const alert_step *step)
{
    const char *spelling = d->src + k->start;
    size_t n = k->len;
    switch (k->type) {
    case ALERT_STR:
        return escaped_key_equals(d, k, step->key, step->key_len);
    case ALERT_BOOL:
        spelling = k->count ? "true" : "false";
        n = strlen(spelling);
        break;
    case ALERT_NULL:
        spelling = "null";
        n = 4;
        break;
    }
    return n == step->key_len && memcmp(spelling, step->key, n) == 0;
}

/* The value of key in dict node, or ALERT_ABSENT. As in Python and most JSON
 * readers, the last of duplicate keys wins. Nearly every key is a str without
 * escapes, its raw span its spelling: those are told apart by length first. */
static uint32_t dict_get(const alert_doc *d, uint32_t node, const alert_step *step)
{
    const alert_node *nodes = d->nodes;
    const char *src = d->src, *key = step->key;
    const uint32_t key_len = step->key_len;
    uint32_t found = ALERT_ABSENT, k = node + 1;
    for (uint32_t i = nodes[node].count; i > 0; i--) {
        const alert_node *kn = &nodes[k];
        uint32_t v = k + 1; /* a key is a scalar (see alert_node) */
        if (kn->type == ALERT_STR && !(kn->flags & ALERT_F_ESCAPED)) {
            if (kn->len == key_len && memcmp(src + kn->start, key, key_len) == 0)
                found = v;
        } else if (other_key_matches(d, kn, step)) {
            found = v;
        }
        k = nodes[v].next;
    }
    return found;
}

static uint32_t list_get(const alert_doc *d, uint32_t node, int32_t index)
{
    if ((uint32_t)index >= d->nodes[node].count)
        return ALERT_ABSENT;
    uint32_t e = node + 1;
    for (int32_t i = 0; i < index; i++)
        e = d->nodes[e].next;
    return e;
}

uint32_t alert_lookup(const alert_doc *d, uint32_t node, const alert_step *steps, size_t n)
{
    for (size_t i = 0; i < n && node < d->n_nodes; i++) {
        uint8_t t = d->nodes[node].type;
        if (steps[i].index < 0)
            node = t == ALERT_DICT ? dict_get(d, node, &steps[i]) : ALERT_ABSENT;
        else
            node = t == ALERT_LIST || t == ALERT_TUPLE ? list_get(d, node, steps[i].index) : ALERT_ABSENT;
    }
    return node < d->n_nodes ? node : ALERT_ABSENT;
}
