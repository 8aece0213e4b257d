/* tests/rules/test_lang.c — the rule language's semantics, rule by rule against
 * one alert: every operator, builtin, null case, number edge and string escape. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "rules/rules.h"

/* Shaped like the sample alert, plus fields for the edge cases. */
static const char ALERT[] =
    "{'alertId': 1231321321, 'diaSource': {'diaSourceId': 281323062375219199, 'ra': 351.570546978, "
    "'decl': 0.126243049656, 'filterName': 'r', 'snr': 41.1, 'psFlux': 1241.0, 'flags': 0, 'x': -7}, "
    "'prv_diaSources': [{'diaSourceId': 1, 'snr': 3.5, 'filterName': 'g'}, {'diaSourceId': 2, 'snr': 50.0, "
    "'filterName': 'r'}, {'diaSourceId': 3, 'snr': None, 'filterName': 'i'}], "
    "'nums': (1, 2, 3), 'nested': [[1, 2], [5, 6], []], 'empty': [], 'emptyDict': {}, 'emptyStr': '', "
    "'nothing': None, 'yes': True, 'no': False, 'big': 123456789012345678901234567890, "
    "'maxint': 9223372036854775807, 'minint': -9223372036854775808, "
    "'esc': 'tab\\there \\'q\\' \\u00e9', 'esc2': 'tab\\there \\'q\\' \\xe9', 'utf': 'h\xc3\xa9llo', "
    "'blob': b'\\x00\\x01ab', 'emptyBlob': b'', 'zero': 0.0}";

/* Returns whether `where` matches ALERT (the rule must compile). */
static int match_on(const char *alert, const char *where)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, alert, strlen(alert), ALERT_FORMAT_AUTO, &aerr), 0, "alert: %s", aerr.msg);
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    int rc = rule_set_add(rs, "t", where, errs, 4, &n);
    cr_assert_eq(rc, 0, "'%s' does not compile: %s", where, n ? errs[0].msg : "?");
    unsigned char m = 2;
    size_t hits = rule_set_eval(rs, &doc, &m);
    cr_assert_eq(hits, m);
    rule_set_free(rs);
    alert_doc_free(&doc);
    return m;
}

static int match(const char *where) { return match_on(ALERT, where); }

#define YES(rule) cr_expect_eq(match(rule), 1, "expected a match: %s", rule)
#define NO(rule) cr_expect_eq(match(rule), 0, "expected no match: %s", rule)

Test(lang, comparisons_on_ints_floats_strings)
{
    YES("diaSource.snr > 41");
    NO("diaSource.snr > 41.1");
    YES("diaSource.snr >= 41.1");
    YES("diaSource.snr < 42");
    YES("diaSource.snr <= 41.1");
    NO("diaSource.snr < 41.1");
    YES("diaSource.snr == 41.1");
    YES("diaSource.snr != 41");
    YES("alertId == 1231321321");
    YES("alertId == 1231321321.0");
    NO("alertId != 1231321321.0");
    YES("diaSource.filterName == 'r'");
    YES("diaSource.filterName < 's'");
    YES("diaSource.filterName >= 'r'");
    NO("diaSource.filterName > 'r'");
    YES("'abc' < 'abd' and 'ab' < 'abc' and 'b' > 'abc'");
    YES("diaSource.filterName != 5");
    NO("diaSource.filterName == 5");
    NO("diaSource.filterName < 5");
    NO("diaSource.filterName >= 5");
}

Test(lang, int_edges_are_exact)
{
    YES("diaSource.diaSourceId == 281323062375219199");
    NO("diaSource.diaSourceId == 281323062375219200");
    YES("diaSource.diaSourceId != 281323062375219200");
    YES("diaSource.diaSourceId < 281323062375219200");
    YES("diaSource.diaSourceId > 281323062375219198");
    /* 281323062375219199.0 is the double 281323062375219200: compared by value, not equal. */
    NO("diaSource.diaSourceId == 281323062375219199.0");
    YES("diaSource.diaSourceId < 281323062375219199.0");
    YES("maxint == 9223372036854775807");
    YES("maxint < 9223372036854775808.0");
    YES("minint == -9223372036854775807 - 1");
    YES("maxint + 1 == 9223372036854775808.0");
    /* beyond 64 bits the result is the nearest double */
    YES("minint - 1 == -9223372036854775808.0");
    YES("maxint * 2 > maxint");
    YES("-minint == 9223372036854775808.0");
    YES("big > maxint and big > 1.2e29 and big < 1.3e29");
    YES("9223372036854775808 == 9223372036854775808.0");
}

