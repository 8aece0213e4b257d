/* tests/rules/test_shared.c — what a rule set shares across its rules, and the
 * instructions its copy of the code fuses, give each rule the answer it gets
 * alone and unfused: the keys of one dict found in one scan, predicates of the
 * shape `@.path OP constant` run without the dispatch loop, the columns of
 * numbers such predicates compare, comparisons with constants, constant cones. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rules/rules.h"

static alert_doc doc;
static rule_set *rs;

static void setup(void)
{
    alert_doc_init(&doc);
    rs = rule_set_new();
}

static void teardown(void)
{
    rule_set_free(rs);
    alert_doc_free(&doc);
}

TestSuite(shared, .init = setup, .fini = teardown);

static void parse(const char *text)
{
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, strlen(text), ALERT_FORMAT_AUTO, &err), 0, "%s", err.msg);
}

static void add(const char *where)
{
    rule_error errs[2];
    size_t n;
    cr_assert_eq(rule_set_add(rs, where, where, errs, 2, &n), 0, "'%s': %s", where, n ? errs[0].msg : "?");
}

/* Evaluates the set and expects every rule to match. */
static void expect_all_match(void)
{
    unsigned char match[128];
    size_t n = rule_set_count(rs);
    cr_assert_eq(rule_set_eval(rs, &doc, match), n);
    for (size_t k = 0; k < n; k++)
        cr_assert_eq(match[k], 1, "'%s' does not match", rule_set_name(rs, k));
}

Test(shared, keys_of_one_dict_found_together)
{
    parse("{'p': {'a': 1, 'bb': 2, 'a': 3, 'abc': 4, 'x': {'a': 7}}, 'd': {'a': 1, 'bb': 2, 'b\\x62': 5}, "
          "'l': [{'a': 1}], 'e': {}, 'n': None, 's': 'a', 'k': {1: 'one', True: 'yes', 'one': 1}}");
    static const char *const rules[] = {
        "p.a == 3",           /* the last duplicate wins */
        "p.bb == 2",          "p.abc == 4", "p.ab == null", "p.abcd == null", "p.x.a == 7", "p.x.b == null",
        "d.bb == 5",          /* an escaped key spells bb too: alert_lookup decides, the last wins */
        "d.a == 1",           "l.a == null", "l[0].a == 1", "e.a == null", "n.a == null", "s.a == null",
        "zz.a == null",       "k['1'] == 'one'", "k.true == 'yes'", "k.one == 1",
    };
    for (size_t k = 0; k < sizeof rules / sizeof *rules; k++)
        add(rules[k]);
    expect_all_match();
    /* The same answers on the next alert, where the keys are elsewhere. */
    parse("{'k': {'one': 1, True: 'yes', 1: 'one'}, 'd': {'b\\x62': 5, 'a': 1}, 'p': {'x': {'a': 7}, 'abc': 4, "
          "'bb': 2, 'a': 3}, 'l': [{'a': 1}], 'e': {}, 'n': None, 's': 'a'}");
    expect_all_match();
}

/* A dict of 70 keys 'k0': 0 ... 'k69': 69 between open and close, and one rule
 * per key, where_format (with %d for the key's number, twice) finding it. */
static void expect_seventy_keys_found(const char *open, const char *close, const char *where_format)
{
    char alert[4096], where[64];
    size_t n = (size_t)snprintf(alert, sizeof alert, "%s", open);
    for (int k = 0; k < 70; k++)
        n += (size_t)snprintf(alert + n, sizeof alert - n, "%s'k%d': %d", k ? ", " : "", k, k);
    snprintf(alert + n, sizeof alert - n, "%s", close);
    parse(alert);
    for (int k = 0; k < 70; k++) {
        snprintf(where, sizeof where, where_format, k, k);
        add(where);
    }
    expect_all_match();
}

Test(shared, more_keys_of_one_dict_than_a_scan_holds)
{
    expect_seventy_keys_found("{'d': {", "}}", "d.k%d == %d");
}

/* The answer of one rule on doc, in a set of its own. */
static int alone(const char *where)
{
    rule_set *one = rule_set_new();
    rule_error errs[2];
    size_t n;
    cr_assert_eq(rule_set_add(one, "t", where, errs, 2, &n), 0, "'%s'", where);
    unsigned char m = 2;
    rule_set_eval(one, &doc, &m);
    rule_set_free(one);
    return m;
}

