/* tests/rules/test_define.c — definitions ($name): shared by rules, run at most
 * once per alert (counted), read by one another, kept apart from fields, and
 * every error (unknown names, cycles, syntax, one read with errors) exact. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static const char ALERT[] =
    "{'candidate': {'rb': 0.8, 'nbad': 0, 'magpsf': 18.5, 'jd': 2460010.5}, 'quality': 'a field', "
    "'prv_candidates': [{'jd': 2460001.5, 'magpsf': 19.0}, {'jd': 2460005.5, 'magpsf': None}]}";

static const char *const NAMES[] = {"quality", "span", "young", "quality_only"};
static const char *const TEXTS[] = {
    "candidate.rb >= 0.65 and candidate.nbad == 0",
    "candidate.jd - min(prv_candidates, @.jd)",
    "$span < 10 and $quality",
    "$quality",
};

static rule_set *set_with(size_t n_defs, const char *const *rules, size_t n_rules)
{
    rule_set *rs = rule_set_new();
    rule_def_error derrs[4];
    size_t nd = 99;
    cr_assert_eq(rule_set_define(rs, n_defs, NAMES, TEXTS, derrs, 4, &nd), 0, "%s", nd ? derrs[0].err.msg : "");
    cr_assert_eq(nd, 0);
    for (size_t i = 0; i < n_rules; i++) {
        rule_error errs[4];
        size_t ne;
        cr_assert_eq(rule_set_add(rs, "r", rules[i], errs, 4, &ne), 0, "%s: %s", rules[i], ne ? errs[0].msg : "");
    }
    return rs;
}

static void eval(rule_set *rs, const char *alert, unsigned char *match)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, alert, strlen(alert), ALERT_FORMAT_AUTO, &aerr), 0, "%s", aerr.msg);
    rule_set_eval(rs, &doc, match);
    alert_doc_free(&doc);
}

Test(define, rules_read_definitions_and_each_runs_once_per_alert)
{
    /* 100 rules read $quality, 50 read $young (which reads $quality and $span) */
    const char *rules[150];
    char texts[150][80];
    for (int i = 0; i < 150; i++) {
        if (i < 100)
            snprintf(texts[i], sizeof texts[i], "$quality and candidate.magpsf < %d", 10 + i / 10);
        else
            snprintf(texts[i], sizeof texts[i], "$young and candidate.magpsf > %d", i - 150);
        rules[i] = texts[i];
    }
    rule_set *rs = set_with(3, rules, 150);
    unsigned char match[150];
    eval(rs, ALERT, match);
    /* magpsf 18.5 < 10 + i/10 from i = 90 on; $young: span 9.0 < 10 and quality */
    for (int i = 0; i < 150; i++)
        cr_expect_eq(match[i], i >= 90, "rule %d", i);
    /* three definitions, each run once for the alert */
    cr_expect_eq(rule_set_definition_runs(rs), 3);
    eval(rs, "{'candidate': {'rb': 0.1, 'nbad': 0, 'magpsf': 11, 'jd': 1}}", match);
    for (int i = 0; i < 150; i++)
        cr_expect_eq(match[i], 0, "rule %d", i);
    /* each once again: $young reads $span first, and stops there (null < 10) */
    cr_expect_eq(rule_set_definition_runs(rs), 6);
    eval(rs, ALERT, match);
    cr_expect_eq(rule_set_definition_runs(rs), 9);
    cr_expect(rule_set_definition_used(rs, 0) && rule_set_definition_used(rs, 1) && rule_set_definition_used(rs, 2));
    rule_set_free(rs);
}

Test(define, values_any_kind_and_names_apart_from_fields)
{
    const char *rules[] = {
        "$span == 9.0",
        /* a field called like a definition is still the field */
        "quality == 'a field' and $quality == true",
        "$young",
        "not $quality_only == false",
    };
    rule_set *rs = set_with(4, rules, 4);
    unsigned char match[4];
    eval(rs, ALERT, match);
    cr_expect_eq(match[0], 1);
    cr_expect_eq(match[1], 1);
    cr_expect_eq(match[2], 1);
    cr_expect_eq(match[3], 1);
    /* $span of an alert without history: null */
    eval(rs, "{'candidate': {'rb': 0.9, 'nbad': 0, 'jd': 5}}", match);
    cr_expect_eq(match[0], 0);
    cr_expect_eq(match[2], 0);
    cr_expect(rule_set_definition_used(rs, 3)); /* read by rule 3 */
    rule_set_free(rs);
}

Test(define, unused_definitions_are_known)
{
    const char *rules[] = {"$quality"};
    rule_set *rs = set_with(4, rules, 1);
    cr_expect_eq(rule_set_definition_used(rs, 0), true);
    cr_expect_eq(rule_set_definition_used(rs, 1), false);
    cr_expect_eq(rule_set_definition_used(rs, 2), false);
    cr_expect_eq(rule_set_definition_used(rs, 3), false);
    rule_set_free(rs);
    /* through another definition */
    const char *through[] = {"$young"};
    rs = set_with(4, through, 1);
    cr_expect(rule_set_definition_used(rs, 0) && rule_set_definition_used(rs, 1) && rule_set_definition_used(rs, 2));
    cr_expect_eq(rule_set_definition_used(rs, 3), false);
    rule_set_free(rs);
}

typedef struct {
    size_t def, offset, len;
    const char *msg;
} want;

