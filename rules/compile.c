/* rules/compile.c — the code generator: AST to bytecode segments, with
 * constant folding, short-circuit jumps for and/or/not, and paths interned. */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

typedef struct {
    const rule_tree *t;
    rule_paths *ps;
    rule_program *p;
    uint32_t cap_consts, cap_rels, cap_segs;
    int32_t label_seg, label_pc; /* the last jump target placed: no instruction merges across it */
    bool oom;
    uint32_t *const_slots; /* open addressing over p->consts: index + 1, 0 free (a list of 1,000,000 ids) */
    uint32_t n_const_slots; /* a power of two, more than twice n_consts; 0 before the first */
} compiler;

static const rule_ast *node_at(const compiler *c, int32_t n) { return &c->t->nodes[n]; }
static int32_t kid(const compiler *c, int32_t first, uint32_t k) { return c->t->kids[first + (int32_t)k]; }
static bool compile_inset(compiler *c, uint32_t seg, const rule_ast *a);

static bool grow(compiler *c, void **items, uint32_t *cap, uint32_t n, size_t size)
{
    if (n < *cap)
        return true;
    uint32_t ncap = *cap ? *cap * 2 : 8;
    void *grown = realloc(*items, ncap * size);
    if (!grown) {
        c->oom = true;
        return false;
    }
    *items = grown;
    *cap = ncap;
    return true;
}

static int32_t emit(compiler *c, uint32_t seg, rule_opcode op, int32_t arg)
{
    rule_segment *s = &c->p->segs[seg];
    if (!grow(c, (void **)&s->code, &s->cap_code, s->n_code, sizeof *s->code))
        return 0;
    s->code[s->n_code] = (rule_insn){.op = (uint8_t)op, .arg = arg};
    return (int32_t)s->n_code++;
}

/* Pending jumps form a list through their operands until patched. */
static void emit_jump(compiler *c, uint32_t seg, rule_opcode op, int32_t *list)
{
    int32_t pc = emit(c, seg, op, *list);
    if (!c->oom)
        *list = pc;
}

static void patch(compiler *c, uint32_t seg, int32_t list, int32_t target)
{
    rule_insn *code = c->p->segs[seg].code;
    if (list >= 0) {
        c->label_seg = (int32_t)seg;
        c->label_pc = target;
    }
    while (list >= 0) {
        int32_t next = code[list].arg;
        code[list].arg = target;
        list = next;
    }
}

static int32_t here(const compiler *c, uint32_t seg) { return (int32_t)c->p->segs[seg].n_code; }

/* ---- constant folding ---- */

static bool is_null_lit(const compiler *c, int32_t n)
{
    return node_at(c, n)->kind == AST_LIT && node_at(c, n)->lit.t == RV_NULL;
}

/* x == null / x != null: the one comparison null takes part in. */
static int32_t null_test_operand(const compiler *c, const rule_ast *n)
{
    if (n->kind != AST_BIN || (n->op != RULE_OP_EQ && n->op != RULE_OP_NE))
        return -1;
    if (is_null_lit(c, n->b))
        return n->a;
    if (is_null_lit(c, n->a))
        return n->b;
    return -1;
}

static bool fold(const compiler *c, int32_t n, rule_value *out);

static bool fold_kids(const compiler *c, const rule_ast *n, rule_value *vals)
{
    for (uint32_t k = 0; k < (uint32_t)n->b; k++)
        if (!fold(c, kid(c, n->a, k), &vals[k]))
            return false;
    return true;
}