Test(shared, comparison_predicates_as_the_dispatch_loop_runs_them)
{
    parse("{'l': [{'x': 1, 's': 'r'}, {'x': 2.5, 's': 'g'}, {'x': None}, {}, 7, {'x': 'r', 's': 3}], "
          "'m': [{'x': 3}, {'x': 3.0}], 'e': []}");
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    static const char *const consts[] = {"2", "2.5", "3", "'r'", "null"};
    static const char *const quants[] = {"any(%s, @.%s %s %s)", "all(%s, @.%s %s %s)", "count(%s, @.%s %s %s) == 1",
                                         "count(%s, @.%s %s %s) == 2"};
    static const char *const lists[] = {"l", "m", "e", "nothing"};
    /* The same comparison in another shape, `(...) == true`, goes through the dispatch loop. */
    char where[128], other[160];
    int matched = 0, total = 0;
    for (size_t q = 0; q < 4; q++)
        for (size_t l = 0; l < 4; l++)
            for (size_t o = 0; o < 6; o++)
                for (size_t c = 0; c < 5; c++)
                    for (int field = 0; field < 2; field++) {
                        char pred[48];
                        snprintf(pred, sizeof pred, "@.%s %s %s", field ? "s" : "x", ops[o], consts[c]);
                        snprintf(where, sizeof where, quants[q], lists[l], field ? "s" : "x", ops[o], consts[c]);
                        char inner[64];
                        snprintf(inner, sizeof inner, "(%s) == true", pred);
                        const char *at = strstr(where, pred);
                        snprintf(other, sizeof other, "%.*s%s%s", (int)(at - where), where, inner, at + strlen(pred));
                        int want = alone(other);
                        cr_assert_eq(alone(where), want, "'%s' and '%s' differ", where, other);
                        add(where);
                        matched += want;
                        total++;
                    }
    unsigned char match[1024];
    cr_assert_eq(rule_set_count(rs), (size_t)total);
    cr_assert_eq(rule_set_eval(rs, &doc, match), (size_t)matched);
    /* l's x values are 1, 2.5, null, missing, none (7 is no dict) and 'r': null compares false, 'r' != 2. */
    cr_assert_eq(alone("any(l, @.x > 2)"), 1);
    cr_assert_eq(alone("all(m, @.x == 3)"), 1);
    cr_assert_eq(alone("count(l, @.x != 2) == 3"), 1);
}

Test(shared, element_keys_found_together)
{
    /* Element 0 has a duplicate key, element 1 an escaped key (alert_lookup decides), element 2 is no dict. */
    parse("{'l': [{'a': 1, 'bb': 2, 'a': 3}, {'b\\x62': 5, 'a': 4}, 7, {'c': {'a': 9}}]}");
    static const char *const rules[] = {
        "count(l, @.a == 3) == 1", "count(l, @.a == 4) == 1", "count(l, @.bb == 5) == 1",
        "count(l, @.bb == 2) == 1", "count(l, @.a == null) == 2", "any(l, @.c.a == 9)",
        "count(l, @.bb > 1) == 2", "all(l, @.zz == null)",
    };
    for (size_t k = 0; k < sizeof rules / sizeof *rules; k++)
        add(rules[k]);
    expect_all_match();
    for (size_t k = 0; k < sizeof rules / sizeof *rules; k++)
        cr_assert_eq(alone(rules[k]), 1, "'%s' alone", rules[k]);
}

Test(shared, more_element_keys_than_a_scan_holds)
{
    expect_seventy_keys_found("{'l': [{", "}]}", "any(l, @.k%d == %d)");
}

Test(shared, fused_field_comparisons_as_unfused_ones)
{
    parse("{'d': {'i': 3, 'f': 2.5, 's': 'r', 'n': None, 'big': 9007199254740993, 'nbig': -9007199254740993, "
          "'e53': 9007199254740992, 't': True, 'nz': -0.0, 'inf': 1e400, 'l': [1]}, 'x': 1}");
    static const char *const fields[] = {"d.i",   "d.f", "d.s",  "d.n",   "d.zz", "x",  "d.big",
                                         "d.nbig", "d.e53", "d.t", "d.nz", "d.inf", "d.l"};
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    /* Numbers a double holds exactly (compared as doubles: PDJF, PDJT) and others:
     * beyond 2^53, a string, null, infinity and NaN (folded). */
    static const char *const consts[] = {"3",    "2.5",  "'r'",   "null",
                                         "1",    "-3.0", "-0.0",  "0",
                                         "true", "9007199254740992", "-9007199254740992", "9007199254740993",
                                         "1e308 * 10", "1e308 * 10 - 1e308 * 10"};
    /* Each comparison alone, in `or` and in `and` (JT and JF after PATHK), and, as the
     * reference, the same comparison in a shape that is not fused: `(...) == true`. */
    static const char *const shapes[][2] = {
        {"%s %s %s", "(%s %s %s) == true"},
        {"%s %s %s or x == 2", "(%s %s %s) == true or x == 2"},
        {"x == 1 and %s %s %s", "x == 1 and (%s %s %s) == true"},
        {"not (%s %s %s) or x == 2", "not ((%s %s %s) == true) or x == 2"},
    };
    char where[128], other[128];
    for (size_t s = 0; s < 4; s++)
        for (size_t f = 0; f < sizeof fields / sizeof *fields; f++)
            for (size_t o = 0; o < 6; o++)
                for (size_t c = 0; c < sizeof consts / sizeof *consts; c++) {
                    snprintf(where, sizeof where, shapes[s][0], fields[f], ops[o], consts[c]);
                    snprintf(other, sizeof other, shapes[s][1], fields[f], ops[o], consts[c]);
                    cr_assert_eq(alone(where), alone(other), "'%s' and '%s' differ", where, other);
                }
    cr_assert_eq(alone("d.i > 2 and d.f < 3"), 1);
    cr_assert_eq(alone("d.i > 3 or d.s == 'r'"), 1);
    cr_assert_eq(alone("d.i > 3 or d.s != 'r'"), 0);
    /* 2^53 + 1 is no double: compared exactly, it is beyond 2^53; -0.0 equals 0; NaN is only unequal. */
    cr_assert_eq(alone("d.big > 9007199254740992 and d.nbig < -9007199254740992 and d.e53 == 9007199254740992"), 1);
    cr_assert_eq(alone("d.nz == 0 and d.nz >= 0.0 and d.inf > 1e308 and d.t == 1"), 1);
    cr_assert_eq(alone("d.f != 1e308 * 10 - 1e308 * 10 and not (d.f >= 1e308 * 10 - 1e308 * 10)"), 1);
}

