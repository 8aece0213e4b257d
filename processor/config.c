/* processor/config.c — the configuration file: one table declares every setting
 * (name, type, default, bounds, where it lands), one walker checks a file against it. */
#include "processor/config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <libconfig.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "processor/log.h"

/* ---- diagnostics ---- */

void proc_diags_add(proc_diags *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    char **grown = n < 0 ? NULL : realloc(d->lines, (d->n + 1) * sizeof *d->lines);
    if (!grown) {
        /* Out of memory: keep the errors already collected; the caller still fails. */
        free(n < 0 ? NULL : line);
        return;
    }
    d->lines = grown;
    d->lines[d->n++] = line;
}

void proc_diags_print(const proc_diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(out, "%s\n", d->lines[i]);
}

void proc_diags_log(const proc_diags *d)
{
    char q[1024];
    for (size_t i = 0; i < d->n; i++) {
        const char *nl = strchr(d->lines[i], '\n');
        int n = nl ? (int)(nl - d->lines[i]) : (int)strlen(d->lines[i]);
        char first[960];
        snprintf(first, sizeof first, "%.*s", n, d->lines[i]);
        proc_log(PROC_LOG_ERROR, "config error", "error=%s", proc_log_quote(first, q, sizeof q));
    }
}

void proc_diags_free(proc_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    d->lines = NULL;
    d->n = 0;
}

/* ---- the table of settings ---- */

typedef enum {
    K_STRING,  /* char * */
    K_ENUM,    /* an enum, written as one of `choices` */
    K_INT,     /* an integer field of `width` bytes, within [min, max] */
    K_FLOAT,   /* a double, written as a float or an integer; NAN when absent */
    K_STRINGS, /* char ** at off, size_t count at off2 */
    K_PROPS,   /* proc_kvs: librdkafka properties */
    K_GROUP,   /* a group of `members`; bool at off2 says it was present */
    K_LIST,    /* a list of groups of `members`: array at off, count at off2, `width` bytes each */
    K_NAMED,   /* a group of NAME = "string" of any names: proc_rule_cfg array at off (name, where), count at off2 */
} kind;

enum { REQUIRED = 1, NONEMPTY = 2 };
#define NO_OFF SIZE_MAX

/* Checks a string value; returns 0, or -1 with the reason in why. */
typedef int (*validator)(const char *value, char *why, size_t cap);

typedef struct spec spec;
struct spec {
    const char *name;
    kind kind;
    size_t off, off2, width;
    long long def, min, max;
    const char *def_str;
    const char *const *choices;
    validator check;
    const spec *members; /* terminated by a NULL name */
    unsigned flags;
};

static int check_topic(const char *value, char *why, size_t cap);
static int check_rule_name(const char *value, char *why, size_t cap);
static int check_path(const char *value, char *why, size_t cap);
static int check_url(const char *value, char *why, size_t cap);
static int check_drop(const char *value, char *why, size_t cap);
static int check_sky_name(const char *value, char *why, size_t cap);
static int check_group(const char *value, char *why, size_t cap);

/* Names in enum order: the index is the value stored. */
static const char *const format_names[] = {"auto", "python", "json", "avro", NULL};
static const char *const guarantee_names[] = {"exactly_once", "at_least_once", NULL};
static const char *const encoding_names[] = {"json", "original", NULL};

#define FIELD(T, f) offsetof(T, f), NO_OFF, sizeof(((T *)0)->f)
#define STRING(T, n, f, dflt, chk, fl) {.name = n, .kind = K_STRING, FIELD(T, f), .def_str = dflt, .check = chk, .flags = fl}
#define ENUM(T, n, f, dflt, names) {.name = n, .kind = K_ENUM, FIELD(T, f), .def = dflt, .choices = names}
#define INT(T, n, f, dflt, lo, hi) {.name = n, .kind = K_INT, FIELD(T, f), .def = dflt, .min = lo, .max = hi}
#define FLOAT(T, n, f, fl) {.name = n, .kind = K_FLOAT, FIELD(T, f), .flags = fl}
#define STRINGS(T, n, f, cnt, chk, fl) \
    {.name = n, .kind = K_STRINGS, .off = offsetof(T, f), .off2 = offsetof(T, cnt), .check = chk, .flags = fl}
#define PROPS(T, n, f) {.name = n, .kind = K_PROPS, FIELD(T, f)}
#define GROUP(T, n, present, m) {.name = n, .kind = K_GROUP, .off = 0, .off2 = present, .members = m}
#define NAMED(T, n, f, cnt) {.name = n, .kind = K_NAMED, .off = offsetof(T, f), .off2 = offsetof(T, cnt)}
#define LIST(T, n, f, cnt, E, m, fl)                                                                    \
    {.name = n, .kind = K_LIST, .off = offsetof(T, f), .off2 = offsetof(T, cnt), .width = sizeof(E), \
     .members = m, .flags = fl}

static const spec schema_spec[] = {
    {.name = "id", .kind = K_INT, FIELD(proc_schema_cfg, id), .min = 0, .max = INT32_MAX, .flags = REQUIRED},
    STRING(proc_schema_cfg, "file", file, NULL, NULL, REQUIRED),
    {0},
};

