/* rules/set.c — the rule set (rule_set_*): adds rules (parse, compile,
 * verify), has the optimiser lay them out, and evaluates them all in one pass.
 * Its paths and their per-alert cache are in paths.c, the optimiser in
 * optimize.c. */
#include <stdlib.h>
#include <string.h>

#include "rules/optimize.h"

struct rule_set {
    rule_program *rules;
    size_t n, cap;
    rule_paths paths;
    rule_path_cache cache; /* the paths' nodes and values for the current alert */
    rule_value *stack;
    uint32_t stack_cap;
    rule_defs defs;  /* its definitions ($name), compiled before its rules */
    rule_layout lay; /* the VM's code for the rules, by rule_optimize */
    rule_watch watch;            /* watchlists and watchmaps by name */
    rule_watch_hit *watch_hits;  /* by rule (n of them once prepared, when there is a watchlist or watchmap) */
    rule_vm vm;      /* the above, bound for rule_set_eval (by rule_set_prepare) */
    bool prepared;   /* laid out and bound since the last rule_set_add */
};

rule_set *rule_set_new(void) { return calloc(1, sizeof(rule_set)); }

void rule_set_free(rule_set *rs)
{
    if (!rs)
        return;
    for (size_t i = 0; i < rs->n; i++)
        rule_program_free(&rs->rules[i]);
    free(rs->rules);
    rule_paths_free(&rs->paths);
    rule_path_cache_free(&rs->cache);
    free(rs->stack);
    rule_layout_free(&rs->lay);
    rule_defs_free(&rs->defs);
    rule_watch_free(&rs->watch);
    free(rs->watch_hits);
    free(rs);
}

/* Grows the per-path cache and the stack to what the set's rules need. */
static int fit_runtime(rule_set *rs, uint32_t need)
{
    if (rule_path_cache_fit(&rs->cache, rs->paths.n) != 0)
        return -1;
    if (need > rs->stack_cap) {
        rule_value *stack = realloc(rs->stack, need * sizeof *stack);
        if (!stack)
            return -1;
        rs->stack = stack;
        rs->stack_cap = need;
    }
    return 0;
}

/* Compiles and verifies a parsed rule into prog; errors go to diags. */
static int build(rule_set *rs, const rule_tree *t, rule_program *prog, rule_diags *diags)
{
    char why[160];
    if (rule_compile(t, &rs->paths, prog) != 0) {
        rule_diag(diags, 0, 0, "out of memory");
        return -1;
    }
    if (rule_verify(prog, rs->paths.n, why, sizeof why) != 0) {
        rule_diag(diags, 0, 0, "internal error: the compiled rule failed verification: %s", why);
        return -1;
    }
    rule_vm_prepare(prog);
    if (rule_paths_number_rels(&rs->paths, prog) != 0 || rule_paths_number_segments(&rs->paths, prog) != 0 ||
        fit_runtime(rs, prog->segs[0].need) != 0) {
        rule_diag(diags, 0, 0, "out of memory");
        return -1;
    }
    return 0;
}

int rule_set_add(rule_set *rs, const char *name, const char *where, rule_error *errs, size_t max_errs,
                 size_t *n_errs)
{
    char *copy = strdup(where);
    if (!copy) {
        rule_diags diags = {.errs = errs, .max = max_errs};
        rule_diag(&diags, 0, 0, "out of memory");
        *n_errs = diags.n < max_errs ? diags.n : max_errs;
        return -1;
    }
    int rc = rule_set_take(rs, name, copy, errs, max_errs, n_errs);
    if (rc != 0)
        free(copy);
    return rc;
}

int rule_set_take(rule_set *rs, const char *name, char *where, rule_error *errs, size_t max_errs,
                  size_t *n_errs)
{
    rule_diags diags = {.errs = errs, .max = max_errs};
    rule_tree tree;
    rule_program prog = {.watch = &rs->watch};
    int rc = -1;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        rule_program *rules = realloc(rs->rules, cap * sizeof *rules);
        if (!rules) {
            rule_diag(&diags, 0, 0, "out of memory");
            *n_errs = diags.n < max_errs ? diags.n : max_errs;
            return -1;
        }
        rs->rules = rules;
        rs->cap = cap;
    }
    prog.defs = rs->defs.progs;
    prog.n_defs = rs->defs.n_progs;
    if (rule_parse(&tree, where, strlen(where), &diags) == 0 &&
        rule_defs_resolve(&rs->defs, &tree, where, &diags) == 0 &&
        rule_watch_check(&rs->watch, &tree, &diags) == 0 && build(rs, &tree, &prog, &diags) == 0) {
        rule_defs_mark_used(&rs->defs, &prog);
        prog.name = strdup(name);
        if (prog.name) {
            prog.where = where; /* only now: a failed add frees prog, and where stays the caller's */
            rs->rules[rs->n++] = prog;
            rc = 0;
        } else {
            rule_diag(&diags, 0, 0, "out of memory");
        }
    }
    if (rc != 0)
        rule_program_free(&prog);
    rule_tree_free(&tree);
    /* Whatever moved, even in a failed add, is laid out and bound again. */
    rs->prepared = false;
    *n_errs = diags.n < max_errs ? diags.n : max_errs;
    return rc;
}

/* A definition's value is kept for the alert and shared by the rules that read
 * it, so a watchlist() in it could not say which rule's output names the entry
 * it matched (nor run outside a rule's code): it is refused, with the way out. */
