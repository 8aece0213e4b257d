/* rules/vm.c — the bytecode interpreter: one dispatch loop over a verified
 * program, reading alert fields through the set's per-alert path cache. */
#include "rules/internal.h"

_Static_assert(RULE_OP_JF_GE - RULE_OP_JF_EQ == RULE_OP_GE - RULE_OP_EQ &&
                   RULE_OP_JT_GE - RULE_OP_JT_EQ == RULE_OP_GE - RULE_OP_EQ &&
                   RULE_OP_JT_EQ == RULE_OP_JF_GE + 1 && RULE_OP_PJF_GE - RULE_OP_PJF_EQ == RULE_OP_GE - RULE_OP_EQ &&
                   RULE_OP_PJT_EQ == RULE_OP_PJF_GE + 1 && RULE_OP_PJT_GE - RULE_OP_PJT_EQ == RULE_OP_GE - RULE_OP_EQ &&
                   RULE_OP_KJF_GE - RULE_OP_KJF_EQ == RULE_OP_GE - RULE_OP_EQ && RULE_OP_KJT_EQ == RULE_OP_KJF_GE + 1 &&
                   RULE_OP_KJT_GE - RULE_OP_KJT_EQ == RULE_OP_GE - RULE_OP_EQ &&
                   RULE_OP_PDJF_GE - RULE_OP_PDJF_EQ == RULE_OP_GE - RULE_OP_EQ && RULE_OP_PDJT_EQ == RULE_OP_PDJF_GE + 1 &&
                   RULE_OP_PDJT_GE - RULE_OP_PDJT_EQ == RULE_OP_GE - RULE_OP_EQ,
               "JF_xx, JT_xx, PJF_xx, PJT_xx, KJF_xx, KJT_xx, PDJF_xx and PDJT_xx list the comparisons as EQ..GE "
               "do, JT right after JF");

/* Caches node as path id's node for the current alert; its value is read
 * when a rule needs it (resolve), as a scan finds keys no rule may reach. */
static void settle(rule_vm *vm, uint32_t id, uint32_t node)
{
    vm->path_node[id] = node;
    vm->node_epoch[id] = vm->epoch;
}

#define RULE_SCAN_MAX 64 /* a dict read by more keys than this is left to alert_lookup */

/* Whether a[0..n) and b[0..n) are the same bytes: keys are short, so words
 * from both ends (overlapping) decide without a call; nothing is read past n. */
static inline bool same_bytes(const char *a, const char *b, uint32_t n)
{
    if (n >= 8) {
        uint64_t a0, b0, a1, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b1, b + n - 8, 8);
        return a0 == b0 && a1 == b1 && (n <= 16 || memcmp(a + 8, b + 8, n - 16) == 0);
    }
    if (n >= 4) {
        uint32_t a0, b0, a1, b1;
        memcpy(&a0, a, 4);
        memcpy(&b0, b, 4);
        memcpy(&a1, a + n - 4, 4);
        memcpy(&b1, b + n - 4, 4);
        return a0 == b0 && a1 == b1;
    }
    for (uint32_t k = 0; k < n; k++)
        if (a[k] != b[k])
            return false;
    return true;
}

/* Finds every key of kids in dict node with one scan: found[k] is the value
 * node of kids->steps[k] or ALERT_ABSENT. A str key without escapes is spelled
 * by its raw bytes; as in alert_lookup, the last of duplicate keys wins.
 * Returns false, having decided nothing, when node is no dict, when it has a key
 * of another kind (rare: alert_lookup matches those) or kids are too many. */
static bool scan_kids(const alert_doc *doc, const rule_kids *kids, uint32_t node, uint32_t *found)
{
    const alert_node *dict = node < doc->n_nodes ? alert_at(doc, node) : NULL;
    if (!dict || dict->type != ALERT_DICT || kids->n > RULE_SCAN_MAX)
        return false;
    for (uint32_t k = 0; k < kids->n; k++)
        found[k] = ALERT_ABSENT;
    uint32_t key = node + 1;
    for (uint32_t pair = 0; pair < dict->count; pair++) {
        const alert_node *kn = alert_at(doc, key);
        /* The value follows its key (see alert_node): one load from one key
         * to the next, not two, in the chain of loads the scan waits on. */
        uint32_t value = key + 1;
        key = alert_at(doc, value)->next;
        if (kn->type != ALERT_STR || (kn->flags & ALERT_F_ESCAPED))
            return false;
        if (!(kids->len_bits >> (kn->len & 63) & 1))
            continue;
        const char *text = doc->src + kn->start;
        uint32_t k = kids->from[kn->len < RULE_KID_LENS ? kn->len : RULE_KID_LENS - 1];
        for (; k < kids->n && kids->steps[k].key_len <= kn->len; k++) {
            if (kids->steps[k].key_len == kn->len && same_bytes(kids->steps[k].key, text, kn->len))
                found[k] = value;
        }
    }
    return true;
}