/* The number N with `count(list, (pred) == true) == N`, counted by the dispatch loop; -1 if none. */
static int count_of(const char *list, const char *pred)
{
    char where[160];
    for (int k = 0; k <= 40; k++) {
        snprintf(where, sizeof where, "count(%s, (%s) == true) == %d", list, pred, k);
        if (alone(where))
            return k;
    }
    return -1;
}

/* Element values as doubles in one column per list and path, shared by the
 * quantifiers comparing them with numbers: each answer is the dispatch loop's,
 * alone and in a set, on two alerts whose lists sit at the same nodes. */
Test(shared, number_columns_as_the_dispatch_loop_runs_them)
{
    static const char *const alerts[2][2] = {
        {"{'a': [{'x': 1}, {'x': 2.5}, {'x': True}, {'x': -0.0}], 'big': [{'x': 2}, {'x': 9007199254740993}],",
         "'edge': [{'x': 9007199254740992}, {'x': -9007199254740992}, {'x': 3}], 'n': [{'x': 3}, {'x': None}],"},
        {"{'a': [{'x': 3}, {'x': 0.5}, {'x': False}, {'x': 2.0}], 'big': [{'x': 3}, {'x': -9007199254740993}],",
         "'edge': [{'x': 2.5}, {'x': 9007199254740992.0}, {'x': 1}], 'n': [{'x': 'r'}, {'x': 3.5}],"},
    };
    /* z and zz are no lists: a number and a missing field. */
    static const char *const lists[] = {"a", "big", "edge", "n", "t", "l31", "l32", "l33", "z", "zz"};
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    static const char *const consts[] = {"2", "2.5", "3", "true", "-0.0", "9007199254740992", "9007199254740993",
                                         "1e300"};
    static const char *const quants[] = {"any(%s, %s)", "all(%s, %s)"};
    static char where[2][1500][96];
    static int want[1500];
    for (int a = 0; a < 2; a++) {
        /* A tuple, and lists of 31, 32 and 33 numbers: a column holds 32. */
        char alert[4096];
        size_t len = (size_t)snprintf(alert, sizeof alert, "%s %s 't': ({'x': %d}, {'x': 2.5}),", alerts[a][0],
                                      alerts[a][1], a ? 1 : 3);
        for (int l = 31; l <= 33; l++) {
            len += (size_t)snprintf(alert + len, sizeof alert - len, " 'l%d': [", l);
            for (int k = 0; k < l; k++)
                len += (size_t)snprintf(alert + len, sizeof alert - len, "%s{'x': %s}", k ? ", " : "",
                                        (k + a) % 3 == 0 ? "2" : (k + a) % 3 == 1 ? "2.5" : "3.0");
            len += (size_t)snprintf(alert + len, sizeof alert - len, "],");
        }
        snprintf(alert + len, sizeof alert - len, " 'z': 0}");
        parse(alert);
        size_t n = 0;
        for (size_t l = 0; l < sizeof lists / sizeof *lists; l++)
            for (size_t o = 0; o < 6; o++)
                for (size_t c = 0; c < sizeof consts / sizeof *consts; c++) {
                    char pred[48], other[64];
                    snprintf(pred, sizeof pred, "@.x %s %s", ops[o], consts[c]);
                    snprintf(other, sizeof other, "(%s) == true", pred);
                    for (size_t q = 0; q < 2; q++) {
                        char ref[160];
                        snprintf(where[a][n], sizeof where[a][n], quants[q], lists[l], pred);
                        snprintf(ref, sizeof ref, quants[q], lists[l], other);
                        cr_assert_eq(alone(where[a][n]), alone(ref), "'%s' and '%s' differ", where[a][n], ref);
                        n++;
                    }
                    int count = count_of(lists[l], pred);
                    if (count < 0) /* no list: count is null */
                        snprintf(where[a][n], sizeof where[a][n], "count(%s, %s) == null", lists[l], pred);
                    else
                        snprintf(where[a][n], sizeof where[a][n], "count(%s, %s) == %d", lists[l], pred, count);
                    cr_assert_eq(alone(where[a][n]), 1, "'%s'", where[a][n]);
                    n++;
                }
        /* The set holds the first alert's rules; alone, each gets a set of its own. */
        if (a == 0)
            for (size_t k = 0; k < n; k++)
                add(where[0][k]);
        unsigned char match[1500];
        size_t hits = 0;
        for (size_t k = 0; k < n; k++)
            hits += (size_t)(want[k] = alone(where[0][k]));
        cr_assert_eq(rule_set_eval(rs, &doc, match), hits);
        for (size_t k = 0; k < n; k++)
            cr_assert_eq(match[k], want[k], "'%s' in the set, alert %d", where[0][k], a);
    }
    /* Spot checks: 2^53 + 1 is no double, so 'big' is compared exactly; 'n' has a null. */
    parse("{'big': [{'x': 9007199254740993}], 'n': [{'x': None}, {'x': 3}]}");
    cr_assert_eq(alone("any(big, @.x > 9007199254740992)"), 1);
    cr_assert_eq(alone("any(big, @.x == 9007199254740992)"), 0);
    cr_assert_eq(alone("count(n, @.x != 2) == 1"), 1);
}

