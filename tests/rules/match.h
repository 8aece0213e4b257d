/* tests/rules/match.h — whether a rule matches one alert, and a rule's
 * disassembly, through the public API: the tests' common steps.
 * Included (a static function), so the Makefile does not build it alone. */
#ifndef TESTS_RULES_MATCH_H
#define TESTS_RULES_MATCH_H

#include <criterion/criterion.h>
#include <stdio.h>
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

/* The disassembly of where, compiled alone as rule "r" (it must compile); the caller frees it. */
static inline char *rule_disasm_of(const char *where)
{
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "r", where, errs, 4, &n), 0, "does not compile: %s", n ? errs[0].msg : "?");
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rule_set_disasm(rs, 0, out);
    fclose(out);
    rule_set_free(rs);
    return text;
}

#endif
