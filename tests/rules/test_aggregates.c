/* tests/rules/test_aggregates.c — min/max/sum/mean(LIST, EXPR): numbers taken,
 * the rest skipped, null and empty lists, int exactness, the two-number
 * min/max kept, the bytecode and the verifier's checks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"
#include "tests/rules/match.h"

/* Detections with a null, a string, a bool and a missing field among them. */
static const char ALERT[] =
    "{'candidate': {'jd': 2460000.5, 'magpsf': 18.0}, "
    "'prv_candidates': [{'jd': 2459990.5, 'magpsf': 19.5, 'fid': 1}, {'jd': 2459995.5, 'magpsf': None, 'fid': 2}, "
    "{'jd': 2459980.25, 'magpsf': 17.25, 'fid': 1}, {'jd': 'bad', 'fid': 2}, {'jd': 2459999.0, 'magpsf': 20.0, "
    "'fid': True}], "
    "'ints': [3, 1, 4, 1, 5], 'mixed': [2, 0.5, 'x', None, [1], {'a': 1}, 1], 'strs': ['a', 'b'], 'empty': [], "
    "'nothing': None, 'tup': (7, 8), 'num': 5, 'big': [9007199254740992, 1], "
    "'huge': [9223372036854775807, 1, -2], 'nan': [1.0, 'nan'], 'nested': [[1, 2], [], [5, 'x', 6]], "
    "'ties': [1, 1.0], 'ftie': [1.0, 1]}";

static int match(const char *where)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, ALERT, strlen(ALERT), ALERT_FORMAT_AUTO, &aerr), 0, "alert: %s", aerr.msg);
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "t", where, errs, 4, &n), 0, "'%s' does not compile: %s", where,
                 n ? errs[0].msg : "?");
    unsigned char m = 2;
    rule_set_eval(rs, &doc, &m);
    rule_set_free(rs);
    alert_doc_free(&doc);
    return m;
}

#define YES(rule) cr_expect_eq(match(rule), 1, "expected a match: %s", rule)
#define NO(rule) cr_expect_eq(match(rule), 0, "expected no match: %s", rule)

Test(aggregates, over_detections_skip_what_is_no_number)
{
    YES("max(prv_candidates, @.jd) == 2459999.0");
    YES("min(prv_candidates, @.jd) == 2459980.25");
    YES("max(prv_candidates, @.jd) - min(prv_candidates, @.jd) == 18.75");
    YES("sum(prv_candidates, @.magpsf) == 56.75");
    YES("mean(prv_candidates, @.magpsf) == 56.75 / 3");
    YES("min(prv_candidates, @.magpsf) == 17.25 and max(prv_candidates, @.magpsf) == 20.0");
    /* true is a number (1), as in arithmetic */
    YES("sum(prv_candidates, @.fid) == 7");
    YES("max(prv_candidates, @.fid) == 2");
    /* EXPR is any expression of '@' */
    YES("max(prv_candidates, candidate.jd - @.jd) == 20.25");
    YES("sum(prv_candidates, @.fid == 1) == 3"); /* True == 1 */
    YES("sum(prv_candidates, 1) == 5");
    YES("max(ints, @ * 2) == 10 and min(ints, -@) == -5");
    YES("mean(ints, @) == 2.8");
}

Test(aggregates, nulls_empties_and_strings)
{
    /* no numbers: min/max/mean null, sum 0 */
    YES("min(strs, @) == null and max(strs, @) == null and mean(strs, @) == null");
    YES("sum(strs, @) == 0");
    YES("min(empty, @) == null and max(empty, @) == null and mean(empty, @) == null and sum(empty, @) == 0");
    YES("sum(prv_candidates, @.nosuch) == 0 and mean(prv_candidates, @.nosuch) == null");
    /* an absent or null list, or no list at all: null, all four */
    YES("min(nothing, @) == null and max(nothing, @) == null and sum(nothing, @) == null and "
        "mean(nothing, @) == null");
    YES("min(nosuch, @) == null and sum(nosuch, @) == null");
    YES("sum(num, @) == null and mean(candidate, @) == null and max(strs[0], @) == null");
    /* mixed lists: only the numbers */
    YES("sum(mixed, @) == 3.5 and min(mixed, @) == 0.5 and max(mixed, @) == 2 and mean(mixed, @) == 3.5 / 3");
    YES("sum(tup, @) == 15");
    YES("sum(nested, len(@)) == 5 and max(nested, sum(@, @)) == 11 and min(nested, sum(@, @)) == 0");
    /* a comparison with null is false */
    NO("min(empty, @) < 1");
    NO("min(empty, @) >= 1");
}