static const spec avro_spec[] = {
    STRING(proc_config, "registry", registry, NULL, check_url, 0),
    INT(proc_config, "registry_timeout_ms", registry_timeout_ms, 10000, 100, 600000),
    INT(proc_config, "registry_retry_seconds", registry_retry_s, 60, 0, 3600),
    LIST(proc_config, "schemas", schemas, n_schemas, proc_schema_cfg, schema_spec, 0),
    STRING(proc_config, "schema", bare_schema, NULL, NULL, 0),
    {0},
};

static const spec input_spec[] = {
    /* Required by `run` only (proc_config_check_run): `check` and `eval` need no Kafka. */
    STRINGS(proc_config, "topics", input_topics, n_input_topics, check_topic, NONEMPTY),
    STRING(proc_config, "group", group, "alertfilter", check_group, 0),
    ENUM(proc_config, "format", format, ALERT_FORMAT_AUTO, format_names),
    INT(proc_config, "max_depth", max_depth, ALERT_DEFAULT_MAX_DEPTH, 1, 100000),
    INT(proc_config, "max_message_bytes", max_bytes, ALERT_DEFAULT_MAX_BYTES, 1, 1 << 30),
    GROUP(proc_config, "avro", offsetof(proc_config, avro_present), avro_spec),
    {0},
};

static const spec output_spec[] = {
    ENUM(proc_config, "guarantee", guarantee, PROC_EXACTLY_ONCE, guarantee_names),
    ENUM(proc_config, "encoding", encoding, PROC_ENCODING_JSON, encoding_names),
    STRING(proc_config, "dead_letter_topic", dead_letter_topic, NULL, check_topic, 0),
    STRING(proc_config, "key", key_path, NULL, check_path, 0),
    PROPS(proc_config, "kafka", output_kafka),
    INT(proc_config, "transaction_interval_ms", txn_interval_ms, 100, 1, 60000),
    INT(proc_config, "transaction_max_messages", txn_max_messages, 10000, 1, 1000000),
    INT(proc_config, "transaction_idle_ms", txn_idle_ms, 10, 0, 60000),
    {0},
};

static const spec metrics_spec[] = {
    STRING(proc_config, "address", metrics_address, "0.0.0.0", NULL, 0),
    INT(proc_config, "port", metrics_port, 9464, 1, 65535),
    {0},
};

static const spec rule_spec[] = {
    STRING(proc_rule_cfg, "name", name, NULL, check_rule_name, REQUIRED),
    STRING(proc_rule_cfg, "topic", topic, NULL, check_topic, REQUIRED),
    STRING(proc_rule_cfg, "where", where, NULL, NULL, REQUIRED),
    ENUM(proc_rule_cfg, "encoding", encoding, PROC_ENCODING_DEFAULT, encoding_names),
    STRINGS(proc_rule_cfg, "drop", drop, n_drop, check_drop, 0),
    {0},
};

/* Their files are read, and their values checked, with the rules (processor/ruleset.c). */
static const spec watchlist_spec[] = {
    STRING(proc_sky_cfg, "name", name, NULL, check_sky_name, REQUIRED),
    STRING(proc_sky_cfg, "file", file, NULL, NULL, REQUIRED),
    FLOAT(proc_sky_cfg, "radius_arcsec", radius_arcsec, 0), /* NAN without: each row has its own */
    {0},
};

static const spec watchmap_spec[] = {
    STRING(proc_sky_cfg, "name", name, NULL, check_sky_name, REQUIRED),
    STRING(proc_sky_cfg, "file", file, NULL, NULL, REQUIRED),
    {0},
};

static const spec root_spec[] = {
    PROPS(proc_config, "kafka", kafka),
    INT(proc_config, "kafka_unreachable_timeout_ms", unreachable_timeout_ms, 60000, 3000, 86400000),
    GROUP(proc_config, "input", NO_OFF, input_spec),
    GROUP(proc_config, "output", NO_OFF, output_spec),
    GROUP(proc_config, "metrics", offsetof(proc_config, metrics_enabled), metrics_spec),
    LIST(proc_config, "rules", rules, n_rules, proc_rule_cfg, rule_spec, REQUIRED | NONEMPTY),
    NAMED(proc_config, "definitions", defs, n_defs),
    LIST(proc_config, "watchlists", watchlists, n_watchlists, proc_sky_cfg, watchlist_spec, 0),
    LIST(proc_config, "watchmaps", watchmaps, n_watchmaps, proc_sky_cfg, watchmap_spec, 0),
    {0},
};

/* ---- validators ---- */

static int check_topic(const char *value, char *why, size_t cap)
{
    size_t n = strlen(value);
    if (n == 0 || n > 249 || !strcmp(value, ".") || !strcmp(value, "..") ||
        strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
        snprintf(why, cap, "\"%s\" is not a valid Kafka topic name (1 to 249 characters of A-Z a-z 0-9 . _ -, "
                           "not \".\" or \"..\")", value);
        return -1;
    }
    return 0;
}

static int check_rule_name(const char *value, char *why, size_t cap)
{
    size_t n = strlen(value);
    if (n == 0 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        snprintf(why, cap, "\"%s\" is not a valid rule name (letters, digits, _ and - only)", value);
        return -1;
    }
    return 0;
}

static int check_sky_name(const char *value, char *why, size_t cap)
{
    size_t n = strlen(value);
    if (n == 0 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        snprintf(why, cap, "\"%s\" is not a valid name (letters, digits, _ and - only)", value);
        return -1;
    }
    return 0;
}

