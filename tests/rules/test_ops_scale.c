/* tests/rules/test_ops_scale.c — rules as operators paste them (issue 13,
 * items 6 and 7): `or` chains of thousands of terms compile and keep their
 * meaning, big `in` lists, and one error where a construct gives up. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"
#include "rules/rules.h"
#include "tests/rules/match.h"

static const char ALERT[] = "{'diaSource': {'diaSourceId': 4242, 'filterName': 'x4242', 'snr': 7.5}, "
                            "'prv_diaSources': [{'snr': 1.0}, {'snr': 50.0}]}";

static int matches(const char *where) { return rule_matches_on(ALERT, where); }

/* "PATH == 0 OP PATH == 1 OP ... PATH == n-1", then TAIL; with an OP that
 * names the path itself, the first term is PATH and the others only OP. */
static char *chain(const char *path, const char *op, int n, const char *tail)
{
    size_t cap = (size_t)n * (strlen(path) + strlen(op) + 16) + strlen(tail) + 1, len = 0;
    char *s = malloc(cap);
    bool named = strstr(op, "diaSource") != NULL;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%s == %d", i ? op : "", i && named ? "" : path, i);
    snprintf(s + len, cap - len, "%s", tail);
    return s;
}

/* Issue 13: 1,025 `or` terms failed "more than 1024 operators deep". */
Test(ops_scale, an_or_chain_of_ten_thousand_terms_compiles_and_means_what_it_says)
{
    char *yes = chain("diaSource.diaSourceId", " or ", 10000, "");
    cr_assert_eq(matches(yes), 1); /* term 4242 of 10,000 */
    free(yes);
    char *no = chain("diaSource.snr", " or ", 10000, "");
    cr_assert_eq(matches(no), 0); /* 7.5 equals none of 0..9999 */
    free(no);
    /* The last term alone decides: every earlier one is false. */
    char *last = chain("diaSource.snr", " or ", 5000, " or diaSource.filterName == 'x4242'");
    cr_assert_eq(matches(last), 1);
    free(last);
    /* A long `and` chain: true when every term is (7.5 is none of 0..2999), false
     * when its last one is not. */
    char *all = chain("not diaSource.snr", " and not diaSource.snr", 3000, "");
    cr_assert_eq(matches(all), 1);
    free(all);
    char *but_last = chain("not diaSource.snr", " and not diaSource.snr", 3000, " and diaSource.snr < 7");
    cr_assert_eq(matches(but_last), 0);
    free(but_last);
}

/* A chain of `and` inside a long `or`, precedence kept: 'a or b and c' is 'a or (b and c)'. */
Test(ops_scale, precedence_holds_in_long_chains)
{
    char *s = chain("diaSource.snr", " or ", 100, " or diaSource.diaSourceId == 4242 and diaSource.snr > 100");
    cr_assert_eq(matches(s), 0);
    free(s);
    s = chain("diaSource.snr", " or ", 100, " or diaSource.diaSourceId == 4242 and diaSource.snr > 7");
    cr_assert_eq(matches(s), 1);
    free(s);
}

/* Issue 13: a deeply nested any( reported the real error, then a knock-on
 * "'any' takes 2 arguments, got 1". Only the real one now. */
Test(ops_scale, a_deeply_nested_call_reports_the_real_error_only)
{
    char where[4000] = "";
    for (int i = 0; i < 210; i++)
        strcat(where, "any(x, ");
    strcat(where, "true");
    for (int i = 0; i < 210; i++)
        strcat(where, ")");
    rule_set *rs = rule_set_new();
    rule_error errs[8];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "r", where, errs, 8, &n), -1);
    cr_assert_eq(n, 1, "%zu errors; the second: %s", n, n > 1 ? errs[1].msg : "");
    cr_assert_str_eq(errs[0].msg, "expression nested too deeply (more than 200 levels)");
    rule_set_free(rs);
}

/* An `in` list of 100,000 strings: compiled once (constants looked up by
 * hash, not scanned), a member found, and `not in` its opposite. */
static char *in_list(const char *op, int n)
{
    size_t cap = (size_t)n * 12 + 64, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s, cap, "diaSource.filterName %s (", op);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s'x%d'", i ? ", " : "", i);
    snprintf(s + len, cap - len, ")");
    return s;
}

Test(ops_scale, an_in_list_of_a_hundred_thousand_strings)
{
    char *in = in_list("in", 100000), *not_in = in_list("not in", 100000), *short_in = in_list("in", 4242);
    cr_assert_eq(matches(in), 1);
    cr_assert_eq(matches(not_in), 0);
    cr_assert_eq(matches(short_in), 0); /* x0 .. x4241 */
    free(in), free(not_in), free(short_in);
}

/* INSET answers as IN does, value kind by value kind: the same list below
 * INSET's threshold (compared in turn) and padded above it (hashed). */
static char *padded(const char *x, const char *op, const char *items, int pad)
{
    size_t cap = strlen(items) + (size_t)pad * 16 + 128, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s, cap, "%s %s (%s", x, op, items);
    for (int i = 0; i < pad; i++)
        len += (size_t)snprintf(s + len, cap - len, ", 'pad%d'", i);
    snprintf(s + len, cap - len, ")");
    return s;
}