/* Evaluates n at compile time when it does not depend on the alert. */
static bool fold(const compiler *c, int32_t n, rule_value *out)
{
    const rule_ast *a = node_at(c, n);
    rule_value x, y;
    rule_value vals[5];
    switch ((rule_ast_kind)a->kind) {
    case AST_LIT:
        *out = a->lit;
        return true;
    case AST_NEG:
        if (!fold(c, a->a, &x))
            return false;
        *out = rule_negate(&x);
        return true;
    case AST_NOT:
        if (!fold(c, a->a, &x))
            return false;
        *out = rule_bool(!rule_truthy(NULL, &x));
        return true;
    case AST_BIN: {
        int32_t operand = null_test_operand(c, a);
        if (operand >= 0) {
            if (!fold(c, operand, &x))
                return false;
            *out = rule_bool((x.t == RV_NULL) == (a->op == RULE_OP_EQ));
            return true;
        }
        if (!fold(c, a->a, &x) || !fold(c, a->b, &y))
            return false;
        *out = a->op >= RULE_OP_EQ ? rule_bool(rule_compare(a->op, &x, &y)) : rule_arith(a->op, &x, &y);
        return true;
    }
    case AST_AND:
    case AST_OR: {
        if (!fold(c, a->a, &x))
            return false;
        bool decided = rule_truthy(NULL, &x) == (a->kind == AST_OR);
        if (decided) {
            *out = rule_bool(a->kind == AST_OR);
            return true;
        }
        if (!fold(c, a->b, &y))
            return false;
        *out = rule_bool(rule_truthy(NULL, &y));
        return true;
    }
    case AST_IN: {
        rule_value *items = malloc((size_t)a->b * sizeof *items);
        bool ok = items && fold(c, kid(c, a->a, 0), &x);
        for (uint32_t k = 1; ok && k < (uint32_t)a->b; k++)
            ok = fold(c, kid(c, a->a, k), &items[k - 1]);
        if (ok) {
            bool in = rule_in(&x, items, (uint32_t)a->b - 1);
            *out = rule_bool(x.t != RV_NULL && (a->op == RULE_OP_IN ? in : !in));
        }
        free(items);
        return ok;
    }
    case AST_INSET:
        if (!fold(c, a->a, &x))
            return false;
        *out = rule_bool(x.t != RV_NULL && rule_inset_has(c->t->sets[a->b], &x) == (a->op == RULE_OP_IN));
        return true;
    case AST_CALL: {
        if (a->op == RULE_OP_NOTNULL || rule_op_kind[a->op] == RULE_ARG_PRED || a->op == RULE_OP_WATCHLIST ||
            a->op == RULE_OP_WATCHMAP)
            return false;
        if (!fold_kids(c, a, vals))
            return false;
        *out = rule_builtin_call(NULL, a->op, vals);
        return true;
    }
    default:
        return false;
    }
}

/* ---- code generation ---- */

static bool same_const(const rule_value *a, const rule_value *b)
{
    if (a->t != b->t)
        return false;
    switch ((rule_vtype)a->t) {
    case RV_STR:
        return a->n == b->n && (a->n == 0 || memcmp(a->u.s, b->u.s, a->n) == 0);
    case RV_FLOAT:
        return memcmp(&a->u.d, &b->u.d, sizeof a->u.d) == 0;
    case RV_NULL:
        return true;
    default:
        return a->u.i == b->u.i;
    }
}

/* A hash of what same_const compares. */
static uint32_t const_hash(const rule_value *v)
{
    uint64_t h = 1469598103934665603ull ^ v->t;
    if (v->t == RV_STR) {
        for (uint32_t i = 0; i < v->n; i++)
            h = (h ^ (unsigned char)v->u.s[i]) * 1099511628211ull;
    } else if (v->t != RV_NULL) {
        uint64_t bits;
        memcpy(&bits, &v->u, sizeof bits);
        h = (h ^ bits) * 1099511628211ull;
        h ^= h >> 29;
    }
    return (uint32_t)(h ^ (h >> 32));
}

/* The slot of v in c->const_slots: where it is, or the free one where it would go. */
static uint32_t *const_slot(compiler *c, const rule_value *v)
{
    uint32_t mask = c->n_const_slots - 1, h = const_hash(v) & mask;
    while (c->const_slots[h] && !same_const(&c->p->consts[c->const_slots[h] - 1], v))
        h = (h + 1) & mask;
    return &c->const_slots[h];
}

/* Makes room in the slots for one more constant; false when out of memory. */
static bool const_room(compiler *c)
{
    if (2 * (c->p->n_consts + 1) < c->n_const_slots)
        return true;
    uint32_t n = c->n_const_slots ? 2 * c->n_const_slots : 64;
    uint32_t *old = c->const_slots;
    if (!(c->const_slots = calloc(n, sizeof *c->const_slots))) {
        c->const_slots = old;
        c->oom = true;
        return false;
    }
    free(old);
    c->n_const_slots = n;
    for (uint32_t k = 0; k < c->p->n_consts; k++)
        *const_slot(c, &c->p->consts[k]) = k + 1;
    return true;
}

