/* processor/ruleset.c — compiles a configuration's rules and points each
 * compile error at its place in the config file. */
#include "processor/ruleset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ERRS_PER_RULE = 16 };
enum { SHOWN_AROUND = 60 }; /* bytes of a rule's text shown each side of an error */

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

/* One error of a rule (what = "rule", its `where`) or of a definition (what =
 * "definition", its NAME = "..."), with the text as written and a caret under
 * the spot. */
static void add_error(const proc_config *cfg, const proc_rule_cfg *rule, const char *what, const rule_error *e,
                      proc_diags *diags)
{
    const char *file = file_of(cfg, rule);
    const char *key = strcmp(what, "rule") ? rule->name : "where";
    /* Without the raw text (split "..." "..." pieces), show the decoded one. */
    const char *shown = rule->where_src ? rule->where_src : rule->where;
    size_t start = rule->where_src ? raw_offset(shown, e->offset) : e->offset;
    size_t end = rule->where_src ? raw_offset(shown, e->offset + e->len) : e->offset + e->len;
    if (start > strlen(shown))
        start = strlen(shown);
    if (end > strlen(shown))
        end = strlen(shown);
    /* A long text (a pasted list of ids can be megabytes) is cut to a window
     * around the spot, marked with "...": the message stays a few lines. */
    size_t from = start > SHOWN_AROUND ? start - SHOWN_AROUND : 0, to = end + SHOWN_AROUND;
    if (to > strlen(shown))
        to = strlen(shown);
    while (from > 0 && ((unsigned char)shown[from] & 0xC0) == 0x80)
        from--;
    while (shown[to] && ((unsigned char)shown[to] & 0xC0) == 0x80)
        to++;
    const char *lead = from > 0 ? "..." : "", *trail = shown[to] ? "..." : "";
    size_t col = rule->col > 0 ? (size_t)rule->col + columns(shown, start) : 0;
    shown += from;
    start -= from;
    end = end - from < to - from ? end - from : to - from;
    size_t tildes = end > start ? columns(shown + start, end - start) - 1 : 0;
    char marker[512];
    /* under `    KEY = "` and the "..." that says the text is cut */
    size_t m = (size_t)snprintf(marker, sizeof marker, "%*s", (int)(8 + columns(key, strlen(key)) + strlen(lead)), "");
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
    int n = (int)(to - from);
    if (col > 0)
        proc_diags_add(diags, "%s:%d:%zu: %s '%s': %s\n    %s = \"%s%.*s%s\"\n%s", file, rule->line, col, what,
                       rule->name, e->msg, key, lead, n, shown, trail, marker);
    else
        proc_diags_add(diags, "%s:%d: %s '%s': %s (at offset %zu of %s)\n    %s = \"%s%.*s%s\"\n%s", file,
                       rule->line, what, rule->name, e->msg, e->offset, key, key, lead, n, shown, trail, marker);
}

/* The config's definitions declared in rs; errors to diags. Returns 0 or -1. */
static int define(const proc_config *cfg, rule_set *rs, proc_diags *diags)
{
    if (cfg->n_defs == 0)
        return 0;
    const char **names = calloc(cfg->n_defs, sizeof *names), **texts = calloc(cfg->n_defs, sizeof *texts);
    rule_def_error *errs = calloc(MAX_ERRS_PER_RULE * 4, sizeof *errs);
    size_t n_errs = 0;
    int rc = -1;
    if (names && texts && errs) {
        for (size_t i = 0; i < cfg->n_defs; i++) {
            names[i] = cfg->defs[i].name;
            texts[i] = cfg->defs[i].where;
        }
        rc = rule_set_define(rs, cfg->n_defs, names, texts, errs, MAX_ERRS_PER_RULE * 4, &n_errs);
        for (size_t j = 0; j < n_errs; j++)
            add_error(cfg, &cfg->defs[errs[j].def], "definition", &errs[j].err, diags);
    } else {
        proc_diags_add(diags, "%s: out of memory compiling the definitions", cfg->file);
    }
    free(names);
    free(texts);
    free(errs);
    return rc;
}