/* Keys are compared by words from both ends: keys of every length up to 33,
 * beside keys of the same length that differ in their first, middle or last
 * byte, are found in a dict and in a list's elements, and the near misses are not. */
Test(shared, keys_compared_by_words_at_every_length)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
    static const int lens[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33};
    char dict[8192], rule[160];
    size_t n = 0;
    for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
        int len = lens[l];
        int at[3] = {0, len / 2, len - 1};
        /* The key first: a near miss taken for it would win, as the last of duplicate keys does. */
        n += (size_t)snprintf(dict + n, sizeof dict - n, "'%.*s': %d, ", len, letters, 100 + len);
        for (int m = 0; m < 3; m++) {
            char miss[40];
            memcpy(miss, letters, (size_t)len);
            miss[at[m]] = '_';
            n += (size_t)snprintf(dict + n, sizeof dict - n, "'%.*s': %d, ", len, miss, m);
        }
    }
    dict[n - 2] = '\0';
    char alert[20000];
    snprintf(alert, sizeof alert, "{'d': {%s}, 'l': [{%s}]}", dict, dict);
    parse(alert);
    for (size_t l = 0; l < sizeof lens / sizeof *lens; l++) {
        int len = lens[l];
        snprintf(rule, sizeof rule, "d[\"%.*s\"] == %d", len, letters, 100 + len);
        add(rule);
        cr_assert_eq(alone(rule), 1, "'%s'", rule);
        snprintf(rule, sizeof rule, "any(l, @[\"%.*s\"] == %d)", len, letters, 100 + len);
        add(rule);
        cr_assert_eq(alone(rule), 1, "'%s'", rule);
        /* The same length, a byte no key has: absent. */
        snprintf(rule, sizeof rule, "d[\"%.*s-\"] == null and all(l, @[\"-%.*s\"] == null)", len - 1, letters, len - 1,
                 letters + 1);
        add(rule);
        cr_assert_eq(alone(rule), 1, "'%s'", rule);
    }
    expect_all_match();
}

/* A computed value compared with a constant (CONST and the jump after it, fused
 * in the set's code) answers as the same comparison used as a number does,
 * alone and in and/or/not, and in a set of all of them. */