static void emit_const(compiler *c, uint32_t seg, rule_value v)
{
    rule_program *p = c->p;
    if (!const_room(c))
        return;
    uint32_t *slot = const_slot(c, &v);
    uint32_t k = *slot ? *slot - 1 : p->n_consts;
    if (k == p->n_consts) {
        if (!grow(c, (void **)&p->consts, &c->cap_consts, p->n_consts, sizeof *p->consts))
            return;
        if (v.t == RV_STR) {
            char *s = rule_arena_alloc(&p->arena, v.n + 1);
            if (!s) {
                c->oom = true;
                return;
            }
            memcpy(s, v.u.s, v.n);
            s[v.n] = '\0';
            v.u.s = s;
        }
        p->consts[p->n_consts++] = v;
        *slot = p->n_consts;
    }
    /* PATH or ELEM then CONST becomes one PATHK or ELEMK, unless a jump lands between them. */
    rule_segment *s = &p->segs[seg];
    rule_insn *prev = s->n_code ? &s->code[s->n_code - 1] : NULL;
    bool label_here = c->label_seg == (int32_t)seg && c->label_pc == (int32_t)s->n_code;
    if (prev && !label_here && k <= UINT16_MAX && (prev->op == RULE_OP_PATH || prev->op == RULE_OP_ELEM)) {
        prev->op = prev->op == RULE_OP_PATH ? RULE_OP_PATHK : RULE_OP_ELEMK;
        prev->b = (uint16_t)k;
        return;
    }
    emit(c, seg, RULE_OP_CONST, (int32_t)k);
}

static char *path_text(compiler *c, rule_arena *arena, const char *root, const alert_step *steps, uint32_t n)
{
    size_t len = rule_path_text(NULL, 0, root, steps, n);
    char *text = rule_arena_alloc(arena, len + 1);
    if (!text) {
        c->oom = true;
        return NULL;
    }
    rule_path_text(text, len + 1, root, steps, n);
    return text;
}

static void emit_elem(compiler *c, uint32_t seg, const rule_ast *a)
{
    rule_program *p = c->p;
    if (!grow(c, (void **)&p->rels, &c->cap_rels, p->n_rels, sizeof *p->rels))
        return;
    alert_step *steps = rule_arena_alloc(&p->arena, (a->n_steps ? a->n_steps : 1) * sizeof *steps);
    if (!steps) {
        c->oom = true;
        return;
    }
    for (uint32_t k = 0; k < a->n_steps; k++) {
        steps[k] = a->steps[k];
        if (steps[k].index < 0) {
            char *key = rule_arena_alloc(&p->arena, steps[k].key_len + 1);
            if (!key) {
                c->oom = true;
                return;
            }
            memcpy(key, steps[k].key, steps[k].key_len);
            key[steps[k].key_len] = '\0';
            steps[k].key = key;
        }
    }
    const char *text = path_text(c, &p->arena, "@", steps, a->n_steps);
    if (!text)
        return;
    uint32_t k = 0;
    while (k < p->n_rels && strcmp(p->rels[k].text, text) != 0)
        k++;
    if (k == p->n_rels)
        p->rels[p->n_rels++] = (rule_relpath){.steps = steps, .n = a->n_steps, .text = text};
    emit(c, seg, RULE_OP_ELEM, (int32_t)k);
}

static void compile_value(compiler *c, uint32_t seg, int32_t n);
static void compile_body(compiler *c, uint32_t seg, int32_t n);