/* Kafka refuses an empty group id only when the consumer joins (after connecting). */
static int check_group(const char *value, char *why, size_t cap)
{
    if (*value)
        return 0;
    snprintf(why, cap, "the consumer group id is empty; Kafka needs a name (default \"alertfilter\")");
    return -1;
}

static int check_path(const char *value, char *why, size_t cap)
{
    alert_path path = {0};
    alert_error err;
    if (alert_path_parse(value, strlen(value), &path, &err) < 0) {
        /* alert/ writes the offset into msg: "offset N: reason". */
        snprintf(why, cap, "\"%s\" is not a valid path: %s", value, err.msg);
        return -1;
    }
    alert_path_free(&path);
    return 0;
}

static int check_url(const char *value, char *why, size_t cap)
{
    const char *host = !strncmp(value, "http://", 7) ? value + 7 : !strncmp(value, "https://", 8) ? value + 8 : NULL;
    if (!host || !*host || *host == '/' || strpbrk(value, " \t\r\n")) {
        snprintf(why, cap, "\"%s\" is not an http:// or https:// URL", value);
        return -1;
    }
    return 0;
}

/* A key to leave out of a rule's output: a path that ends in a key, not an index. */
static int check_drop(const char *value, char *why, size_t cap)
{
    alert_path path = {0};
    alert_error err;
    int rc = check_path(value, why, cap);
    if (rc == 0 && alert_path_parse(value, strlen(value), &path, &err) == 0 && path.n > 0 && path.steps[path.n - 1].index >= 0) {
        snprintf(why, cap, "\"%s\" ends in an index: drop takes keys (\"cutoutScience\", \"candidate.magzpsci\")",
                 value);
        rc = -1;
    }
    alert_path_free(&path);
    return rc;
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

/* ---- the loader ---- */

typedef struct {
    const char *file;
    proc_diags *diags;
    char *text;       /* the bytes of text_file, read when a rule's column is needed */
    const char *text_file;
    size_t *line_at;  /* line_at[i]: offset in text of line i + 1 (100,000 rules: no rescans) */
    size_t n_lines;
    char **kafka_names; /* librdkafka's property names, read on the first misspelt one */
    size_t n_kafka_names;
} loader;

static const char *file_of(const loader *L, const config_setting_t *s)
{
    const char *f = config_setting_source_file(s);
    return f ? f : L->file;
}

#define DIAG(L, s, fmt, ...) \
    proc_diags_add((L)->diags, "%s:%d: " fmt, file_of(L, s), config_setting_source_line(s), __VA_ARGS__)

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    default:
        return "a list";
    }
}

static const char *expected_type(kind k)
{
    static const char *const names[] = {
        [K_STRING] = "a string",  [K_ENUM] = "a string",       [K_INT] = "an integer", [K_FLOAT] = "a number",
        [K_STRINGS] = "an array of strings", [K_PROPS] = "a group { ... }", [K_GROUP] = "a group { ... }",
        [K_LIST] = "a list ( ... )", [K_NAMED] = "a group { ... }",
    };
    return names[k];
}

static int type_fits(kind k, int type)
{
    switch (k) {
    case K_STRING:
    case K_ENUM:
        return type == CONFIG_TYPE_STRING;
    case K_INT:
        return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
    case K_FLOAT:
        return type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64 || type == CONFIG_TYPE_FLOAT;
    case K_STRINGS:
        return type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST;
    case K_PROPS:
    case K_GROUP:
    case K_NAMED:
        return type == CONFIG_TYPE_GROUP;
    case K_LIST:
        /* An empty `( )` or `[ ]` reads as either. */
        return type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY;
    }
    return 0;
}

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
static long long written_int(loader *L, const config_setting_t *s)
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

static void store_int(void *field, size_t width, long long v)
{
    if (width == sizeof(int32_t)) {
        int32_t x = (int32_t)v;
        memcpy(field, &x, sizeof x);
    } else {
        int64_t x = v;
        memcpy(field, &x, sizeof x);
    }
}

static void apply_defaults(const spec *members, void *base)
{
    for (const spec *s = members; s->name; s++) {
        char *field = (char *)base + s->off;
        if (s->kind == K_STRING && s->def_str) {
            free(*(char **)field);
            *(char **)field = strdup(s->def_str);
        } else if (s->kind == K_ENUM || s->kind == K_INT) {
            store_int(field, s->width, s->def);
        } else if (s->kind == K_FLOAT) {
            *(double *)field = NAN; /* unset */
        } else if (s->kind == K_GROUP) {
            apply_defaults(s->members, base);
        }
    }
}

static void load_members(loader *L, const config_setting_t *group, const spec *members, void *base,
                         const char *prefix);

static char *join(const char *prefix, const char *name)
{
    char *out = NULL;
    if (asprintf(&out, "%s%s%s", prefix, *prefix ? "." : "", name) < 0)
        return NULL;
    return out;
}

static void load_string(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    const char *v = config_setting_get_string(s);
    char why[400];
    if (sp->check && sp->check(v, why, sizeof why) < 0) {
        DIAG(L, s, "'%s': %s", path, why);
        return;
    }
    char **field = (char **)((char *)base + sp->off);
    free(*field);
    *field = strdup(v);
}

