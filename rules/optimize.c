/* rules/optimize.c — the optimiser: from the set's verified programs to the
 * VM's code (superinstructions, the constant pool, rule groups, ENTER/RETN);
 * its contract is in rules/optimize.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules/optimize.h"

/* Marks in target[0..n] (n + 1 bytes) each pc some jump of code[0..n) lands
 * on: once per program, not a scan per question (a 10,000-term `or` chain). */
static void mark_jump_targets(const rule_insn *code, uint32_t n, uint8_t *target)
{
    memset(target, 0, n + 1);
    for (uint32_t k = 0; k < n; k++) {
        uint8_t kind = rule_op_kind[code[k].op];
        if ((kind == RULE_ARG_BRANCH || kind == RULE_ARG_GOTO) && (uint32_t)code[k].arg <= n)
            target[code[k].arg] = 1;
    }
}

/* Fuses each PATHK or CONST with the JF_xx or JT_xx after it into PJF_xx or
 * PJT_xx (PDJF_xx or PDJT_xx when the constant is a number a double holds
 * exactly, appended to doubles[*n_doubles], counted on), KJF_xx or KJT_xx, in
 * a copy of verified code: a field or a computed value compared with a
 * constant then costs one dispatch and less stack. The jump stays in place as
 * the target's holder; it must not be a jump target itself, as the stack would
 * differ there. */
static void fuse(const rule_value *consts, rule_insn *code, uint32_t n, const uint8_t *target, double *doubles,
                 uint32_t *n_doubles)
{
    for (uint32_t pc = 0; pc + 1 < n; pc++) {
        uint8_t op = code[pc].op, next = code[pc + 1].op;
        if ((op != RULE_OP_PATHK && op != RULE_OP_CONST) || next < RULE_OP_JF_EQ || next > RULE_OP_JT_GE ||
            target[pc + 1])
            continue;
        if (op == RULE_OP_CONST) {
            code[pc].op = (uint8_t)(RULE_OP_KJF_EQ + (next - RULE_OP_JF_EQ));
        } else if (rule_is_exact_double(&consts[code[pc].b]) && *n_doubles <= UINT16_MAX) {
            /* A field compared with a number: the number as a double, by its index among the set's. */
            doubles[*n_doubles] = rule_as_double(&consts[code[pc].b]);
            code[pc].b = (uint16_t)(*n_doubles)++;
            code[pc].op = (uint8_t)(RULE_OP_PDJF_EQ + (next - RULE_OP_JF_EQ));
        } else {
            code[pc].op = (uint8_t)(RULE_OP_PJF_EQ + (next - RULE_OP_JF_EQ));
        }
    }
}

/* Rewrites each cone() of code whose centre and radius are numeric constants
 * (`PATHK p k0; CONST k1; CONST k2; CONE` or `CONST k0; CONST k1; CONST k2;
 * CONE`) into one CONEK of the two values before them, its constants read
 * once, here, into cones[*n_cones] (counted on): the first instruction becomes
 * PATH p, or the CONEK. No jump may land after the first. When the value
 * before PATH p is a PATH too (and no jump lands on PATH p), that becomes a
 * PCONE of the cone (fewer than 65536 cones). */
static void fuse_cones(const rule_value *consts, rule_insn *code, uint32_t n, const uint8_t *target, rule_cone *cones,
                       uint32_t *n_cones)
{
    for (uint32_t pc = 3; pc < n; pc++) {
        rule_insn *first = &code[pc - 3];
        if (code[pc].op != RULE_OP_CONE || code[pc - 1].op != RULE_OP_CONST || code[pc - 2].op != RULE_OP_CONST ||
            (first->op != RULE_OP_PATHK && first->op != RULE_OP_CONST) || target[pc - 2] || target[pc - 1] ||
            target[pc])
            continue;
        const rule_value *ra0 = &consts[first->op == RULE_OP_PATHK ? first->b : first->arg],
                         *dec0 = &consts[code[pc - 2].arg], *radius = &consts[code[pc - 1].arg];
        if (!rule_is_num(ra0) || !rule_is_num(dec0) || !rule_is_num(radius))
            continue;
        cones[*n_cones] = (rule_cone){rule_as_double(ra0), rule_as_double(dec0), rule_as_double(radius)};
        rule_insn conek = {.op = RULE_OP_CONEK, .arg = (int32_t)*n_cones, .b = 3};
        if (first->op == RULE_OP_PATHK) {
            first->op = RULE_OP_PATH;
            conek.b = 2;
            /* Two fields: PCONE, ra's PATH, stands for dec's and the CONEK. */
            if (pc >= 4 && first[-1].op == RULE_OP_PATH && !target[pc - 3] && *n_cones <= UINT16_MAX)
                first[-1] = (rule_insn){.op = RULE_OP_PCONE, .arg = first[-1].arg, .b = (uint16_t)*n_cones};
            first++;
        }
        (*n_cones)++;
        *first = conek;
    }
}

