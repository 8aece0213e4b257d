/* processor/config_source.c — what libconfig does not tell: where each setting is
 * written in its file (line, column, the text as written), and what a misspelt name may have meant. */
#include <errno.h>
#include <libconfig.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "processor/config_internal.h"

/* ---- the file's own text: what libconfig does not tell ---- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[65536];
    /* Sized to the file at once: a config holding a 1,000,000-item list is
     * 11 MB, and doubling would hold 16 MB at the peak of loading it. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (text = malloc((size_t)st.st_size + 1)))
        cap = (size_t)st.st_size + 1;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = grown;
        }
        memcpy(text + len, chunk, got);
        len += got;
    }
    fclose(f);
    if (text)
        text[len] = '\0';
    return text;
}

/* Skips spaces, newlines and comments (# // and C-style). */
static const char *skip_blank(const char *p)
{
    for (;;) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f')
            p++;
        else if (*p == '#' || (p[0] == '/' && p[1] == '/'))
            p += strcspn(p, "\n");
        else if (p[0] == '/' && p[1] == '*')
            p = strstr(p + 2, "*/") ? strstr(p + 2, "*/") + 2 : p + strlen(p);
        else
            return p;
    }
}

static const char *skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && p[1])
            p++;
    return *p ? p + 1 : p;
}

static const char *line_start(const loader *L, int line)
{
    return line >= 1 && (size_t)line <= L->n_lines ? L->text + L->line_at[line - 1] : NULL;
}

/* Indexes the start of every line of L->text. */
static void index_lines(loader *L)
{
    free(L->line_at);
    L->line_at = NULL;
    L->n_lines = 0;
    if (!L->text)
        return;
    size_t cap = 1024;
    L->line_at = malloc(cap * sizeof *L->line_at);
    for (const char *p = L->text; L->line_at; p++) {
        if (L->n_lines == cap) {
            size_t *grown = realloc(L->line_at, (cap *= 2) * sizeof *grown);
            if (!grown) {
                free(L->line_at);
                L->line_at = NULL;
                L->n_lines = 0;
                return;
            }
            L->line_at = grown;
        }
        L->line_at[L->n_lines++] = (size_t)(p - L->text);
        if (!(p = strchr(p, '\n')))
            break;
    }
}

/* Finds the value of the nth setting called `name` on the line that starts
 * at p; NULL when the file no longer says so. */
static const char *find_value(const char *p, const char *name, int nth)
{
    static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-*";
    size_t n = strlen(name);
    const char *eol = p + strcspn(p, "\n");
    while (p < eol) {
        const char *q = skip_blank(p);
        if (q != p) {
            p = q;
            continue;
        }
        if (*p == '"') {
            p = skip_string(p);
        } else if (!strncmp(p, name, n) && (p[n] == '\0' || !strchr(name_chars, p[n]))) {
            q = skip_blank(p + n);
            if ((*q == '=' || *q == ':') && nth-- == 0)
                return skip_blank(q + 1);
            p += n;
        } else {
            p++;
        }
    }
    return NULL;
}

/* The start of the value of setting s (the nth of that name on its line) as
 * written in its file, or NULL. */
static const char *source_value(loader *L, const config_setting_t *s, int nth)
{
    if (!L->text_file || strcmp(L->text_file, file_of(L, s))) {
        free(L->text);
        L->text_file = file_of(L, s);
        L->text = read_text(L->text_file);
        index_lines(L);
    }
    const char *bol = L->text ? line_start(L, config_setting_source_line(s)) : NULL;
    return bol ? find_value(bol, config_setting_name(s), nth) : NULL;
}

/* libconfig 1.5 wraps an integer beyond 32 bits written without the L
 * suffix: the number as written decides, so that 5000000000 is out of bounds
 * rather than 705032704. */
long long proc_config_written_int(loader *L, const config_setting_t *s)
{
    long long v = config_setting_get_int64(s);
    const char *text = config_setting_type(s) == CONFIG_TYPE_INT ? source_value(L, s, 0) : NULL;
    if (!text)
        return v;
    errno = 0;
    char *end;
    long long w = strtoll(text, &end, 0);
    if (end == text || (int32_t)w != (int32_t)v)
        return v;
    return errno == ERANGE ? (w < 0 ? LLONG_MIN : LLONG_MAX) : w;
}

/* ---- where a rule's `where` string, and each watchlist and watchmap, sits in the file ---- */

/* Sets line/col to the first byte of the where string's content and keeps its
 * raw text (escapes as written) when it is one string on one line. */