static void define_fails(size_t n, const char *const *names, const char *const *texts, const want *w, size_t n_want)
{
    rule_set *rs = rule_set_new();
    rule_def_error errs[8];
    size_t got = 99;
    cr_assert_eq(rule_set_define(rs, n, names, texts, errs, 8, &got), -1);
    cr_expect_eq(got, n_want, "%zu errors (first: %s)", got, got ? errs[0].err.msg : "-");
    for (size_t k = 0; k < got && k < n_want; k++) {
        cr_expect_eq(errs[k].def, w[k].def, "error %zu: %s", k, errs[k].err.msg);
        cr_expect_str_eq(errs[k].err.msg, w[k].msg);
        cr_expect_eq(errs[k].err.offset, w[k].offset, "error %zu: %s", k, errs[k].err.msg);
        cr_expect_eq(errs[k].err.len, w[k].len, "error %zu: %s", k, errs[k].err.msg);
    }
    rule_set_free(rs);
}

Test(define, errors)
{
    {
        const char *names[] = {"a", "b"}, *texts[] = {"$b and $nosuch", "x > > 1"};
        const want w[] = {{0, 0, 2, "'$b' has errors"},
                          {0, 7, 7, "unknown definition '$nosuch'"},
                          {1, 4, 1, "expected an expression, found '>'"}};
        define_fails(2, names, texts, w, 3);
    }
    {
        /* a cycle through three, reported once, where it closes */
        const char *names[] = {"a", "b", "c", "d"}, *texts[] = {"$b or x", "1 + $c", "$a", "$d"};
        const want w[] = {{0, 0, 2, "'$b' has errors"},
                          {1, 4, 2, "'$c' has errors"},
                          {2, 0, 2, "definitions in a cycle: $a -> $b -> $c -> $a"},
                          {3, 0, 2, "definitions in a cycle: $d -> $d"}};
        define_fails(4, names, texts, w, 4);
    }
    /* a rule reading one unknown, or one with errors */
    rule_set *rs = rule_set_new();
    const char *names[] = {"bad", "good"}, *texts[] = {"(1", "2"};
    rule_def_error derrs[4];
    size_t nd;
    cr_assert_eq(rule_set_define(rs, 2, names, texts, derrs, 4, &nd), -1);
    cr_assert_eq(nd, 1);
    cr_expect_str_eq(derrs[0].err.msg, "expected ')' to close '('");
    rule_error errs[4];
    size_t ne;
    cr_assert_eq(rule_set_add(rs, "r", "$good > 1 and $bad or $gone", errs, 4, &ne), -1);
    cr_assert_eq(ne, 2);
    cr_expect_str_eq(errs[0].msg, "'$bad' has errors");
    cr_expect_eq(errs[0].offset, 14);
    cr_expect_eq(errs[0].len, 4);
    cr_expect_str_eq(errs[1].msg, "unknown definition '$gone'");
    cr_expect_eq(errs[1].offset, 22);
    cr_assert_eq(rule_set_add(rs, "r", "$good > 1 and $ 1", errs, 4, &ne), -1);
    cr_expect_str_eq(errs[0].msg, "unexpected character '$'");
    cr_assert_eq(rule_set_add(rs, "r", "$good > 1", errs, 4, &ne), 0);
    rule_set_free(rs);
}

Test(define, no_watchlist_or_watchmap_inside)
{
    /* a definition's value is shared by rules: which rule's output would name the entry? */
    const char *names[] = {"near", "in_map"}, *texts[] = {"watchlist('wd', ra, dec)", "1 < 2 and watchmap('m', ra, dec)"};
    const want w[] = {{0, 0, 24, "watchlist() cannot be used in a definition: call it in the rule"},
                      {1, 10, 22, "watchmap() cannot be used in a definition: call it in the rule"}};
    define_fails(2, names, texts, w, 2);
}

Test(define, disassembly)
{
    const char *rules[] = {"$young or candidate.fid == 2"};
    rule_set *rs = set_with(3, rules, 1);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rule_set_disasm_definition(rs, 1, out);
    rule_set_disasm_definition(rs, 2, out);
    rule_set_disasm(rs, 0, out);
    fclose(out);
    cr_expect_str_eq(text,
                     "definition span: candidate.jd - min(prv_candidates, @.jd)\n"
                     "main:\n"
                     "   0  PATH       3  ; candidate.jd\n"
                     "   1  PATH       4  ; prv_candidates\n"
                     "   2  MINOF      1\n"
                     "   3  SUB\n"
                     "   4  YIELD\n"
                     "expression 1 (for each @):\n"
                     "   0  ELEM       0  ; @.jd\n"
                     "   1  YIELD\n"
                     "definition young: $span < 10 and $quality\n"
                     "main:\n"
                     "   0  DEF        1  ; $span\n"
                     "   1  CONST      0  ; 10\n"
                     "   2  JF_LT      7\n"
                     "   3  DEF        0  ; $quality\n"
                     "   4  JUMPF      7\n"
                     "   5  CONST      1  ; true\n"
                     "   6  JUMP       8\n"
                     "   7  CONST      2  ; false\n"
                     "   8  YIELD\n"
                     "rule r: $young or candidate.fid == 2\n"
                     "main:\n"
                     "   0  DEF        2  ; $young\n"
                     "   1  JUMPT      4\n"
                     "   2  PATHK      5 0  ; candidate.fid, 2\n"
                     "   3  JF_EQ      5\n"
                     "   4  RET        1  ; match\n"
                     "   5  RET        0  ; no match\n",
                     "got:\n%s", text);
    free(text);
    rule_set_free(rs);
}