static void load_enum(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    const char *v = config_setting_get_string(s);
    for (size_t i = 0; sp->choices[i]; i++)
        if (!strcmp(v, sp->choices[i])) {
            store_int((char *)base + sp->off, sp->width, (long long)i);
            return;
        }
    char list[200] = "";
    for (size_t i = 0; sp->choices[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"",
                 i == 0 ? "" : sp->choices[i + 1] ? ", " : " or ", sp->choices[i]);
    DIAG(L, s, "'%s' is \"%s\", must be %s", path, v, list);
}

static void load_int(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    long long v = written_int(L, s);
    if (v == LLONG_MIN || v == LLONG_MAX) {
        DIAG(L, s, "'%s' is out of range, must be between %lld and %lld", path, sp->min, sp->max);
        return;
    }
    if (v < sp->min || v > sp->max) {
        DIAG(L, s, "'%s' is %lld, must be between %lld and %lld", path, v, sp->min, sp->max);
        return;
    }
    store_int((char *)base + sp->off, sp->width, v);
}

static void load_strings(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    int n = config_setting_length(s);
    if (n == 0 && (sp->flags & NONEMPTY)) {
        DIAG(L, s, "'%s' is empty, must hold at least one string", path);
        return;
    }
    char **items = calloc((size_t)n + 1, sizeof *items);
    size_t kept = 0;
    for (int i = 0; items && i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char why[400];
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            DIAG(L, e, "'%s[%d]' must be a string, not %s", path, i, type_name(config_setting_type(e)));
        else if (sp->check && sp->check(config_setting_get_string(e), why, sizeof why) < 0)
            DIAG(L, e, "'%s[%d]': %s", path, i, why);
        else
            items[kept++] = strdup(config_setting_get_string(e));
    }
    *(char ***)((char *)base + sp->off) = items;
    *(size_t *)((char *)base + sp->off2) = kept;
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

static void diag_kafka_property(loader *L, const config_setting_t *e, const char *path, const char *name,
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

/* A librdkafka property as the string librdkafka takes, or NULL for a type it has no use for. */
static char *property_value(const config_setting_t *e)
{
    char *out = NULL;
    int n = -1;
    switch (config_setting_type(e)) {
    case CONFIG_TYPE_STRING:
        return strdup(config_setting_get_string(e));
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        n = asprintf(&out, "%lld", (long long)config_setting_get_int64(e));
        break;
    case CONFIG_TYPE_FLOAT:
        n = asprintf(&out, "%.17g", config_setting_get_float(e));
        break;
    case CONFIG_TYPE_BOOL:
        return strdup(config_setting_get_bool(e) ? "true" : "false");
    }
    return n < 0 ? NULL : out;
}

/* Each property is tried on a scratch librdkafka conf, so a misspelt name or
 * a bad value is a config error with its line, not a failure at startup. */
static void load_props(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    proc_kvs *kvs = (proc_kvs *)((char *)base + sp->off);
    int n = config_setting_length(s);
    kvs->items = calloc((size_t)n + 1, sizeof *kvs->items);
    kvs->n = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    for (int i = 0; kvs->items && i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char *item_path = join(path, config_setting_name(e));
        char *value = property_value(e);
        char *name = strdup(config_setting_name(e));
        for (char *p = name; p && *p; p++)
            if (*p == '_')
                *p = '.';
        char errstr[512];
        rd_kafka_conf_res_t res = RD_KAFKA_CONF_OK;
        if (!value)
            DIAG(L, e, "'%s' must be a string, an integer, a float or a boolean, not %s", item_path,
                 type_name(config_setting_type(e)));
        else if (name && (res = rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr)) != RD_KAFKA_CONF_OK)
            diag_kafka_property(L, e, item_path, name, errstr, res == RD_KAFKA_CONF_UNKNOWN);
        if (value && name && res == RD_KAFKA_CONF_OK) {
            kvs->items[kvs->n].name = name;
            kvs->items[kvs->n++].value = value;
        } else {
            free(name);
            free(value);
        }
        free(item_path);
    }
    rd_kafka_conf_destroy(conf);
}

static void load_list(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    int n = config_setting_length(s);
    if (n == 0 && (sp->flags & NONEMPTY)) {
        DIAG(L, s, "'%s' is empty, must hold at least one group", path);
        return;
    }
    char *items = calloc((size_t)n + 1, sp->width);
    if (!items)
        return;
    *(void **)((char *)base + sp->off) = items;
    *(size_t *)((char *)base + sp->off2) = (size_t)n;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char item_path[200];
        snprintf(item_path, sizeof item_path, "%s[%d]", path, i);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            DIAG(L, e, "'%s' must be a group { ... }, not %s", item_path, type_name(config_setting_type(e)));
            continue;
        }
        apply_defaults(sp->members, items + (size_t)i * sp->width);
        load_members(L, e, sp->members, items + (size_t)i * sp->width, item_path);
    }
}

static void locate_where(loader *L, const config_setting_t *where, proc_rule_cfg *rule, int nth);

