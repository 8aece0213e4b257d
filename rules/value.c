/* rules/value.c — the language's value semantics (truthiness, comparison,
 * arithmetic, null propagation), shared by the VM and constant folding. */
#include <math.h>
#include <string.h>

#include "rules/internal.h"

rule_value rule_value_of_node(alert_doc *doc, uint32_t node)
{
    if (node == ALERT_ABSENT)
        return rule_null();
    const alert_node *n = alert_at(doc, node);
    switch ((alert_type)n->type) {
    case ALERT_NULL:
        return rule_null();
    case ALERT_BOOL:
        return rule_bool(n->count != 0);
    case ALERT_INT: {
        int64_t i;
        /* Ints beyond 64 bits are compared by their nearest double. */
        return alert_int(doc, node, &i) == 0 ? rule_int(i) : rule_float(alert_double(doc, node));
    }
    case ALERT_FLOAT:
        return rule_float(alert_double(doc, node));
    case ALERT_STR: {
        const char *s;
        size_t len;
        if (alert_string(doc, node, &s, &len) != 0)
            return rule_null();
        return (rule_value){.t = RV_STR, .n = (uint32_t)len, .u.s = s};
    }
    default:
        return (rule_value){.t = RV_NODE, .n = node};
    }
}

int rule_order_rest(const rule_value *a, const rule_value *b)
{
    if (a->t == RV_NULL || b->t == RV_NULL)
        return RULE_ORD_NULL;
    if (rule_is_num(a) && rule_is_num(b))
        return rule_num_cmp(a, b) + 1; /* -1, 0, 1, 2 to the RULE_ORD_ values */
    if (a->t == RV_STR && b->t == RV_STR)
        return rule_str_cmp(a, b) + 1;
    return RULE_ORD_NONE;
}

bool rule_in(const rule_value *x, const rule_value *items, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++)
        if (rule_compare(RULE_OP_EQ, x, &items[k]))
            return true;
    return false;
}

/* Python's modulo: the result takes the divisor's sign. */
static rule_value int_mod(int64_t a, int64_t b)
{
    if (b == -1)
        return rule_int(0); /* INT64_MIN % -1 would trap */
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return rule_int(r);
}

static rule_value float_mod(double a, double b)
{
    double r = fmod(a, b);
    if (r != 0) {
        if ((r < 0) != (b < 0))
            r += b;
    } else {
        r = copysign(0.0, b);
    }
    return rule_float(r);
}

/* Int arithmetic; a result beyond 64 bits becomes a double. */
static rule_value int_arith(rule_opcode op, int64_t a, int64_t b)
{
    int64_t r;
    bool overflow;
    switch (op) {
    case RULE_OP_ADD:
        overflow = __builtin_add_overflow(a, b, &r);
        return overflow ? rule_float((double)a + (double)b) : rule_int(r);
    case RULE_OP_SUB:
        overflow = __builtin_sub_overflow(a, b, &r);
        return overflow ? rule_float((double)a - (double)b) : rule_int(r);
    case RULE_OP_MUL:
        overflow = __builtin_mul_overflow(a, b, &r);
        return overflow ? rule_float((double)a * (double)b) : rule_int(r);
    case RULE_OP_DIV:
        return b == 0 ? rule_null() : rule_float((double)a / (double)b);
    default:
        return b == 0 ? rule_null() : int_mod(a, b);
    }
}

rule_value rule_arith(rule_opcode op, const rule_value *a, const rule_value *b)
{
    if (!rule_is_num(a) || !rule_is_num(b))
        return rule_null();
    if (rule_is_int(a) && rule_is_int(b))
        return int_arith(op, a->u.i, b->u.i);
    double x = rule_as_double(a), y = rule_as_double(b);
    switch (op) {
    case RULE_OP_ADD:
        return rule_float(x + y);
    case RULE_OP_SUB:
        return rule_float(x - y);
    case RULE_OP_MUL:
        return rule_float(x * y);
    case RULE_OP_DIV:
        return y == 0 ? rule_null() : rule_float(x / y);
    default:
        return y == 0 ? rule_null() : float_mod(x, y);
    }
}

rule_value rule_negate(const rule_value *a)
{
    if (rule_is_int(a))
        return a->u.i == INT64_MIN ? rule_float(-(double)a->u.i) : rule_int(-a->u.i);
    if (a->t == RV_FLOAT)
        return rule_float(-a->u.d);
    return rule_null();
}
