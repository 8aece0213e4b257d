/* rules/verify.c — the bytecode verifier: proves a program safe to run by a VM
 * loop with no bounds checks, and sizes the stack it needs. */
#include <stdarg.h>
#include <stdlib.h>

#include "rules/internal.h"

/* Beyond this an IN list is surely not compiler output. */
#define MAX_IN_ITEMS 1000000

static int fail(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

typedef struct {
    const rule_program *p;
    uint32_t n_paths;
    uint32_t seg;
    char *why;
    size_t why_len;
} checker;

/* The operand is in range for its kind. */
static int check_operand(const checker *k, uint32_t pc, const rule_insn *in)
{
    const rule_program *p = k->p;
    int64_t a = in->arg;
    uint32_t n_code = p->segs[k->seg].n_code;
    bool ok;
    switch ((rule_arg_kind)rule_op_kind[in->op]) {
    case RULE_ARG_CONST:
        ok = a >= 0 && a < p->n_consts;
        break;
    case RULE_ARG_PATH:
        ok = a >= 0 && a < k->n_paths;
        break;
    case RULE_ARG_ELEM:
        ok = k->seg > 0 && a >= 0 && a < p->n_rels;
        break;
    case RULE_ARG_PATH_CONST:
        ok = a >= 0 && a < k->n_paths && in->b < p->n_consts;
        break;
    case RULE_ARG_ELEM_CONST:
        ok = k->seg > 0 && a >= 0 && a < p->n_rels && in->b < p->n_consts;
        break;
    case RULE_ARG_PRED:
        ok = a > k->seg && a < p->n_segs;
        break;
    case RULE_ARG_DEF:
        ok = a >= 0 && a < p->n_defs;
        break;
    case RULE_ARG_COUNT:
        ok = a >= 1 && a <= MAX_IN_ITEMS;
        break;
    case RULE_ARG_BRANCH:
    case RULE_ARG_GOTO:
        ok = a >= 0 && a < n_code;
        break;
    case RULE_ARG_RESULT:
        ok = a == 0 || a == 1;
        break;
    case RULE_ARG_WATCH:
        ok = a >= 0 && a < rule_watch_count(p->watch, in->op);
        break;
    case RULE_ARG_SET:
        ok = a >= 0 && a < p->n_sets;
        break;
    case RULE_ARG_FUSED:
    case RULE_ARG_CHAIN:
    case RULE_ARG_CONE:
    case RULE_ARG_PATH_CONE:
    case RULE_ARG_QUANT:
    case RULE_ARG_GROUP:
    case RULE_ARG_RULE:
        ok = false; /* made from verified code, never verified itself */
        break;
    default:
        ok = true;
        break;
    }
    if (ok)
        return 0;
    if (rule_op_kind[in->op] == RULE_ARG_PATH_CONST || rule_op_kind[in->op] == RULE_ARG_ELEM_CONST)
        return fail(k->why, k->why_len, "segment %u, pc %u: operands %lld, %u out of range", k->seg, pc, (long long)a,
                    in->b);
    return fail(k->why, k->why_len, "segment %u, pc %u: operand %lld out of range", k->seg, pc, (long long)a);
}

/* Records the stack depth on entry to pc; joins must agree. */
static int reach(const checker *k, int32_t *depth, uint32_t *work, uint32_t *n_work, uint32_t pc, int32_t d)
{
    if (pc >= k->p->segs[k->seg].n_code)
        return fail(k->why, k->why_len, "segment %u: control falls off the end", k->seg);
    if (depth[pc] < 0) {
        depth[pc] = d;
        work[(*n_work)++] = pc;
        return 0;
    }
    if (depth[pc] != d)
        return fail(k->why, k->why_len, "segment %u, pc %u: stack depth %d on one path, %d on another", k->seg, pc,
                    depth[pc], d);
    return 0;
}

static int verify_segment(checker *k)
{
    rule_segment *s = &k->p->segs[k->seg];
    if (s->n_code == 0)
        return fail(k->why, k->why_len, "segment %u is empty", k->seg);
    int32_t *depth = malloc(s->n_code * sizeof *depth);
    uint32_t *work = malloc(s->n_code * sizeof *work);
    if (!depth || !work) {
        free(depth);
        free(work);
        return fail(k->why, k->why_len, "out of memory");
    }
    for (uint32_t pc = 0; pc < s->n_code; pc++)
        depth[pc] = -1;
    uint32_t n_work = 0;
    int64_t need = 0;
    int rc = reach(k, depth, work, &n_work, 0, 0);
    while (rc == 0 && n_work > 0) {
        uint32_t pc = work[--n_work];
        const rule_insn *in = &s->code[pc];
        if (in->op >= RULE_OP_COUNT_) {
            rc = fail(k->why, k->why_len, "segment %u, pc %u: unknown opcode %u", k->seg, pc, in->op);
            break;
        }
        if ((rc = check_operand(k, pc, in)) != 0)
            break;
        if (rule_op_kind[in->op] == RULE_ARG_PRED &&
            k->p->segs[in->arg].yields != (in->op != RULE_OP_ANY && in->op != RULE_OP_ALL && in->op != RULE_OP_COUNTIF)) {
            rc = fail(k->why, k->why_len, "segment %u, pc %u: %s of a segment that %s", k->seg, pc,
                      rule_op_name[in->op], k->p->segs[in->arg].yields ? "yields" : "returns");
            break;
        }
        int64_t pops = rule_op_pops(in->op, in->arg), d = depth[pc];
        if (d < pops) {
            rc = fail(k->why, k->why_len, "segment %u, pc %u: stack underflow (%lld needed, %lld there)", k->seg, pc,
                      (long long)pops, (long long)d);
            break;
        }
        int64_t after = d - pops + rule_op_pushes[in->op];
        int64_t peak = after > d ? after : d;
        if (rule_op_kind[in->op] == RULE_ARG_PRED)
            peak = d + k->p->segs[in->arg].need;
        if (rule_op_kind[in->op] == RULE_ARG_DEF && d + k->p->defs[in->arg].segs[0].need > peak)
            peak = d + k->p->defs[in->arg].segs[0].need; /* it runs on the stack above */
        if (peak > need)
            need = peak;
        rule_arg_kind kind = rule_op_kind[in->op];
        if (kind == RULE_ARG_BRANCH || kind == RULE_ARG_GOTO)
            rc = reach(k, depth, work, &n_work, (uint32_t)in->arg, (int32_t)after);
        if (rc == 0 && kind != RULE_ARG_GOTO && kind != RULE_ARG_RESULT && kind != RULE_ARG_YIELD)
            rc = reach(k, depth, work, &n_work, pc + 1, (int32_t)after);
    }
    s->rets_empty = true;
    bool rets = false, yields = false;
    for (uint32_t pc = 0; pc < s->n_code; pc++) {
        rets |= s->code[pc].op == RULE_OP_RET && depth[pc] >= 0;
        yields |= s->code[pc].op == RULE_OP_YIELD && depth[pc] >= 0;
        if (s->code[pc].op == RULE_OP_RET && depth[pc] > 0)
            s->rets_empty = false;
    }
    /* A caller reads a value segment's answer from the YIELD, a condition's from the RET: never both. */
    if (rc == 0 && rets && yields)
        rc = fail(k->why, k->why_len, "segment %u both returns and yields", k->seg);
    s->yields = yields;
    free(depth);
    free(work);
    s->need = (uint32_t)need;
    return rc;
}

int rule_verify(rule_program *p, uint32_t n_paths, char *why, size_t why_len)
{
    if (p->n_segs == 0)
        return fail(why, why_len, "no code");
    /* Predicates only call later segments, so verifying backwards knows each callee's need. */
    for (uint32_t s = p->n_segs; s-- > 0;) {
        checker k = {.p = p, .n_paths = n_paths, .seg = s, .why = why, .why_len = why_len};
        if (verify_segment(&k) != 0)
            return -1;
    }
    if (p->segs[0].yields != p->value)
        return fail(why, why_len, "the main segment %s", p->value ? "returns, not a value" : "yields, not an answer");
    return 0;
}
