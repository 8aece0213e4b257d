/* rules/define.c — definitions ($name): declared once for a set, each $name of a
 * rule or definition resolved to one, cycles and unknown names reported, and each
 * definition compiled after those it reads, so that none can read itself. */
#include <stdlib.h>

#include "rules/internal.h"

enum { WHITE, GREY, BLACK }; /* depth-first search: unseen, on the path, done */

typedef struct {
    rule_defs *d;
    rule_tree *trees;
    const char *const *texts;
    rule_diags *diags; /* per declared definition */
    uint8_t *colour;
    uint32_t *path; /* the definitions on the search's path, for a cycle's message */
    uint32_t depth;
    const rule_defs_builder *build;
} definer;

/* The declared index of the name spelt by node n of tree t (text src), or -1. */
static int32_t lookup(const rule_defs *d, const rule_tree *t, int32_t n, const char *src)
{
    const rule_ast *a = &t->nodes[n];
    for (size_t i = 0; i < d->n; i++)
        if (strlen(d->names[i]) == a->len - 1 && memcmp(d->names[i], src + a->offset + 1, a->len - 1) == 0)
            return (int32_t)i;
    return -1;
}

static void unknown(rule_diags *diags, const rule_tree *t, int32_t n, const char *src)
{
    const rule_ast *a = &t->nodes[n];
    rule_diag(diags, a->offset, a->len, "unknown definition '%.*s'", (int)a->len, src + a->offset);
}

/* Compiles declared definition i after those it reads (depth first); reports
 * each cycle once, at the reference that closes it. Returns whether i compiled. */
static bool define(definer *f, uint32_t i)
{
    rule_defs *d = f->d;
    if (f->colour[i] == BLACK)
        return d->compiled[i] >= 0;
    f->colour[i] = GREY;
    f->path[f->depth++] = i;
    rule_tree *t = &f->trees[i];
    bool ok = f->diags[i].n == 0;
    for (uint32_t n = 0; n < t->n; n++) {
        if (t->nodes[n].kind != AST_DEF)
            continue;
        int32_t j = lookup(d, t, (int32_t)n, f->texts[i]);
        if (j < 0) {
            unknown(&f->diags[i], t, (int32_t)n, f->texts[i]);
            ok = false;
        } else if (f->colour[j] == GREY) {
            char cycle[160] = "";
            uint32_t from = f->depth;
            while (f->path[from - 1] != (uint32_t)j)
                from--;
            for (uint32_t k = from - 1; k < f->depth; k++)
                snprintf(cycle + strlen(cycle), sizeof cycle - strlen(cycle), "$%s -> ", d->names[f->path[k]]);
            rule_diag(&f->diags[i], t->nodes[n].offset, t->nodes[n].len, "definitions in a cycle: %s$%s", cycle,
                      d->names[j]);
            ok = false;
        } else if (!define(f, (uint32_t)j)) {
            rule_diag(&f->diags[i], t->nodes[n].offset, t->nodes[n].len, "'$%s' has errors", d->names[j]);
            ok = false;
        } else {
            t->nodes[n].a = d->compiled[j];
        }
    }
    f->depth--;
    f->colour[i] = BLACK;
    if (!ok)
        return false;
    rule_program *prog = &d->progs[d->n_progs];
    *prog = (rule_program){.value = true, .defs = d->progs, .n_defs = d->n_progs};
    if (f->build->fn(f->build->ctx, t, prog, &f->diags[i]) != 0) {
        rule_program_free(prog);
        return false;
    }
    prog->name = strdup(d->names[i]);
    prog->where = strdup(f->texts[i]);
    d->compiled[i] = (int32_t)d->n_progs++;
    return true;
}