Test(aggregates, ints_exact_overflow_to_float_nan)
{
    /* 2^53 + 1: exact as an int sum, not as a double */
    YES("sum(big, @) == 9007199254740993");
    NO("sum(big, @) == 9007199254740992");
    /* past 64 bits the sum goes on as a float, as `+` does */
    YES("sum(huge, @) == 9223372036854775806.0");
    YES("mean(big, @) == 4503599627370496.5");
    /* a NaN is a number: min/max keep the first unless another is beyond it */
    YES("max(nan, @ * 1e400 / 1e400) != max(nan, @ * 1e400 / 1e400)");
    /* of equals, the first */
    YES("sum(ties, min(ties, @)) == 2");
}

Test(aggregates, two_number_min_max_stay)
{
    YES("min(3, 2) == 2 and max(3, 2.5) == 3");
    YES("min(candidate.magpsf, 20) == 18.0");
    NO("min('a', 2) != null");
    /* inside any(), '@' in min's second argument makes it the aggregate over the first */
    YES("any(nested, max(@, @) == 6)");
    YES("any(prv_candidates, min(@.magpsf, 19) == 17.25)");
    YES("count(nested, sum(@, @) > 2) == 2");
}

Test(aggregates, errors)
{
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n;
    cr_assert_eq(rule_set_add(rs, "r", "sum(ints) > 1", errs, 4, &n), -1);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(errs[0].msg, "'sum' takes 2 arguments, got 1");
    cr_assert_eq(rule_set_add(rs, "r", "mean(ints, @, 1) > 1", errs, 4, &n), -1);
    cr_expect_str_eq(errs[0].msg, "'mean' takes 2 arguments, got 3");
    cr_assert_eq(rule_set_add(rs, "r", "max(@, 1) > 1", errs, 4, &n), -1);
    cr_expect_str_eq(errs[0].msg, "'@' is only valid inside any/all/count/min/max/sum/mean");
    cr_expect_eq(errs[0].offset, 4);
    rule_set_free(rs);
}

Test(aggregates, each_computed_once_per_alert_whatever_the_rules)
{
    /* 100 rules in turn asking five aggregates of one list (and one of another):
     * each is computed once per alert, alike code in different rules alike. */
    rule_set *rs = rule_set_new();
    char where[200];
    for (int i = 0; i < 100; i++) {
        const char *shapes[] = {"max(prv_candidates, @.jd) > %d", "min(prv_candidates, @.magpsf) < %d",
                                "sum(prv_candidates, @.magpsf != null) > %d", "mean(ints, @ * 2) > %d",
                                "mean(prv_candidates, @.magpsf + 0 * @.jd) > %d"};
        snprintf(where, sizeof where, shapes[i % 5], i);
        rule_error errs[4];
        size_t ne;
        cr_assert_eq(rule_set_add(rs, "r", where, errs, 4, &ne), 0, "%s", where);
    }
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, ALERT, strlen(ALERT), ALERT_FORMAT_AUTO, &aerr), 0);
    unsigned char match[100];
    rule_set_eval(rs, &doc, match);
    cr_expect_eq(rule_set_aggregate_runs(rs), 5);
    rule_set_eval(rs, &doc, match);
    cr_expect_eq(rule_set_aggregate_runs(rs), 10);
    cr_expect_eq(match[0], 1);  /* max jd 2459999.0 > 0 */
    cr_expect_eq(match[3], 1);  /* mean 2 * ints = 5.6 > 3 */
    cr_expect_eq(match[98], 0); /* mean 2 * ints = 5.6 > 98: no */
    alert_doc_free(&doc);
    rule_set_free(rs);
}