/* definitions = { NAME = "expression"; ... }: each NAME a name that $NAME spells. */
static void load_named(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    int n = config_setting_length(s);
    proc_rule_cfg *items = calloc((size_t)n + 1, sizeof *items);
    size_t kept = 0;
    int prev_line = 0, nth = 0;
    for (int i = 0; items && i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *name = config_setting_name(e);
        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            DIAG(L, e, "'%s.%s' must be a string, not %s", path, name, type_name(config_setting_type(e)));
            continue;
        }
        if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name)) {
            DIAG(L, e, "'%s.%s': a definition's name has only letters, digits and _ (rules read it as $NAME)", path,
                 name);
            continue;
        }
        int line = config_setting_source_line(e);
        nth = line == prev_line ? nth + 1 : 0;
        prev_line = line;
        proc_rule_cfg *d = &items[kept++];
        d->name = strdup(name);
        d->where = strdup(config_setting_get_string(e));
        locate_where(L, e, d, nth);
    }
    *(proc_rule_cfg **)((char *)base + sp->off) = items;
    *(size_t *)((char *)base + sp->off2) = kept;
}

static void load_setting(loader *L, const config_setting_t *s, const spec *sp, void *base, const char *path)
{
    if (!type_fits(sp->kind, config_setting_type(s))) {
        DIAG(L, s, "'%s' must be %s, not %s", path, expected_type(sp->kind), type_name(config_setting_type(s)));
        return;
    }
    switch (sp->kind) {
    case K_STRING:
        load_string(L, s, sp, base, path);
        break;
    case K_ENUM:
        load_enum(L, s, sp, base, path);
        break;
    case K_INT:
        load_int(L, s, sp, base, path);
        break;
    case K_FLOAT:
        *(double *)((char *)base + sp->off) = config_setting_type(s) == CONFIG_TYPE_FLOAT
                                                  ? config_setting_get_float(s)
                                                  : (double)config_setting_get_int64(s);
        break;
    case K_STRINGS:
        load_strings(L, s, sp, base, path);
        break;
    case K_PROPS:
        load_props(L, s, sp, base, path);
        break;
    case K_GROUP:
        if (sp->off2 != NO_OFF)
            *(bool *)((char *)base + sp->off2) = true;
        load_members(L, s, sp->members, base, path);
        break;
    case K_LIST:
        load_list(L, s, sp, base, path);
        break;
    case K_NAMED:
        load_named(L, s, sp, base, path);
        break;
    }
}

static void diag_unknown(loader *L, const config_setting_t *s, const spec *members, const char *prefix)
{
    const char *name = config_setting_name(s);
    char *path = join(prefix, name);
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const spec *sp = members; sp->name; sp++)
        consider(name, sp->name, &best, &best_d);
    if (best) {
        char *suggestion = join(prefix, best);
        DIAG(L, s, "unknown setting '%s' (did you mean '%s'?)", path, suggestion);
        free(suggestion);
    } else {
        DIAG(L, s, "unknown setting '%s'", path);
    }
    free(path);
}

static void load_members(loader *L, const config_setting_t *group, const spec *members, void *base,
                         const char *prefix)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const spec *sp = members;
        while (sp->name && strcmp(sp->name, config_setting_name(s)))
            sp++;
        if (!sp->name) {
            diag_unknown(L, s, members, prefix);
            continue;
        }
        char *path = join(prefix, sp->name);
        load_setting(L, s, sp, base, path);
        free(path);
    }
    for (const spec *sp = members; sp->name; sp++)
        if ((sp->flags & REQUIRED) && !config_setting_get_member(group, sp->name)) {
            char *path = join(prefix, sp->name);
            if (config_setting_is_root(group))
                proc_diags_add(L->diags, "%s: missing required setting '%s'", L->file, path);
            else
                DIAG(L, group, "missing required setting '%s'", path);
            free(path);
        }
}

/* ---- checks across settings ---- */

static const char *kvs_get(const proc_kvs *kvs, const char *name)
{
    for (size_t i = 0; i < kvs->n; i++)
        if (!strcmp(kvs->items[i].name, name))
            return kvs->items[i].value;
    return NULL;
}

static void check_one_cluster(loader *L, const config_t *lc, const proc_config *cfg)
{
    const char *out = kvs_get(&cfg->output_kafka, "bootstrap.servers");
    const char *in = kvs_get(&cfg->kafka, "bootstrap.servers");
    if (cfg->guarantee != PROC_EXACTLY_ONCE || !out || (in && !strcmp(in, out)))
        return;
    const config_setting_t *s = config_lookup(lc, "output.kafka.bootstrap_servers");
    if (!s)
        s = config_lookup(lc, "output.kafka");
    DIAG(L, s,
         "output.kafka.bootstrap_servers \"%s\" is another cluster than kafka.bootstrap_servers \"%s\", but "
         "guarantee \"exactly_once\" commits the input offsets and the output in one transaction, and a "
         "transaction cannot span two Kafka clusters; use guarantee = \"at_least_once\" to chain to a "
         "downstream cluster",
         out, in ? in : "");
}

static bool is_input_topic(const proc_config *cfg, const char *topic)
{
    for (size_t i = 0; topic && i < cfg->n_input_topics; i++)
        if (!strcmp(cfg->input_topics[i], topic))
            return true;
    return false;
}

/* Output written to an input topic would be read again, and a catch-all rule
 * would then copy the stream forever. */
static void check_no_loop(loader *L, const config_t *lc, const proc_config *cfg)
{
    const config_setting_t *list = config_lookup(lc, "rules");
    for (size_t i = 0; i < cfg->n_rules; i++)
        if (cfg->rules[i].name && is_input_topic(cfg, cfg->rules[i].topic))
            DIAG(L, config_setting_get_member(config_setting_get_elem(list, (unsigned)i), "topic"),
                 "rule '%s' writes to \"%s\", an input topic: its matches would be read again", cfg->rules[i].name,
                 cfg->rules[i].topic);
    if (is_input_topic(cfg, cfg->dead_letter_topic))
        DIAG(L, config_lookup(lc, "output.dead_letter_topic"),
             "output.dead_letter_topic \"%s\" is an input topic: malformed messages would be read again",
             cfg->dead_letter_topic);
}

