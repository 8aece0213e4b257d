/* tests/rules/match.h — whether a rule matches one alert, through the public
 * API (parse the alert, compile the rule, evaluate): the tests' common step.
 * Included (a static function), so the Makefile does not build it alone. */
#ifndef TESTS_RULES_MATCH_H
#define TESTS_RULES_MATCH_H

#include <criterion/criterion.h>
#include <string.h>

#include "rules/rules.h"

/* 1 when where matches alert, 0 when not; the alert must parse and the rule compile. */
static inline int rule_matches_on(const char *alert, const char *where)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, alert, strlen(alert), ALERT_FORMAT_AUTO, &aerr), 0, "alert: %s", aerr.msg);
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "t", where, errs, 4, &n), 0, "does not compile: %s", n ? errs[0].msg : "?");
    unsigned char m = 2;
    rule_set_eval(rs, &doc, &m);
    rule_set_free(rs);
    alert_doc_free(&doc);
    return m;
}

#endif
