/* rules/opcodes.h — the bytecode's one opcode table: each line generates the
 * enum entry, the disassembler's name and operand printing, and the verifier's
 * stack accounting. `a` in the pops column is the instruction's operand. */
#ifndef RULES_OPCODES_H
#define RULES_OPCODES_H

/* Operand kinds. BRANCH jumps or falls through; GOTO always jumps; RESULT ends
 * the program with the operand (0 or 1) as its answer. */
#define RULE_ARG_KINDS(K)                                                                          \
    K(NONE)   /* no operand */                                                                     \
    K(CONST)  /* index into the program's constants */                                            \
    K(PATH)   /* index into the set's interned paths (from the alert's root, cached per alert) */ \
    K(ELEM)   /* index into the program's paths relative to '@' */                                \
    K(PRED)   /* index of the predicate segment run for each element */                           \
    K(COUNT)  /* number of list items popped */                                                   \
    K(BRANCH) /* conditional jump target */                                                       \
    K(GOTO)   /* unconditional jump target */                                                     \
    K(RESULT) /* the program's answer */                                                          \
    K(YIELD)  /* no operand: ends a value segment (an aggregate's EXPR), its value popped         \
                 as the segment's answer */                                                       \
    K(PATH_CONST) /* PATH's operand, and a constant's index in the second operand */              \
    K(ELEM_CONST) /* ELEM's operand, and a constant's index in the second operand */              \
    K(FUSED)  /* PATH_CONST (PJF/PJT; PDJF/PDJT: the constant's index among the set's doubles)  \
                 or CONST (KJF/KJT), and the next instruction's operand is the jump target: only \
                 in the set's copy of the code for the VM, never in a program the verifier passes */ \
    K(CHAIN)  /* RESULT, plus twice where the next rule's code starts (0: none): RETN, the RET   \
                 of the set's copy of the code, never in a program the verifier passes */         \
    K(CONE)   /* index of one of the set's cones with constant centre and radius, and in the      \
                 second operand how many of the instructions after it it stands for: CONEK, only  \
                 in the set's copy of the code */                                                 \
    K(PATH_CONE) /* PATH's operand (ra), and in the second a cone's index; the PATH (dec) and the \
                 CONEK after it stay in place, stood for: PCONE, only in the set's copy */        \
    K(QUANT)  /* PATH's operand, and in the second the index of one of the set's column          \
                 quantifiers (rule_quant); the quantifier after it stays in place, run when the  \
                 column has no answer: PQUANT, only in the set's copy of the code */            \
    K(GROUP)  /* PATH's operand, and in the second the index of one of the set's rule groups     \
                 (rule_group): PGROUP and PQGROUP, only in the set's copy of the code */          \
    K(DEF)    /* index of one of the set's definitions ($name): its value, computed at most      \
                 once per alert */                                                                \
    K(RULE)   /* a rule's index in the set: ENTER, first in the set's copy of a rule whose code   \
                 reads its program's predicates, or constants not in the set's pool (then the     \
                 second operand is 1) */                                                         \
    K(WATCH)  /* index of one of the set's watchlists (WATCHLIST) or watchmaps (WATCHMAP) */ \
    K(SET)    /* index of one of the program's constant sets (rule_inset): INSET, NOTINSET */