void proc_ruleset_warnings(const proc_config *cfg, const rule_set *rs, proc_diags *warnings)
{
    for (size_t i = 0; i < cfg->n_defs; i++) {
        const proc_rule_cfg *d = &cfg->defs[i];
        if (rule_set_definition_used(rs, i))
            continue;
        if (d->col > 0)
            proc_diags_add(warnings, "%s:%d:%d: warning: definition '%s' is not used by any rule", file_of(cfg, d),
                           d->line, d->col, d->name);
        else
            proc_diags_add(warnings, "%s:%d: warning: definition '%s' is not used by any rule", file_of(cfg, d),
                           d->line, d->name);
    }
}

/* Reads the watchlist (map false) or watchmap w's file, a relative path from
 * the folder of the file its group is in, into rs. Returns 0, or -1 with the
 * error in diags: then the name still goes to rs, empty, so that the rules
 * using it report no error of their own (the set is not used). */
static int add_sky(const proc_config *cfg, rule_set *rs, const proc_sky_cfg *w, bool map, proc_diags *diags)
{
    const char *where = w->src ? w->src : cfg->file;
    const char *slash = strrchr(where, '/');
    char *path;
    if (w->file[0] == '/' || !slash)
        path = strdup(w->file);
    else if (asprintf(&path, "%.*s/%s", (int)(slash - where), where, w->file) < 0)
        path = NULL;
    if (!path) {
        proc_diags_add(diags, "%s: out of memory", cfg->file);
        return -1;
    }
    sky_error err;
    void *obj = map ? (void *)sky_moc_load(path, &err) : (void *)sky_watchlist_load(path, w->radius_arcsec, &err);
    free(path);
    const char *what = map ? "watchmap" : "watchlist";
    if (!obj)
        proc_diags_add(diags, "%s:%d: %s '%s': %s", where, w->line, what, w->name, err.msg);
    int added = map ? rule_set_add_watchmap(rs, w->name, obj) : rule_set_add_watchlist(rs, w->name, obj);
    if (added != 0) {
        proc_diags_add(diags, "%s:%d: %s '%s': the name is taken by another %s", where, w->line, what, w->name, what);
        if (map)
            sky_moc_free(obj);
        else
            sky_watchlist_free(obj);
        return -1;
    }
    return obj ? 0 : -1;
}

rule_set *proc_ruleset_build(proc_config *cfg, proc_diags *diags)
{
    rule_set *rs = rule_set_new();
    if (!rs) {
        proc_diags_add(diags, "%s: out of memory compiling the rules", cfg->file);
        return NULL;
    }
    int failed = 0;
    for (size_t i = 0; i < cfg->n_watchlists + cfg->n_watchmaps; i++) {
        bool map = i >= cfg->n_watchlists;
        const proc_sky_cfg *w = map ? &cfg->watchmaps[i - cfg->n_watchlists] : &cfg->watchlists[i];
        if (w->name && w->file) /* else the config loader reported it */
            failed |= add_sky(cfg, rs, w, map, diags) != 0;
    }
    failed |= define(cfg, rs, diags) != 0;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        proc_rule_cfg *rule = &cfg->rules[i];
        if (!rule->name || !rule->where) { /* a rule the config loader already reported */
            failed = 1;
            continue;
        }
        rule_error errs[MAX_ERRS_PER_RULE];
        size_t n_errs = 0;
        if (rule_set_take(rs, rule->name, rule->where, errs, MAX_ERRS_PER_RULE, &n_errs) == 0) {
            rule->where = NULL; /* the set's now */
            continue;
        }
        failed = 1;
        for (size_t j = 0; j < n_errs; j++)
            add_error(cfg, rule, "rule", &errs[j], diags);
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
