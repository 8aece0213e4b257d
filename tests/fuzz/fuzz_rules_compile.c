/* tests/fuzz/fuzz_rules_compile.c — libFuzzer target: any `where` text either
 * compiles (and then disassembles and runs) or gives errors that point inside it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

static const char ALERT[] = "{'diaSource': {'snr': 41.1, 'ra': 351.5, 'decl': -0.5, 'filterName': 'r', 'flags': 0, "
                            "'diaSourceId': 281323062375219199}, 'prv_diaSources': [{'snr': 3.5}, {'snr': None}, [1]], "
                            "'a': [1, 2.5, 'x', None, True, b'\\x00'], 'b': {'': 1}, 'big': 123456789012345678901234}";

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static alert_doc doc;
    static int ready;
    if (!ready) {
        alert_error err;
        alert_doc_init(&doc);
        if (alert_parse(&doc, ALERT, strlen(ALERT), ALERT_FORMAT_AUTO, &err) != 0)
            abort();
        ready = 1;
    }
    char *where = malloc(size + 1);
    memcpy(where, data, size);
    where[size] = '\0';
    size_t len = strlen(where);
    rule_set *rs = rule_set_new();
    rule_error errs[8];
    size_t n = 99;
    if (rule_set_add(rs, "fuzz", where, errs, 8, &n) == 0) {
        if (n != 0 || rule_set_count(rs) != 1)
            abort();
        FILE *out = fopen("/dev/null", "w");
        rule_set_disasm(rs, 0, out);
        fclose(out);
        unsigned char m;
        rule_set_eval(rs, &doc, &m);
    } else {
        if (n == 0 || n > 8 || rule_set_count(rs) != 0)
            abort();
        for (size_t k = 0; k < n; k++)
            if (errs[k].offset > len || errs[k].len > len - errs[k].offset || errs[k].msg[0] == '\0')
                abort();
    }
    rule_set_free(rs);
    free(where);
    return 0;
}