/* OP(name, operand kind, pops, pushes). PATHK and ELEMK are PATH or ELEM then
 * CONST, the commonest pair ("field compared with a constant"). JF_xx / JT_xx compare like xx and
 * jump when the comparison is false / true: a condition in one dispatch. They
 * list the comparisons in the order EQ..GE do, so one maps to the other by offset.
 * PJF_xx / PJT_xx are PATHK followed by JF_xx / JT_xx, and KJF_xx / KJT_xx are
 * CONST followed by JF_xx / JT_xx (a computed value compared with a constant),
 * fused by the rule set in the VM's copy of verified code (the JF/JT stays in
 * place, holding the target). PDJF_xx / PDJT_xx are PJF_xx / PJT_xx whose
 * constant is a number a double holds exactly: a float field is then compared
 * as one double. CONEK is a cone() whose last three arguments are numeric
 * constants, PCONE such a cone() of two fields, and PQUANT a PATH whose list any/all/count, right after it,
 * compares by `@.path OP number`, made the same way. ENTER starts a rule whose
 * code needs its program: the others' are run without it. PGROUP and PQGROUP
 * run the rules of a group (rule_group) whose opening tests pass, a field's
 * comparisons or a list's any(), all() or count(). MINOF, MAXOF, SUMOF and
 * MEANOF are min/max/sum/mean(LIST, EXPR): their predicate segment is a value
 * segment, EXPR for one element, ended by YIELD. INSET and NOTINSET are IN and
 * NOTIN of a list of constants long enough to be hashed: one probe of the
 * program's set, whatever its length. */