void proc_config_locate_where(loader *L, const config_setting_t *where, proc_rule_cfg *rule, int nth)
{
    rule->line = config_setting_source_line(where);
    rule->col = 0;
    rule->file = strdup(file_of(L, where));
    const char *quote = source_value(L, where, nth);
    if (!quote || *quote != '"')
        return;
    const char *bol = line_start(L, rule->line);
    for (const char *p = bol; p < quote; p++)
        if (*p == '\n') {
            rule->line++;
            bol = p + 1;
        }
    /* Columns count characters, so that they match the caret under UTF-8 text. */
    rule->col = 2;
    for (const char *p = bol; p < quote; p++)
        rule->col += ((unsigned char)*p & 0xC0) != 0x80;
    const char *end = skip_string(quote);
    if (end[-1] == '"' && *skip_blank(end) != '"' && !memchr(quote, '\n', (size_t)(end - quote)))
        rule->where_src = strndup(quote + 1, (size_t)(end - quote) - 2);
}

void proc_config_locate_rules(loader *L, const config_t *lc, proc_config *cfg)
{
    const config_setting_t *list = config_lookup(lc, "rules");
    int prev_line = 0, nth = 0;
    for (size_t i = 0; list && i < cfg->n_rules; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const config_setting_t *where = e ? config_setting_get_member(e, "where") : NULL;
        if (!where || !cfg->rules[i].where)
            continue;
        int line = config_setting_source_line(where);
        nth = line == prev_line ? nth + 1 : 0;
        prev_line = line;
        proc_config_locate_where(L, where, &cfg->rules[i], nth);
    }
}

/* Where each group of list `name` is written, for the errors of its file. */
void proc_config_locate_sky(const config_t *lc, const char *name, proc_sky_cfg *items, size_t n)
{
    const config_setting_t *list = config_lookup(lc, name);
    for (size_t i = 0; list && i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        items[i].line = e ? config_setting_source_line(e) : 0;
        items[i].src = e && config_setting_source_file(e) ? strdup(config_setting_source_file(e)) : NULL;
    }
}

/* ---- suggestions for misspelt names ---- */

/* Optimal string alignment distance: edits plus adjacent transpositions, so
 * that "toipcs" is one step from "topics". */
static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64)
        return SIZE_MAX;
    size_t d[65][65];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

/* Keeps in *best the candidate closest to name, if it is close enough to be a typo. */
static void consider(const char *name, const char *candidate, const char **best, size_t *best_d)
{
    size_t limit = strlen(name) <= 4 ? 1 : 2;
    size_t dist = edit_distance(name, candidate);
    if (dist <= limit && dist < *best_d) {
        *best = candidate;
        *best_d = dist;
    }
}

void proc_config_diag_unknown(loader *L, const config_setting_t *s, const spec *members, const char *prefix)
{
    const char *name = config_setting_name(s);
    char *path = proc_config_join(prefix, name);
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const spec *sp = members; sp->name; sp++)
        consider(name, sp->name, &best, &best_d);
    if (best) {
        char *suggestion = proc_config_join(prefix, best);
        DIAG(L, s, "unknown setting '%s' (did you mean '%s'?)", path, suggestion);
        free(suggestion);
    } else {
        DIAG(L, s, "unknown setting '%s'", path);
    }
    free(path);
}

/* Reads the property names librdkafka knows, from the table it prints, for suggestions. */
static void read_kafka_names(loader *L)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return;
    rd_kafka_conf_properties_show(mem);
    fclose(mem);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        size_t n = strcspn(line, " |");
        if (n == 0 || !strchr(line, '|') || line[0] == '-' || !strncmp(line, "Property", n))
            continue;
        char **grown = realloc(L->kafka_names, (L->n_kafka_names + 1) * sizeof *grown);
        if (!grown)
            break;
        L->kafka_names = grown;
        L->kafka_names[L->n_kafka_names++] = strndup(line, n);
    }
    free(text);
}

void proc_config_diag_kafka_property(loader *L, const config_setting_t *e, const char *path, const char *name,
                                     const char *errstr, int unknown)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    if (unknown) {
        if (!L->kafka_names)
            read_kafka_names(L);
        for (size_t i = 0; i < L->n_kafka_names; i++)
            consider(name, L->kafka_names[i], &best, &best_d);
    }
    if (!best) {
        DIAG(L, e, "'%s': %s", path, errstr);
        return;
    }
    char spelt[256];
    snprintf(spelt, sizeof spelt, "%s", best);
    for (char *p = spelt; *p; p++)
        if (*p == '.')
            *p = '_';
    DIAG(L, e, "'%s': %s (did you mean '%s'?)", path, errstr, spelt);
}

void proc_config_loader_free(loader *L)
{
    free(L->text);
    free(L->line_at);
    for (size_t i = 0; i < L->n_kafka_names; i++)
        free(L->kafka_names[i]);
    free(L->kafka_names);
}
