/* tests/rules/test_diff.c — differential test: random alerts and rules from
 * tests/tools/rulegen.py, selected by our VM and by an equivalent Python
 * predicate; the selections must be identical. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rules.h"

typedef struct {
    char **alerts;
    size_t n_alerts;
    char **rules, **bits, **preds;
    size_t n_rules;
} corpus;

static void push(char ***items, size_t *n, const char *s)
{
    *items = realloc(*items, (*n + 1) * sizeof **items);
    cr_assert_not_null(*items);
    (*items)[(*n)++] = strdup(s);
}

static void load(corpus *c, int seed, int n_alerts, int n_rules)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "python3 tests/tools/rulegen.py --seed %d --alerts %d --rules %d", seed, n_alerts,
             n_rules);
    FILE *in = popen(cmd, "r");
    cr_assert_not_null(in);
    char *line = NULL;
    size_t cap = 0, n_preds = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        line[len - 1] = '\0';
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab, "bad line: %s", line);
        if (line[0] == 'A') {
            push(&c->alerts, &c->n_alerts, tab + 1);
        } else if (line[0] == 'P') {
            push(&c->preds, &n_preds, tab + 1);
        } else {
            char *bits = strrchr(line, '\t');
            *bits = '\0';
            size_t n_bits = c->n_rules;
            push(&c->rules, &c->n_rules, tab + 1);
            push(&c->bits, &n_bits, bits + 1);
        }
    }
    free(line);
    cr_assert_eq(pclose(in), 0, "%s failed", cmd);
    cr_assert_eq(c->n_alerts, (size_t)n_alerts);
    cr_assert_eq(c->n_rules, (size_t)n_rules);
    cr_assert_eq(n_preds, (size_t)n_rules);
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* Compares the VM with Python over one seed's corpus; all rules in one set, so
 * shared paths and the per-alert cache are exercised as in production. */
static void differential(int seed, int n_alerts, int n_rules)
{
    corpus c = {0};
    load(&c, seed, n_alerts, n_rules);
    rule_set *rs = rule_set_new();
    for (size_t i = 0; i < c.n_rules; i++) {
        rule_error errs[4];
        size_t ne;
        cr_assert_eq(rule_set_add(rs, c.rules[i], c.rules[i], errs, 4, &ne), 0, "rule %zu does not compile: %s\n%s",
                     i, ne ? errs[0].msg : "?", c.rules[i]);
    }
    unsigned char *match = malloc(c.n_rules);
    alert_doc doc;
    alert_doc_init(&doc);
    size_t compared = 0, selected = 0, mismatches = 0;
    for (size_t j = 0; j < c.n_alerts; j++) {
        alert_error aerr;
        cr_assert_eq(alert_parse(&doc, c.alerts[j], strlen(c.alerts[j]), ALERT_FORMAT_AUTO, &aerr), 0,
                     "alert %zu: %s", j, aerr.msg);
        rule_set_eval(rs, &doc, match);
        for (size_t i = 0; i < c.n_rules; i++) {
            int want = c.bits[i][j] == '1';
            compared++;
            selected += want;
            if (match[i] != want && mismatches++ < 5)
                cr_log_error("seed %d rule %zu alert %zu: VM %d, Python %d\n  rule: %s\n  python: %s\n  alert: %s",
                             seed, i, j, match[i], want, c.rules[i], c.preds[i], c.alerts[j]);
        }
    }
    fprintf(stderr, "rules differential (seed %d): %zu rules x %zu alerts = %zu evaluations, %zu selected, %zu mismatches\n",
            seed, c.n_rules, c.n_alerts, compared, selected, mismatches);
    cr_expect_eq(mismatches, 0);
    alert_doc_free(&doc);
    free(match);
    rule_set_free(rs);
    free_list(c.alerts, c.n_alerts);
    free_list(c.rules, c.n_rules);
    free_list(c.bits, c.n_rules);
    free_list(c.preds, c.n_rules);
}

Test(diff, seed_1, .timeout = 60) { differential(1, 300, 400); }
Test(diff, seed_2, .timeout = 60) { differential(2, 300, 400); }
Test(diff, seed_3, .timeout = 60) { differential(3, 300, 400); }
