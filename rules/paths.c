/* rules/paths.c — the set's paths: spelling them, interning them (one id per
 * path however many rules read it), numbering the relative paths of any/all/
 * count across the set, and the per-alert cache of their nodes and values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

static bool is_plain_key(const alert_step *st)
{
    if (st->key_len == 0 || (st->key[0] >= '0' && st->key[0] <= '9'))
        return false;
    for (uint32_t k = 0; k < st->key_len; k++) {
        char c = st->key[k];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

size_t rule_path_text(char *out, size_t cap, const char *root, const alert_step *steps, uint32_t n)
{
    size_t len = 0;
#define PUT(...)                                                                   \
    do {                                                                           \
        int w = snprintf(len < cap ? out + len : NULL, len < cap ? cap - len : 0, __VA_ARGS__); \
        len += w > 0 ? (size_t)w : 0;                                              \
    } while (0)
    PUT("%s", root);
    for (uint32_t k = 0; k < n; k++) {
        const alert_step *st = &steps[k];
        if (st->index >= 0)
            PUT("[%d]", st->index);
        else if (is_plain_key(st))
            PUT("%s%.*s", len ? "." : "", (int)st->key_len, st->key);
        else {
            PUT("[\"");
            for (uint32_t c = 0; c < st->key_len; c++) {
                unsigned char ch = (unsigned char)st->key[c];
                if (ch == '"' || ch == '\\')
                    PUT("\\%c", ch);
                else if (ch < 0x20 || ch == 0x7f)
                    PUT("\\x%02x", ch);
                else
                    PUT("%c", ch);
            }
            PUT("\"]");
        }
    }
#undef PUT
    return len;
}

static bool same_step(const alert_step *a, const alert_step *b)
{
    if (a->index != b->index)
        return false;
    return a->index >= 0 || (a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0);
}

int rule_kids_add(rule_kids *kids, uint32_t id, const alert_step *step)
{
    char *key = malloc(step->key_len + 1);
    alert_step *steps = realloc(kids->steps, (kids->n + 1) * sizeof *steps);
    if (steps)
        kids->steps = steps;
    uint32_t *ids = realloc(kids->ids, (kids->n + 1) * sizeof *ids);
    if (ids)
        kids->ids = ids;
    if (!key || !steps || !ids) {
        free(key);
        return -1;
    }
    memcpy(key, step->key, step->key_len);
    key[step->key_len] = '\0';
    uint32_t at = kids->n;
    for (; at > 0 && steps[at - 1].key_len > step->key_len; at--) {
        steps[at] = steps[at - 1];
        ids[at] = ids[at - 1];
    }
    steps[at] = (alert_step){.key = key, .key_len = step->key_len, .index = -1};
    ids[at] = id;
    kids->n++;
    kids->len_bits |= UINT64_C(1) << (step->key_len & 63);
    uint32_t k = 0;
    for (uint32_t len = 0; len < RULE_KID_LENS; len++) {
        while (k < kids->n && steps[k].key_len < len)
            k++;
        kids->from[len] = k;
    }
    return 0;
}

void rule_kids_free(rule_kids *kids)
{
    for (uint32_t k = 0; k < kids->n; k++)
        free((char *)kids->steps[k].key);
    free(kids->steps);
    free(kids->ids);
    *kids = (rule_kids){0};
}

static int32_t intern_step(rule_paths *ps, int32_t parent, const alert_step *steps, uint32_t n)
{
    const alert_step *st = &steps[n - 1];
    for (uint32_t k = 0; k < ps->n; k++)
        if (ps->items[k].parent == parent && same_step(&ps->items[k].step, st))
            return (int32_t)k;
    if (ps->n == ps->cap) {
        uint32_t cap = ps->cap ? ps->cap * 2 : 16;
        rule_path *items = realloc(ps->items, cap * sizeof *items);
        if (!items)
            return -1;
        ps->items = items;
        ps->cap = cap;
    }
    size_t tlen = rule_path_text(NULL, 0, "", steps, n);
    char *text = malloc(tlen + 1 + (st->index < 0 ? st->key_len + 1 : 0));
    if (!text)
        return -1;
    rule_path_text(text, tlen + 1, "", steps, n);
    alert_step copy = *st;
    if (st->index < 0) {
        /* The key is kept after the text, in the same allocation. */
        char *key = text + tlen + 1;
        memcpy(key, st->key, st->key_len);
        key[st->key_len] = '\0';
        copy.key = key;
    }
    rule_kids *kids = parent < 0 ? &ps->root_kids : &ps->items[parent].kids;
    if (st->index < 0 && rule_kids_add(kids, ps->n, st) != 0) {
        free(text);
        return -1;
    }
    ps->items[ps->n] = (rule_path){.parent = parent, .step = copy, .text = text};
    return (int32_t)ps->n++;
}

int32_t rule_paths_intern(rule_paths *ps, const alert_step *steps, uint32_t n)
{
    int32_t id = -1;
    for (uint32_t k = 1; k <= n; k++) {
        id = intern_step(ps, id, steps, k);
        if (id < 0)
            return -1;
    }
    return id;
}

void rule_paths_free(rule_paths *ps)
{
    for (uint32_t k = 0; k < ps->n; k++) {
        free(ps->items[k].text);
        rule_kids_free(&ps->items[k].kids);
    }
    free(ps->items);
    rule_kids_free(&ps->root_kids);
    for (uint32_t k = 0; k < ps->n_rels; k++)
        free(ps->rel_texts[k]);
    free(ps->rel_texts);
    rule_kids_free(&ps->elem_kids);
    *ps = (rule_paths){0};
}