Test(shared, constant_comparisons_of_computed_values_as_unfused_ones)
{
    parse("{'d': {'i': -3, 'f': 2.5, 's': 'r', 'n': None}, 'l': [1, 2, 3], 'x': 1}");
    static const char *const values[] = {"abs(d.i)", "abs(d.f)", "len(d.s)", "len(l)", "count(l, @ > 1)",
                                         "d.i + 0", "d.s + 1", "min(d.f, 3)", "abs(d.n)"};
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    static const char *const consts[] = {"3", "2.5", "'r'", "null", "1", "2", "-3"};
    /* The reference: the comparison's answer as a number, compared with 1. */
    static const char *const shapes[][2] = {
        {"%s %s %s", "((%s %s %s) + 0) == 1"},
        {"%s %s %s or x == 2", "((%s %s %s) + 0) == 1 or x == 2"},
        {"x == 1 and %s %s %s", "x == 1 and ((%s %s %s) + 0) == 1"},
        {"not (%s %s %s) or x == 2", "not (((%s %s %s) + 0) == 1) or x == 2"},
    };
    char where[128], other[128];
    int matched = 0;
    for (size_t s = 0; s < 4; s++)
        for (size_t v = 0; v < sizeof values / sizeof *values; v++)
            for (size_t o = 0; o < 6; o++)
                for (size_t c = 0; c < sizeof consts / sizeof *consts; c++) {
                    snprintf(where, sizeof where, shapes[s][0], values[v], ops[o], consts[c]);
                    snprintf(other, sizeof other, shapes[s][1], values[v], ops[o], consts[c]);
                    int want = alone(other);
                    cr_assert_eq(alone(where), want, "'%s' and '%s' differ", where, other);
                    add(where);
                    matched += want;
                }
    unsigned char match[2048];
    cr_assert_eq(rule_set_eval(rs, &doc, match), (size_t)matched);
    cr_assert_eq(alone("abs(d.i) == 3 and len(l) >= 3 and count(l, @ > 1) != 1"), 1);
    cr_assert_eq(alone("abs(d.i) > 3 or len(d.s) < 1 or min(d.f, 3) == 2.5"), 1);
    cr_assert_eq(alone("abs(d.n) != 1 or d.s + 1 != null"), 0);
}

/* A cone() whose centre and radius are constants (one CONEK in the set's code,
 * or one PCONE of two fields, deciding the jump after it) answers as the same
 * cone with a computed radius does, for every kind of
 * value, on and off the edge (in declination alone, and at the poles), for the
 * shape after a field and after a computed value (where the `or` jumps), alone
 * and in a set of all of them. */
Test(shared, constant_cones_as_unfused_ones)
{
    parse("{'d': {'ra': 10.0, 'dec': 20.0, 'i': 15, 'n': None, 's': 'x', 't': True, 'over': 95.5, "
          "'big': 9007199254740993, 'z': 0}}");
    static const char *const ras[] = {"d.ra", "d.i", "d.n", "d.s", "d.t"};
    static const char *const decs[] = {"d.dec", "d.i", "d.over", "d.n", "d.s", "d.big", "25"};
    static const char *const centres[] = {"10, 25, 5",  "10, 20, 0",     "350, 20, 20",   "10.0, 20, -1",
                                          "15, 20, 5.0", "10, 95.5, 5", "0, 90, 70",     "190, -20, 180",
                                          "'a', 20, 5", "true, 20, 5", "10, 15.0, 5",   "9007199254740993, 20, 1e9"};
    /* The reference adds 0 at run time to the radius: that cone is no CONEK. */
    static const char *const shapes[] = {"cone(%s, %s, %s)", "cone(%s, abs(%s), %s)", "cone(%s, (%s) or 0, %s)",
                                         "d.z == 1 or not cone(%s, %s, %s)"};
    char where[160], other[160], centre[64];
    int matched = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (size_t r = 0; r < sizeof ras / sizeof *ras; r++)
            for (size_t d = 0; d < sizeof decs / sizeof *decs; d++)
                for (size_t c = 0; c < sizeof centres / sizeof *centres; c++) {
                    snprintf(where, sizeof where, shapes[s], ras[r], decs[d], centres[c]);
                    snprintf(centre, sizeof centre, "%s + d.z", centres[c]);
                    snprintf(other, sizeof other, shapes[s], ras[r], decs[d], centre);
                    int want = alone(other);
                    cr_assert_eq(alone(where), want, "'%s' and '%s' differ", where, other);
                    add(where);
                    matched += want;
                }
    add("cone(d.ra, d.dec, 10, 25, 5) and cone(d.ra, d.dec, 11, 20, 1.5) and not cone(d.ra, d.dec, 10, 25.5, 5)");
    unsigned char match[2048];
    cr_assert_eq(rule_set_eval(rs, &doc, match), (size_t)matched + 1);
    cr_assert_eq(match[rule_set_count(rs) - 1], 1);
    /* On the edge in declination, the separation decides; the same point is within radius 0. */
    cr_assert_eq(alone("cone(d.ra, d.dec, 10, 20, 0)"), 1);
    cr_assert_eq(alone("cone(d.ra, d.dec, 10, 25, 5)"), 1);
    cr_assert_eq(alone("cone(d.ra, d.dec, 10, 25.000001, 5)"), 0);
    cr_assert_eq(alone("cone(d.n, d.dec, 10, 20, 5) or cone(d.ra, d.s, 10, 20, 5)"), 0);
}