Test(lang, logic_and_aliases)
{
    YES("true and true");
    NO("true and false");
    YES("false or true");
    NO("false or false");
    YES("not false");
    NO("not true");
    YES("True && !False");
    YES("False || None == None");
    YES("not diaSource.snr < 5");
    YES("not 1 == 2");
    YES("true or 1 / 0 > 0");
    NO("false and nothing == null");
    YES("(diaSource.snr > 5 or nothing > 1) and not (diaSource.ra < 350)");
    YES("not not yes");
    YES("(yes and 1) == true");
    YES("(no or 0) == false");
}

Test(lang, truthiness)
{
    NO("nothing");
    NO("diaSource.flags");
    NO("zero");
    NO("emptyStr");
    NO("empty");
    NO("emptyDict");
    NO("emptyBlob");
    NO("no");
    YES("yes");
    YES("diaSource.x");
    YES("diaSource.filterName");
    YES("prv_diaSources");
    YES("diaSource");
    YES("blob");
    YES("1e999 - 1e999");
    YES("diaSource.snr * 1e999 - 1e999 != diaSource.snr * 1e999 - 1e999");
    YES("not missing");
}

Test(lang, arithmetic)
{
    YES("1 + 2 * 3 == 7");
    YES("(1 + 2) * 3 == 9");
    YES("2 - 3 - 4 == -5");
    YES("7 / 2 == 3.5");
    YES("6 / 3 == 2");
    YES("7 % 3 == 1");
    YES("-7 % 3 == 2");
    YES("7 % -3 == -2");
    YES("-7.5 % 2 == 0.5");
    YES("7.5 % -2 == -0.5");
    YES("minint % -1 == 0");
    YES("-diaSource.x == 7");
    YES("- -3 == 3");
    YES("-2 * 3 == -6");
    YES("diaSource.psFlux * 2 == 2482");
    YES("diaSource.snr - 0.1 > 40.99");
    YES("yes + yes == 2");
    YES("1 / 0 == null");
    YES("1 % 0 == null");
    YES("1.5 / 0.0 == null");
    YES("diaSource.snr / diaSource.flags == null");
    YES("diaSource.snr % zero == null");
    YES("'a' + 1 == null");
    YES("-'a' == null");
    YES("nothing + 1 == null");
    YES("missing * 2 == null");
    YES("-missing == null");
}

Test(lang, null_semantics)
{
    NO("missing > 0");
    NO("missing < 0");
    NO("missing == 0");
    NO("missing != 0");
    NO("nothing >= 0");
    YES("missing == null");
    YES("null == missing");
    NO("missing != null");
    YES("diaSource.ra != null");
    NO("diaSource.ra == null");
    YES("nothing == None");
    YES("diaSource.missing.deeper == null");
    YES("diaSource.ra.x == null");
    YES("prv_diaSources[7].snr == null");
    YES("prv_diaSources.snr == null");
    YES("diaSource[0] == null");
    YES("prv_diaSources[2].snr == null");
    NO("missing == nothing");
    NO("missing in (1, 2)");
    NO("missing not in (1, 2)");
    NO("nothing in (null)");
    YES("null == null");
    NO("null != null");
}

Test(lang, in_lists)
{
    YES("diaSource.filterName in ('g', 'r')");
    NO("diaSource.filterName in ('g', 'i')");
    YES("diaSource.filterName not in ('g', 'i')");
    NO("diaSource.filterName not in ('r')");
    YES("diaSource.flags in [0, 1]");
    YES("alertId in (1, 1231321321.0)");
    YES("diaSource.snr in (41.1)");
    NO("diaSource.diaSourceId in (281323062375219200, 281323062375219198)");
    YES("diaSource.diaSourceId not in (281323062375219200, 281323062375219198)");
    YES("3 in (1, 2, 1 + 2)");
    YES("diaSource.filterName in ('g', diaSource.filterName)");
}