/* Jumps to *list when truthy(n) == when; falls through otherwise. Stack neutral. */
static void compile_jump(compiler *c, uint32_t seg, int32_t n, bool when, int32_t *list)
{
    const rule_ast *a = node_at(c, n);
    rule_value v;
    if (fold(c, n, &v)) {
        if (rule_truthy(NULL, &v) == when)
            emit_jump(c, seg, RULE_OP_JUMP, list);
        return;
    }
    if (a->kind == AST_NOT) {
        compile_jump(c, seg, a->a, !when, list);
    } else if (a->kind == AST_AND || a->kind == AST_OR) {
        /* and: both must hold; or: either suffices. */
        bool exit_on = a->kind == AST_OR;
        if (when == exit_on) {
            compile_jump(c, seg, a->a, when, list);
            compile_jump(c, seg, a->b, when, list);
        } else {
            int32_t skip = -1;
            compile_jump(c, seg, a->a, exit_on, &skip);
            compile_jump(c, seg, a->b, when, list);
            patch(c, seg, skip, here(c, seg));
        }
    } else if (a->kind == AST_BIN && a->op >= RULE_OP_EQ && a->op <= RULE_OP_GE && null_test_operand(c, a) < 0) {
        compile_value(c, seg, a->a);
        compile_value(c, seg, a->b);
        emit_jump(c, seg, (rule_opcode)((when ? RULE_OP_JT_EQ : RULE_OP_JF_EQ) + (a->op - RULE_OP_EQ)), list);
    } else {
        compile_value(c, seg, n);
        emit_jump(c, seg, when ? RULE_OP_JUMPT : RULE_OP_JUMPF, list);
    }
}

/* A condition as a value: true or false. */
static void materialize(compiler *c, uint32_t seg, int32_t n)
{
    int32_t f = -1, end = -1;
    compile_jump(c, seg, n, false, &f);
    emit_const(c, seg, rule_bool(true));
    emit_jump(c, seg, RULE_OP_JUMP, &end);
    patch(c, seg, f, here(c, seg));
    emit_const(c, seg, rule_bool(false));
    patch(c, seg, end, here(c, seg));
}

static uint32_t new_segment(compiler *c)
{
    rule_program *p = c->p;
    if (!grow(c, (void **)&p->segs, &c->cap_segs, p->n_segs, sizeof *p->segs))
        return 0;
    p->segs[p->n_segs] = (rule_segment){0};
    return p->n_segs++;
}

static void compile_call(compiler *c, uint32_t seg, const rule_ast *a)
{
    if (rule_op_kind[a->op] == RULE_ARG_PRED) {
        compile_value(c, seg, kid(c, a->a, 0));
        uint32_t pred = new_segment(c);
        if (c->oom)
            return;
        /* any/all/count: a condition per element; the aggregates: a value. */
        if (a->op == RULE_OP_ANY || a->op == RULE_OP_ALL || a->op == RULE_OP_COUNTIF) {
            compile_body(c, pred, kid(c, a->a, 1));
        } else {
            compile_value(c, pred, kid(c, a->a, 1));
            emit(c, pred, RULE_OP_YIELD, 0);
        }
        emit(c, seg, a->op, (int32_t)pred);
        return;
    }
    /* watchlist('NAME', ra, dec): NAME, checked by rule_watch_check, is the operand. */
    bool watch = a->op == RULE_OP_WATCHLIST || a->op == RULE_OP_WATCHMAP;
    for (uint32_t k = watch; k < (uint32_t)a->b; k++)
        compile_value(c, seg, kid(c, a->a, k));
    const rule_value *name = watch ? &node_at(c, kid(c, a->a, 0))->lit : NULL;
    emit(c, seg, a->op, watch ? rule_watch_find(c->p->watch, a->op, name->u.s, name->n) : 0);
}