/* In a set, a rule that reads its program's predicates starts with ENTER and
 * the others run without it (constants are read from the set's pool), a jump to `RET 0` goes straight to
 * the next rule, and a match is written for the rule that holds the RET: each
 * rule of every shape, next to rules of every other shape, in every order, on
 * alerts where they match and where they do not, answers as it does alone. */
Test(shared, rules_of_every_shape_in_a_set_as_alone)
{
    static const char *const alerts[] = {
        "{'d': {'f': 2.5, 'i': -3, 's': 'r', 'ra': 10.0, 'dec': 20.0}, 'l': [{'x': 2, 's': 'g'}, {'x': 3}], 'n': [{'x': 2}, {'x': None}]}",
        "{'d': {'f': 1.5, 'i': 1, 's': 'g', 'ra': 50.0, 'dec': -20.0}, 'l': [{'x': 0}], 'n': [{'x': 'a'}]}",
        "{'d': None, 'l': 3}",
    };
    static const char *const rules[] = {
        "d.f > 2",                      /* no ENTER */
        "d.s == 'r'",                   /* a string constant: from the pool */
        "any(l, @.x > 1)",              /* a column: no ENTER */
        "any(n, @.x > 1)",              /* no column: the quantifier's own program */
        "count(l, @.x > 1) >= 2",       /* a column, then a constant */
        "cone(d.ra, d.dec, 10, 20, 1)", /* no ENTER */
        "abs(d.i) > 2",                 /* a computed value and a constant */
        "not (d.f > 2)",                /* the jump goes to RET 1 */
        "d.f > 2 or d.s == 'g'",
        "d.i in (1, -3)",
        "any(l, @.s == 'g')", /* a predicate run as written: ENTER */
        "d.zz == null",
        "false",
        "true",
    };
    enum { N = sizeof rules / sizeof *rules };
    for (size_t a = 0; a < sizeof alerts / sizeof *alerts; a++) {
        parse(alerts[a]);
        int want[N];
        for (size_t k = 0; k < N; k++)
            want[k] = alone(rules[k]);
        /* Each rotation of the list, each rule twice in a row. */
        for (size_t r = 0; r < N; r++) {
            rule_set *set = rule_set_new();
            rule_error errs[2];
            size_t n_errs, hits = 0;
            for (size_t k = 0; k < 2 * N; k++) {
                cr_assert_eq(rule_set_add(set, "t", rules[(r + k / 2) % N], errs, 2, &n_errs), 0);
                hits += (size_t)want[(r + k / 2) % N];
            }
            unsigned char match[2 * N];
            cr_assert_eq(rule_set_eval(set, &doc, match), hits);
            for (size_t k = 0; k < 2 * N; k++)
                cr_assert_eq(match[k], want[(r + k / 2) % N], "'%s' (rule %zu of rotation %zu), alert %zu",
                             rules[(r + k / 2) % N], k, r, a);
            rule_set_free(set);
        }
    }
}

/* set, of the n rules, answers on the parsed alert (text) as each rule alone. */
static void expect_set_as_alone(rule_set *set, const char *const *rules, size_t n, const char *text)
{
    unsigned char *match = malloc(n);
    cr_assert_not_null(match);
    size_t hits = 0;
    for (size_t k = 0; k < n; k++) {
        match[k] = (unsigned char)alone(rules[k]);
        hits += match[k];
    }
    unsigned char *got = malloc(n);
    cr_assert_not_null(got);
    cr_assert_eq(rule_set_eval(set, &doc, got), hits, "%s", text);
    for (size_t k = 0; k < n; k++)
        cr_assert_eq(got[k], match[k], "'%.60s' (rule %zu) on %s", rules[k], k, text);
    free(got);
    free(match);
}

/* A set of the n rules answers as each rule alone on every alert that format
 * makes of one of values, a number g (0, 1 or 2) and a string ("r" when g is 1). */
static void expect_rules_as_alone(const char *const *rules, size_t n, const char *format, const char *const *values,
                                  size_t n_values)
{
    rule_set *set = rule_set_new();
    rule_error errs[2];
    size_t n_errs;
    for (size_t k = 0; k < n; k++)
        cr_assert_eq(rule_set_add(set, "t", rules[k], errs, 2, &n_errs), 0, "'%s'", rules[k]);
    for (size_t a = 0; a < n_values; a++)
        for (int g = 0; g < 3; g++) {
            char text[200];
            snprintf(text, sizeof text, format, values[a], g, g == 1 ? "r" : "x");
            parse(text);
            expect_set_as_alone(set, rules, n, text);
        }
    rule_set_free(set);
}

/* A list of n ints in the rule language, "d.i in (1, 2, ..., n)": n constants. */
static char *in_list(size_t n)
{
    char *where = malloc(16 + n * 8);
    cr_assert_not_null(where);
    size_t len = (size_t)sprintf(where, "d.i in (");
    for (size_t k = 1; k <= n; k++)
        len += (size_t)sprintf(where + len, k < n ? "%zu, " : "%zu)", k);
    return where;
}

