/* tests/rules/test_order.c — the inline orderings of common pairs (float with
 * float or exact int, int with int) agree with the general one on every edge. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rules/internal.h"

static const double floats[] = {NAN, -INFINITY, INFINITY, -0.0, 0.0, 0.5, -0.5, 1.0, 9007199254740992.0,
                                9007199254740994.0, -9007199254740992.0, -9007199254740994.0,
                                9007199254740991.0, 9223372036854775808.0, -9223372036854775808.0,
                                9223372036854774784.0, 1e300, -1e-300, 5e-324};
static const int64_t ints[] = {0, 1, -1, 9007199254740991, 9007199254740992, 9007199254740993,
                               -9007199254740992, -9007199254740993, INT64_MAX, INT64_MIN, 9223372036854774784};

/* Every value of the tables above, with null, bools and strings. */
static size_t all_values(rule_value *out)
{
    size_t n = 0;
    for (size_t k = 0; k < sizeof floats / sizeof *floats; k++)
        out[n++] = rule_float(floats[k]);
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++)
        out[n++] = rule_int(ints[k]);
    out[n++] = rule_null();
    out[n++] = rule_bool(true);
    out[n++] = rule_bool(false);
    out[n++] = (rule_value){.t = RV_STR, .n = 1, .u.s = "r"};
    out[n++] = (rule_value){.t = RV_STR, .n = 0, .u.s = ""};
    /* Equal first bytes, a prefix, a byte above 0x7f: the order is memcmp's, then length. */
    static const char *const strs[] = {"ra", "rb", "r\xe9", "rab", "R"};
    for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
        out[n++] = (rule_value){.t = RV_STR, .n = (uint32_t)strlen(strs[k]), .u.s = strs[k]};
    return n;
}

Test(order, inline_pairs_as_the_general_order)
{
    rule_value v[64];
    size_t n = all_values(v);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            cr_assert_eq(rule_order(&v[i], &v[j]), rule_order_rest(&v[i], &v[j]), "pair %zu, %zu", i, j);
}

Test(order, strings_by_bytes_then_length)
{
    static const char *const sorted[] = {"", "R", "r", "ra", "rab", "rb", "r\xe9"};
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 7; j++) {
            rule_value a = {.t = RV_STR, .n = (uint32_t)strlen(sorted[i]), .u.s = sorted[i]};
            rule_value b = {.t = RV_STR, .n = (uint32_t)strlen(sorted[j]), .u.s = sorted[j]};
            cr_assert_eq(rule_order(&a, &b), i < j ? RULE_ORD_LT : i > j ? RULE_ORD_GT : RULE_ORD_EQ, "%zu, %zu", i, j);
        }
}

Test(order, floats_against_ints_beyond_two_to_the_53)
{
    /* 2^53 + 1 is no double: the float 2^53 is below it, not equal. */
    rule_value f = rule_float(9007199254740992.0), big = rule_int(9007199254740993), edge = rule_int(9007199254740992);
    cr_assert_eq(rule_order(&f, &big), RULE_ORD_LT);
    cr_assert_eq(rule_order(&f, &edge), RULE_ORD_EQ);
    rule_value nan = rule_float(NAN), one = rule_int(1);
    cr_assert_eq(rule_order(&nan, &one), RULE_ORD_NONE);
    cr_assert(rule_compare(RULE_OP_NE, &nan, &one));
    cr_assert(!rule_compare(RULE_OP_EQ, &nan, &one));
}