/* librdkafka refuses a subscription that names a topic twice, and only once connected. */
static void check_unique_topics(loader *L, const config_t *lc, const proc_config *cfg)
{
    const config_setting_t *list = config_lookup(lc, "input.topics");
    for (size_t i = 0; list && i < cfg->n_input_topics; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->input_topics[i], cfg->input_topics[j])) {
                DIAG(L, list, "'input.topics' names \"%s\" twice", cfg->input_topics[i]);
                break;
            }
}

static const proc_config *sorting; /* qsort has no context argument */

static int by_name_then_index(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sorting->rules[i].name, sorting->rules[j].name);
    return c ? c : (i > j) - (i < j);
}

/* Sorted, not compared pairwise: a config may hold 100,000 rules. */
static void check_unique_names(loader *L, const config_t *lc, const proc_config *cfg)
{
    const config_setting_t *list = config_lookup(lc, "rules");
    size_t *order = malloc((cfg->n_rules + 1) * sizeof *order), n = 0;
    for (size_t i = 0; order && i < cfg->n_rules; i++)
        if (cfg->rules[i].name)
            order[n++] = i;
    sorting = cfg;
    if (order)
        qsort(order, n, sizeof *order, by_name_then_index);
    for (size_t k = 1, first = 0; order && k < n; k++) {
        if (strcmp(cfg->rules[order[k]].name, cfg->rules[order[first]].name)) {
            first = k;
            continue;
        }
        const config_setting_t *name = config_setting_get_member(config_setting_get_elem(list, (unsigned)order[k]), "name");
        DIAG(L, name, "duplicate rule name '%s' (first used at line %d)", cfg->rules[order[k]].name,
             config_setting_source_line(
                 config_setting_get_member(config_setting_get_elem(list, (unsigned)order[first]), "name")));
    }
    free(order);
}

/* ---- Avro schema files and encodings ---- */

/* file as written in the config file `in`: an absolute path as it is, a
 * relative one taken from the directory of `in` (not the working directory,
 * so that a config and its schemas move together). */
static char *beside(const char *in, const char *file)
{
    const char *slash = strrchr(in, '/');
    char *out = NULL;
    if (file[0] == '/' || !slash)
        return strdup(file);
    if (asprintf(&out, "%.*s/%s", (int)(slash - in), in, file) < 0)
        return NULL;
    return out;
}

static char *where_of(loader *L, const config_setting_t *s)
{
    char *out = NULL;
    if (asprintf(&out, "%s:%d", file_of(L, s), config_setting_source_line(s)) < 0)
        return NULL;
    return out;
}

static void resolve_avro(loader *L, const config_t *lc, proc_config *cfg)
{
    const config_setting_t *list = config_lookup(lc, "input.avro.schemas");
    for (size_t i = 0; list && i < cfg->n_schemas; i++) {
        proc_schema_cfg *sc = &cfg->schemas[i];
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const config_setting_t *file = e ? config_setting_get_member(e, "file") : NULL;
        const config_setting_t *id = e ? config_setting_get_member(e, "id") : NULL;
        if (!sc->file || !file || !id)
            continue;
        sc->path = beside(file_of(L, file), sc->file);
        sc->where = where_of(L, file);
        for (size_t j = 0; j < i; j++)
            if (cfg->schemas[j].where && cfg->schemas[j].id == sc->id) {
                DIAG(L, id, "duplicate schema id %" PRId32 " in input.avro.schemas (first at line %d)", sc->id,
                     config_setting_source_line(
                         config_setting_get_member(config_setting_get_elem(list, (unsigned)j), "id")));
                break;
            }
    }
    const config_setting_t *bare = config_lookup(lc, "input.avro.schema");
    if (bare && cfg->bare_schema) {
        cfg->bare_schema_path = beside(file_of(L, bare), cfg->bare_schema);
        cfg->bare_schema_where = where_of(L, bare);
        if (cfg->format != ALERT_FORMAT_AVRO)
            DIAG(L, bare, "'input.avro.schema' needs input.format = \"%s\": bare Avro binary has no mark that "
                          "tells it from text", "avro");
    }
    for (size_t i = 0; i < cfg->n_rules; i++)
        if (cfg->rules[i].encoding == PROC_ENCODING_DEFAULT)
            cfg->rules[i].encoding = cfg->encoding;
}

/* ---- where a rule's `where` string sits in the file ---- */

/* Sets line/col to the first byte of the where string's content and keeps its
 * raw text (escapes as written) when it is one string on one line. */
static void locate_where(loader *L, const config_setting_t *where, proc_rule_cfg *rule, int nth)
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

static void locate_rules(loader *L, const config_t *lc, proc_config *cfg)
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
        locate_where(L, where, &cfg->rules[i], nth);
    }
}

/* ---- public ---- */

/* The line number in "FILE:LINE: ...", or INT_MAX for a message about the whole file. */
static int diag_line(const char *diag, const char *file)
{
    size_t n = strlen(file);
    if (strncmp(diag, file, n) || diag[n] != ':' || diag[n + 1] < '0' || diag[n + 1] > '9')
        return INT_MAX;
    return atoi(diag + n + 1);
}