/* The set's code reads rules' constants from one pool while their indices fit
 * a 16-bit operand; the rule whose constants do not fit, and every rule after
 * it (even one small enough to fit what is left), read their own after an
 * ENTER: rules of every shape before, between and after two rules of many
 * constants (the first fills the pool nearly, the second does not fit) answer
 * as they do alone. */
Test(shared, rules_around_a_full_constant_pool_as_alone)
{
    static const char *const alerts[] = {
        "{'d': {'f': 2.5, 'i': -3, 's': 'r', 'ra': 10.0, 'dec': 20.0}, 'l': [{'x': 2, 's': 'g'}, {'x': 3}]}",
        "{'d': {'f': 1.5, 'i': 1000, 's': 'g', 'ra': 50.0, 'dec': -20.0}, 'l': [{'x': 0}], 'n': [{'x': 'a'}]}",
    };
    char *many = in_list(65500), *more = in_list(1000);
    const char *const shapes[] = {
        "d.s == 'r'", "count(l, @.x > 1) >= 2", "abs(d.i) > 2", "d.i in (1, -3)", "any(l, @.s == 'g')",
        "d.f > 2 or d.s == 'g'", "d.s == 'g'",
    };
    enum { SHAPES = sizeof shapes / sizeof *shapes, N = 3 * SHAPES + 2 };
    const char *rules[N];
    for (size_t k = 0; k < SHAPES; k++)
        rules[k] = rules[SHAPES + 1 + k] = rules[2 * SHAPES + 2 + k] = shapes[k];
    rules[SHAPES] = many;
    rules[2 * SHAPES + 1] = more;
    rule_set *set = rule_set_new();
    rule_error errs[2];
    size_t n_errs;
    for (size_t k = 0; k < N; k++)
        cr_assert_eq(rule_set_add(set, "t", rules[k], errs, 2, &n_errs), 0);
    for (size_t a = 0; a < sizeof alerts / sizeof *alerts; a++) {
        parse(alerts[a]);
        expect_set_as_alone(set, rules, N, alerts[a]);
    }
    rule_set_free(set);
    free(many);
    free(more);
}

/* Rules opening with a comparison of one field, or of its abs(), with a
 * number, and unmatched when it fails, run as a group (PGROUP) that tests them
 * in order of their numbers and runs only those that pass: for each comparison,
 * rules of many numbers (equal ones, -0.0 and 0.0, ints, ints past 2^53 that
 * doubles hold), alone, followed by more tests (some reading constants, from
 * the set's pool), or opening with an `or` (no members), in a scrambled order,
 * on values below, at and above every number, of every type, answer as they
 * do alone. */
Test(shared, groups_of_rules_opening_alike_as_alone)
{
    static const char *const values[] = {"-1e300", "-5", "-0.5", "-0.0", "0", "0.0", "0.5", "1", "1.0", "2.5",
                                         "3", "9007199254740992", "9007199254740993", "9007199254740994.0",
                                         "-9007199254740993", "-9223372036854775808", "1e300", "None", "'3'",
                                         "True", "[1]", "{}"};
    static const char *const numbers[] = {"2.5", "-0.5", "0", "-0.0", "3", "2.5", "1", "9007199254740992",
                                          "9007199254740994", "-5", "0.5"};
    static const char *const ops[] = {"<", "<=", ">", ">="};
    static const char *const fields[] = {"d.f", "abs(d.f)"};
    static const char *const tails[] = {"", " and d.g > 1", " and d.s == 'r'", " or d.g > 1"};
    enum { NUMBERS = sizeof numbers / sizeof *numbers, OPS = sizeof ops / sizeof *ops };
    enum { N = 2 * OPS * NUMBERS + 3 };
    static char texts[N][96];
    const char *rules[N];
    size_t n = 0;
    /* Each comparison's rules interleaved with the others' (k steps through the numbers by 7). */
    for (size_t j = 0; j < NUMBERS; j++)
        for (size_t o = 0; o < 2 * OPS; o++) {
            size_t k = (j * 7 + o) % NUMBERS;
            snprintf(texts[n], sizeof texts[n], "%s %s %s%s", fields[o % 2], ops[o / 2], numbers[k],
                     tails[(j + o) % 4]);
            rules[n] = texts[n];
            n++;
        }
    rules[n++] = "d.g > 1";
    rules[n++] = "d.f > 1 and d.s == 'r'";
    rules[n++] = "d.zz > 1";
    cr_assert_eq(n, (size_t)N);
    expect_rules_as_alone(rules, N, "{'d': {'f': %s, 'g': %d, 's': '%s'}}", values, sizeof values / sizeof *values);
}