/* Resolves every path of kids, the keys looked up in node, in one scan of the dict. */
static void resolve_kids(rule_vm *vm, const rule_kids *kids, uint32_t node)
{
    uint32_t found[RULE_SCAN_MAX];
    bool scanned = scan_kids(vm->doc, kids, node, found);
    for (uint32_t k = 0; k < kids->n; k++)
        settle(vm, kids->ids[k], scanned ? found[k] : alert_lookup(vm->doc, node, &kids->steps[k], 1));
}

/* The node at interned path id for the current alert, looked up once per alert
 * (a parent prefix shared by many paths is looked up once too, and so are all
 * the keys the set reads from one dict). */
static uint32_t find_node(rule_vm *vm, int32_t id)
{
    if (vm->node_epoch[id] == vm->epoch)
        return vm->path_node[id];
    const rule_path *pt = &vm->paths->items[id];
    uint32_t parent = pt->parent < 0 ? 0 : find_node(vm, pt->parent);
    if (pt->step.index >= 0)
        settle(vm, (uint32_t)id, alert_lookup(vm->doc, parent, &pt->step, 1));
    else
        resolve_kids(vm, pt->parent < 0 ? &vm->paths->root_kids : &vm->paths->items[pt->parent].kids, parent);
    return vm->path_node[id];
}

/* Reads path id's value for the current alert into path_val, once per alert. */
static void resolve(rule_vm *vm, int32_t id)
{
    vm->path_val[id] = rule_value_of_node(vm->doc, find_node(vm, id));
}

static rule_elem_slot *elem_slot(const rule_vm *vm, uint32_t rel, uint32_t at)
{
    return &vm->elem[((at * 2654435761u) ^ (rel * 40503u)) & (RULE_ELEM_SLOTS - 1)];
}

/* Caches the values of the set's one-key paths from '@' at element `at`, found
 * in one scan; false when the scan decided nothing. */
static bool cache_elem_keys(rule_vm *vm, uint32_t at)
{
    uint32_t found[RULE_SCAN_MAX];
    const rule_kids *kids = vm->elem_kids;
    if (!scan_kids(vm->doc, kids, at, found))
        return false;
    for (uint32_t k = 0; k < kids->n; k++)
        *elem_slot(vm, kids->ids[k], at) = (rule_elem_slot){
            .epoch = vm->epoch, .rel = kids->ids[k], .node = at, .v = rule_value_of_node(vm->doc, found[k])};
    return true;
}

/* elem_value when the cache has no answer: looked up, and cached. */
static __attribute__((noinline)) rule_value elem_value_miss(rule_vm *vm, const rule_relpath *r, uint32_t at)
{
    rule_elem_slot *s = elem_slot(vm, r->cache_id, at);
    /* A one-key path fetches its siblings' values along (unless two of them share a slot). */
    if (r->n == 1 && r->steps[0].index < 0 && cache_elem_keys(vm, at) && s->epoch == vm->epoch &&
        s->rel == r->cache_id && s->node == at)
        return s->v;
    uint32_t node = r->n ? alert_lookup(vm->doc, at, r->steps, r->n) : at;
    *s = (rule_elem_slot){.epoch = vm->epoch, .rel = r->cache_id, .node = at, .v = rule_value_of_node(vm->doc, node)};
    return s->v;
}

/* The value of a path relative to an element: many rules walk the same lists
 * with the same predicates' paths, so values are cached per (path, element). */
static inline rule_value elem_value(rule_vm *vm, const rule_relpath *r, uint32_t at)
{
    const rule_elem_slot *s = elem_slot(vm, r->cache_id, at);
    if (s->epoch == vm->epoch && s->rel == r->cache_id && s->node == at)
        return s->v;
    return elem_value_miss(vm, r, at);
}

/* rule_compare(op, v, c) for c a number a double holds exactly, when v is no
 * float: the constant as a float orders v as the constant itself does. */
static __attribute__((noinline)) bool compare_with_double(rule_opcode op, const rule_value *v, double c)
{
    rule_value k = rule_float(c);
    return rule_compare(op, v, &k);
}

/* The rules of one rule_set_eval: run back to back in one dispatch loop. */
typedef struct {
    const rule_program *progs;
    const rule_insn *code; /* every rule's main segment, as rule_vm_run says */
    const uint32_t *rule_of;
    unsigned char *match;
    size_t hits;
} rule_batch;

