/* rules/optimize.h — the optimiser's contract (rules/optimize.c): from a
 * rule set's verified programs to the one block of code the VM runs. */
#ifndef RULES_OPTIMIZE_H
#define RULES_OPTIMIZE_H

#include "rules/internal.h"

/* The VM's code for a whole set and the tables its fused instructions index
 * (rule_vm's operands of the same names). */
typedef struct {
    rule_insn *code;       /* every rule's main segment, back to back: few cache lines to run them all */
    uint32_t *rule_of;     /* by code's pc: the rule whose code holds it */
    rule_cone *cones;      /* CONEK's operands */
    double *doubles;       /* PDJF's and PDJT's constants */
    rule_value *consts;    /* the pool: the constants of the rules whose code reads them from here */
    rule_group *groups;    /* PGROUP's and PQGROUP's */
    double *group_c;       /* their numbers */
    uint16_t *group_quant; /* and quantifiers */
    uint32_t *group_entry; /* where their rules go on past their opening tests */
    rule_quant *quants;    /* PQUANT's */
    rule_column *quant_cols; /* their columns for the current alert (epoch-stamped) */
    uint32_t n_quant_cols;
} rule_layout;

/* Lays out progs[0..n) into *lay, replacing (and freeing) what it held.
 *
 * Receives: programs that rule_compile built against one rule_paths, that
 * rule_verify passed (every operand in range, every jump inside its segment,
 * one stack depth at every join, segs[].need and rets_empty set), that
 * rule_vm_prepare marked (segs[].cmp_*), and whose relative paths
 * rule_paths_number_rels numbered across the set.
 * May assume: exactly that, and nothing of the rule text: any shape the
 * compiler emits may come; one it does not recognise is copied unfused. It
 * reads the programs and never changes them (ENTER runs a program's own
 * segments, so they must stay as verified).
 * Guarantees: the code is as rule_vm_run (rules/internal.h) expects it, and
 * every rule answers, for every alert, exactly what its program answers run
 * alone and unfused: the superinstructions (PJF/PDJF/KJF, CONEK/PCONE,
 * PQUANT), the constant pool, ENTER/RETN and the groups (PGROUP/PQGROUP)
 * change the cost, never an answer. tests/rules/test_shared.c checks this
 * shape by shape ("... as alone", "... as unfused ones"), test_diff.c on
 * random rules against Python.
 * Returns 0, or -1 when out of memory (*lay is then unchanged). */
int rule_optimize(rule_layout *lay, const rule_program *progs, size_t n);
void rule_layout_free(rule_layout *lay);

#endif