/* Numbers the program's relative paths by their spelling across the set. */
/* The number of text among rel_texts, added if new (*added); -1 when out of memory. */
static int64_t number_text(rule_paths *ps, const char *text, bool *added)
{
    uint32_t k = 0;
    while (k < ps->n_rels && strcmp(ps->rel_texts[k], text) != 0)
        k++;
    *added = k == ps->n_rels;
    if (!*added)
        return k;
    if (ps->n_rels == ps->cap_rels) {
        uint32_t cap = ps->cap_rels ? ps->cap_rels * 2 : 8;
        char **texts = realloc(ps->rel_texts, cap * sizeof *texts);
        if (!texts)
            return -1;
        ps->rel_texts = texts;
        ps->cap_rels = cap;
    }
    if (!(ps->rel_texts[k] = strdup(text)))
        return -1;
    ps->n_rels++;
    return k;
}

int rule_paths_number_rels(rule_paths *ps, rule_program *prog)
{
    for (uint32_t r = 0; r < prog->n_rels; r++) {
        bool added;
        int64_t k = number_text(ps, prog->rels[r].text, &added);
        if (k < 0)
            return -1;
        const rule_relpath *rel = &prog->rels[r];
        if (added && rel->n == 1 && rel->steps[0].index < 0 &&
            rule_kids_add(&ps->elem_kids, (uint32_t)k, &rel->steps[0]) != 0)
            return -1;
        prog->rels[r].cache_id = (uint32_t)k;
    }
    return 0;
}

/* A constant spelt so that two spellings are equal only for equal constants. */
static void put_const(FILE *f, const rule_value *v)
{
    switch ((rule_vtype)v->t) {
    case RV_STR:
        fprintf(f, "s%u:", v->n);
        for (uint32_t k = 0; k < v->n; k++)
            fprintf(f, "%02x", (unsigned char)v->u.s[k]);
        break;
    case RV_FLOAT:
        fprintf(f, "f%a", v->u.d);
        break;
    case RV_NULL:
        fputc('n', f);
        break;
    default:
        fprintf(f, "%c%lld", v->t == RV_BOOL ? 'b' : 'i', (long long)v->u.i);
        break;
    }
}

int rule_paths_number_segments(rule_paths *ps, rule_program *prog)
{
    /* Backwards: a segment's predicates are later ones, numbered first. */
    for (uint32_t s = prog->n_segs; s-- > 1;) {
        const rule_segment *sg = &prog->segs[s];
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
            return -1;
        fputc('=', f); /* no relative path's spelling starts so */
        for (uint32_t pc = 0; pc < sg->n_code; pc++) {
            const rule_insn *in = &sg->code[pc];
            fprintf(f, "%s", rule_op_name[in->op]);
            switch ((rule_arg_kind)rule_op_kind[in->op]) {
            case RULE_ARG_CONST:
                put_const(f, &prog->consts[in->arg]);
                break;
            case RULE_ARG_ELEM:
                fprintf(f, "r%u", prog->rels[in->arg].cache_id);
                break;
            case RULE_ARG_ELEM_CONST:
            case RULE_ARG_PATH_CONST:
                fprintf(f, "%c%u,", rule_op_kind[in->op] == RULE_ARG_ELEM_CONST ? 'r' : 'p',
                        rule_op_kind[in->op] == RULE_ARG_ELEM_CONST ? prog->rels[in->arg].cache_id
                                                                    : (uint32_t)in->arg);
                put_const(f, &prog->consts[in->b]);
                break;
            case RULE_ARG_PRED:
                fprintf(f, "s%u", prog->segs[in->arg].value_id);
                break;
            default:
                fprintf(f, "%d", in->arg);
                break;
            }
            fputc(';', f);
        }
        fclose(f);
        bool added;
        int64_t k = text ? number_text(ps, text, &added) : -1;
        free(text);
        if (k < 0)
            return -1;
        prog->segs[s].value_id = (uint32_t)k;
    }
    return 0;
}

/* ---- the per-alert cache ---- */

int rule_path_cache_fit(rule_path_cache *c, uint32_t n_paths)
{
    if (n_paths > c->cap) {
        uint32_t cap = n_paths * 2;
        rule_value *val = realloc(c->path_val, cap * sizeof *val);
        if (val)
            c->path_val = val;
        uint32_t *node = realloc(c->path_node, cap * sizeof *node);
        if (node)
            c->path_node = node;
        uint32_t *node_epoch = realloc(c->node_epoch, cap * sizeof *node_epoch);
        if (node_epoch)
            c->node_epoch = node_epoch;
        if (!val || !node || !node_epoch)
            return -1;
        memset(node_epoch + c->cap, 0, (cap - c->cap) * sizeof *node_epoch);
        c->cap = cap;
    }
    if (!c->elem && !(c->elem = calloc(RULE_ELEM_SLOTS, sizeof *c->elem)))
        return -1;
    if (!c->cols && !(c->cols = calloc(RULE_COL_SLOTS, sizeof *c->cols)))
        return -1;
    return 0;
}

void rule_path_cache_forget(rule_path_cache *c)
{
    memset(c->node_epoch, 0, c->cap * sizeof *c->node_epoch);
    if (c->elem)
        memset(c->elem, 0, RULE_ELEM_SLOTS * sizeof *c->elem);
    if (c->cols)
        memset(c->cols, 0, RULE_COL_SLOTS * sizeof *c->cols);
    c->epoch = 1;
}

void rule_path_cache_free(rule_path_cache *c)
{
    free(c->path_val);
    free(c->path_node);
    free(c->node_epoch);
    free(c->elem);
    free(c->cols);
    *c = (rule_path_cache){0};
}