static bool run(rule_vm *vm, rule_batch *batch, const rule_program *p, uint32_t seg, uint32_t at, rule_value *sp);

/* Fills col, for the current alert, with the values of path r over the
 * elements of list node `list` (n), as doubles; its n is RULE_COL_NONE when
 * the list is too long for a column or some value is no number a double holds
 * exactly (null, a string, an int beyond 2^53...). */
static void fill_column(rule_vm *vm, rule_column *col, const rule_relpath *r, uint32_t list, const alert_node *n)
{
    *col = (rule_column){.epoch = vm->epoch, .rel = r->cache_id, .list = list, .n = n->count};
    if (n->count > RULE_COL_MAX) {
        col->n = RULE_COL_NONE;
        return;
    }
    uint32_t elem = list + 1;
    for (uint32_t k = 0; k < col->n; k++, elem = alert_at(vm->doc, elem)->next) {
        rule_value v = elem_value(vm, r, elem);
        if (!rule_is_exact_double(&v)) {
            col->n = RULE_COL_NONE;
            break;
        }
        col->v[k] = rule_as_double(&v);
    }
}

/* The column of path r over list node `list` (n), gathered once per alert for
 * every quantifier that compares it with a number; NULL when it has none. */
static const rule_column *column(rule_vm *vm, const rule_relpath *r, uint32_t list, const alert_node *n)
{
    if (n->count > RULE_COL_MAX)
        return NULL;
    rule_column *col = &vm->cols[((list * 2654435761u) ^ (r->cache_id * 40503u)) & (RULE_COL_SLOTS - 1)];
    if (col->epoch != vm->epoch || col->rel != r->cache_id || col->list != list)
        fill_column(vm, col, r, list, n);
    return col->n == RULE_COL_NONE ? NULL : col;
}

/* PQUANT's column of its field's value `list`, from its own slot; NULL when it
 * has none (the value is no list or tuple too). */
static const rule_column *quant_column(rule_vm *vm, const rule_quant *q, const rule_value *list)
{
    rule_column *col = &vm->quant_cols[q->slot];
    if (col->epoch != vm->epoch) {
        const alert_node *n = list->t == RV_NODE ? alert_at(vm->doc, list->n) : NULL;
        if (n && (n->type == ALERT_LIST || n->type == ALERT_TUPLE))
            fill_column(vm, col, q->rel, list->n, n);
        else
            *col = (rule_column){.epoch = vm->epoch, .n = RULE_COL_NONE};
    }
    return col->n == RULE_COL_NONE ? NULL : col;
}

/* How many of v[0..n) compare with c as op (RULE_OP_EQ..GE) says, for numbers
 * that doubles hold exactly: C's comparisons of doubles are the language's
 * then (a NaN is only ever unequal). Comparing has no effect, so any and all
 * count too rather than stop early: one short loop per comparison. */
static inline uint32_t count_doubles(uint8_t op, const double *v, uint32_t n, double c)
{
    uint32_t hits = 0;
#define COUNT(cmp)                         \
    for (uint32_t k = 0; k < n; k++)       \
        hits += v[k] cmp c;                \
    break
    switch (op) {
    case RULE_OP_EQ:
        COUNT(==);
    case RULE_OP_NE:
        COUNT(!=);
    case RULE_OP_LT:
        COUNT(<);
    case RULE_OP_LE:
        COUNT(<=);
    case RULE_OP_GT:
        COUNT(>);
    default:
        COUNT(>=);
    }
#undef COUNT
    return hits;
}

/* What any/all/count (op) answers when hits of a list's n elements hold. */
static inline rule_value quantified(rule_opcode op, int64_t hits, uint32_t n)
{
    return op == RULE_OP_COUNTIF ? rule_int(hits) : rule_bool(op == RULE_OP_ANY ? hits > 0 : hits == (int64_t)n);
}