Test(ops_scale, a_hashed_in_list_answers_as_the_compared_one)
{
    static const struct {
        const char *x, *items;
    } cases[] = {
        {"diaSource.diaSourceId", "4242"},         {"diaSource.diaSourceId", "4242.0"},
        {"diaSource.diaSourceId", "4242.5, 1"},    {"diaSource.snr", "7.5"},
        {"diaSource.snr", "7, 8"},                 {"diaSource.snr", "'7.5'"},
        {"diaSource.filterName", "'x4242'"},       {"diaSource.filterName", "'x424', 'X4242'"},
        {"diaSource.nothing", "null, 1"},          {"(1 == 1)", "1"},
        {"(1 == 1)", "true"},                        {"(0 == 1)", "0.0"},
        {"diaSource.snr * 0", "-0.0"},             {"9007199254740993", "9007199254740992.0"},
        {"prv_diaSources", "1, 2"},                {"''", "''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int neg = 0; neg < 2; neg++) {
            const char *op = neg ? "not in" : "in";
            char *few = padded(cases[i].x, op, cases[i].items, 0), *many = padded(cases[i].x, op, cases[i].items, 20);
            int want = matches(few), got = matches(many);
            cr_expect_eq(got, want, "%s %s (%s): hashed %d, compared %d", cases[i].x, op, cases[i].items, got, want);
            free(few), free(many);
        }
    /* And the answers themselves, for the record. */
    char *s = padded("diaSource.diaSourceId", "in", "4242.0", 20);
    cr_assert_eq(matches(s), 1);
    free(s);
    s = padded("diaSource.nothing", "not in", "1", 20);
    cr_assert_eq(matches(s), 0); /* null is in nothing and not-in nothing */
    free(s);
}

/* The set itself, past many of its growths: strings (the empty one first)
 * and numbers side by side, each found, its neighbours and other kinds not. */
Test(ops_scale, a_hashed_set_of_strings_and_numbers_keeps_each_apart)
{
    enum { N = 100000 };
    rule_inset *s = rule_inset_new();
    char buf[32];
    rule_value empty = {.t = RV_STR, .n = 0, .u.s = ""};
    cr_assert_eq(rule_inset_add(s, &empty), 0);
    for (int i = 0; i < N; i++) {
        int len = snprintf(buf, sizeof buf, "s%d", i);
        rule_value str = {.t = RV_STR, .n = (uint32_t)len, .u.s = buf}, num = rule_int(3 * (int64_t)i);
        rule_value half = rule_float(i + 0.5);
        cr_assert_eq(rule_inset_add(s, &str), 0);
        cr_assert_eq(rule_inset_add(s, &num), 0);
        cr_assert_eq(rule_inset_add(s, &half), 0);
        cr_assert_eq(rule_inset_add(s, &str), 0); /* again: no new member */
    }
    rule_value null = rule_null(), nan = rule_float(NAN);
    cr_assert_eq(rule_inset_add(s, &null), 0);
    cr_assert_eq(rule_inset_add(s, &nan), 0);
    cr_assert_eq(rule_inset_count(s), 3 * N + 1);
    cr_assert(rule_inset_has(s, &empty));
    int found = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        int len = snprintf(buf, sizeof buf, "s%d", i);
        rule_value str = {.t = RV_STR, .n = (uint32_t)len, .u.s = buf}, longer = str;
        buf[len] = '_'; /* "s1_": not a member, although "s1" is */
        longer.n++;
        rule_value num = rule_int(3 * (int64_t)i), as_float = rule_float(3.0 * i), half = rule_float(i + 0.5);
        rule_value next = rule_int(3 * (int64_t)i + 1), quarter = rule_float(i + 0.25);
        wrong += rule_inset_has(s, &longer);
        buf[len] = '\0';
        found += rule_inset_has(s, &str) + rule_inset_has(s, &num) + rule_inset_has(s, &as_float) +
                 rule_inset_has(s, &half);
        wrong += rule_inset_has(s, &next) + rule_inset_has(s, &quarter);
    }
    cr_assert_eq(found, 4 * N);
    cr_assert_eq(wrong, 0);
    rule_value digits = {.t = RV_STR, .n = 1, .u.s = "3"}, three = rule_int(3);
    cr_assert(rule_inset_has(s, &three));
    cr_assert_not(rule_inset_has(s, &digits)); /* '3' is not 3 */
    cr_assert_not(rule_inset_has(s, &null));
    cr_assert_not(rule_inset_has(s, &nan));
    rule_inset_free(s);
}

Test(ops_scale, a_long_constant_in_list_is_one_hashed_instruction)
{
    char *where = in_list("in", 1000);
    char *text = rule_disasm_of(where);
    const char *main_code = strstr(text, "main:\n");
    cr_assert_not_null(main_code, "%s", text);
    cr_assert_str_eq(main_code, "main:\n"
                                "   0  PATH       1  ; diaSource.filterName\n"
                                "   1  INSET      0  ; 1000 constants, hashed\n"
                                "   2  JUMPF      4\n"
                                "   3  RET        1  ; match\n"
                                "   4  RET        0  ; no match\n");
    free(text);
    free(where);
}
