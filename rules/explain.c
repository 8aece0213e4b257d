/* rules/explain.c — why a rule fired or not: the value of each part of its
 * `where` for one alert, each part compiled as a definition of a set of its own,
 * so that the answers are the VM's own. */
#include <stdlib.h>

#include "rules/internal.h"

/* One part shown: its place in the text, its depth under the root, and the
 * declared index of the definition that computes it in the explainer's set. */
typedef struct {
    uint32_t offset, len, depth;
    size_t def;
} part;

struct rule_explainer {
    char *name, *where;
    rule_set *rs;
    part *parts;
    size_t n_parts;
    size_t n_defs; /* the set's definitions: the user's, then one per part */
    rule_value *values;
};

typedef struct {
    const rule_tree *t;
    const char *src;
    part *parts;
    size_t n;
} collector;

/* A node's span runs from its first operand's to its last's, so that a
 * parenthesised operand at either end leaves a parenthesis out: the span is
 * widened to the ones that balance it (the whole text balances). */
static void balance(const char *src, uint32_t *offset, uint32_t *len)
{
    int depth = 0, lowest = 0;
    for (uint32_t k = *offset; k < *offset + *len; k++) {
        char c = src[k];
        if (c == '\'' || c == '"') {
            for (k++; k < *offset + *len && src[k] != c; k++)
                k += src[k] == '\\';
        } else if (c == '(' || c == '[') {
            depth++;
        } else if (c == ')' || c == ']') {
            lowest = --depth < lowest ? depth : lowest;
        }
    }
    for (int open = -lowest; open > 0 && *offset > 0; (*offset)--, (*len)++)
        open -= src[*offset - 1] == '(' || src[*offset - 1] == '[';
    for (int close = depth - lowest; close > 0 && src[*offset + *len]; (*len)++)
        close -= src[*offset + *len] == ')' || src[*offset + *len] == ']';
}

static void collect(collector *c, int32_t n, uint32_t depth);

/* The operands of a chain of one `and` or `or` (a and b and c), side by side. */
static void collect_chain(collector *c, int32_t n, uint8_t kind, uint32_t depth)
{
    const rule_ast *a = &c->t->nodes[n];
    if (a->kind != kind) {
        collect(c, n, depth);
        return;
    }
    collect_chain(c, a->a, kind, depth);
    collect_chain(c, a->b, kind, depth);
}

/* Collects n and the parts under it that are not inside an any/all/count or
 * aggregate's per-element expression (they have no value for the alert alone). */
static void collect(collector *c, int32_t n, uint32_t depth)
{
    const rule_ast *a = &c->t->nodes[n];
    if (a->kind == AST_ERROR)
        return;
    if (a->kind != AST_LIT) {
        part *p = &c->parts[c->n++];
        *p = (part){.offset = a->offset, .len = a->len, .depth = depth};
        balance(c->src, &p->offset, &p->len);
    }
    uint32_t next = depth + (a->kind != AST_LIT);
    switch ((rule_ast_kind)a->kind) {
    case AST_NEG:
    case AST_NOT:
        collect(c, a->a, next);
        break;
    case AST_BIN:
        collect(c, a->a, next);
        collect(c, a->b, next);
        break;
    case AST_AND:
    case AST_OR:
        collect_chain(c, a->a, a->kind, next);
        collect_chain(c, a->b, a->kind, next);
        break;
    case AST_INSET:
        collect(c, a->a, next);
        break;
    case AST_IN:
    case AST_CALL: {
        uint32_t kids = a->kind == AST_CALL && rule_op_kind[a->op] == RULE_ARG_PRED ? 1 : (uint32_t)a->b;
        for (uint32_t k = 0; k < kids; k++)
            collect(c, c->t->kids[a->a + (int32_t)k], next);
        break;
    }
    default:
        break;
    }
}

void rule_explainer_free(rule_explainer *ex)
{
    if (!ex)
        return;
    rule_set_free(ex->rs);
    free(ex->name);
    free(ex->where);
    free(ex->parts);
    free(ex->values);
    free(ex);
}