/* any/all/count: the predicate segment run for each element of a list or tuple. */
static rule_value quantify(rule_vm *vm, const rule_program *p, rule_opcode op, uint32_t pred, const rule_value *arr,
                           rule_value *sp)
{
    const alert_node *n = arr->t == RV_NODE ? alert_at(vm->doc, arr->n) : NULL;
    if (!n || (n->type != ALERT_LIST && n->type != ALERT_TUPLE))
        return op == RULE_OP_COUNTIF ? rule_null() : rule_bool(false);
    uint32_t elem = arr->n + 1;
    int64_t hits = 0;
    const rule_segment *sg = &p->segs[pred];
    const rule_column *col = sg->cmp_num ? column(vm, &p->rels[sg->cmp_rel], arr->n, n) : NULL;
    if (col)
        return quantified(op, count_doubles(sg->cmp_op, col->v, col->n, sg->cmp_d), col->n);
    for (uint32_t k = 0; k < n->count; k++, elem = alert_at(vm->doc, elem)->next) {
        rule_value v;
        bool r = sg->cmp_op ? (v = elem_value(vm, &p->rels[sg->cmp_rel], elem),
                               rule_compare(sg->cmp_op, &v, &p->consts[sg->cmp_const]))
                            : run(vm, NULL, p, pred, elem, sp);
        if (op == RULE_OP_ANY && r)
            return rule_bool(true);
        if (op == RULE_OP_ALL && !r)
            return rule_bool(false);
        hits += r;
    }
    return op == RULE_OP_COUNTIF ? rule_int(hits) : rule_bool(op == RULE_OP_ALL);
}

/* The aggregate op (MINOF..MEANOF) of a list or tuple: EXPR (value segment
 * pred) for each element, the numbers taken and the rest skipped. min and max
 * keep the first of equals, as Python's do; sum adds from the left as `+`
 * does (exact ints while they fit in 64 bits); mean is that sum `/` how many.
 * null for no list, and (but sum: 0) for no numbers. */
static rule_value aggregate_of(rule_vm *vm, const rule_program *p, rule_opcode op, uint32_t pred,
                               const alert_node *n, uint32_t list, rule_value *sp)
{
    const rule_segment *sg = &p->segs[pred];
    const rule_relpath *rel = sg->yield_rel ? &p->rels[sg->yield_rel - 1] : NULL;
    rule_value acc = op == RULE_OP_SUMOF || op == RULE_OP_MEANOF ? rule_int(0) : rule_null();
    int64_t count = 0;
    uint32_t elem = list + 1;
    for (uint32_t k = 0; k < n->count; k++, elem = alert_at(vm->doc, elem)->next) {
        rule_value v = rel ? elem_value(vm, rel, elem) : (run(vm, NULL, p, pred, elem, sp), vm->yield);
        if (!rule_is_num(&v))
            continue;
        if (op == RULE_OP_SUMOF || op == RULE_OP_MEANOF)
            acc = rule_arith(RULE_OP_ADD, &acc, &v);
        else if (count == 0 || rule_num_cmp(&v, &acc) == (op == RULE_OP_MINOF ? -1 : 1))
            acc = v;
        count++;
    }
    if (op != RULE_OP_MEANOF)
        return acc;
    rule_value how_many = rule_int(count);
    return count ? rule_arith(RULE_OP_DIV, &acc, &how_many) : rule_null();
}

/* An aggregate of the list arr: its answer is kept for the alert, for every
 * rule that asks the same of the same list (the same op and value_id). */
static rule_value aggregate(rule_vm *vm, const rule_program *p, rule_opcode op, uint32_t pred, const rule_value *arr,
                            rule_value *sp)
{
    const alert_node *n = arr->t == RV_NODE ? alert_at(vm->doc, arr->n) : NULL;
    if (!n || (n->type != ALERT_LIST && n->type != ALERT_TUPLE))
        return rule_null();
    uint32_t rel = p->segs[pred].value_id;
    /* Two ways, at a slot from the high bits of a multiplicative hash (its low
     * bits only mix the keys' low bits): alike aggregates read in turn by many
     * rules must not keep evicting each other. */
    uint32_t h = ((arr->n ^ (rel * 40503u) ^ ((uint32_t)op << 24)) * 2654435761u) >> (32 - RULE_AGG_BITS);
    rule_agg_slot *a = &vm->aggs[h], *b = &vm->aggs[h ^ 1];
    for (rule_agg_slot *s = a; s; s = s == a ? b : NULL)
        if (s->epoch == vm->epoch && s->list == arr->n && s->rel == rel && s->op == op)
            return s->v;
    rule_agg_slot *s = a->epoch != vm->epoch ? a : b->epoch != vm->epoch ? b : (vm->agg_turn ^= 1) ? a : b;
    *s = (rule_agg_slot){.epoch = vm->epoch, .list = arr->n, .rel = rel, .op = (uint8_t)op,
                         .v = aggregate_of(vm, p, op, pred, n, arr->n, sp)};
    vm->agg_runs++;
    return s->v;
}

void rule_vm_begin(rule_vm *vm)
{
    if (vm->epoch != 1)
        return;
    memset(vm->aggs, 0, sizeof vm->aggs);
    for (uint32_t k = 0; k < vm->n_defs; k++)
        vm->defs[k].epoch = 0;
}