#define RULE_OPCODES(OP)            \
    OP(CONST, CONST, 0, 1)          \
    OP(PATH, PATH, 0, 1)            \
    OP(ELEM, ELEM, 0, 1)            \
    OP(PATHK, PATH_CONST, 0, 2)     \
    OP(ELEMK, ELEM_CONST, 0, 2)     \
    OP(NEG, NONE, 1, 1)             \
    OP(ADD, NONE, 2, 1)             \
    OP(SUB, NONE, 2, 1)             \
    OP(MUL, NONE, 2, 1)             \
    OP(DIV, NONE, 2, 1)             \
    OP(MOD, NONE, 2, 1)             \
    OP(EQ, NONE, 2, 1)              \
    OP(NE, NONE, 2, 1)              \
    OP(LT, NONE, 2, 1)              \
    OP(LE, NONE, 2, 1)              \
    OP(GT, NONE, 2, 1)              \
    OP(GE, NONE, 2, 1)              \
    OP(ISNULL, NONE, 1, 1)          \
    OP(NOTNULL, NONE, 1, 1)         \
    OP(IN, COUNT, (a) + 1, 1)       \
    OP(NOTIN, COUNT, (a) + 1, 1)    \
    OP(INSET, SET, 1, 1)            \
    OP(NOTINSET, SET, 1, 1)         \
    OP(LEN, NONE, 1, 1)             \
    OP(ABS, NONE, 1, 1)             \
    OP(SQRT, NONE, 1, 1)            \
    OP(LOG10, NONE, 1, 1)           \
    OP(MIN, NONE, 2, 1)             \
    OP(MAX, NONE, 2, 1)             \
    OP(STARTSWITH, NONE, 2, 1)      \
    OP(ANGSEP, NONE, 4, 1)          \
    OP(CONE, NONE, 5, 1)            \
    OP(GALL, NONE, 2, 1)            \
    OP(GALB, NONE, 2, 1)            \
    OP(WATCHLIST, WATCH, 2, 1)      \
    OP(WATCHMAP, WATCH, 2, 1)       \
    OP(ANY, PRED, 1, 1)             \
    OP(ALL, PRED, 1, 1)             \
    OP(COUNTIF, PRED, 1, 1)         \
    OP(MINOF, PRED, 1, 1)           \
    OP(MAXOF, PRED, 1, 1)           \
    OP(SUMOF, PRED, 1, 1)           \
    OP(MEANOF, PRED, 1, 1)          \
    OP(YIELD, YIELD, 1, 0)          \
    OP(DEF, DEF, 0, 1)              \
    OP(JUMP, GOTO, 0, 0)            \
    OP(JUMPT, BRANCH, 1, 0)         \
    OP(JUMPF, BRANCH, 1, 0)         \
    OP(JF_EQ, BRANCH, 2, 0)         \
    OP(JF_NE, BRANCH, 2, 0)         \
    OP(JF_LT, BRANCH, 2, 0)         \
    OP(JF_LE, BRANCH, 2, 0)         \
    OP(JF_GT, BRANCH, 2, 0)         \
    OP(JF_GE, BRANCH, 2, 0)         \
    OP(JT_EQ, BRANCH, 2, 0)         \
    OP(JT_NE, BRANCH, 2, 0)         \
    OP(JT_LT, BRANCH, 2, 0)         \
    OP(JT_LE, BRANCH, 2, 0)         \
    OP(JT_GT, BRANCH, 2, 0)         \
    OP(JT_GE, BRANCH, 2, 0)         \
    OP(RET, RESULT, 0, 0)           \
    OP(RETN, CHAIN, 0, 0)           \
    OP(CONEK, CONE, 2, 1)           \
    OP(PCONE, PATH_CONE, 0, 1)      \
    OP(PQUANT, QUANT, 0, 1)         \
    OP(ENTER, RULE, 0, 0)           \
    OP(PGROUP, GROUP, 0, 0)         \
    OP(PQGROUP, GROUP, 0, 0)        \
    OP(PJF_EQ, FUSED, 0, 0)         \
    OP(PJF_NE, FUSED, 0, 0)         \
    OP(PJF_LT, FUSED, 0, 0)         \
    OP(PJF_LE, FUSED, 0, 0)         \
    OP(PJF_GT, FUSED, 0, 0)         \
    OP(PJF_GE, FUSED, 0, 0)         \
    OP(PJT_EQ, FUSED, 0, 0)         \
    OP(PJT_NE, FUSED, 0, 0)         \
    OP(PJT_LT, FUSED, 0, 0)         \
    OP(PJT_LE, FUSED, 0, 0)         \
    OP(PJT_GT, FUSED, 0, 0)         \
    OP(PJT_GE, FUSED, 0, 0)         \
    OP(KJF_EQ, FUSED, 0, 0)         \
    OP(KJF_NE, FUSED, 0, 0)         \
    OP(KJF_LT, FUSED, 0, 0)         \
    OP(KJF_LE, FUSED, 0, 0)         \
    OP(KJF_GT, FUSED, 0, 0)         \
    OP(KJF_GE, FUSED, 0, 0)         \
    OP(KJT_EQ, FUSED, 0, 0)         \
    OP(KJT_NE, FUSED, 0, 0)         \
    OP(KJT_LT, FUSED, 0, 0)         \
    OP(KJT_LE, FUSED, 0, 0)         \
    OP(KJT_GT, FUSED, 0, 0)         \
    OP(KJT_GE, FUSED, 0, 0)         \
    OP(PDJF_EQ, FUSED, 0, 0)        \
    OP(PDJF_NE, FUSED, 0, 0)        \
    OP(PDJF_LT, FUSED, 0, 0)        \
    OP(PDJF_LE, FUSED, 0, 0)        \
    OP(PDJF_GT, FUSED, 0, 0)        \
    OP(PDJF_GE, FUSED, 0, 0)        \
    OP(PDJT_EQ, FUSED, 0, 0)        \
    OP(PDJT_NE, FUSED, 0, 0)        \
    OP(PDJT_LT, FUSED, 0, 0)        \
    OP(PDJT_LE, FUSED, 0, 0)        \
    OP(PDJT_GT, FUSED, 0, 0)        \
    OP(PDJT_GE, FUSED, 0, 0)

typedef enum {
#define RULE_ARG_ENUM(k) RULE_ARG_##k,
    RULE_ARG_KINDS(RULE_ARG_ENUM)
#undef RULE_ARG_ENUM
} rule_arg_kind;

typedef enum {
#define RULE_OP_ENUM(name, kind, pops, pushes) RULE_OP_##name,
    RULE_OPCODES(RULE_OP_ENUM)
#undef RULE_OP_ENUM
        RULE_OP_COUNT_
} rule_opcode;

#endif