rule_explainer *rule_explainer_new(const char *name, const char *where, size_t n_defs, const char *const *def_names,
                                   const char *const *def_texts, rule_error *err)
{
    rule_explainer *ex = calloc(1, sizeof *ex);
    rule_tree t = {0};
    rule_error errs[4];
    rule_diags diags = {.errs = errs, .max = 4};
    *err = (rule_error){.msg = "out of memory"};
    if (!ex || !(ex->name = strdup(name)) || !(ex->where = strdup(where)) || !(ex->rs = rule_set_new()))
        goto fail;
    if (rule_parse(&t, where, strlen(where), &diags) != 0) {
        *err = errs[0];
        goto fail;
    }
    size_t cap = t.n + 1;
    collector c = {.t = &t, .src = where, .parts = calloc(cap, sizeof *c.parts)};
    char **names = calloc(n_defs + cap, sizeof *names);
    const char **texts = calloc(n_defs + cap, sizeof *texts);
    if (!c.parts || !names || !texts) {
        free(c.parts), free(names), free(texts);
        goto fail;
    }
    collect(&c, t.root, 0);
    ex->parts = c.parts;
    ex->n_parts = c.n;
    for (size_t i = 0; i < n_defs; i++) {
        names[i] = (char *)def_names[i];
        texts[i] = def_texts[i];
    }
    bool ok = true;
    for (size_t k = 0; k < c.n && ok; k++) {
        /* Not a name a config can spell: no clash with the user's definitions. */
        ok = asprintf(&names[n_defs + k], "part-%zu", k) > 0 &&
             (texts[n_defs + k] = strndup(where + c.parts[k].offset, c.parts[k].len)) != NULL;
        c.parts[k].def = n_defs + k;
    }
    ex->n_defs = n_defs + c.n;
    rule_def_error *derrs = calloc(4, sizeof *derrs);
    size_t nd = 0;
    ok = ok && derrs && (ex->values = calloc(ex->n_defs + 1, sizeof *ex->values)) &&
         rule_set_define(ex->rs, ex->n_defs, (const char *const *)names, texts, derrs, 4, &nd) == 0;
    if (!ok && nd > 0)
        *err = derrs[0].def >= n_defs ? derrs[0].err : (rule_error){.msg = "a definition has errors"};
    for (size_t k = 0; k < c.n; k++) {
        free(names[n_defs + k]);
        free((char *)texts[n_defs + k]);
    }
    free(names);
    free(texts);
    free(derrs);
    rule_tree_free(&t);
    if (ok)
        return ex;
    rule_explainer_free(ex);
    return NULL;
fail:
    rule_tree_free(&t);
    rule_explainer_free(ex);
    return NULL;
}

/* Display width of n bytes of UTF-8. */
static size_t width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t k = 0; k < n; k++)
        w += ((unsigned char)s[k] & 0xC0) != 0x80;
    return w;
}

#define EXPLAIN_COLUMN_MAX 64 /* values line up at this column at most; longer parts push theirs right */

int rule_explainer_run(rule_explainer *ex, alert_doc *doc, const char *label, FILE *out)
{
    if (rule_set_definition_values(ex->rs, doc, ex->values) != 0)
        return -1;
    const rule_value *root = &ex->values[ex->parts[0].def];
    fprintf(out, "%s: %s %s\n", label, ex->name, rule_truthy(doc, root) ? "matches" : "does not match");
    size_t column = 0;
    for (size_t k = 0; k < ex->n_parts; k++) {
        size_t w = 2 + 2 * ex->parts[k].depth + width(ex->where + ex->parts[k].offset, ex->parts[k].len);
        if (w > column && w <= EXPLAIN_COLUMN_MAX)
            column = w;
    }
    for (size_t k = 0; k < ex->n_parts; k++) {
        const part *p = &ex->parts[k];
        size_t w = 2 + 2 * p->depth + width(ex->where + p->offset, p->len);
        fprintf(out, "%*s%.*s%*s  ", (int)(2 + 2 * p->depth), "", (int)p->len, ex->where + p->offset,
                (int)(w < column ? column - w : 0), "");
        rule_print_value(out, doc, &ex->values[p->def]);
        fputc('\n', out);
    }
    return 0;
}