/* Runs one segment: a predicate for the element `at` (batch NULL: returns its
 * answer), or, with a batch, the main segment of every rule in turn, each
 * answer going to batch->match (and true returned). sp is the first free slot;
 * the verifier proved the stack deep enough and every operand in range, so
 * nothing is checked here. */
static bool run(rule_vm *vm, rule_batch *batch, const rule_program *p, uint32_t seg, uint32_t at, rule_value *sp)
{
    static const void *const labels[] = {
#define RULE_OP_LABEL(name, kind, pops, pushes) &&op_##name,
        RULE_OPCODES(RULE_OP_LABEL)
#undef RULE_OP_LABEL
    };
    /* Locals, not loads through vm and p: stores to the stack could alias those. */
    rule_value *const base = sp;
    const rule_insn *code = batch ? batch->code : p->segs[seg].code;
    const rule_value *consts = batch ? vm->consts : p->consts;
    const rule_value *path_val = vm->path_val;
    const rule_insn *in = code; /* the instruction running */
/* Each handler dispatches the next instruction itself, so the CPU predicts
 * every handler's successor separately. Operands are read where a handler uses
 * them, not copied at each dispatch: fewer values held across handlers. */
#define DISPATCH() goto *labels[in->op]
#define NEXT()      \
    do {            \
        in++;       \
        DISPATCH(); \
    } while (0)
#define JUMP(target)          \
    do {                      \
        in = code + (target); \
        DISPATCH();           \
    } while (0)
    DISPATCH();

op_CONST:
    *sp++ = consts[in->arg];
    NEXT();
op_PATH:
    if (path_val[in->arg].t == RULE_UNREAD)
        resolve(vm, in->arg);
    *sp++ = path_val[in->arg];
    NEXT();
op_ELEM:
    *sp++ = elem_value(vm, &p->rels[in->arg], at);
    NEXT();
op_PATHK:
    if (path_val[in->arg].t == RULE_UNREAD)
        resolve(vm, in->arg);
    sp[0] = path_val[in->arg];
    sp[1] = consts[in->b];
    sp += 2;
    NEXT();
op_ELEMK:
    sp[0] = elem_value(vm, &p->rels[in->arg], at);
    sp[1] = consts[in->b];
    sp += 2;
    NEXT();
op_NEG:
    sp[-1] = rule_negate(&sp[-1]);
    NEXT();
op_ADD:
op_SUB:
op_MUL:
op_DIV:
op_MOD:
    sp--;
    sp[-1] = rule_arith(in->op, &sp[-1], sp);
    NEXT();
op_EQ:
op_NE:
op_LT:
op_LE:
op_GT:
op_GE:
    sp--;
    sp[-1] = rule_bool(rule_compare(in->op, &sp[-1], sp));
    NEXT();
op_ISNULL:
op_NOTNULL:
    sp[-1] = rule_bool((sp[-1].t == RV_NULL) == (in->op == RULE_OP_ISNULL));
    NEXT();
op_INSET:
op_NOTINSET:
    sp[-1] = rule_bool(sp[-1].t != RV_NULL && rule_inset_has(p->sets[in->arg], &sp[-1]) == (in->op == RULE_OP_INSET));
    NEXT();
op_IN:
op_NOTIN:
    sp -= in->arg;
    sp[-1] = rule_bool(sp[-1].t != RV_NULL && rule_in(&sp[-1], sp, (uint32_t)in->arg) == (in->op == RULE_OP_IN));
    NEXT();
/* Builtins, by arity: the result replaces the arguments. */
op_LEN:
    sp[-1] = rule_len(vm->doc, &sp[-1]);
    NEXT();
op_ABS:
    sp[-1] = rule_abs(&sp[-1]);
    NEXT();
op_SQRT:
op_LOG10:
    sp[-1] = rule_builtin_call(vm->doc, in->op, sp - 1);
    NEXT();
op_MIN:
op_MAX:
op_STARTSWITH:
op_GALL:
op_GALB:
    sp -= 1;
    sp[-1] = rule_builtin_call(vm->doc, in->op, sp - 1);
    NEXT();
op_ANGSEP:
    sp -= 3;
    sp[-1] = rule_builtin_call(vm->doc, in->op, sp - 1);
    NEXT();
op_CONE:
    sp -= 4;
    sp[-1] = rule_builtin_call(vm->doc, in->op, sp - 1);
    NEXT();
/* The rule running is the one whose code holds in, or, in a predicate, p's. */
op_WATCHLIST:
op_WATCHMAP:
    sp--;
    sp[-1] = rule_bool(rule_watch_test(vm->watch, &vm->watch_hits[batch ? batch->rule_of[in - code] : (uint32_t)(p - vm->progs)],
                                       vm->epoch, in->op, in->arg, &sp[-1], sp));
    NEXT();
/* A cone() of two values on the stack, with its constant centre and radius: the
 * constants' pushes, which it stands for, are skipped. */
op_CONEK:
    sp--;
    sp[-1] = rule_bool(rule_is_num(&sp[-1]) && rule_is_num(sp) &&
                       rule_in_cone(rule_as_double(&sp[-1]), rule_as_double(sp), vm->cones[in->arg].ra0,
                                    vm->cones[in->arg].dec0, vm->cones[in->arg].radius));
    in += in->b;
    NEXT();
/* The value v of what ends before in, pushed, or, when in is a JUMPF, the
 * condition it decides at once: one dispatch and one push fewer. */
#define PUSH_OR_JUMPF(v)                          \
    do {                                          \
        if (in->op == RULE_OP_JUMPF) {            \
            if (!rule_truthy(vm->doc, &(v)))      \
                JUMP(in->arg);                    \
            NEXT();                               \
        }                                         \
        *sp++ = (v);                              \
        DISPATCH();                               \
    } while (0)
/* The same cone of two fields: ra's path here, dec's in the PATH after it. */
op_PCONE: {
    int32_t ra = in->arg, dec = in[1].arg;
    if (path_val[ra].t == RULE_UNREAD)
        resolve(vm, ra);
    if (path_val[dec].t == RULE_UNREAD)
        resolve(vm, dec);
    const rule_cone *c = &vm->cones[in->b];
    rule_value v = rule_bool(
        rule_is_num(&path_val[ra]) && rule_is_num(&path_val[dec]) &&
        rule_in_cone(rule_as_double(&path_val[ra]), rule_as_double(&path_val[dec]), c->ra0, c->dec0, c->radius));
    in += 3 + in[2].b;
    PUSH_OR_JUMPF(v);
}
/* A field's list and the quantifier after it, answered from the list's column
 * or, when there is none, by its rule's program (that rule may have no ENTER). */
op_PQUANT: {
    if (path_val[in->arg].t == RULE_UNREAD)
        resolve(vm, in->arg);
    const rule_quant *q = &vm->quants[in->b];
    rule_value list = path_val[in->arg];
    const rule_column *col = quant_column(vm, q, &list);
    in++;
    rule_value v = col ? quantified(in->op, count_doubles(q->cmp_op, col->v, col->n, q->c), col->n)
                       : quantify(vm, batch->progs + q->rule, in->op, (uint32_t)in->arg, &list, sp);
    in++;
    PUSH_OR_JUMPF(v);
}
#undef PUSH_OR_JUMPF
op_ANY:
op_ALL:
op_COUNTIF:
    sp[-1] = quantify(vm, p, in->op, (uint32_t)in->arg, &sp[-1], sp);
    NEXT();
op_MINOF:
op_MAXOF:
op_SUMOF:
op_MEANOF:
    sp[-1] = aggregate(vm, p, in->op, (uint32_t)in->arg, &sp[-1], sp);
    NEXT();
op_YIELD:
    vm->yield = sp[-1];
    return true;
op_DEF:
    *sp = rule_vm_definition(vm, (uint32_t)in->arg, sp);
    sp++;
    NEXT();
op_JUMP:
    JUMP(in->arg);
op_JUMPT:
op_JUMPF:
    sp--;
    if (rule_truthy(vm->doc, sp) == (in->op == RULE_OP_JUMPT))
        JUMP(in->arg);
    NEXT();
op_JF_EQ:
op_JF_NE:
op_JF_LT:
op_JF_LE:
op_JF_GT:
op_JF_GE:
    sp -= 2;
    if (!rule_compare(RULE_OP_EQ + (in->op - RULE_OP_JF_EQ), sp, sp + 1))
        JUMP(in->arg);
    NEXT();
op_JT_EQ:
op_JT_NE:
op_JT_LT:
op_JT_LE:
op_JT_GT:
op_JT_GE:
    sp -= 2;
    if (rule_compare(RULE_OP_EQ + (in->op - RULE_OP_JT_EQ), sp, sp + 1))
        JUMP(in->arg);
    NEXT();
/* A fused PATHK + JF_xx / JT_xx: the jump, left in place, holds the target
 * (in[1]), and is stepped over when there is no jump. */
#define FUSED_COMPARE(first, jump_if)                                                               \
    do {                                                                                           \
        if (path_val[in->arg].t == RULE_UNREAD)                                                     \
            resolve(vm, in->arg);                                                                   \
        if (rule_compare(RULE_OP_EQ + (in->op - (first)), &path_val[in->arg], &consts[in->b]) == (jump_if)) \
            JUMP(in[1].arg);                                                                       \
        in++;                                                                                      \
    } while (0)
op_PJF_EQ:
op_PJF_NE:
op_PJF_LT:
op_PJF_LE:
op_PJF_GT:
op_PJF_GE:
    FUSED_COMPARE(RULE_OP_PJF_EQ, false);
    NEXT();
op_PJT_EQ:
op_PJT_NE:
op_PJT_LT:
op_PJT_LE:
op_PJT_GT:
op_PJT_GE:
    FUSED_COMPARE(RULE_OP_PJT_EQ, true);
    NEXT();
#undef FUSED_COMPARE
/* A fused PATHK + JF_xx / JT_xx whose constant c a double holds exactly: C's
 * comparison of a float field with c is the language's (a NaN is only ever
 * unequal), one handler per comparison. */
#define DOUBLE_COMPARE(op, cmp, jump_if)                                                           \
    do {                                                                                           \
        if (path_val[in->arg].t == RULE_UNREAD)                                                    \
            resolve(vm, in->arg);                                                                  \
        const rule_value *v = &path_val[in->arg];                                                  \
        double c = vm->doubles[in->b];                                                             \
        if ((v->t == RV_FLOAT ? v->u.d cmp c : compare_with_double(op, v, c)) == (jump_if))        \
            JUMP(in[1].arg);                                                                       \
        in++;                                                                                      \
        NEXT();                                                                                    \
    } while (0)
/* The six handlers of one family, PDJF or PDJT. */
#define DOUBLE_COMPARES(family, jump_if)                 \
    op_##family##_EQ : DOUBLE_COMPARE(RULE_OP_EQ, ==, jump_if); \
    op_##family##_NE : DOUBLE_COMPARE(RULE_OP_NE, !=, jump_if); \
    op_##family##_LT : DOUBLE_COMPARE(RULE_OP_LT, <, jump_if);  \
    op_##family##_LE : DOUBLE_COMPARE(RULE_OP_LE, <=, jump_if); \
    op_##family##_GT : DOUBLE_COMPARE(RULE_OP_GT, >, jump_if);  \
    op_##family##_GE : DOUBLE_COMPARE(RULE_OP_GE, >=, jump_if)
    DOUBLE_COMPARES(PDJF, false);
    DOUBLE_COMPARES(PDJT, true);
#undef DOUBLE_COMPARES
#undef DOUBLE_COMPARE
/* A fused CONST + JF_xx / JT_xx: the value on the stack compared with the constant. */
#define FUSED_CONST_COMPARE(first, jump_if)                                                        \
    do {                                                                                           \
        sp--;                                                                                      \
        if (rule_compare(RULE_OP_EQ + (in->op - (first)), sp, &consts[in->arg]) == (jump_if))        \
            JUMP(in[1].arg);                                                                       \
        in++;                                                                                      \
    } while (0)
op_KJF_EQ:
op_KJF_NE:
op_KJF_LT:
op_KJF_LE:
op_KJF_GT:
op_KJF_GE:
    FUSED_CONST_COMPARE(RULE_OP_KJF_EQ, false);
    NEXT();
op_KJT_EQ:
op_KJT_NE:
op_KJT_LT:
op_KJT_LE:
op_KJT_GT:
op_KJT_GE:
    FUSED_CONST_COMPARE(RULE_OP_KJT_EQ, true);
    NEXT();
#undef FUSED_CONST_COMPARE
op_RET:
    return in->arg != 0;
/* A rule of the batch ends: its operand also says where the next rule starts,
 * 0 after the last rule (rule_vm_run); only a match is written, as few rules match. */
op_RETN:
    if (in->arg & 1) {
        batch->match[batch->rule_of[in - code]] = 1;
        batch->hits++;
    }
    if (in->arg >> 1 == 0)
        return true;
    sp = base;
    JUMP(in->arg >> 1);
/* Leaves group g whose last rules from its j-th on passed their tests: into
 * the j-th past its test, or past the group. */
#define LEAVE_GROUP(g, j)               \
    do {                                \
        if ((j) < (g)->n)               \
            JUMP((g)->entry[j]);        \
        if ((g)->end == 0)              \
            return true;                \
        JUMP((g)->end);                 \
    } while (0)
/* A group of rules opening with one field's comparisons (or its abs()'s): those whose tests
 * pass are the last ones, found from the last back, each test as its rule's
 * PDJF_xx would make it; the group is left at once when the last one fails. */
op_PGROUP: {
    if (path_val[in->arg].t == RULE_UNREAD)
        resolve(vm, in->arg);
    const rule_group *g = &vm->groups[in->b];
    rule_value absolute;
    const rule_value *v = g->abs ? (absolute = rule_abs(&path_val[in->arg]), &absolute) : &path_val[in->arg];
    uint32_t j = g->n;
    if (v->t == RV_FLOAT) {
        double x = v->u.d;
#define PASSING(cmp)                           \
    while (j > 0 && x cmp g->c[j - 1])         \
        j--;                                   \
    break
        switch (g->cmp_op) {
        case RULE_OP_LT:
            PASSING(<);
        case RULE_OP_LE:
            PASSING(<=);
        case RULE_OP_GT:
            PASSING(>);
        default:
            PASSING(>=);
        }
#undef PASSING
    } else {
        while (j > 0 && compare_with_double(g->cmp_op, v, g->c[j - 1]))
            j--;
    }
    LEAVE_GROUP(g, j);
}
/* A group of rules opening with any(), all() or count() of one list comparing
 * one path with numbers: each test as its rule's PQUANT (and, for count(), its
 * KJF_xx) would make it. */
op_PQGROUP: {
    if (path_val[in->arg].t == RULE_UNREAD)
        resolve(vm, in->arg);
    const rule_group *g = &vm->groups[in->b];
    rule_value list = path_val[in->arg];
    uint32_t j = g->n;
    for (; j > 0; j--) {
        const rule_quant *q = &vm->quants[g->quant[j - 1]];
        const rule_column *col = quant_column(vm, q, &list);
        rule_value v = col ? quantified(g->quant_op, count_doubles(q->cmp_op, col->v, col->n, q->c), col->n)
                           : quantify(vm, batch->progs + q->rule, g->quant_op, q->pred, &list, sp);
        if (g->quant_op == RULE_OP_COUNTIF ? !rule_compare(g->count_op, &v, &g->k) : !v.u.i /* a bool */)
            break;
    }
    LEAVE_GROUP(g, j);
}
#undef LEAVE_GROUP
/* A rule whose code reads its program's predicates, or constants that are not
 * in the set's pool (then b is 1), starts here: the others leave p and consts
 * as they find them, and once a rule's constants are not in the pool no later
 * rule's are. */
op_ENTER:
    p = batch->progs + in->arg;
    if (in->b)
        consts = p->consts;
    NEXT();
#undef JUMP
#undef NEXT
#undef DISPATCH
}

