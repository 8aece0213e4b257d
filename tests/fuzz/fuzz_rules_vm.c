/* tests/fuzz/fuzz_rules_vm.c — libFuzzer target: arbitrary alert bytes (after
 * an optional first line holding a rule) evaluated by a fixed rule set, whose
 * answers must be each rule's alone (its groups of rules opening alike included). */
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static const char *const RULES[] = {
    "diaSource.snr > 5 and diaSource.psFlux > 0.00003631",
    "diaSource.ra > 350 or diaSource.diaSourceId == 281323062375219199",
    "any(prv_diaSources, @.snr > 40 and @.filterName in ('g', 'r'))",
    "count(prv_diaSources, exists(@.ra)) >= 2 and all(a, @ != null)",
    "cone(diaSource.ra, diaSource.decl, 351.57, 0.126, 1.5)",
    "len(diaSource) > 3 and startswith(diaSource.filterName, 'r')",
    "abs(diaSource.x % 7) / sqrt(diaSource.y) > log10(max(diaSource.z, 1)) - min(a[0], -a[1])",
    "angsep(a[0], a[1], a[2], a[3]) < 90 or not diaSource",
    "any(a, any(@, @ == 'x' or @[0] > 1)) or count(b, true) == null",
    "-diaSource.snr * 2 + 1 in (0, -81.2, 1.5) or diaSource[\"filterName\"] not in ('u')",
    /* Groups (PGROUP, PQGROUP) with the first rule, and among themselves. */
    "diaSource.snr > 20",
    "diaSource.snr >= 5.5 and diaSource.filterName == 'r'",
    "diaSource.snr >= -1 and a[0] < 3",
    "any(prv_diaSources, @.snr > 10)",
    "any(prv_diaSources, @.snr > 50) and diaSource.ra < 10",
    "count(prv_diaSources, @.snr < 30) >= 2",
    "count(prv_diaSources, @.snr < 3) >= 2",
    "abs(diaSource.decl) > 80",
    "abs(diaSource.decl) > 85.5 and diaSource.filterName == 'u'",
};
enum { N_RULES = sizeof RULES / sizeof RULES[0] };

static rule_set *new_set(const char *const *rules, size_t n)
{
    rule_set *set = rule_set_new();
    for (size_t i = 0; i < n; i++) {
        rule_error errs[4];
        size_t n_errs;
        if (!set || rule_set_add(set, "fixed", rules[i], errs, 4, &n_errs) != 0)
            abort();
    }
    return set;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static rule_set *fixed, *alone[N_RULES];
    static alert_doc doc;
    if (!fixed) {
        fixed = new_set(RULES, N_RULES);
        for (size_t i = 0; i < N_RULES; i++)
            alone[i] = new_set(&RULES[i], 1);
        alert_doc_init(&doc);
    }
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    rule_set *own = NULL;
    if (nl) {
        char *where = strndup(text, (size_t)(nl - text));
        rule_error errs[4];
        size_t n;
        own = rule_set_new();
        if (rule_set_add(own, "first line", where, errs, 4, &n) != 0) {
            rule_set_free(own);
            own = NULL;
        }
        free(where);
        size -= (size_t)(nl - text) + 1;
        text = nl + 1;
    }
    alert_error err;
    if (alert_parse(&doc, text, size, ALERT_FORMAT_AUTO, &err) == 0) {
        unsigned char m[N_RULES], one;
        size_t hits = rule_set_eval(fixed, &doc, m);
        size_t count = 0;
        for (size_t i = 0; i < N_RULES; i++) {
            count += m[i];
            if (rule_set_eval(alone[i], &doc, &one) != one || one != m[i])
                abort();
        }
        if (hits != count)
            abort();
        if (own)
            rule_set_eval(own, &doc, m);
    }
    rule_set_free(own);
    return 0;
}
