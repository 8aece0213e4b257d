/* rules/rules.h — the rule language: `where` expressions compiled to verified
 * bytecode, and a rule set evaluated against one parsed alert in one pass. */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alert/alert.h"
#include "sky/sky.h"

/* Semantics the rule author can rely on (tests/rules/ pin each one down):
 * - null: a missing field, an index out of range or a step through the wrong
 *   type is null. Every comparison with null is false (x != 5 too), except
 *   `x == null` / `x != null` against the literal null; `x in (...)` and
 *   `x not in (...)` are false for a null x. Arithmetic with null, `/` or `%`
 *   by zero, and any operator applied to the wrong kinds ('a' + 1) give null.
 * - numbers: ints are exact 64-bit; int against int compares exactly, int
 *   against float by value (281323062375219199 != 281323062375219199.0). `/`
 *   always gives a float; `%` takes the divisor's sign (Python's). An int
 *   result beyond 64 bits becomes the nearest float. true/false count as 1/0.
 * - strings compare by content (code point order); a string never equals a
 *   number; ordering a string against a number is false.
 * - truth: null, false, 0, 0.0, "", and an empty list, tuple, dict or bytes are
 *   false; everything else (NaN included) is true. `and`, `or`, `not` give
 *   true/false.
 * - builtins: len() counts code points of a string, bytes of a bytes, items of
 *   a list/tuple/dict, else null; sqrt of a negative and log10 of a number <= 0
 *   are null; min/max of non-numbers are null; startswith of non-strings is
 *   false; angsep is null and cone false unless every argument is a number;
 *   galactic_l/galactic_b (degrees, from ICRS ra, dec) are null unless both
 *   are numbers, ra finite and dec in [-90, 90]; watchlist('NAME', ra, dec) and
 *   watchmap('NAME', ra, dec) are false unless ra and dec are numbers (dec in
 *   [-90, 90]; ra taken modulo 360);
 *   any/all over something that is not a list or tuple are false, count null;
 *   over an empty list any is false, all true, count 0.
 * - aggregates: min/max/sum/mean(LIST, EXPR) take EXPR (in terms of '@') of
 *   each element and keep the numbers (true/false as 1/0), skipping null,
 *   missing, strings and containers. min/max: the first of equals (Python's);
 *   sum adds from the left as `+` does: ints exact while the sum fits 64 bits,
 *   then a float; mean is that sum / how many, a float. Of no numbers,
 *   min/max/mean are null and sum is 0; of no list (absent, null, not a list
 *   or tuple), all four are null. min/max(a, b) of two numbers stay: the form
 *   is the aggregate when the second argument reads '@' (at its own level).
 * - paths: `a.b[2].c`, `a["key with spaces"]`; inside any/all/count `@` is the
 *   current element (`@.snr`, `@[0]`, `@`), and so inside an aggregate's EXPR. */

/* A compile error: what, and where in the `where` text (byte offset and length
 * of the offending text). */
typedef struct {
    size_t offset;
    size_t len;
    char msg[200];
} rule_error;

typedef struct rule_set rule_set;

/* An error in definition `def` (its index in rule_set_define's lists). */
typedef struct {
    size_t def;
    rule_error err;
} rule_def_error;

rule_set *rule_set_new(void);
void rule_set_free(rule_set *rs);

/* Compiles and verifies one rule and appends it to the set. Every error found
 * is reported, up to max_errs of them, in errs; *n_errs says how many.
 * Returns 0, or -1 when the rule has errors (the set is then unchanged). */
int rule_set_add(rule_set *rs, const char *name, const char *where, rule_error *errs, size_t max_errs,
                 size_t *n_errs);
/* As rule_set_add, but where (malloc'd) is not copied: once this returns 0
 * the set owns it (rule_set_where), as a config hands over a text that may
 * hold a 1,000,000-item list; on -1 it stays the caller's. */
int rule_set_take(rule_set *rs, const char *name, char *where, rule_error *errs, size_t max_errs,
                  size_t *n_errs);

