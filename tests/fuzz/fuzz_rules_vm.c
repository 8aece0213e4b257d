/* tests/fuzz/fuzz_rules_vm.c — libFuzzer target: arbitrary alert bytes (after
 * an optional first line holding a rule) evaluated by a fixed rule set. */
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
};

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static rule_set *fixed;
    static alert_doc doc;
    if (!fixed) {
        fixed = rule_set_new();
        alert_doc_init(&doc);
        for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
            rule_error errs[4];
            size_t n;
            if (rule_set_add(fixed, "fixed", RULES[i], errs, 4, &n) != 0)
                abort();
        }
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
        unsigned char m[16];
        size_t hits = rule_set_eval(fixed, &doc, m);
        size_t count = 0;
        for (size_t i = 0; i < rule_set_count(fixed); i++)
            count += m[i];
        if (hits != count)
            abort();
        if (own)
            rule_set_eval(own, &doc, m);
    }
    rule_set_free(own);
    return 0;
}