static void compile_value(compiler *c, uint32_t seg, int32_t n)
{
    const rule_ast *a = node_at(c, n);
    rule_value v;
    if (fold(c, n, &v)) {
        emit_const(c, seg, v);
        return;
    }
    switch ((rule_ast_kind)a->kind) {
    case AST_PATH: {
        int32_t id = rule_paths_intern(c->ps, a->steps, a->n_steps);
        if (id < 0)
            c->oom = true;
        else
            emit(c, seg, RULE_OP_PATH, id);
        break;
    }
    case AST_ELEM:
        emit_elem(c, seg, a);
        break;
    case AST_DEF:
        emit(c, seg, RULE_OP_DEF, a->a);
        break;
    case AST_NEG:
        compile_value(c, seg, a->a);
        emit(c, seg, RULE_OP_NEG, 0);
        break;
    case AST_BIN: {
        int32_t operand = null_test_operand(c, a);
        if (operand >= 0) {
            compile_value(c, seg, operand);
            emit(c, seg, a->op == RULE_OP_EQ ? RULE_OP_ISNULL : RULE_OP_NOTNULL, 0);
            break;
        }
        compile_value(c, seg, a->a);
        compile_value(c, seg, a->b);
        emit(c, seg, a->op, 0);
        break;
    }
    case AST_INSET: {
        /* The set moves from the tree to the program. */
        rule_program *p = c->p;
        rule_inset **sets = realloc(p->sets, (p->n_sets + 1) * sizeof *sets);
        if (!sets) {
            c->oom = true;
            break;
        }
        p->sets = sets;
        p->sets[p->n_sets] = c->t->sets[a->b];
        ((rule_tree *)c->t)->sets[a->b] = NULL;
        compile_value(c, seg, a->a);
        emit(c, seg, a->op == RULE_OP_IN ? RULE_OP_INSET : RULE_OP_NOTINSET, (int32_t)p->n_sets++);
        break;
    }
    case AST_IN:
        if (compile_inset(c, seg, a))
            break;
        for (uint32_t k = 0; k < (uint32_t)a->b; k++)
            compile_value(c, seg, kid(c, a->a, k));
        emit(c, seg, a->op, a->b - 1);
        break;
    case AST_CALL:
        compile_call(c, seg, a);
        break;
    default: /* and, or, not */
        materialize(c, seg, n);
        break;
    }
}

/* `x in (...)` whose list is INSET_MIN constants or more: x, then one INSET
 * (NOTINSET) of the list as a hash set. Returns false, having emitted
 * nothing, for a shorter list or one with a computed item. */
static bool compile_inset(compiler *c, uint32_t seg, const rule_ast *a)
{
    enum { INSET_MIN = 16 }; /* below, comparing in turn costs no more than hashing */
    uint32_t n = (uint32_t)a->b - 1;
    rule_program *p = c->p;
    if (n < INSET_MIN)
        return false;
    for (uint32_t k = 1; k <= n; k++)
        if (node_at(c, kid(c, a->a, k))->kind != AST_LIT)
            return false;
    rule_inset *set = rule_inset_new();
    rule_inset **sets = set ? realloc(p->sets, (p->n_sets + 1) * sizeof *sets) : NULL;
    for (uint32_t k = 1; sets && k <= n; k++)
        if (rule_inset_add(set, &node_at(c, kid(c, a->a, k))->lit))
            sets = NULL;
    if (!sets) {
        rule_inset_free(set);
        c->oom = true;
        return true;
    }
    p->sets = sets;
    p->sets[p->n_sets] = set;
    compile_value(c, seg, kid(c, a->a, 0));
    emit(c, seg, a->op == RULE_OP_IN ? RULE_OP_INSET : RULE_OP_NOTINSET, (int32_t)p->n_sets++);
    return true;
}

/* A segment's whole code: the condition, then RET with its answer. */
static void compile_body(compiler *c, uint32_t seg, int32_t n)
{
    rule_value v;
    if (fold(c, n, &v)) {
        emit(c, seg, RULE_OP_RET, rule_truthy(NULL, &v));
        return;
    }
    int32_t f = -1;
    compile_jump(c, seg, n, false, &f);
    emit(c, seg, RULE_OP_RET, 1);
    if (f >= 0) {
        patch(c, seg, f, here(c, seg));
        emit(c, seg, RULE_OP_RET, 0);
    }
}

int rule_compile(const rule_tree *t, rule_paths *ps, rule_program *p)
{
    compiler c = {.t = t, .ps = ps, .p = p, .label_seg = -1};
    uint32_t main_seg = new_segment(&c);
    if (!c.oom && p->value) { /* a definition: its value */
        compile_value(&c, main_seg, t->root);
        emit(&c, main_seg, RULE_OP_YIELD, 0);
    } else if (!c.oom) {
        compile_body(&c, main_seg, t->root);
    }
    free(c.const_slots);
    return c.oom ? -1 : 0;
}

void rule_program_free(rule_program *p)
{
    for (uint32_t s = 0; s < p->n_segs; s++)
        free(p->segs[s].code);
    free(p->segs);
    free(p->consts);
    free(p->rels);
    for (uint32_t k = 0; k < p->n_sets; k++)
        rule_inset_free(p->sets[k]);
    free(p->sets);
    free(p->name);
    free(p->where);
    rule_arena_free(&p->arena);
    *p = (rule_program){0};
}