/* Makes each PATH of code followed by an any/all/count whose predicate is
 * `@.path OP number` (see rule_vm_prepare), and no jump landing on that, a
 * PQUANT (which stands for both), appending its quantifier
 * to quants[*n_quants] (counted on) with the column slot it shares with the
 * set's others over the same field and path, counted in *n_slots: slot_of
 * (mask + 1 entries, a power of two above twice the quantifiers) finds those
 * by hashing, holding one quantifier's index plus one per field and path. */
static void fuse_quants(const rule_program *progs, uint32_t rule, rule_insn *code, uint32_t n, const uint8_t *target,
                        rule_quant *quants,
                        uint32_t *n_quants, uint32_t *n_slots, uint32_t *slot_of, uint32_t mask)
{
    const rule_program *p = &progs[rule];
    for (uint32_t pc = 0; pc + 1 < n; pc++) {
        uint8_t next = code[pc + 1].op;
        if (code[pc].op != RULE_OP_PATH || (next != RULE_OP_ANY && next != RULE_OP_ALL && next != RULE_OP_COUNTIF) ||
            !p->segs[code[pc + 1].arg].cmp_num || *n_quants > UINT16_MAX || target[pc + 1])
            continue;
        const rule_segment *sg = &p->segs[code[pc + 1].arg];
        rule_quant q = {
            .rel = &p->rels[sg->cmp_rel], .c = sg->cmp_d, .cmp_op = sg->cmp_op, .list = code[pc].arg, .rule = rule,
            .pred = (uint32_t)code[pc + 1].arg};
        uint32_t h = ((uint32_t)q.list * 2654435761u ^ q.rel->cache_id * 40503u) & mask;
        for (const rule_quant *o; slot_of[h] && ((o = &quants[slot_of[h] - 1])->list != q.list ||
                                                 o->rel->cache_id != q.rel->cache_id);)
            h = (h + 1) & mask;
        if (slot_of[h]) {
            q.slot = quants[slot_of[h] - 1].slot;
        } else {
            slot_of[h] = *n_quants + 1;
            q.slot = (*n_slots)++;
        }
        quants[*n_quants] = q;
        code[pc].op = RULE_OP_PQUANT;
        code[pc].b = (uint16_t)(*n_quants)++;
    }
}

/* Whether fused code reads its program's constants (consts) or its
 * predicates (preds), past what CONEK and PQUANT stand for: that is never run. */
static void program_reads(const rule_insn *code, uint32_t n, bool *consts, bool *preds)
{
    *consts = *preds = false;
    for (uint32_t pc = 0; pc < n; pc++) {
        uint8_t op = code[pc].op, kind = rule_op_kind[op];
        *consts |= kind == RULE_ARG_CONST || kind == RULE_ARG_PATH_CONST ||
                   (kind == RULE_ARG_FUSED && (op < RULE_OP_PDJF_EQ || op > RULE_OP_PDJT_GE));
        *preds |= kind == RULE_ARG_PRED || kind == RULE_ARG_SET; /* both read the ENTERed program */
        pc += op == RULE_OP_CONEK ? code[pc].b : op == RULE_OP_PQUANT;
    }
}

#define RULE_POOL_MAX (UINT16_MAX + 1u) /* a second operand indexes the pool */

/* Makes the constant operands of fused code index pool, where the program's
 * constants are appended at *n_pool (counted on), when every index then fits
 * its operand: the rule then needs no ENTER to read them. Returns whether they
 * were; once they were not, no later rule's are (the VM's consts are then the
 * ENTERed program's). */
