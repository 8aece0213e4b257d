/* tests/rules/test_errors.c — every compile error: its exact message and the
 * span it points at, several errors per rule, and a set left unchanged. */
#include <criterion/criterion.h>
#include <string.h>

#include "rules/rules.h"

typedef struct {
    size_t offset, len;
    const char *msg;
} want;

/* Compiles `where` and asserts exactly the errors expected, in order. */
static void check(const char *where, const want *w, size_t n)
{
    rule_set *rs = rule_set_new();
    rule_error errs[16];
    size_t got = 99;
    cr_assert_eq(rule_set_add(rs, "r", where, errs, 16, &got), -1, "'%s' compiled", where);
    cr_expect_eq(got, n, "'%s': %zu errors, expected %zu (first: %s)", where, got, n, got ? errs[0].msg : "-");
    for (size_t k = 0; k < n && k < got; k++) {
        cr_expect_str_eq(errs[k].msg, w[k].msg, "'%s' error %zu", where, k);
        cr_expect_eq(errs[k].offset, w[k].offset, "'%s' error %zu (%s) offset %zu", where, k, w[k].msg,
                     errs[k].offset);
        cr_expect_eq(errs[k].len, w[k].len, "'%s' error %zu (%s) len %zu", where, k, w[k].msg, errs[k].len);
    }
    cr_expect_eq(rule_set_count(rs), 0);
    rule_set_free(rs);
}

#define ERRS(where, ...)                                        \
    do {                                                        \
        const want w_[] = {__VA_ARGS__};                        \
        check(where, w_, sizeof w_ / sizeof w_[0]);             \
    } while (0)

Test(errors, functions)
{
    ERRS("sqr(diaSource.snr) > 2", {0, 3, "unknown function 'sqr'"});
    ERRS("any(prv_diaSources)", {0, 3, "'any' takes 2 arguments, got 1"});
    ERRS("count(a, @ > 1, 2)", {0, 5, "'count' takes 2 arguments, got 3"});
    ERRS("len(1, 2)", {0, 3, "'len' takes 1 argument, got 2"});
    ERRS("cone(1, 2, 3, 4) ", {0, 4, "'cone' takes 5 arguments, got 4"});
    ERRS("exists()", {0, 6, "'exists' takes 1 argument, got 0"});
    ERRS("exists(1 + a)", {7, 5, "'exists' takes a path, like exists(diaSource.snr)"});
    ERRS("exists( len(x)  )", {8, 6, "'exists' takes a path, like exists(diaSource.snr)"});
    ERRS("exists(x in (1, 2) )", {7, 11, "'exists' takes a path, like exists(diaSource.snr)"});
}

Test(errors, at_outside_predicates)
{
    ERRS("@.snr > 5", {0, 1, "'@' is only valid inside any/all/count/min/max/sum/mean"});
    ERRS("any(@, true)", {4, 1, "'@' is only valid inside any/all/count/min/max/sum/mean"});
    ERRS("len(@)", {4, 1, "'@' is only valid inside any/all/count/min/max/sum/mean"});
}

Test(errors, brackets)
{
    ERRS("(a > 1", {0, 1, "expected ')' to close '('"});
    ERRS("(((a)", {0, 1, "expected ')' to close '('"}, {1, 1, "expected ')' to close '('"});
    ERRS("len(a", {3, 1, "expected ')' to close '('"});
    ERRS("a[1 > 0", {1, 1, "expected ']' to close '['"});
    ERRS("a in (1, 2", {5, 1, "expected ')' to close '('"});
}

Test(errors, expressions)
{
    ERRS("a >", {3, 0, "expected an expression, found the end of the rule"});
    ERRS("", {0, 0, "expected an expression, found the end of the rule"});
    ERRS("a > )", {4, 1, "expected an expression, found ')'"});
    ERRS("a b", {2, 1, "expected an operator or the end of the rule, found 'b'"});
    ERRS("1 < a < 3", {6, 1, "comparisons cannot be chained; combine them with 'and'"});
    ERRS("a not b", {6, 1, "expected 'in' after 'not', found 'b'"});
    ERRS("a in 3", {5, 1, "expected a list in '(...)' after 'in', found '3'"});
    ERRS("a in ()", {5, 1, "the list after 'in' is empty"});
}

