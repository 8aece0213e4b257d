/* tests/rules/test_disasm.c — compiled programs as the disassembler prints
 * them (folding, short-circuit jumps, shared paths), and the verifier
 * rejecting hand-made bad programs. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

/* The disassembly of the last of `rules`, all compiled into one set. */
static char *disasm(const char *const *rules, size_t n)
{
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t ne;
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(rule_set_add(rs, "r", rules[i], errs, 4, &ne), 0, "%s: %s", rules[i], ne ? errs[0].msg : "");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rule_set_disasm(rs, n - 1, out);
    fclose(out);
    rule_set_free(rs);
    return text;
}

static void expect_disasm(const char *rule, const char *want)
{
    char *got = disasm(&rule, 1);
    cr_expect_str_eq(got, want, "got:\n%s", got);
    free(got);
}

Test(disasm, and_chain_short_circuits)
{
    expect_disasm("diaSource.snr > 5 and diaSource.psFlux > 0.00003631",
                  "rule r: diaSource.snr > 5 and diaSource.psFlux > 0.00003631\n"
                  "main:\n"
                  "   0  PATHK      1 0  ; diaSource.snr, 5\n"
                  "   1  JF_GT      5\n"
                  "   2  PATHK      2 1  ; diaSource.psFlux, 3.631e-05\n"
                  "   3  JF_GT      5\n"
                  "   4  RET        1  ; match\n"
                  "   5  RET        0  ; no match\n");
}

Test(disasm, or_and_not_are_jumps)
{
    expect_disasm("not (a == 'x') or b != null and c",
                  "rule r: not (a == 'x') or b != null and c\n"
                  "main:\n"
                  "   0  PATHK      0 0  ; a, \"x\"\n"
                  "   1  JF_EQ      7\n"
                  "   2  PATH       1  ; b\n"
                  "   3  NOTNULL\n"
                  "   4  JUMPF      8\n"
                  "   5  PATH       2  ; c\n"
                  "   6  JUMPF      8\n"
                  "   7  RET        1  ; match\n"
                  "   8  RET        0  ; no match\n");
}

Test(disasm, constants_fold)
{
    expect_disasm("x > 2 * 3 + 1 and len('abc') == 3 and -(-2.5) in (1, 2.5)",
                  "rule r: x > 2 * 3 + 1 and len('abc') == 3 and -(-2.5) in (1, 2.5)\n"
                  "main:\n"
                  "   0  PATHK      0 0  ; x, 7\n"
                  "   1  JF_GT      3\n"
                  "   2  RET        1  ; match\n"
                  "   3  RET        0  ; no match\n");
    expect_disasm("1 > 2 and x", "rule r: 1 > 2 and x\nmain:\n   0  RET        0  ; no match\n");
    expect_disasm("true or x", "rule r: true or x\nmain:\n   0  RET        1  ; match\n");
}

Test(disasm, predicates_and_values)
{
    expect_disasm("(count(prv_diaSources, @.snr > 5 and @['filterName'] in ('g', 'r')) >= 2) == (y < 1)",
                  "rule r: (count(prv_diaSources, @.snr > 5 and @['filterName'] in ('g', 'r')) >= 2) == (y < 1)\n"
                  "main:\n"
                  "   0  PATH       0  ; prv_diaSources\n"
                  "   1  COUNTIF    1\n"
                  "   2  CONST      3  ; 2\n"
                  "   3  GE\n"
                  "   4  PATHK      1 4  ; y, 1\n"
                  "   5  LT\n"
                  "   6  JF_EQ      8\n"
                  "   7  RET        1  ; match\n"
                  "   8  RET        0  ; no match\n"
                  "predicate 1 (for each @):\n"
                  "   0  ELEMK      0 0  ; @.snr, 5\n"
                  "   1  JF_GT      7\n"
                  "   2  ELEMK      1 1  ; @.filterName, \"g\"\n"
                  "   3  CONST      2  ; \"r\"\n"
                  "   4  IN         2\n"
                  "   5  JUMPF      7\n"
                  "   6  RET        1  ; match\n"
                  "   7  RET        0  ; no match\n");
}

