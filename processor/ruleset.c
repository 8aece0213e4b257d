/* processor/ruleset.c — compiles a configuration's rules and points each
 * compile error at its place in the config file. */
#include "processor/ruleset.h"

#include <string.h>

enum { MAX_ERRS_PER_RULE = 16 };

/* Bytes of the raw (escaped) text that spell the first `offset` bytes of the
 * decoded text, with libconfig's escapes: \xhh is four bytes for one, any
 * other backslash pair two for one. */
static size_t raw_offset(const char *raw, size_t offset)
{
    size_t r = 0, n = strlen(raw);
    for (size_t decoded = 0; decoded < offset && r < n; decoded++) {
        if (raw[r] == '\\' && raw[r + 1] == 'x')
            r += 4;
        else if (raw[r] == '\\' && raw[r + 1])
            r += 2;
        else
            r += 1;
    }
    return r < n ? r : n;
}

/* Display width of the first n bytes: one column per UTF-8 character. */
static size_t columns(const char *s, size_t n)
{
    size_t cols = 0;
    for (size_t i = 0; i < n; i++)
        cols += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cols;
}

static const char *file_of(const proc_config *cfg, const proc_rule_cfg *rule)
{
    return rule->file ? rule->file : cfg->file;
}

static void add_error(const proc_config *cfg, const proc_rule_cfg *rule, const rule_error *e, proc_diags *diags)
{
    const char *file = file_of(cfg, rule);
    /* Without the raw text (split "..." "..." pieces), show the decoded one. */
    const char *shown = rule->where_src ? rule->where_src : rule->where;
    size_t start = rule->where_src ? raw_offset(shown, e->offset) : e->offset;
    size_t end = rule->where_src ? raw_offset(shown, e->offset + e->len) : e->offset + e->len;
    if (start > strlen(shown))
        start = strlen(shown);
    if (end > strlen(shown))
        end = strlen(shown);
    size_t tildes = end > start ? columns(shown + start, end - start) - 1 : 0;
    char marker[512] = "             "; /* under `    where = "` */
    size_t m = strlen(marker);
    /* A tab in the text is a tab in the marker line, so that the caret lines up. */
    for (size_t i = 0; i < start && m < sizeof marker - 2; i++)
        if (shown[i] == '\t')
            marker[m++] = '\t';
        else if (((unsigned char)shown[i] & 0xC0) != 0x80)
            marker[m++] = ' ';
    marker[m++] = '^';
    for (size_t i = 0; i < tildes && m < sizeof marker - 1; i++)
        marker[m++] = '~';
    marker[m] = '\0';
    if (rule->col > 0)
        proc_diags_add(diags, "%s:%d:%zu: rule '%s': %s\n    where = \"%s\"\n%s", file, rule->line,
                       (size_t)rule->col + columns(shown, start), rule->name, e->msg, shown, marker);
    else
        proc_diags_add(diags, "%s:%d: rule '%s': %s (at offset %zu of where)\n    where = \"%s\"\n%s", file,
                       rule->line, rule->name, e->msg, e->offset, shown, marker);
}

rule_set *proc_ruleset_build(const proc_config *cfg, proc_diags *diags)
{
    rule_set *rs = rule_set_new();
    if (!rs) {
        proc_diags_add(diags, "%s: out of memory compiling the rules", cfg->file);
        return NULL;
    }
    int failed = 0;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        const proc_rule_cfg *rule = &cfg->rules[i];
        if (!rule->name || !rule->where) { /* a rule the config loader already reported */
            failed = 1;
            continue;
        }
        rule_error errs[MAX_ERRS_PER_RULE];
        size_t n_errs = 0;
        if (rule_set_add(rs, rule->name, rule->where, errs, MAX_ERRS_PER_RULE, &n_errs) == 0)
            continue;
        failed = 1;
        for (size_t j = 0; j < n_errs; j++)
            add_error(cfg, rule, &errs[j], diags);
        if (n_errs == 0)
            proc_diags_add(diags, "%s:%d: rule '%s': does not compile", file_of(cfg, rule), rule->line,
                           rule->name);
    }
    if (failed) {
        rule_set_free(rs);
        return NULL;
    }
    if (rule_set_prepare(rs) != 0) {
        proc_diags_add(diags, "%s: out of memory compiling the rules", cfg->file);
        rule_set_free(rs);
        return NULL;
    }
    return rs;
}

rule_set *proc_ruleset_load(const char *path, proc_config *cfg, proc_diags *diags)
{
    /* The rules are compiled even when other settings are wrong, so that one
     * `check` lists every error of the file. */
    int config_failed = proc_config_load(path, cfg, diags) < 0;
    rule_set *rs = proc_ruleset_build(cfg, diags);
    if (config_failed && rs) {
        rule_set_free(rs);
        return NULL;
    }
    return rs;
}

rule_set *proc_ruleset_load_run(const char *path, proc_config *cfg, proc_diags *diags)
{
    rule_set *rs = proc_ruleset_load(path, cfg, diags);
    /* A file that could not be read has no settings to check further. */
    if (cfg->parsed && proc_config_check_run(cfg, diags) && rs) {
        rule_set_free(rs);
        rs = NULL;
    }
    return rs;
}