/* Lays the rules added so far out as one block of code for rule_set_eval: once
 * after the last rule_set_add (each add undoes it; laying out at each add would
 * make adding n rules cost n^2). Returns 0, or -1 out of memory. */
int rule_set_prepare(rule_set *rs);

/* Definitions: names[i] = texts[i], each an expression that rules and other
 * definitions read as $name. Called once, before the first rule_set_add. Each
 * is compiled once, after those it reads, and run at most once per alert,
 * whatever number of rules read it. Every error (syntax, an unknown $name, a
 * cycle, a definition reading one with errors) is reported, up to max_errs, with
 * its definition's index. Returns 0, or -1 when one has errors (rules can still
 * be added: a $name of one with errors is then an error of theirs). */
int rule_set_define(rule_set *rs, size_t n, const char *const *names, const char *const *texts,
                    rule_def_error *errs, size_t max_errs, size_t *n_errs);
/* Whether definition i is read by a rule added so far, directly or through other definitions. */
bool rule_set_definition_used(const rule_set *rs, size_t i);
/* How many times definitions were run since rule_set_prepare (for tests of memoisation). */
uint64_t rule_set_definition_runs(const rule_set *rs);
/* How many times aggregates were computed since rule_set_prepare: one per
 * aggregate, list and alert, whatever number of rules ask it (tests). */
uint64_t rule_set_aggregate_runs(const rule_set *rs);
/* Prints definition i's bytecode (declared index; nothing when it has errors). */
void rule_set_disasm_definition(const rule_set *rs, size_t i, FILE *out);

/* Why a rule fires: the value, for one alert, of each part of its `where`
 * (comparisons, paths, calls, $names; not what any/all/count or an aggregate
 * computes per element), each part compiled as a definition of a set of its
 * own (with the config's definitions), so the values are the VM's. NULL with
 * err when it does not compile. */
typedef struct rule_explainer rule_explainer;
rule_explainer *rule_explainer_new(const char *name, const char *where, size_t n_defs, const char *const *def_names,
                                   const char *const *def_texts, rule_error *err);
/* Prints `LABEL: NAME matches` (or `does not match`), then each part on a
 * line, indented under the part it belongs to, its value in a column (true,
 * false, null, a number, a quoted string, "a list of N", "a dict of N",
 * "bytes of N"). Returns 0, or -1 out of memory. */
int rule_explainer_run(rule_explainer *ex, alert_doc *doc, const char *label, FILE *out);
void rule_explainer_free(rule_explainer *ex);

size_t rule_set_count(const rule_set *rs);
const char *rule_set_name(const rule_set *rs, size_t i);
const char *rule_set_where(const rule_set *rs, size_t i); /* rule i's text, as added */

/* Evaluates every rule against the parsed alert (root node 0). match[i] is set
 * to 1 or 0 for rule i. Returns the number of matching rules. Never fails:
 * a missing field is null, and null semantics decide. An unprepared set is
 * prepared first, and out of memory for that aborts: a caller that must report
 * it calls rule_set_prepare before. */
size_t rule_set_eval(rule_set *rs, alert_doc *doc, unsigned char *match);

/* Watchlists and watchmaps, by the name that watchlist('NAME', ra, dec) and
 * watchmap('NAME', ra, dec) use: given to the set before the rules that use
 * them are added. The set owns wl (moc) from then on. Returns 0, or -1 when
 * the name is taken or out of memory (wl is then still the caller's). */
int rule_set_add_watchlist(rule_set *rs, const char *name, sky_watchlist *wl);
int rule_set_add_watchmap(rule_set *rs, const char *name, sky_moc *moc);

/* After rule_set_eval, for a rule i that matched: the name of the nearest entry
 * of the last watchlist() that was true while it ran on this alert, or NULL
 * when none was (buf holds a name made from a row number). */
const char *rule_set_watch_entry(const rule_set *rs, size_t i, char buf[24]);

/* Prints rule i's bytecode, one instruction per line (like SQLite's EXPLAIN). */
void rule_set_disasm(const rule_set *rs, size_t i, FILE *out);

#endif