Test(disasm, conditions_as_values)
{
    /* A condition used as a value is materialized as true/false. */
    expect_disasm("(a and b) == true",
                  "rule r: (a and b) == true\n"
                  "main:\n"
                  "   0  PATH       0  ; a\n"
                  "   1  JUMPF      6\n"
                  "   2  PATH       1  ; b\n"
                  "   3  JUMPF      6\n"
                  "   4  CONST      0  ; true\n"
                  "   5  JUMP       7\n"
                  "   6  CONST      1  ; false\n"
                  "   7  CONST      0  ; true\n"
                  "   8  JF_EQ      10\n"
                  "   9  RET        1  ; match\n"
                  "  10  RET        0  ; no match\n");
}

Test(disasm, paths_are_shared_across_rules)
{
    const char *rules[] = {"diaSource.ra > 350", "diaSource.decl < 0", "diaSource.ra < 10 or diaObject.ra < 10",
                           "cone(diaSource.ra, diaSource.decl, 1.5, -2, 0.5) and diaSource['odd key\"'] == 'a\\tb'"};
    char *got = disasm(rules, 4);
    cr_expect_str_eq(got,
                     "rule r: cone(diaSource.ra, diaSource.decl, 1.5, -2, 0.5) and diaSource['odd key\"'] == 'a\\tb'\n"
                     "main:\n"
                     "   0  PATH       1  ; diaSource.ra\n"
                     "   1  PATHK      2 0  ; diaSource.decl, 1.5\n"
                     "   2  CONST      1  ; -2\n"
                     "   3  CONST      2  ; 0.5\n"
                     "   4  CONE\n"
                     "   5  JUMPF      9\n"
                     "   6  PATHK      5 3  ; diaSource[\"odd key\\\"\"], \"a\\tb\"\n"
                     "   7  JF_EQ      9\n"
                     "   8  RET        1  ; match\n"
                     "   9  RET        0  ; no match\n",
                     "got:\n%s", got);
    free(got);
}

/* ---- the verifier ---- */

#define PROGRAM(...)                                                                   \
    rule_insn code_[] = {__VA_ARGS__};                                                 \
    rule_segment seg_ = {.code = code_, .n_code = sizeof code_ / sizeof code_[0]};     \
    rule_value consts_[2] = {rule_int(1), rule_int(2)};                                \
    rule_relpath rels_[1] = {{.n = 0, .text = "@"}};                                   \
    rule_program p_ = {.segs = &seg_, .n_segs = 1, .consts = consts_, .n_consts = 2, .rels = rels_, .n_rels = 1}

#define I(op_, arg_) {.op = RULE_OP_##op_, .arg = arg_}

static void rejects(rule_program *p, uint32_t n_paths, const char *why)
{
    char got[160] = "";
    cr_expect_eq(rule_verify(p, n_paths, got, sizeof got), -1, "accepted; wanted: %s", why);
    cr_expect_str_eq(got, why);
}

Test(verify, accepts_and_sizes_the_stack)
{
    PROGRAM(I(CONST, 0), I(PATH, 0), I(CONST, 1), I(IN, 2), I(JUMPF, 6), I(RET, 1), I(RET, 0));
    char why[160];
    cr_assert_eq(rule_verify(&p_, 1, why, sizeof why), 0, "%s", why);
    cr_assert_eq(seg_.need, 3);
}