int rule_defs_declare(rule_defs *d, size_t n, const char *const *names, const char *const *texts,
                      const rule_defs_builder *build, rule_def_error *errs, size_t max_errs, size_t *n_errs)
{
    *n_errs = 0;
    definer f = {.d = d, .texts = texts, .build = build};
    d->names = calloc(n + 1, sizeof *d->names);
    d->compiled = malloc((n + 1) * sizeof *d->compiled);
    d->used = calloc(n + 1, sizeof *d->used);
    d->progs = calloc(n + 1, sizeof *d->progs);
    d->slots = calloc(n + 1, sizeof *d->slots);
    f.trees = calloc(n + 1, sizeof *f.trees);
    f.diags = calloc(n + 1, sizeof *f.diags);
    f.colour = calloc(n + 1, 1);
    f.path = calloc(n + 1, sizeof *f.path);
    rule_error *each = calloc((n + 1) * 8, sizeof *each);
    bool ok = d->names && d->compiled && d->used && d->progs && d->slots && f.trees && f.diags && f.colour && f.path &&
              each;
    for (size_t i = 0; ok && i < n; i++) {
        d->names[i] = strdup(names[i]);
        d->compiled[i] = -1;
        ok = d->names[i] != NULL;
        d->n = i + 1;
    }
    for (size_t i = 0; ok && i < n; i++) {
        f.diags[i] = (rule_diags){.errs = each + i * 8, .max = 8};
        rule_parse(&f.trees[i], texts[i], strlen(texts[i]), &f.diags[i]);
    }
    for (size_t i = 0; ok && i < n; i++)
        define(&f, (uint32_t)i);
    for (size_t i = 0; ok && i < d->n_progs; i++)
        d->slots[i].prog = &d->progs[i];
    for (size_t i = 0; ok && i < n; i++)
        rule_diags_sort(&f.diags[i], 0);
    for (size_t i = 0; ok && i < n; i++)
        for (size_t k = 0; k < f.diags[i].n && k < f.diags[i].max; k++) {
            if (*n_errs < max_errs)
                errs[*n_errs] = (rule_def_error){.def = i, .err = f.diags[i].errs[k]};
            (*n_errs)++;
        }
    if (!ok) {
        if (max_errs > 0)
            errs[0] = (rule_def_error){.err = {.msg = "out of memory"}};
        *n_errs = 1;
    }
    for (size_t i = 0; f.trees && i < n; i++)
        rule_tree_free(&f.trees[i]);
    free(f.trees);
    free(f.diags);
    free(f.colour);
    free(f.path);
    free(each);
    if (*n_errs > max_errs)
        *n_errs = max_errs;
    return *n_errs ? -1 : 0;
}

/* Marks declared definition i and those it reads (through its compiled code) used. */
static void mark_used(rule_defs *d, const rule_program *p)
{
    for (uint32_t s = 0; s < p->n_segs; s++)
        for (uint32_t pc = 0; pc < p->segs[s].n_code; pc++) {
            const rule_insn *in = &p->segs[s].code[pc];
            if (in->op != RULE_OP_DEF)
                continue;
            for (size_t i = 0; i < d->n; i++)
                if (d->compiled[i] == in->arg && !d->used[i]) {
                    d->used[i] = true;
                    mark_used(d, &d->progs[in->arg]);
                }
        }
}

void rule_defs_mark_used(rule_defs *d, const rule_program *p) { mark_used(d, p); }

size_t rule_defs_resolve(const rule_defs *d, rule_tree *t, const char *src, rule_diags *diags)
{
    size_t before = diags->n;
    for (uint32_t n = 0; n < t->n; n++) {
        if (t->nodes[n].kind != AST_DEF)
            continue;
        int32_t i = lookup(d, t, (int32_t)n, src);
        if (i < 0)
            unknown(diags, t, (int32_t)n, src);
        else if (d->compiled[i] < 0)
            rule_diag(diags, t->nodes[n].offset, t->nodes[n].len, "'$%s' has errors", d->names[i]);
        else
            t->nodes[n].a = d->compiled[i];
    }
    return diags->n - before;
}

void rule_defs_free(rule_defs *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->names[i]);
    for (uint32_t i = 0; i < d->n_progs; i++)
        rule_program_free(&d->progs[i]);
    free(d->names);
    free(d->compiled);
    free(d->used);
    free(d->progs);
    free(d->slots);
    *d = (rule_defs){0};
}