static int build_definition(void *rs, const rule_tree *t, rule_program *prog, rule_diags *diags)
{
    for (uint32_t n = 0; n < t->n; n++) {
        const rule_ast *a = &t->nodes[n];
        if (a->kind == AST_CALL && (a->op == RULE_OP_WATCHLIST || a->op == RULE_OP_WATCHMAP)) {
            rule_diag(diags, a->offset, a->len, "%s() cannot be used in a definition: call it in the rule",
                      a->op == RULE_OP_WATCHLIST ? "watchlist" : "watchmap");
            return -1;
        }
    }
    return build(rs, t, prog, diags);
}

int rule_set_define(rule_set *rs, size_t n, const char *const *names, const char *const *texts,
                    rule_def_error *errs, size_t max_errs, size_t *n_errs)
{
    rule_defs_builder b = {.fn = build_definition, .ctx = rs};
    rs->prepared = false;
    return rule_defs_declare(&rs->defs, n, names, texts, &b, errs, max_errs, n_errs);
}

bool rule_set_definition_used(const rule_set *rs, size_t i) { return rs->defs.used[i]; }

uint64_t rule_set_definition_runs(const rule_set *rs) { return rs->vm.def_runs; }

uint64_t rule_set_aggregate_runs(const rule_set *rs) { return rs->vm.agg_runs; }

void rule_set_disasm_definition(const rule_set *rs, size_t i, FILE *out)
{
    if (rs->defs.compiled[i] >= 0)
        rule_program_disasm(&rs->defs.progs[rs->defs.compiled[i]], &rs->paths, out);
}

int rule_set_prepare(rule_set *rs)
{
    if (rs->prepared)
        return 0;
    if (rule_optimize(&rs->lay, rs->rules, rs->n) != 0)
        return -1;
    if (rs->watch.kinds[0].n + rs->watch.kinds[1].n > 0) {
        rule_watch_hit *hits = realloc(rs->watch_hits, (rs->n ? rs->n : 1) * sizeof *hits);
        if (!hits)
            return -1;
        memset(hits, 0, (rs->n ? rs->n : 1) * sizeof *hits);
        rs->watch_hits = hits;
    }
    rs->vm = (rule_vm){.paths = &rs->paths,
                       .path_val = rs->cache.path_val,
                       .path_node = rs->cache.path_node,
                       .node_epoch = rs->cache.node_epoch,
                       .elem = rs->cache.elem,
                       .cols = rs->cache.cols,
                       .elem_kids = &rs->paths.elem_kids,
                       .cones = rs->lay.cones,
                       .doubles = rs->lay.doubles,
                       .consts = rs->lay.consts,
                       .groups = rs->lay.groups,
                       .quants = rs->lay.quants,
                       .quant_cols = rs->lay.quant_cols,
                       .defs = rs->defs.slots,
                       .n_defs = rs->defs.n_progs,
                       .watch = &rs->watch,
                       .watch_hits = rs->watch_hits};
    rs->prepared = true;
    return 0;
}

size_t rule_set_count(const rule_set *rs) { return rs->n; }

const char *rule_set_name(const rule_set *rs, size_t i) { return rs->rules[i].name; }

const char *rule_set_where(const rule_set *rs, size_t i) { return rs->rules[i].where; }

size_t rule_set_eval(rule_set *rs, alert_doc *doc, unsigned char *match)
{
    if (!rs->prepared && rule_set_prepare(rs) != 0) {
        fputs("rule_set_eval: out of memory laying out the rules\n", stderr);
        abort();
    }
    if (rule_path_cache_next(&rs->cache, rs->paths.n)) {
        if (rs->lay.quant_cols)
            memset(rs->lay.quant_cols, 0, rs->lay.n_quant_cols * sizeof *rs->lay.quant_cols);
        if (rs->watch_hits)
            memset(rs->watch_hits, 0, rs->n * sizeof *rs->watch_hits);
    }
    rs->vm.doc = doc;
    rs->vm.epoch = rs->cache.epoch;
    return rule_vm_run(&rs->vm, rs->rules, rs->lay.code, rs->lay.rule_of, rs->n, rs->stack, match);
}

int rule_set_definition_values(rule_set *rs, alert_doc *doc, rule_value *values)
{
    if (!rs->prepared && rule_set_prepare(rs) != 0)
        return -1;
    if (rule_path_cache_next(&rs->cache, rs->paths.n) && rs->lay.quant_cols)
        memset(rs->lay.quant_cols, 0, rs->lay.n_quant_cols * sizeof *rs->lay.quant_cols);
    rs->vm.doc = doc;
    rs->vm.epoch = rs->cache.epoch;
    rule_vm_begin(&rs->vm);
    for (size_t i = 0; i < rs->defs.n; i++)
        values[i] = rs->defs.compiled[i] < 0 ? rule_null()
                                             : rule_vm_definition(&rs->vm, (uint32_t)rs->defs.compiled[i], rs->stack);
    return 0;
}

int rule_set_add_watchlist(rule_set *rs, const char *name, sky_watchlist *wl)
{
    rs->prepared = false;
    return rule_watch_add(&rs->watch, RULE_OP_WATCHLIST, name, wl);
}

int rule_set_add_watchmap(rule_set *rs, const char *name, sky_moc *moc)
{
    rs->prepared = false;
    return rule_watch_add(&rs->watch, RULE_OP_WATCHMAP, name, moc);
}

const char *rule_set_watch_entry(const rule_set *rs, size_t i, char buf[24])
{
    return rs->watch_hits && i < rs->n ? rule_watch_hit_name(&rs->watch, &rs->watch_hits[i], rs->cache.epoch, buf) : NULL;
}

void rule_set_disasm(const rule_set *rs, size_t i, FILE *out) { rule_program_disasm(&rs->rules[i], &rs->paths, out); }