/* Rules opening with any(), all() or count() (compared with an int) of one
 * list comparing @.path with a number by one of ops[0..n_ops), two of y's too
 * (unless y_ops is NULL), in a scrambled order, alone or followed by more tests, on lists of numbers below,
 * at and above them, lists with a null or a string (no column: each test by
 * its rule's program), empty lists, no list, answer as they do alone. */
static void expect_quantifier_groups_as_alone(const char *const *ops, size_t n_ops, const char *y_ops)
{
    static const char *const lists[] = {"[]", "[{'x': 1}]", "[{'x': 2.5}, {'x': 0}]", "[{'x': 3}, {'x': 3.0}]",
                                        "[{'x': -0.5}, {'x': 9007199254740993}]", "[{'x': 1}, {'x': None}]",
                                        "[{'x': 4}, {'x': '4'}]", "[{'x': 2}, {}]", "None", "{'x': 1}", "[1, 2]",
                                        "[{'x': 0, 'y': 3}, {'x': 1, 'y': 1}]"};
    static const char *const numbers[] = {"2.5", "-0.5", "0", "3", "2.5", "1", "9007199254740992", "-5", "0.5"};
    /* count() compared with an int each way, and by == (no group). */
    static const char *const quants[] = {"any(l, @.x %s %s)",         "all(l, @.x %s %s)",
                                         "count(l, @.x %s %s) >= 1",  "count(l, @.x %s %s) >= 2",
                                         "count(l, @.x %s %s) < 2",   "count(l, @.x %s %s) > 0",
                                         "count(l, @.x %s %s) <= 1",  "count(l, @.x %s %s) == 1"};
    static const char *const tails[] = {"", " and d.g > 1", " and d.s == 'r'"};
    enum { NUMBERS = sizeof numbers / sizeof *numbers, QUANTS = sizeof quants / sizeof *quants };
    enum { MAX = QUANTS * 4 * NUMBERS + 3 };
    static char texts[MAX][96];
    const char *rules[MAX];
    size_t n = 0;
    for (size_t j = 0; j < NUMBERS; j++)
        for (size_t o = 0; o < QUANTS * n_ops; o++) {
            int len = snprintf(texts[n], sizeof texts[n], quants[o % QUANTS], ops[o / QUANTS],
                               numbers[(j * 5 + o) % NUMBERS]);
            snprintf(texts[n] + len, sizeof texts[n] - (size_t)len, "%s", tails[(j + o) % 3]);
            rules[n] = texts[n];
            n++;
        }
    rules[n++] = "any(l, @.x > 1) and d.g > 1";
    for (size_t k = 0; y_ops && k < 2; k++) { /* another path over the same list: another group */
        snprintf(texts[n], sizeof texts[n], "any(l, @.y %s %s)", y_ops, k ? "2" : "0.5");
        rules[n] = texts[n];
        n++;
    }
    expect_rules_as_alone(rules, n, "{'l': %s, 'd': {'g': %d, 's': '%s'}}", lists, sizeof lists / sizeof *lists);
}

/* Groups of any(), all() and count() (PQGROUP) as the rules alone: every
 * comparison; >= only, so that the quantifiers of one path sort side by side,
 * and so do two paths' any(). */
Test(shared, groups_of_quantifiers_opening_alike_as_alone)
{
    static const char *const ops[] = {"<", "<=", ">", ">="}, *const ge[] = {">="};
    expect_quantifier_groups_as_alone(ops, 4, ">=");
    expect_quantifier_groups_as_alone(ge, 1, NULL);
    expect_quantifier_groups_as_alone(ge, 1, ">=");
}

/* The set is laid out once, when it is prepared (by rule_set_prepare, or by the
 * first evaluation): a rule added after an evaluation, a failed add and a group
 * that grows after one are all seen by the next evaluation. */
Test(shared, rules_added_after_an_evaluation_are_laid_out_again)
{
    unsigned char match[8];
    parse("{'a': {'x': 5, 'y': 'u'}}");
    add("a.x > 4");
    cr_assert_eq(rule_set_prepare(rs), 0);
    cr_assert_eq(rule_set_prepare(rs), 0); /* prepared already: nothing to do */
    cr_assert_eq(rule_set_eval(rs, &doc, match), 1);
    add("a.x > 6"); /* opens alike: the two now run as a group */
    add("a.y == 'u'");
    cr_assert_eq(rule_set_eval(rs, &doc, match), 2);
    cr_assert(match[0] == 1 && match[1] == 0 && match[2] == 1);
    rule_error errs[2];
    size_t n;
    cr_assert_eq(rule_set_add(rs, "bad", "a.x >", errs, 2, &n), -1);
    add("a.x > 3");
    cr_assert_eq(rule_set_eval(rs, &doc, match), 3);
    cr_assert(match[0] == 1 && match[1] == 0 && match[2] == 1 && match[3] == 1);
    cr_assert_eq(rule_set_count(rs), 4);
}
