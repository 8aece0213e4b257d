/* rules/rules.h — the rule language: `where` expressions compiled to verified
 * bytecode, and a rule set evaluated against one parsed alert in one pass. */
#ifndef RULES_H
#define RULES_H

#include <stdio.h>

#include "alert/alert.h"

/* A compile error: what, and where in the `where` text (byte offset and length
 * of the offending text). */
typedef struct {
    size_t offset;
    size_t len;
    char msg[200];
} rule_error;

typedef struct rule_set rule_set;

rule_set *rule_set_new(void);
void rule_set_free(rule_set *rs);

/* Compiles and verifies one rule and appends it to the set. Every error found
 * is reported, up to max_errs of them, in errs; *n_errs says how many.
 * Returns 0, or -1 when the rule has errors (the set is then unchanged). */
int rule_set_add(rule_set *rs, const char *name, const char *where, rule_error *errs, size_t max_errs,
                 size_t *n_errs);

size_t rule_set_count(const rule_set *rs);
const char *rule_set_name(const rule_set *rs, size_t i);

/* Evaluates every rule against the parsed alert (root node 0). match[i] is set
 * to 1 or 0 for rule i. Returns the number of matching rules. Never fails:
 * a missing field is null, and null semantics decide. */
size_t rule_set_eval(rule_set *rs, alert_doc *doc, unsigned char *match);

/* Prints rule i's bytecode, one instruction per line (like SQLite's EXPLAIN). */
void rule_set_disasm(const rule_set *rs, size_t i, FILE *out);

#endif