static bool pool_consts(const rule_program *p, rule_insn *code, uint32_t n, rule_value *pool, uint32_t *n_pool)
{
    uint32_t base = *n_pool;
    if (base + p->n_consts > RULE_POOL_MAX) {
        *n_pool = RULE_POOL_MAX + 1; /* full */
        return false;
    }
    memcpy(pool + base, p->consts, p->n_consts * sizeof *pool);
    *n_pool += p->n_consts;
    for (uint32_t pc = 0; pc < n; pc++) {
        uint8_t op = code[pc].op, kind = rule_op_kind[op];
        if (kind == RULE_ARG_CONST || (op >= RULE_OP_KJF_EQ && op <= RULE_OP_KJT_GE))
            code[pc].arg += (int32_t)base;
        else if (kind == RULE_ARG_PATH_CONST || kind == RULE_ARG_ELEM_CONST ||
                 (op >= RULE_OP_PJF_EQ && op <= RULE_OP_PJT_GE))
            code[pc].b = (uint16_t)(code[pc].b + base);
    }
    return true;
}

/* A rule whose fused code opens with a test it is unmatched without, one that
 * passes for fewer values as its number grows or for more, never both (up:
 * for more): a field compared with a number by <, <=, > or >= (PDJF_LT..GE,
 * quant_op 0), its abs() so compared with a number a double holds exactly
 * (PATH, ABS, KJF_xx, its jump; abs), any() or all() of a list comparing @.path so (PQUANT, ANY or
 * ALL, JUMPF), or count() of one compared with an int k by <, <=, > or >=
 * (PQUANT, COUNTIF, KJF_xx, its jump). The field, the comparison, the number,
 * the quantifier, its relative path and count's comparison, how many
 * instructions the test takes, and the rule. */
typedef struct {
    int32_t path;
    uint8_t cmp_op, quant_op, count_op, length;
    bool abs, up;
    uint16_t quant;
    uint32_t rel;
    int64_t k;
    double c;
    uint32_t rule;
} rule_opening;

static bool is_less(uint8_t cmp_op) { return cmp_op == RULE_OP_LT || cmp_op == RULE_OP_LE; }

/* Whether the fused copy code of seg0 opens so (see rule_opening), into *o;
 * doubles, quants and pool are the set's so far. */
static bool opening_of(const rule_segment *seg0, const rule_insn *code, const uint8_t *target, const double *doubles,
                       const rule_quant *quants, const rule_value *pool, rule_opening *o)
{
    uint8_t op = seg0->n_code >= 4 ? code[0].op : RULE_OP_RET;
    const rule_quant *q = op == RULE_OP_PQUANT ? &quants[code[0].b] : NULL;
    if (op >= RULE_OP_PDJF_LT && op <= RULE_OP_PDJF_GE) {
        *o = (rule_opening){.path = code[0].arg,
                            .cmp_op = (uint8_t)(RULE_OP_EQ + (op - RULE_OP_PDJF_EQ)),
                            .length = 2,
                            .c = doubles[code[0].b]};
    } else if (op == RULE_OP_PATH && code[1].op == RULE_OP_ABS && code[2].op >= RULE_OP_KJF_LT &&
               code[2].op <= RULE_OP_KJF_GE && rule_is_exact_double(&pool[code[2].arg])) {
        *o = (rule_opening){.path = code[0].arg,
                            .cmp_op = (uint8_t)(RULE_OP_EQ + (code[2].op - RULE_OP_KJF_EQ)),
                            .abs = true,
                            .length = 4,
                            .c = rule_as_double(&pool[code[2].arg])};
    } else if (q && q->cmp_op >= RULE_OP_LT && (code[1].op == RULE_OP_ANY || code[1].op == RULE_OP_ALL) &&
               code[2].op == RULE_OP_JUMPF) {
        *o = (rule_opening){.path = code[0].arg,
                            .cmp_op = q->cmp_op,
                            .quant_op = code[1].op,
                            .length = 3,
                            .quant = code[0].b,
                            .rel = q->rel->cache_id,
                            .c = q->c};
    } else if (q && q->cmp_op >= RULE_OP_LT && code[1].op == RULE_OP_COUNTIF && code[2].op >= RULE_OP_KJF_LT &&
               code[2].op <= RULE_OP_KJF_GE && pool[code[2].arg].t == RV_INT) {
        *o = (rule_opening){.path = code[0].arg,
                            .cmp_op = q->cmp_op,
                            .quant_op = RULE_OP_COUNTIF,
                            .count_op = (uint8_t)(RULE_OP_EQ + (code[2].op - RULE_OP_KJF_EQ)),
                            .length = 4,
                            .quant = code[0].b,
                            .rel = q->rel->cache_id,
                            .k = pool[code[2].arg].u.i,
                            .c = q->c};
    } else {
        return false;
    }
    /* More elements pass for more numbers; more counts pass for fewer. */
    o->up = is_less(o->cmp_op) != (o->quant_op == RULE_OP_COUNTIF && is_less(o->count_op));
    const rule_insn *unmatched = &seg0->code[code[o->length - 1].arg];
    for (uint32_t pc = 0; pc < o->length; pc++)
        if (target[pc])
            return false;
    return unmatched->op == RULE_OP_RET && unmatched->arg == 0 && !isnan(o->c);
}