/* Errors found by the checks across settings come last; users read them in file order. */
static void sort_by_line(proc_diags *d, size_t from, const char *file)
{
    for (size_t i = from + 1; i < d->n; i++) {
        char *x = d->lines[i];
        int line = diag_line(x, file);
        size_t j = i;
        for (; j > from && diag_line(d->lines[j - 1], file) > line; j--)
            d->lines[j] = d->lines[j - 1];
        d->lines[j] = x;
    }
}

/* Where each group of list `name` is written, for the errors of its file. */
static void locate_sky(const config_t *lc, const char *name, proc_sky_cfg *items, size_t n)
{
    const config_setting_t *list = config_lookup(lc, name);
    for (size_t i = 0; list && i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        items[i].line = e ? config_setting_source_line(e) : 0;
        items[i].src = e && config_setting_source_file(e) ? strdup(config_setting_source_file(e)) : NULL;
    }
}

int proc_config_load(const char *path, proc_config *cfg, proc_diags *diags)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->file = strdup(path);
    apply_defaults(root_spec, cfg);
    size_t before = diags->n;
    /* fopen opens a directory, and libconfig then says only "file I/O error". */
    struct stat st;
    FILE *f = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? (errno = EISDIR, NULL) : fopen(path, "r");
    if (!f) {
        proc_diags_add(diags, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    fclose(f);
    config_t lc;
    config_init(&lc);

    loader L = {.file = path, .diags = diags};
    if (!config_read_file(&lc, path)) {
        const char *efile = config_error_file(&lc);
        proc_diags_add(diags, "%s:%d: %s", efile ? efile : path, config_error_line(&lc), config_error_text(&lc));
    } else {
        cfg->parsed = true;
        load_members(&L, config_root_setting(&lc), root_spec, cfg, "");
        check_one_cluster(&L, &lc, cfg);
        check_unique_names(&L, &lc, cfg);
        check_unique_topics(&L, &lc, cfg);
        check_no_loop(&L, &lc, cfg);
        resolve_avro(&L, &lc, cfg);
        locate_rules(&L, &lc, cfg);
        locate_sky(&lc, "watchlists", cfg->watchlists, cfg->n_watchlists);
        locate_sky(&lc, "watchmaps", cfg->watchmaps, cfg->n_watchmaps);
        sort_by_line(diags, before, path);
    }
    config_destroy(&lc);
    free(L.text);
    free(L.line_at);
    for (size_t i = 0; i < L.n_kafka_names; i++)
        free(L.kafka_names[i]);
    free(L.kafka_names);
    return diags->n == before ? 0 : -1;
}

int proc_config_check_run(const proc_config *cfg, proc_diags *diags)
{
    if (cfg->n_input_topics > 0)
        return 0;
    proc_diags_add(diags, "%s: 'run' needs input.topics = [ \"TOPIC\", ... ]: the topics to read alerts from",
                   cfg->file);
    return -1;
}

/* ---- the effective configuration, for the log ---- */

static bool is_secret(const char *name)
{
    static const char *const marks[] = {"password", "secret", ".pem", "oauthbearer.config", "credentials"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(name, marks[i]))
            return true;
    size_t n = strlen(name);
    return n >= 3 && !strcmp(name + n - 3, "key");
}

static void append_field(char *buf, size_t cap, const char *key, const char *value)
{
    char quoted[1024];
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, "%s%s=%s", len ? " " : "", key, proc_log_quote(value, quoted, sizeof quoted));
}

/* Appends members' settings to buf as key=value; secret values as *** when masked. */
static void format_members(const spec *members, const void *base, char *buf, size_t cap, bool masked,
                           const char *prefix)
{
    for (const spec *sp = members; sp->name; sp++) {
        char name[128];
        snprintf(name, sizeof name, "%s%s", prefix, sp->name);
        const char *field = (const char *)base + sp->off;
        char num[64] = "";
        switch (sp->kind) {
        case K_STRING: {
            char url[1024];
            const char *v = *(char *const *)field ? *(char *const *)field : "";
            append_field(buf, cap, name, masked ? proc_log_mask_url(v, url, sizeof url) : v);
            break;
        }
        case K_ENUM:
        case K_INT: {
            int64_t v = 0;
            if (sp->width == sizeof(int32_t)) {
                int32_t x;
                memcpy(&x, field, sizeof x);
                v = x;
            } else {
                memcpy(&v, field, sizeof v);
            }
            if (sp->kind == K_ENUM)
                append_field(buf, cap, name, sp->choices[v]);
            else {
                snprintf(num, sizeof num, "%lld", (long long)v);
                append_field(buf, cap, name, num);
            }
            break;
        }
        case K_STRINGS: {
            char joined[1024] = "";
            char *const *items = *(char **const *)field;
            size_t n = *(const size_t *)((const char *)base + sp->off2);
            for (size_t i = 0; i < n; i++)
                snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", i ? "," : "", items[i]);
            append_field(buf, cap, name, joined);
            break;
        }
        case K_PROPS: {
            const proc_kvs *kvs = (const proc_kvs *)field;
            for (size_t i = 0; i < kvs->n; i++) {
                char key[300];
                snprintf(key, sizeof key, "%s.%s", name, kvs->items[i].name);
                append_field(buf, cap, key, masked && is_secret(kvs->items[i].name) ? "***" : kvs->items[i].value);
            }
            break;
        }
        case K_FLOAT:
            snprintf(num, sizeof num, "%.17g", *(const double *)field);
            append_field(buf, cap, sp->name, num);
            break;
        case K_LIST:
        case K_NAMED: /* definitions: only when there are some */
            snprintf(num, sizeof num, "%zu", *(const size_t *)((const char *)base + sp->off2));
            if (sp->kind == K_LIST || strcmp(num, "0"))
                append_field(buf, cap, name, num);
            break;
        case K_GROUP: /* nested, as input.avro: NAME.KEY=VALUE on the enclosing group's line, when present */
            if (sp->off2 == NO_OFF || *(const bool *)((const char *)base + sp->off2)) {
                char nested[160];
                snprintf(nested, sizeof nested, "%s.", name);
                format_members(sp->members, base, buf, cap, masked, nested);
            }
            break;
        }
    }
}