Test(errors, paths)
{
    ERRS("a.1 > 0", {2, 1, "expected a field name after '.', found '1'"});
    ERRS("a.b.", {4, 0, "expected a field name after '.', found the end of the rule"});
    ERRS("a[-1] > 0", {2, 1, "an index must be an integer from 0 to 2147483647"});
    ERRS("a[1.5] > 0", {2, 3, "an index must be an integer from 0 to 2147483647"});
    ERRS("a[2147483648] > 0", {2, 10, "an index must be an integer from 0 to 2147483647"});
    ERRS("a[x] > 0", {2, 1, "expected an index or a quoted key inside '[]', found 'x'"});
}

Test(errors, lexical)
{
    ERRS("a == 'abc", {5, 1, "unterminated string"});
    ERRS("a == \"abc'", {5, 1, "unterminated string"});
    ERRS("a == 'x\\qy'", {7, 2, "invalid escape '\\q' in string"});
    ERRS("a == '\\x4g'", {6, 2, "invalid escape '\\x' in string"});
    ERRS("a == '\\U00110000'", {6, 10, "invalid escape '\\U00110000' in string"});
    ERRS("a == 'x\\", {5, 1, "unterminated string"}, {7, 1, "invalid escape '\\' in string"});
    ERRS("a > 1e", {4, 2, "invalid number '1e'"});
    ERRS("a > 12abc", {4, 5, "invalid number '12abc'"});
    ERRS("a > 1 # 2", {6, 1, "unexpected character '#'"},
         {8, 1, "expected an operator or the end of the rule, found '2'"});
    ERRS("a > \xe2\x82\xac", {4, 3, "unexpected character '\xe2\x82\xac'"},
         {7, 0, "expected an expression, found the end of the rule"});
    ERRS("a > 1 \x01", {6, 1, "unexpected control character 0x01"});
    ERRS("a = 1", {2, 1, "'=' is not an operator; use '=='"});
    ERRS("a > 1 & b", {6, 1, "'&' is not an operator; use 'and'"});
    ERRS("a > 1 | b", {6, 1, "'|' is not an operator; use 'or'"});
}

/* A slip is reported once and the parser reads on, so the errors after it
 * are real ones, not echoes of the first. */
Test(errors, recovery_reports_each_slip_once)
{
    ERRS("diaSource.snr > > 5 and sqr(2)", {16, 1, "expected an expression, found '>'"},
         {24, 3, "unknown function 'sqr'"});
    ERRS("diaSource.snr > > 5", {16, 1, "expected an expression, found '>'"});
    ERRS("diaSource.ra >> 350", {14, 1, "expected an expression, found '>'"});
    ERRS("> 5", {0, 1, "expected an expression, found '>'"});
    ERRS("a and and sqr(1)", {6, 3, "expected an expression, found 'and'"}, {10, 3, "unknown function 'sqr'"});
    ERRS("in (1, 2) or sqr(1)", {0, 2, "expected an expression, found 'in'"}, {13, 3, "unknown function 'sqr'"});
    ERRS("a > > 5 > 3", {4, 1, "expected an expression, found '>'"},
         {8, 1, "comparisons cannot be chained; combine them with 'and'"});
    ERRS("diaSource.ra >", {14, 0, "expected an expression, found the end of the rule"});
    ERRS("(diaSource.ra > 1", {0, 1, "expected ')' to close '('"});
    ERRS("diaSource.ra = 350", {13, 1, "'=' is not an operator; use '=='"});
    ERRS("sqr(2) and cone(1,2)", {0, 3, "unknown function 'sqr'"}, {11, 4, "'cone' takes 5 arguments, got 2"});
    ERRS("cone(sqr(1), 2)", {0, 4, "'cone' takes 5 arguments, got 2"}, {5, 3, "unknown function 'sqr'"});
}

/* Text that cannot follow an expression is skipped to the next `and`/`or`
 * outside brackets, or to what ends the brackets, and the rest still checked. */