Test(lang, paths)
{
    YES("prv_diaSources[1].snr == 50");
    YES("prv_diaSources[0].filterName == 'g'");
    YES("nums[2] == 3");
    YES("nested[1][0] == 5");
    YES("diaSource[\"filterName\"] == 'r'");
    YES("prv_diaSources[1]['diaSourceId'] == 2");
}

Test(lang, string_escapes)
{
    YES("'a\\'b' == \"a'b\"");
    YES("\"a\\\"b\" == 'a\"b'");
    YES("'\\x41\\u0042\\U00000043' == 'ABC'");
    YES("'\\u00e9' == '\xc3\xa9'");
    YES("'\\U0001F600' == '\xf0\x9f\x98\x80'");
    YES("len('\\n\\r\\t\\\\\\0') == 5");
    YES("esc == 'tab\\there \\'q\\' \xc3\xa9'");
    YES("esc == esc2");
    YES("len(esc) == 14");
    YES("utf == 'h\\u00e9llo'");
}

Test(lang, builtins_exists_len)
{
    YES("exists(diaSource.ra)");
    NO("exists(missing)");
    NO("exists(nothing)");
    YES("exists(no)");
    YES("exists(prv_diaSources[2])");
    NO("exists(prv_diaSources[2].snr)");
    YES("len(prv_diaSources) == 3");
    YES("len(nums) == 3");
    YES("len(diaSource) == 8");
    YES("len(empty) == 0");
    YES("len(utf) == 5");
    YES("len(blob) == 4");
    YES("len('') == 0");
    YES("len(5) == null");
    YES("len(missing) == null");
}

Test(lang, builtins_math)
{
    YES("abs(-3) == 3");
    YES("abs(diaSource.x) == 7");
    YES("abs(-2.5) == 2.5");
    YES("abs(minint) == 9223372036854775808.0");
    YES("abs('x') == null");
    YES("sqrt(16) == 4");
    YES("sqrt(2) > 1.4142135 and sqrt(2) < 1.4142136");
    YES("sqrt(-1) == null");
    YES("sqrt(missing) == null");
    YES("log10(1000) == 3");
    YES("log10(0) == null");
    YES("log10(-5) == null");
    YES("min(1, 2.5) == 1");
    YES("min(3, -2) == -2");
    YES("max(1, 2.5) == 2.5");
    YES("max(diaSource.snr, 100) == 100");
    YES("min(missing, 1) == null");
    YES("max('a', 1) == null");
}

Test(lang, builtins_startswith)
{
    YES("startswith(diaSource.filterName, 'r')");
    YES("startswith(utf, 'h\\u00e9')");
    YES("startswith(utf, '')");
    NO("startswith(utf, 'hello')");
    NO("startswith('ab', 'abc')");
    NO("startswith(missing, 'a')");
    NO("startswith(5, '5')");
}

Test(lang, builtins_sky)
{
    YES("angsep(0, 0, 90, 0) == 90");
    YES("angsep(10, 20, 10, 20) == 0");
    YES("angsep(0, 0, 180, 0) == 180");
    YES("angsep(0, 90, 0, -90) == 180");
    YES("angsep(359.5, 0, 0.5, 0) > 0.9999999999 and angsep(359.5, 0, 0.5, 0) < 1.0000000001");
    /* exact near 0 and 180 degrees */
    YES("abs(angsep(0, 0, 0, 1e-9) - 1e-9) < 1e-22");
    YES("abs(angsep(0, 0, 180 - 1e-9, 0) - (180 - 1e-9)) < 1e-12");
    YES("abs(angsep(20, 30, 200, -30 + 1e-9) - (180 - 1e-9)) < 1e-11");
    YES("angsep(missing, 0, 0, 0) == null");
    YES("cone(diaSource.ra, diaSource.decl, 351.57, 0.126, 0.001)");
    NO("cone(diaSource.ra, diaSource.decl, 351.57, 0.126, 0.0001)");
    NO("cone(missing, 0, 0, 0, 180)");
}

