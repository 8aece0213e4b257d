/* rules/vm.c — the bytecode interpreter: one dispatch loop over a verified
 * program, reading alert fields through the set's per-alert path cache. */
#include "rules/internal.h"

/* The node at interned path id for the current alert, looked up once per alert
 * (a parent prefix shared by many paths is looked up once too). */
static uint32_t resolve(rule_vm *vm, int32_t id)
{
    if (vm->path_epoch[id] == vm->epoch)
        return vm->path_node[id];
    const rule_path *pt = &vm->paths->items[id];
    uint32_t parent = pt->parent < 0 ? 0 : resolve(vm, pt->parent);
    uint32_t node = parent == ALERT_ABSENT ? ALERT_ABSENT : alert_lookup(vm->doc, parent, &pt->step, 1);
    vm->path_node[id] = node;
    vm->path_val[id] = rule_value_of_node(vm->doc, node);
    vm->path_epoch[id] = vm->epoch;
    return node;
}

/* The value of a path relative to an element: many rules walk the same lists
 * with the same predicates' paths, so values are cached per (path, element). */
static rule_value elem_value(rule_vm *vm, const rule_relpath *r, uint32_t at)
{
    uint32_t h = ((at * 2654435761u) ^ (r->cache_id * 40503u)) & (RULE_ELEM_SLOTS - 1);
    rule_elem_slot *s = &vm->elem[h];
    if (s->epoch == vm->epoch && s->rel == r->cache_id && s->node == at)
        return s->v;
    uint32_t node = r->n ? alert_lookup(vm->doc, at, r->steps, r->n) : at;
    *s = (rule_elem_slot){.epoch = vm->epoch, .rel = r->cache_id, .node = at, .v = rule_value_of_node(vm->doc, node)};
    return s->v;
}

static bool run(rule_vm *vm, const rule_program *p, uint32_t seg, uint32_t at, rule_value *sp);

/* any/all/count: the predicate segment run for each element of a list or tuple. */
static rule_value quantify(rule_vm *vm, const rule_program *p, rule_opcode op, uint32_t pred, const rule_value *arr,
                           rule_value *sp)
{
    const alert_node *n = arr->t == RV_NODE ? alert_at(vm->doc, arr->n) : NULL;
    if (!n || (n->type != ALERT_LIST && n->type != ALERT_TUPLE))
        return op == RULE_OP_COUNTIF ? rule_null() : rule_bool(false);
    uint32_t elem = arr->n + 1;
    int64_t hits = 0;
    for (uint32_t k = 0; k < n->count; k++, elem = alert_at(vm->doc, elem)->next) {
        bool r = run(vm, p, pred, elem, sp);
        if (op == RULE_OP_ANY && r)
            return rule_bool(true);
        if (op == RULE_OP_ALL && !r)
            return rule_bool(false);
        hits += r;
    }
    return op == RULE_OP_COUNTIF ? rule_int(hits) : rule_bool(op == RULE_OP_ALL);
}

/* sp: the first free slot; the verifier proved the stack deep enough and every
 * operand in range, so nothing here is checked again. */
static bool run(rule_vm *vm, const rule_program *p, uint32_t seg, uint32_t at, rule_value *sp)
{
    const rule_insn *code = p->segs[seg].code;
    uint32_t pc = 0;
    for (;;) {
        const rule_insn in = code[pc++];
        switch ((rule_opcode)in.op) {
        case RULE_OP_CONST:
            *sp++ = p->consts[in.arg];
            break;
        case RULE_OP_PATH:
            resolve(vm, in.arg);
            *sp++ = vm->path_val[in.arg];
            break;
        case RULE_OP_ELEM:
            *sp++ = elem_value(vm, &p->rels[in.arg], at);
            break;
        case RULE_OP_NEG:
            sp[-1] = rule_negate(&sp[-1]);
            break;
        case RULE_OP_ADD:
        case RULE_OP_SUB:
        case RULE_OP_MUL:
        case RULE_OP_DIV:
        case RULE_OP_MOD:
            sp--;
            sp[-1] = rule_arith(in.op, &sp[-1], sp);
            break;
        case RULE_OP_EQ:
        case RULE_OP_NE:
        case RULE_OP_LT:
        case RULE_OP_LE:
        case RULE_OP_GT:
        case RULE_OP_GE:
            sp--;
            sp[-1] = rule_bool(rule_compare(in.op, &sp[-1], sp));
            break;
        case RULE_OP_ISNULL:
        case RULE_OP_NOTNULL:
            sp[-1] = rule_bool((sp[-1].t == RV_NULL) == (in.op == RULE_OP_ISNULL));
            break;
        case RULE_OP_IN:
        case RULE_OP_NOTIN: {
            sp -= in.arg;
            bool found = rule_in(&sp[-1], sp, (uint32_t)in.arg);
            sp[-1] = rule_bool(sp[-1].t != RV_NULL && found == (in.op == RULE_OP_IN));
            break;
        }
        case RULE_OP_LEN:
        case RULE_OP_ABS:
        case RULE_OP_SQRT:
        case RULE_OP_LOG10:
        case RULE_OP_MIN:
        case RULE_OP_MAX:
        case RULE_OP_STARTSWITH:
        case RULE_OP_ANGSEP:
        case RULE_OP_CONE:
            sp -= rule_op_pops(in.op, 0);
            *sp = rule_builtin_call(vm->doc, in.op, sp);
            sp++;
            break;
        case RULE_OP_ANY:
        case RULE_OP_ALL:
        case RULE_OP_COUNTIF:
            sp[-1] = quantify(vm, p, in.op, (uint32_t)in.arg, &sp[-1], sp);
            break;
        case RULE_OP_JUMP:
            pc = (uint32_t)in.arg;
            break;
        case RULE_OP_JUMPT:
        case RULE_OP_JUMPF:
            sp--;
            if (rule_truthy(vm->doc, sp) == (in.op == RULE_OP_JUMPT))
                pc = (uint32_t)in.arg;
            break;
        case RULE_OP_RET:
        default:
            return in.arg != 0;
        }
    }
}

bool rule_vm_run(rule_vm *vm, const rule_program *p, rule_value *stack)
{
    return run(vm, p, 0, ALERT_ABSENT, stack);
}