Test(aggregates, disassembly)
{
    char *got = rule_disasm_of("max(prv_candidates, @.jd) - min(prv_candidates, @.jd) < 30 and mean(l, @.a + 1) > 2");
    cr_expect_str_eq(got,
                     "rule r: max(prv_candidates, @.jd) - min(prv_candidates, @.jd) < 30 and mean(l, @.a + 1) > 2\n"
                     "main:\n"
                     "   0  PATH       0  ; prv_candidates\n"
                     "   1  MAXOF      1\n"
                     "   2  PATH       0  ; prv_candidates\n"
                     "   3  MINOF      2\n"
                     "   4  SUB\n"
                     "   5  CONST      0  ; 30\n"
                     "   6  JF_LT      12\n"
                     "   7  PATH       1  ; l\n"
                     "   8  MEANOF     3\n"
                     "   9  CONST      2  ; 2\n"
                     "  10  JF_GT      12\n"
                     "  11  RET        1  ; match\n"
                     "  12  RET        0  ; no match\n"
                     "expression 1 (for each @):\n"
                     "   0  ELEM       0  ; @.jd\n"
                     "   1  YIELD\n"
                     "expression 2 (for each @):\n"
                     "   0  ELEM       0  ; @.jd\n"
                     "   1  YIELD\n"
                     "expression 3 (for each @):\n"
                     "   0  ELEMK      1 1  ; @.a, 1\n"
                     "   1  ADD\n"
                     "   2  YIELD\n",
                     "got:\n%s", got);
    free(got);
    got = rule_disasm_of("sum(l, @.ok) >= 1");
    cr_expect_str_eq(got,
                     "rule r: sum(l, @.ok) >= 1\n"
                     "main:\n"
                     "   0  PATH       0  ; l\n"
                     "   1  SUMOF      1\n"
                     "   2  CONST      0  ; 1\n"
                     "   3  JF_GE      5\n"
                     "   4  RET        1  ; match\n"
                     "   5  RET        0  ; no match\n"
                     "expression 1 (for each @):\n"
                     "   0  ELEM       0  ; @.ok\n"
                     "   1  YIELD\n",
                     "got:\n%s", got);
    free(got);
}

#define I(o, a) {.op = RULE_OP_##o, .arg = (a)}

static void rejects(rule_program *p, const char *want)
{
    char why[160] = "";
    cr_expect_eq(rule_verify(p, 1, why, sizeof why), -1, "accepted; wanted: %s", want);
    cr_expect_str_eq(why, want);
}

Test(aggregates, verifier_keeps_values_and_conditions_apart)
{
    rule_insn main_code[] = {I(PATH, 0), I(SUMOF, 1), I(JUMPF, 3), I(RET, 1)};
    rule_insn pred_code[] = {I(ELEM, 0), I(YIELD, 0)};
    rule_segment segs[2] = {{.code = main_code, .n_code = 4}, {.code = pred_code, .n_code = 2}};
    rule_relpath rels[1] = {{.n = 0, .text = "@"}};
    rule_program p = {.segs = segs, .n_segs = 2, .rels = rels, .n_rels = 1};
    char why[160];
    cr_assert_eq(rule_verify(&p, 1, why, sizeof why), 0, "%s", why);
    cr_expect_eq(segs[1].yields, true);
    cr_expect_eq(segs[0].need, 2);
    /* any() of a value segment, or sum() of a condition, would read the wrong answer */
    main_code[1] = (rule_insn)I(ANY, 1);
    rejects(&p, "segment 0, pc 1: ANY of a segment that yields");
    main_code[1] = (rule_insn)I(SUMOF, 1);
    pred_code[1] = (rule_insn)I(RET, 1);
    rejects(&p, "segment 0, pc 1: SUMOF of a segment that returns");
    /* a segment that does both */
    rule_insn both[] = {I(ELEM, 0), I(JUMPT, 3), I(RET, 0), I(ELEM, 0), I(YIELD, 0)};
    segs[1] = (rule_segment){.code = both, .n_code = 5};
    rejects(&p, "segment 1 both returns and yields");
    /* YIELD needs a value; a rule's main segment answers by RET */
    rule_insn empty_yield[] = {I(YIELD, 0)};
    segs[1] = (rule_segment){.code = empty_yield, .n_code = 1};
    rejects(&p, "segment 1, pc 0: stack underflow (1 needed, 0 there)");
    pred_code[1] = (rule_insn)I(YIELD, 0);
    segs[1] = (rule_segment){.code = pred_code, .n_code = 2};
    rule_insn main_yield[] = {I(PATH, 0), I(YIELD, 0)};
    segs[0] = (rule_segment){.code = main_yield, .n_code = 2};
    rejects(&p, "the main segment yields, not an answer");
    p.value = true;
    cr_expect_eq(rule_verify(&p, 1, why, sizeof why), 0, "%s", why);
}
