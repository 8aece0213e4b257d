/* rules/opcodes.c — the tables generated from rules/opcodes.h: each opcode's
 * name, operand kind and stack effect. */
#include "rules/internal.h"

const char *const rule_op_name[] = {
#define RULE_OP_NAME(name, kind, pops, pushes) #name,
    RULE_OPCODES(RULE_OP_NAME)
#undef RULE_OP_NAME
};

const uint8_t rule_op_kind[] = {
#define RULE_OP_KIND(name, kind, pops, pushes) RULE_ARG_##kind,
    RULE_OPCODES(RULE_OP_KIND)
#undef RULE_OP_KIND
};

const uint8_t rule_op_pushes[] = {
#define RULE_OP_PUSHES(name, kind, pops, pushes) pushes,
    RULE_OPCODES(RULE_OP_PUSHES)
#undef RULE_OP_PUSHES
};

int64_t rule_op_pops(rule_opcode op, int64_t a)
{
    switch (op) {
#define RULE_OP_POPS(name, kind, pops, pushes) \
    case RULE_OP_##name:                       \
        return pops;
        RULE_OPCODES(RULE_OP_POPS)
#undef RULE_OP_POPS
    default:
        return 0;
    }
}
