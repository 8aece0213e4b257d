/* tests/rules/test_sky.c — the rule language's sky functions: galactic_l and
 * galactic_b (values, nulls, folding, disassembly). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static const char ALERT[] = "{'diaSource': {'ra': 351.570546978, 'decl': 0.126243049656, 'name': 'x'}, "
                            "'pole': {'ra': 0, 'decl': 90}, 'bad': {'decl': 90.5}, 'nothing': None}";

/* Whether `where` matches ALERT (the rule must compile). */
static int match(const char *where)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, ALERT, strlen(ALERT), ALERT_FORMAT_AUTO, &aerr), 0, "alert: %s", aerr.msg);
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "t", where, errs, 4, &n), 0, "'%s' does not compile: %s", where, n ? errs[0].msg : "?");
    unsigned char m = 2;
    rule_set_eval(rs, &doc, &m);
    rule_set_free(rs);
    alert_doc_free(&doc);
    return m;
}

#define YES(rule) cr_expect_eq(match(rule), 1, "expected a match: %s", rule)
#define NO(rule) cr_expect_eq(match(rule), 0, "expected no match: %s", rule)

/* astropy 8.0.2: SkyCoord(351.570546978, 0.126243049656, unit='deg').galactic is
 * l 82.54662538909058, b -55.91936871183501. */
Test(sky, galactic_of_fields_as_astropy)
{
    YES("abs(galactic_l(diaSource.ra, diaSource.decl) - 82.54662538909058) < 1e-9");
    YES("abs(galactic_b(diaSource.ra, diaSource.decl) - -55.91936871183501) < 1e-9");
    YES("abs(galactic_b(diaSource.ra, diaSource.decl)) >= 7");
    NO("abs(galactic_b(diaSource.ra, diaSource.decl)) < 10");
    YES("abs(galactic_l(pole.ra, pole.decl) - 122.93192525541662) < 1e-9");
    YES("abs(galactic_b(pole.ra, pole.decl) - 27.128252414968) < 1e-9");
}

Test(sky, galactic_is_null_unless_two_numbers_and_a_declination)
{
    YES("galactic_b(missing, 0) == null");
    YES("galactic_l(0, nothing) == null");
    YES("galactic_b(diaSource.name, 0) == null");
    YES("galactic_b(0, bad.decl) == null");
    YES("galactic_l(0, -90.0001) == null");
    YES("galactic_b(0, 1 / 0) == null");
    YES("galactic_b(0, -90) != null and abs(galactic_l(360, 0) - galactic_l(0, 0)) < 1e-12");
    NO("galactic_b(missing, 0) < 100");
}

Test(sky, galactic_arity_is_checked)
{
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "t", "galactic_b(ra) > 7", errs, 4, &n), -1);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(errs[0].msg, "'galactic_b' takes 2 arguments, got 1");
    rule_set_free(rs);
}

static char *disasm(const char *rule)
{
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n;
    cr_assert_eq(rule_set_add(rs, "r", rule, errs, 4, &n), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rule_set_disasm(rs, 0, out);
    fclose(out);
    rule_set_free(rs);
    return text;
}

Test(sky, galactic_disassembles_and_folds)
{
    char *got = disasm("abs(galactic_b(ra, dec)) > 7 and galactic_l(ra, dec) < 90");
    cr_expect_str_eq(got,
                     "rule r: abs(galactic_b(ra, dec)) > 7 and galactic_l(ra, dec) < 90\n"
                     "main:\n"
                     "   0  PATH       0  ; ra\n"
                     "   1  PATH       1  ; dec\n"
                     "   2  GALB\n"
                     "   3  ABS\n"
                     "   4  CONST      0  ; 7\n"
                     "   5  JF_GT      12\n"
                     "   6  PATH       0  ; ra\n"
                     "   7  PATH       1  ; dec\n"
                     "   8  GALL\n"
                     "   9  CONST      1  ; 90\n"
                     "  10  JF_LT      12\n"
                     "  11  RET        1  ; match\n"
                     "  12  RET        0  ; no match\n",
                     "got:\n%s", got);
    free(got);
    /* Constant arguments fold: the north celestial pole is at b 27.128... */
    got = disasm("galactic_b(0, 90) > 27.1282524");
    cr_expect_str_eq(got, "rule r: galactic_b(0, 90) > 27.1282524\nmain:\n   0  RET        1  ; match\n", "got:\n%s", got);
    free(got);
}