/* Whether two openings' tests differ in more than their numbers. */
static bool openings_differ(const rule_opening *x, const rule_opening *y)
{
    return x->path != y->path || x->abs != y->abs || x->quant_op != y->quant_op || x->rel != y->rel ||
           x->count_op != y->count_op || x->k != y->k || x->cmp_op != y->cmp_op;
}

/* Orders openings by all but their numbers, then so that the values passing
 * one number's test pass the tests of every number after it (up: the largest
 * numbers last). */
static int by_opening(const void *a, const void *b)
{
    const rule_opening *x = a, *y = b;
    if (openings_differ(x, y)) {
        int64_t kx[] = {x->path, x->abs, x->quant_op, x->rel, x->count_op, x->k, x->cmp_op},
                ky[] = {y->path, y->abs, y->quant_op, y->rel, y->count_op, y->k, y->cmp_op};
        size_t f = 0;
        while (kx[f] == ky[f])
            f++;
        return kx[f] < ky[f] ? -1 : 1;
    }
    if (x->c != y->c)
        return (x->c < y->c) == x->up ? -1 : 1;
    return x->rule < y->rule ? -1 : 1;
}

#define RULE_NO_GROUP UINT32_MAX

/* Lays the main segments of all rules out in one block as rule_vm_run runs
 * them: each rule's fused copy, its constants read from the set's pool while
 * they fit there, after an ENTER when it needs its program (its predicates, or
 * constants that did not fit). Rules that need no ENTER and open alike (see
 * rule_opening), two or more, run as a group: a PGROUP or PQGROUP where the
 * first of them stands, then each in by_opening's order. Otherwise rules stay
 * in rule order.
 * Jump targets count from the block's start, and each RET becomes a RETN that
 * also says where the next rule starts (0: there is none; in a group, the next
 * one's code past its opening test, which passes when this one's did), so one
 * rule moves to the next without looking anything up; a jump to `RET 0` of a
 * rule whose RETs find the stack empty goes straight to the next rule. */