Test(verify, rejects_jumps_out_of_range)
{
    PROGRAM(I(CONST, 0), I(JUMPF, 3), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 1: operand 3 out of range");
}

Test(verify, rejects_negative_jumps)
{
    PROGRAM(I(JUMP, -1), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 0: operand -1 out of range");
}

Test(verify, rejects_stack_underflow)
{
    PROGRAM(I(CONST, 0), I(ADD, 0), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 1: stack underflow (2 needed, 1 there)");
}

Test(verify, rejects_underflow_in_fused_compare_jumps)
{
    PROGRAM(I(CONST, 0), I(JF_LT, 2), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 1: stack underflow (2 needed, 1 there)");
}

Test(verify, rejects_underflow_from_in_count)
{
    PROGRAM(I(CONST, 0), I(CONST, 1), I(IN, 2), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 2: stack underflow (3 needed, 2 there)");
}

Test(verify, rejects_inconsistent_depths)
{
    PROGRAM(I(CONST, 0), I(JUMPT, 3), I(CONST, 0), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 3: stack depth 0 on one path, 1 on another");
}

Test(verify, rejects_falling_off_the_end)
{
    PROGRAM(I(CONST, 0), I(JUMPF, 0));
    rejects(&p_, 0, "segment 0: control falls off the end");
}

Test(verify, rejects_constants_and_paths_out_of_range)
{
    {
        PROGRAM(I(CONST, 2), I(RET, 1));
        rejects(&p_, 0, "segment 0, pc 0: operand 2 out of range");
    }
    {
        PROGRAM(I(PATH, 4), I(RET, 1));
        rejects(&p_, 4, "segment 0, pc 0: operand 4 out of range");
    }
}

Test(verify, rejects_fused_constants_out_of_range)
{
    {
        PROGRAM({.op = RULE_OP_PATHK, .arg = 0, .b = 2}, I(RET, 1));
        rejects(&p_, 1, "segment 0, pc 0: operands 0, 2 out of range");
    }
    {
        PROGRAM({.op = RULE_OP_ELEMK, .arg = 0, .b = 1}, I(RET, 1));
        rejects(&p_, 1, "segment 0, pc 0: operands 0, 1 out of range");
    }
}

Test(verify, rejects_fused_compare_jumps)
{
    /* They, and RETN, exist only in a rule set's copy of verified code. */
    {
        PROGRAM({.op = RULE_OP_PJF_GT, .arg = 0, .b = 0}, I(JF_GT, 2), I(RET, 1));
        rejects(&p_, 1, "segment 0, pc 0: operand 0 out of range");
    }
    {
        PROGRAM(I(CONST, 0), I(KJT_LE, 1), I(JT_LE, 3), I(RET, 1));
        rejects(&p_, 0, "segment 0, pc 1: operand 1 out of range");
    }
    {
        PROGRAM(I(RETN, 1));
        rejects(&p_, 0, "segment 0, pc 0: operand 1 out of range");
    }
}

Test(verify, rejects_elem_outside_predicates)
{
    PROGRAM(I(ELEM, 0), I(RET, 1));
    rejects(&p_, 0, "segment 0, pc 0: operand 0 out of range");
}

Test(verify, rejects_bad_opcodes_results_and_counts)
{
    {
        PROGRAM(I(RET, 2));
        rejects(&p_, 0, "segment 0, pc 0: operand 2 out of range");
    }
    {
        PROGRAM(I(CONST, 0), I(IN, 0), I(RET, 1));
        rejects(&p_, 0, "segment 0, pc 1: operand 0 out of range");
    }
    {
        PROGRAM({.op = 200}, I(RET, 1));
        rejects(&p_, 0, "segment 0, pc 0: unknown opcode 200");
    }
    {
        PROGRAM(I(RET, 1));
        seg_.n_code = 0;
        rejects(&p_, 0, "segment 0 is empty");
    }
}

Test(verify, predicates_only_call_later_segments)
{
    rule_insn main_code[] = {I(PATH, 0), I(CONST, 0), I(PATH, 0), I(ANY, 1), I(ADD, 0), I(RET, 1)};
    rule_insn pred_code[] = {I(ELEM, 0), I(ELEM, 0), I(ELEM, 0), I(ADD, 0), I(ADD, 0), I(RET, 1)};
    rule_segment segs[2] = {{.code = main_code, .n_code = 6}, {.code = pred_code, .n_code = 6}};
    rule_value consts[1] = {rule_int(1)};
    rule_relpath rels[1] = {{.n = 0, .text = "@"}};
    rule_program p = {.segs = segs, .n_segs = 2, .consts = consts, .n_consts = 1, .rels = rels, .n_rels = 1};
    char why[160];
    cr_assert_eq(rule_verify(&p, 1, why, sizeof why), 0, "%s", why);
    cr_assert_eq(segs[1].need, 3);
    cr_assert_eq(segs[0].need, 6); /* 3 on the stack when ANY runs, plus its predicate's 3 */
    pred_code[4] = (rule_insn)I(ANY, 1);
    rejects(&p, 1, "segment 1, pc 4: operand 1 out of range");
    pred_code[4] = (rule_insn)I(ANY, 0);
    rejects(&p, 1, "segment 1, pc 4: operand 0 out of range");
}