/* One line per group, so that a long list of properties never overflows a line. */
void proc_config_log(const proc_config *cfg)
{
    char buf[3500] = "";
    append_field(buf, sizeof buf, "file", cfg->file);
    for (const spec *sp = root_spec; sp->name; sp++)
        if (sp->kind != K_GROUP)
            format_members((const spec[]){*sp, {0}}, cfg, buf, sizeof buf, true, "");
    proc_log(PROC_LOG_INFO, "config", "%s", buf);
    for (const spec *sp = root_spec; sp->name; sp++) {
        if (sp->kind != K_GROUP || (sp->off2 != NO_OFF && !*(const bool *)((const char *)cfg + sp->off2)))
            continue;
        snprintf(buf, sizeof buf, "section=%s", sp->name);
        format_members(sp->members, cfg, buf, sizeof buf, true, "");
        proc_log(PROC_LOG_INFO, "config", "%s", buf);
    }
}

/* A top-level setting of cfg (a group's members) as key=value text, secrets
 * included; an absent optional group as "". */
static void format_setting(const spec *sp, const proc_config *cfg, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (sp->kind != K_GROUP)
        format_members((const spec[]){*sp, {0}}, cfg, buf, cap, false, "");
    else if (sp->off2 == NO_OFF || *(const bool *)((const char *)cfg + sp->off2))
        format_members(sp->members, cfg, buf, cap, false, "");
}

size_t proc_config_changed(const proc_config *a, const proc_config *b, char *names, size_t cap)
{
    size_t n = 0;
    if (cap)
        names[0] = '\0';
    for (const spec *sp = root_spec; sp->name; sp++) {
        char x[3500], y[3500];
        if (sp->kind == K_LIST || sp->kind == K_NAMED) /* the rules and their definitions */
            continue;
        format_setting(sp, a, x, sizeof x);
        format_setting(sp, b, y, sizeof y);
        if (strcmp(x, y) == 0)
            continue;
        if (cap)
            snprintf(names + strlen(names), cap - strlen(names), "%s%s", n ? "," : "", sp->name);
        n++;
    }
    return n;
}

static void free_kvs(proc_kvs *kvs)
{
    for (size_t i = 0; i < kvs->n; i++) {
        free(kvs->items[i].name);
        free(kvs->items[i].value);
    }
    free(kvs->items);
}

void proc_config_free(proc_config *cfg)
{
    free(cfg->file);
    free_kvs(&cfg->kafka);
    for (size_t i = 0; i < cfg->n_input_topics; i++)
        free(cfg->input_topics[i]);
    free(cfg->input_topics);
    free(cfg->group);
    free(cfg->registry);
    for (size_t i = 0; i < cfg->n_schemas; i++) {
        free(cfg->schemas[i].file);
        free(cfg->schemas[i].path);
        free(cfg->schemas[i].where);
    }
    free(cfg->schemas);
    free(cfg->bare_schema);
    free(cfg->bare_schema_path);
    free(cfg->bare_schema_where);
    free(cfg->dead_letter_topic);
    free(cfg->key_path);
    free_kvs(&cfg->output_kafka);
    free(cfg->metrics_address);
    for (size_t i = 0; i < cfg->n_rules; i++) {
        free(cfg->rules[i].name);
        free(cfg->rules[i].topic);
        free(cfg->rules[i].where);
        free(cfg->rules[i].where_src);
        free(cfg->rules[i].file);
        for (size_t k = 0; k < cfg->rules[i].n_drop; k++)
            free(cfg->rules[i].drop[k]);
        free(cfg->rules[i].drop);
    }
    free(cfg->rules);
    for (size_t i = 0; i < cfg->n_defs; i++) {
        free(cfg->defs[i].name);
        free(cfg->defs[i].where);
        free(cfg->defs[i].where_src);
        free(cfg->defs[i].file);
    }
    free(cfg->defs);
    for (size_t i = 0; i < cfg->n_watchlists + cfg->n_watchmaps; i++) {
        proc_sky_cfg *w = i < cfg->n_watchlists ? &cfg->watchlists[i] : &cfg->watchmaps[i - cfg->n_watchlists];
        free(w->name);
        free(w->file);
        free(w->src);
    }
    free(cfg->watchlists);
    free(cfg->watchmaps);
    memset(cfg, 0, sizeof *cfg);
}