int rule_optimize(rule_layout *lay, const rule_program *progs, size_t n)
{
    size_t n_code = 0, n_consts = 0;
    for (size_t i = 0; i < n; i++) {
        n_code += progs[i].segs[0].n_code;
        n_consts += progs[i].n_consts;
    }
    size_t total = n_code + 2 * n; /* an ENTER or a PGROUP per rule at most */
    if (total > INT32_MAX / 2)
        return -1;
    rule_insn *code = malloc(total * sizeof *code), *fused = malloc((n_code + 1) * sizeof *fused);
    uint32_t *rule_of = malloc(total * sizeof *rule_of);
    uint32_t *fused_at = malloc((n + 1) * sizeof *fused_at), *code_at = malloc((n + 1) * sizeof *code_at);
    uint32_t *next_unit = malloc((n + 1) * sizeof *next_unit), *group_of = malloc((n + 1) * sizeof *group_of);
    uint32_t *next_member = malloc((n + 1) * sizeof *next_member); /* in a group: the next one's opening */
    uint32_t *units = malloc((n + 1) * sizeof *units); /* where each rule or group starts, in layout order */
    uint8_t *enter = malloc(n + 1); /* 0: none; else 1 + ENTER's b */
    rule_opening *openings = malloc((n + 1) * sizeof *openings);
    rule_group *groups = malloc((n / 2 + 1) * sizeof *groups);
    double *group_c = malloc((n + 1) * sizeof *group_c);
    uint16_t *group_quant = malloc((n + 1) * sizeof *group_quant);
    uint32_t *group_entry = malloc((n + 1) * sizeof *group_entry);
    rule_cone *cones = malloc((n_code / 4 + 1) * sizeof *cones); /* a cone() takes at least 4 instructions */
    double *doubles = malloc((n_code / 2 + 1) * sizeof *doubles); /* a comparison, at least 2 */
    rule_value *pool = malloc(((n_consts < RULE_POOL_MAX ? n_consts : RULE_POOL_MAX) + 1) * sizeof *pool);
    rule_quant *quants = malloc((n_code / 2 + 1) * sizeof *quants); /* a quantifier, at least 2 */
    uint32_t slots_cap = 1;
    while (slots_cap < total + 2)
        slots_cap <<= 1;
    uint32_t *slot_of = calloc(slots_cap, sizeof *slot_of);
    uint32_t longest = 0;
    for (uint32_t i = 0; i < n; i++)
        if (progs[i].segs[0].n_code > longest)
            longest = progs[i].segs[0].n_code;
    uint8_t *target = malloc(longest + 1);
    rule_column *quant_cols = NULL;
    int rc = -1;
    if (!code || !fused || !rule_of || !fused_at || !code_at || !next_unit || !next_member || !group_of || !units ||
        !enter || !openings || !groups || !group_c || !group_quant || !group_entry || !cones || !doubles || !pool ||
        !quants || !slot_of || !target)
        goto out;
    /* Each rule's fused copy, in rule order (the pool fills in that order). */
    uint32_t at = 0, n_cones = 0, n_doubles = 0, n_pool = 0, n_quants = 0, n_slots = 0, n_openings = 0;
    for (uint32_t i = 0; i < n; i++) {
        const rule_segment *seg0 = &progs[i].segs[0];
        rule_insn *copy = fused + at;
        memcpy(copy, seg0->code, seg0->n_code * sizeof *code);
        mark_jump_targets(copy, seg0->n_code, target);
        fuse_cones(progs[i].consts, copy, seg0->n_code, target, cones, &n_cones);
        fuse(progs[i].consts, copy, seg0->n_code, target, doubles, &n_doubles);
        fuse_quants(progs, i, copy, seg0->n_code, target, quants, &n_quants, &n_slots, slot_of, slots_cap - 1);
        bool reads_consts, reads_preds;
        program_reads(copy, seg0->n_code, &reads_consts, &reads_preds);
        bool own_consts = reads_consts && !pool_consts(&progs[i], copy, seg0->n_code, pool, &n_pool);
        enter[i] = own_consts || reads_preds ? (uint8_t)(1 + own_consts) : 0;
        group_of[i] = RULE_NO_GROUP;
        /* A group is laid out where its first rule stands: its others move up, which only a rule
         * that reads no constants of its own, so none after an ENTER 1, can. */
        if (!own_consts && !reads_preds && opening_of(seg0, copy, target, doubles, quants, pool, &openings[n_openings])) {
            openings[n_openings++].rule = i;
        }
        fused_at[i] = at;
        at += seg0->n_code;
    }
    /* Groups: runs of two or more alike openings. */
    qsort(openings, n_openings, sizeof *openings, by_opening);
    uint32_t n_groups = 0;
    for (uint32_t k = 0, run; k < n_openings; k += run) {
        const rule_opening *o = &openings[k];
        for (run = 1; k + run < n_openings && !openings_differ(&o[run], o); run++)
            ;
        for (uint32_t m = 0; m < run; m++) {
            group_of[o[m].rule] = run > 1 && n_groups <= UINT16_MAX ? n_groups : RULE_NO_GROUP;
            group_c[k + m] = o[m].c;
            group_quant[k + m] = o[m].quant;
        }
        if (run > 1 && n_groups <= UINT16_MAX)
            groups[n_groups++] = (rule_group){.n = run, .cmp_op = o->cmp_op, .abs = o->abs, .quant_op = o->quant_op,
                                              .count_op = o->count_op, .k = rule_int(o->k), .c = group_c + k,
                                              .quant = group_quant + k, .entry = group_entry + k};
    }
    /* The block, in rule order but for each group's rules, laid out together where the first stands. */
    uint32_t n_units = 0;
    at = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t g = group_of[i], first = i, count = 1;
        if (g != RULE_NO_GROUP) {
            if (groups[g].end != 0)
                continue; /* laid out with its group */
            first = (uint32_t)(groups[g].c - group_c);
            count = groups[g].n;
            rule_of[at] = i;
            code[at++] = (rule_insn){.op = openings[first].quant_op ? RULE_OP_PQGROUP : RULE_OP_PGROUP,
                                     .arg = openings[first].path,
                                     .b = (uint16_t)g};
            units[n_units++] = at - 1;
        }
        for (uint32_t m = 0; m < count; m++) {
            uint32_t r = g != RULE_NO_GROUP ? openings[first + m].rule : i;
            const rule_segment *seg0 = &progs[r].segs[0];
            if (g == RULE_NO_GROUP)
                units[n_units++] = at;
            if (enter[r]) {
                rule_of[at] = r;
                code[at++] = (rule_insn){.op = RULE_OP_ENTER, .arg = (int32_t)r, .b = enter[r] - 1};
            }
            code_at[r] = at;
            memcpy(code + at, fused + fused_at[r], seg0->n_code * sizeof *code);
            at += seg0->n_code;
            if (g != RULE_NO_GROUP)
                group_entry[first + m] = code_at[r] + openings[first + m].length; /* past the opening test */
            next_unit[r] = n_units;
            next_member[r] = m + 1 < count ? first + m + 1 : RULE_NO_GROUP;
        }
        if (g != RULE_NO_GROUP)
            groups[g].end = n_units; /* for now: the unit after the group (never 0) */
    }
    for (uint32_t g = 0; g < n_groups; g++)
        groups[g].end = groups[g].end < n_units ? units[groups[g].end] : 0;
    for (uint32_t i = 0; i < n; i++) {
        const rule_segment *seg0 = &progs[i].segs[0];
        uint32_t to = next_member[i] != RULE_NO_GROUP ? group_entry[next_member[i]]
                      : next_unit[i] < n_units    ? units[next_unit[i]]
                                                  : 0;
        for (uint32_t pc = code_at[i]; pc < code_at[i] + seg0->n_code; pc++) {
            rule_insn *in = &code[pc];
            uint8_t kind = rule_op_kind[in->op];
            rule_of[pc] = i;
            if (kind == RULE_ARG_BRANCH || kind == RULE_ARG_GOTO) {
                const rule_insn *target = &seg0->code[in->arg];
                bool to_next = seg0->rets_empty && to && target->op == RULE_OP_RET && target->arg == 0;
                in->arg = to_next ? (int32_t)to : in->arg + (int32_t)code_at[i];
            } else if (kind == RULE_ARG_RESULT) {
                in->op = RULE_OP_RETN;
                in->arg |= (int32_t)(to << 1);
            }
        }
    }
    free(slot_of);
    slot_of = NULL;
    if (!(quant_cols = calloc(n_slots + 1, sizeof *quant_cols)))
        goto out;
    rc = 0;