Test(lang, quantifiers)
{
    YES("any(prv_diaSources, @.snr > 40)");
    NO("any(prv_diaSources, @.snr > 60)");
    NO("all(prv_diaSources, @.snr > 1)");
    YES("all(prv_diaSources, exists(@.filterName))");
    YES("count(prv_diaSources, @.snr > 1) == 2");
    YES("count(prv_diaSources, @.filterName in ('g', 'r')) == 2");
    YES("any(nums, @ == 3)");
    YES("count(nums, @ % 2 == 1) == 2");
    YES("any(nested, any(@, @ > 5))");
    YES("count(nested, all(@, @ > 1)) == 2");
    YES("any(prv_diaSources, @.snr > diaSource.snr)");
    NO("any(empty, true)");
    YES("all(empty, false)");
    YES("count(empty, true) == 0");
    NO("any(missing, true)");
    NO("all(missing, true)");
    YES("count(missing, true) == null");
    NO("any(diaSource, true)");
    YES("any(prv_diaSources, @['filterName'] == 'i')");
}

Test(lang, rule_set_evaluates_every_rule)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, ALERT, strlen(ALERT), ALERT_FORMAT_PYTHON, &aerr), 0);
    rule_set *rs = rule_set_new();
    const char *rules[] = {"diaSource.snr > 5", "diaSource.ra > 352", "diaSource.ra > 350 and diaSource.snr > 5",
                           "missing"};
    rule_error errs[1];
    size_t n;
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(rule_set_add(rs, rules[i], rules[i], errs, 1, &n), 0);
    cr_assert_eq(rule_set_count(rs), 4);
    cr_assert_str_eq(rule_set_name(rs, 2), "diaSource.ra > 350 and diaSource.snr > 5");
    unsigned char m[4];
    for (int round = 0; round < 3; round++) {
        cr_assert_eq(rule_set_eval(rs, &doc, m), 2);
        cr_assert_eq(m[0], 1);
        cr_assert_eq(m[1], 0);
        cr_assert_eq(m[2], 1);
        cr_assert_eq(m[3], 0);
    }
    /* A new alert is read afresh: no cached path survives it. */
    const char other[] = "{'diaSource': {'snr': 1.0, 'ra': 353.0}}";
    cr_assert_eq(alert_parse(&doc, other, strlen(other), ALERT_FORMAT_PYTHON, &aerr), 0);
    cr_assert_eq(rule_set_eval(rs, &doc, m), 1);
    cr_assert_eq(m[0], 0);
    cr_assert_eq(m[1], 1);
    cr_assert_eq(m[2], 0);
    rule_set_free(rs);
    alert_doc_free(&doc);
}

Test(lang, json_alerts_too)
{
    const char json[] = "{\"diaSource\": {\"snr\": 6.5, \"id\": 281323062375219199, \"f\": \"a\\u00e9\\n\"}, \"ok\": true}";
    cr_expect_eq(match_on(json, "diaSource.snr > 5 and ok"), 1);
    cr_expect_eq(match_on(json, "diaSource.id == 281323062375219199"), 1);
    cr_expect_eq(match_on(json, "diaSource.f == 'a\\u00e9\\n'"), 1);
}

Test(lang, element_values_are_not_reused_across_alerts)
{
    /* Same shape, so the same node numbers: only the alert's epoch tells them apart. */
    const char first[] = "{'prv_diaSources': [{'snr': 50.0, 'f': 'r'}, {'snr': 1.0, 'f': 'g'}]}";
    const char second[] = "{'prv_diaSources': [{'snr': 2.0, 'f': 'g'}, {'snr': 3.0, 'f': 'g'}]}";
    const char *rules[] = {"any(prv_diaSources, @.snr > 40)", "count(prv_diaSources, @.snr > 40) == 1",
                           "all(prv_diaSources, @.f == 'g')", "count(prv_diaSources, @.snr < 5 and @.f == 'g')"};
    rule_set *rs = rule_set_new();
    rule_error errs[1];
    size_t n;
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(rule_set_add(rs, rules[i], rules[i], errs, 1, &n), 0);
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    unsigned char m[4];
    cr_assert_eq(alert_parse(&doc, first, strlen(first), ALERT_FORMAT_PYTHON, &aerr), 0);
    cr_assert_eq(rule_set_eval(rs, &doc, m), 3);
    cr_assert(m[0] && m[1] && !m[2] && m[3]);
    cr_assert_eq(alert_parse(&doc, second, strlen(second), ALERT_FORMAT_PYTHON, &aerr), 0);
    cr_assert_eq(rule_set_eval(rs, &doc, m), 2);
    cr_assert(!m[0] && !m[1] && m[2] && m[3]);
    rule_set_free(rs);
    alert_doc_free(&doc);
}