Test(errors, recovery_resynchronises_after_junk)
{
    ERRS("diaSource.ra > 1 andd x", {17, 4, "expected an operator or the end of the rule, found 'andd'"});
    ERRS("a b (c d) e and sqr(1) or f(g h)", {2, 1, "expected an operator or the end of the rule, found 'b'"},
         {16, 3, "unknown function 'sqr'"}, {26, 1, "unknown function 'f'"},
         {30, 1, "expected an operator, ',' or ')', found 'h'"});
    ERRS("a > 1) and sqr(2)", {5, 1, "expected an operator or the end of the rule, found ')'"},
         {11, 3, "unknown function 'sqr'"});
    ERRS("(a b) and sqr(2)", {3, 1, "expected an operator or ')', found 'b'"}, {10, 3, "unknown function 'sqr'"});
    ERRS("(a b and sqr(2))", {3, 1, "expected an operator or ')', found 'b'"}, {9, 3, "unknown function 'sqr'"});
    ERRS("(a b", {0, 1, "expected ')' to close '('"}, {3, 1, "expected an operator or ')', found 'b'"});
    ERRS("len(a]) or g(1)", {5, 1, "expected an operator, ',' or ')', found ']'"}, {11, 1, "unknown function 'g'"});
    ERRS("a in [1, 2)", {5, 1, "expected ']' to close '['"}, {10, 1, "expected an operator, ',' or ']', found ')'"});
}

/* A missing ',' in a list: the next item is read as one, and the count of
 * arguments, now a guess, is not judged. */
Test(errors, recovery_from_a_missing_comma)
{
    ERRS("any(prv_diaSources @.snr > 5)", {19, 1, "expected an operator, ',' or ')', found '@'"});
    ERRS("any(prv_diaSources @.snr > 5 and sqr(1))", {19, 1, "expected an operator, ',' or ')', found '@'"},
         {33, 3, "unknown function 'sqr'"});
    ERRS("min(a b, c)", {6, 1, "expected an operator, ',' or ')', found 'b'"});
    ERRS("sqr(a b)", {0, 3, "unknown function 'sqr'"}, {6, 1, "expected an operator, ',' or ')', found 'b'"});
    ERRS("a in (1 2)", {8, 1, "expected an operator, ',' or ')', found '2'"});
}

Test(errors, nesting_is_bounded)
{
    char deep[1200];
    memset(deep, '(', 600);
    strcpy(deep + 600, "1");
    ERRS(deep, {200, 1, "expression nested too deeply (more than 200 levels)"});
    memset(deep, '-', 1000);
    strcpy(deep + 1000, "1");
    ERRS(deep, {200, 1, "expression nested too deeply (more than 200 levels)"});
}

Test(errors, every_error_is_reported_in_order)
{
    ERRS("sqr(1) + @ + any(x) or a[x] = 'q\\z'",
         {0, 3, "unknown function 'sqr'"},
         {9, 1, "'@' is only valid inside any/all/count/min/max/sum/mean"},
         {13, 3, "'any' takes 2 arguments, got 1"},
         {25, 1, "expected an index or a quoted key inside '[]', found 'x'"},
         {28, 1, "'=' is not an operator; use '=='"},
         {32, 2, "invalid escape '\\z' in string"});
}

Test(errors, only_max_errs_are_stored)
{
    rule_set *rs = rule_set_new();
    rule_error errs[2];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "r", "f(1) + g(2) + h(3)", errs, 2, &n), -1);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(errs[0].msg, "unknown function 'f'");
    cr_assert_str_eq(errs[1].msg, "unknown function 'g'");
    cr_assert_eq(rule_set_add(rs, "ok", "a > 1", errs, 2, &n), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(rule_set_add(rs, "bad", "a >", errs, 2, &n), -1);
    cr_assert_eq(rule_set_count(rs), 1);
    cr_assert_str_eq(rule_set_name(rs, 0), "ok");
    rule_set_free(rs);
}

Test(errors, long_chains_and_paths_are_bounded)
{
    static char rule[8000];
    size_t n = 0;
    for (int k = 0; k < 1100; k++)
        n += (size_t)sprintf(rule + n, "%s1", k ? "+" : "");
    ERRS(rule, {0, 2051, "expression too deep: more than 1024 operators inside one another (a chain of + - * / counts one per operator; and/or chains do not)"});
    n = 0;
    for (int k = 0; k < 65; k++)
        n += (size_t)sprintf(rule + n, "%sa", k ? "." : "");
    ERRS(rule, {0, 129, "path too long (more than 64 steps)"});
}

Test(errors, long_but_fine)
{
    static char rule[8000];
    size_t n = 0;
    for (int k = 0; k < 1000; k++)
        n += (size_t)sprintf(rule + n, "%s1", k ? "+" : "");
    n += (size_t)sprintf(rule + n, " == 1000");
    rule_set *rs = rule_set_new();
    rule_error errs[1];
    size_t ne;
    cr_assert_eq(rule_set_add(rs, "r", rule, errs, 1, &ne), 0);
    rule_set_free(rs);
}