#define RULE_SWAP(field, value)                                                                    \
    do {                                                                                           \
        void *old = lay->field;                                                                    \
        lay->field = value;                                                                        \
        value = old;                                                                               \
    } while (0)
    RULE_SWAP(code, code);
    RULE_SWAP(rule_of, rule_of);
    RULE_SWAP(cones, cones);
    RULE_SWAP(doubles, doubles);
    RULE_SWAP(consts, pool);
    RULE_SWAP(quants, quants);
    RULE_SWAP(quant_cols, quant_cols);
    RULE_SWAP(groups, groups);
    RULE_SWAP(group_c, group_c);
    RULE_SWAP(group_quant, group_quant);
    RULE_SWAP(group_entry, group_entry);
#undef RULE_SWAP
    lay->n_quant_cols = n_slots;
out:
    free(target);
    free(slot_of);
    free(code);
    free(fused);
    free(rule_of);
    free(fused_at);
    free(code_at);
    free(next_unit);
    free(next_member);
    free(group_of);
    free(units);
    free(enter);
    free(openings);
    free(groups);
    free(group_c);
    free(group_quant);
    free(group_entry);
    free(cones);
    free(doubles);
    free(pool);
    free(quants);
    free(quant_cols);
    return rc;
}

void rule_layout_free(rule_layout *lay)
{
    free(lay->code);
    free(lay->rule_of);
    free(lay->cones);
    free(lay->doubles);
    free(lay->consts);
    free(lay->groups);
    free(lay->group_c);
    free(lay->group_quant);
    free(lay->group_entry);
    free(lay->quants);
    free(lay->quant_cols);
    *lay = (rule_layout){0};
}
