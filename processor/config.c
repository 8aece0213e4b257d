/* processor/config.c — the loader: walks a file's settings against the table
 * (config_table.c) into proc_config, checks across settings, and collects every error. */
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

#include "processor/config_internal.h"
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

/* ---- the walker ---- */

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

char *proc_config_join(const char *prefix, const char *name)
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
    long long v = proc_config_written_int(L, s);
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
        char *item_path = proc_config_join(path, config_setting_name(e));
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
            proc_config_diag_kafka_property(L, e, item_path, name, errstr, res == RD_KAFKA_CONF_UNKNOWN);
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
        proc_config_locate_where(L, e, d, nth);
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
            proc_config_diag_unknown(L, s, members, prefix);
            continue;
        }
        char *path = proc_config_join(prefix, sp->name);
        load_setting(L, s, sp, base, path);
        free(path);
    }
    for (const spec *sp = members; sp->name; sp++)
        if ((sp->flags & REQUIRED) && !config_setting_get_member(group, sp->name)) {
            char *path = proc_config_join(prefix, sp->name);
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

/* ---- the file ---- */

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

int proc_config_load(const char *path, proc_config *cfg, proc_diags *diags)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->file = strdup(path);
    apply_defaults(proc_config_settings, cfg);
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
        load_members(&L, config_root_setting(&lc), proc_config_settings, cfg, "");
        check_one_cluster(&L, &lc, cfg);
        check_unique_names(&L, &lc, cfg);
        check_unique_topics(&L, &lc, cfg);
        check_no_loop(&L, &lc, cfg);
        resolve_avro(&L, &lc, cfg);
        proc_config_locate_rules(&L, &lc, cfg);
        proc_config_locate_sky(&lc, "watchlists", cfg->watchlists, cfg->n_watchlists);
        proc_config_locate_sky(&lc, "watchmaps", cfg->watchmaps, cfg->n_watchmaps);
        sort_by_line(diags, before, path);
    }
    config_destroy(&lc);
    proc_config_loader_free(&L);
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