_Static_assert(RULE_OP_EQ != 0, "cmp_op 0 means no comparison");

void rule_vm_prepare(rule_program *p)
{
    for (uint32_t k = 1; k < p->n_segs; k++) {
        rule_segment *sg = &p->segs[k];
        const rule_insn *c = sg->code;
        /* ELEMK path, const; JF_xx 3; RET 1; RET 0: the element's answer is the comparison. */
        if (sg->n_code == 4 && c[0].op == RULE_OP_ELEMK && c[1].op >= RULE_OP_JF_EQ && c[1].op <= RULE_OP_JF_GE &&
            c[1].arg == 3 && c[2].op == RULE_OP_RET && c[2].arg == 1 && c[3].op == RULE_OP_RET && c[3].arg == 0) {
            sg->cmp_op = (uint8_t)(RULE_OP_EQ + (c[1].op - RULE_OP_JF_EQ));
            sg->cmp_rel = (uint32_t)c[0].arg;
            sg->cmp_const = c[0].b;
            sg->cmp_num = rule_is_exact_double(&p->consts[c[0].b]);
            sg->cmp_d = rule_as_double(&p->consts[c[0].b]);
        }
        if (sg->n_code == 2 && c[0].op == RULE_OP_ELEM && c[1].op == RULE_OP_YIELD)
            sg->yield_rel = (uint32_t)c[0].arg + 1;
    }
}

size_t rule_vm_run(rule_vm *vm, const rule_program *progs, const rule_insn *code, const uint32_t *rule_of, size_t n,
                   rule_value *stack, unsigned char *match)
{
    if (n == 0)
        return 0;
    rule_batch batch = {.progs = progs, .code = code, .rule_of = rule_of, .match = match};
    rule_vm_begin(vm);
    vm->progs = progs;
    memset(match, 0, n);
    run(vm, &batch, &progs[0], 0, ALERT_ABSENT, stack);
    return batch.hits;
}

/* A definition: run once per alert, on the stack from sp, then its value kept for every rule. */
rule_value rule_vm_definition(rule_vm *vm, uint32_t k, rule_value *sp)
{
    rule_def_slot *d = &vm->defs[k];
    if (d->epoch != vm->epoch) {
        run(vm, NULL, d->prog, 0, ALERT_ABSENT, sp);
        d->v = vm->yield;
        d->epoch = vm->epoch;
        vm->def_runs++;
    }
    return d->v;
}
