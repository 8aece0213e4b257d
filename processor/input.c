/* processor/input.c — input messages by format: text through alert_parse,
 * Avro through alert/avro.h with schemas from files (compiled at startup) or
 * from the schema registry (fetched on first use, cached by id). */
#include "processor/input.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "processor/log.h"

#define MAX_SCHEMA_FILES 256 /* files read for one schema, those it names included */
#define NOT_FOUND_SECONDS 60 /* an id the registry did not know is asked again after this */

/* A schema id and what became of it. */
typedef struct {
    int32_t id;
    alert_avro_schema *schema; /* NULL: the id cannot be read, why says why */
    char why[150];
    double retry_after; /* for an id the registry did not know (404): when to ask again; 0: never */
} known_id;

struct proc_input {
    alert_format format;
    known_id *ids;
    size_t n_ids, cap_ids;
    alert_avro_schema *bare; /* input.avro.schema */
    proc_registry *registry;
    int retry_s;
    volatile sig_atomic_t *stop;
    alert_avro_file ocf;
    /* the message being read */
    const char *msg;
    size_t len;
    enum { AT_END, AT_TEXT, AT_OCF_OPEN, AT_OCF, AT_CONFLUENT, AT_BARE } at;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- schema files ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0, got;
    *len = 0;
    do {
        if (*len + 65536 > cap) {
            char *grown = realloc(text, cap = (*len + 65536) * 2);
            if (!grown) {
                free(text);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            text = grown;
        }
        got = fread(text + *len, 1, cap - *len, f);
        *len += got;
    } while (got > 0);
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(text);
        errno = EIO;
        return NULL;
    }
    text[*len] = '\0'; /* the loop leaves room: a text that C string functions may read too */
    return text;
}

typedef struct {
    alert_avro_source src[MAX_SCHEMA_FILES];
    char *paths[MAX_SCHEMA_FILES];
    char *texts[MAX_SCHEMA_FILES];
    size_t n;
} schema_files;

static void schema_files_free(schema_files *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->paths[i]);
        free(f->texts[i]);
    }
    f->n = 0;
}

/* Reads path and puts it first (files it needs go before it: the last is the root). */
static int add_file(schema_files *f, const char *path, char *why, size_t cap)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        snprintf(why, cap, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    if (f->n == MAX_SCHEMA_FILES) {
        free(text);
        snprintf(why, cap, "%s: more than %d schema files", path, MAX_SCHEMA_FILES);
        return -1;
    }
    memmove(f->paths + 1, f->paths, f->n * sizeof *f->paths);
    memmove(f->texts + 1, f->texts, f->n * sizeof *f->texts);
    memmove(f->src + 1, f->src, f->n * sizeof *f->src);
    f->paths[0] = strdup(path);
    f->texts[0] = text;
    f->n++;
    /* Named by its file name: the compiler's messages fit in an alert_error, and the
     * config line they are reported at names the directory. */
    const char *slash = strrchr(f->paths[0] ? f->paths[0] : path, '/');
    f->src[0] = (alert_avro_source){.name = slash ? slash + 1 : path, .text = text, .len = len};
    return 0;
}

/* The type name in a compile error `unknown type "NAME"`, if that is the error. */
static bool unknown_type(const char *msg, char *name, size_t cap)
{
    const char *at = strstr(msg, "unknown type \"");
    if (!at)
        return false;
    at += strlen("unknown type \"");
    size_t n = strcspn(at, "\"");
    if (n == 0 || n >= cap || at[n] != '"')
        return false;
    memcpy(name, at, n);
    name[n] = '\0';
    return true;
}

/* Compiles the schema in path, and NAME.avsc beside it for each named type it
 * uses without defining (fastavro's load_schema convention). */
static int compile_file(const char *path, alert_avro_schema **out, char *why, size_t cap)
{
    schema_files f = {0};
    int rc = add_file(&f, path, why, cap);
    const char *slash = strrchr(path, '/');
    int dir_n = slash ? (int)(slash - path) + 1 : 0;
    while (rc == 0) {
        alert_error err;
        if (alert_avro_schema_compile(f.src, f.n, NULL, out, &err) == 0)
            break;
        char name[256], beside[4096];
        snprintf(why, cap, "%s", err.msg);
        rc = -1;
        if (!unknown_type(err.msg, name, sizeof name))
            break;
        snprintf(beside, sizeof beside, "%.*s%s.avsc", dir_n, path, name);
        bool loaded = false;
        for (size_t i = 0; i < f.n && !loaded; i++)
            loaded = !strcmp(f.paths[i], beside);
        FILE *probe = loaded ? NULL : fopen(beside, "rb");
        if (!probe)
            break; /* the unknown type error stands */
        fclose(probe);
        rc = add_file(&f, beside, why, cap);
    }
    schema_files_free(&f);
    return rc;
}

/* ---- ids ---- */

static known_id *find_id(proc_input *in, int32_t id)
{
    for (size_t i = 0; i < in->n_ids; i++)
        if (in->ids[i].id == id)
            return &in->ids[i];
    return NULL;
}

static known_id *add_id(proc_input *in, int32_t id)
{
    if (in->n_ids == in->cap_ids) {
        size_t cap = in->cap_ids ? in->cap_ids * 2 : 8;
        known_id *grown = realloc(in->ids, cap * sizeof *grown);
        if (!grown)
            return NULL;
        in->ids = grown;
        in->cap_ids = cap;
    }
    known_id *k = &in->ids[in->n_ids++];
    memset(k, 0, sizeof *k);
    k->id = id;
    return k;
}

proc_input *proc_input_new(const proc_config *cfg, volatile sig_atomic_t *stop, proc_diags *diags)
{
    proc_input *in = calloc(1, sizeof *in);
    if (!in) {
        proc_diags_add(diags, "%s: out of memory", cfg->file);
        return NULL;
    }
    in->format = cfg->format;
    in->retry_s = cfg->registry_retry_s;
    in->stop = stop;
    alert_avro_file_init(&in->ocf);
    size_t before = diags->n;
    char why[600];
    for (size_t i = 0; i < cfg->n_schemas; i++) {
        const proc_schema_cfg *sc = &cfg->schemas[i];
        if (!sc->path) /* the entry itself is wrong: proc_config_load said so */
            continue;
        known_id *k = add_id(in, sc->id);
        if (!k || compile_file(sc->path, &k->schema, why, sizeof why))
            proc_diags_add(diags, "%s: input.avro.schemas[%zu].file \"%s\": %s", sc->where, i, sc->file,
                           k ? why : "out of memory");
    }
    if (cfg->bare_schema_path && compile_file(cfg->bare_schema_path, &in->bare, why, sizeof why))
        proc_diags_add(diags, "%s: input.avro.schema \"%s\": %s", cfg->bare_schema_where, cfg->bare_schema, why);
    if (cfg->registry && !(in->registry = proc_registry_new(cfg->registry, cfg->registry_timeout_ms)))
        proc_diags_add(diags, "%s: input.avro.registry: cannot set up an HTTP client (libcurl)", cfg->file);
    if (diags->n != before) {
        proc_input_free(in);
        return NULL;
    }
    return in;
}

void proc_input_free(proc_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_ids; i++)
        alert_avro_schema_free(in->ids[i].schema);
    free(in->ids);
    alert_avro_schema_free(in->bare);
    proc_registry_free(in->registry);
    alert_avro_file_free(&in->ocf);
    free(in);
}

static __attribute__((format(printf, 3, 4))) proc_input_status fail(alert_error *err, size_t offset, const char *fmt,
                                                                    ...)
{
    err->offset = offset;
    int n = snprintf(err->msg, sizeof err->msg, "offset %zu: ", offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return PROC_INPUT_MALFORMED;
}

/* Asks the registry for id and compiles what it answers. */
static proc_input_status fetch_id(proc_input *in, known_id *k, alert_error *err)
{
    proc_schema_texts texts;
    char why[600];
    proc_reg_status s = proc_registry_fetch_retrying(in->registry, k->id, in->retry_s, in->stop, &texts, why, sizeof why);
    char q[700];
    switch (s) {
    case PROC_REG_OK:
        break;
    case PROC_REG_NOT_FOUND:
        snprintf(k->why, sizeof k->why, "schema id %" PRId32 " is not in the schema registry", k->id);
        k->retry_after = now_s() + NOT_FOUND_SECONDS;
        return PROC_INPUT_MALFORMED;
    case PROC_REG_NOT_AVRO:
        snprintf(k->why, sizeof k->why, "%.140s", why);
        return PROC_INPUT_MALFORMED;
    case PROC_REG_UNAVAILABLE:
    case PROC_REG_BAD:
        /* Not the message's fault: nothing is remembered, the caller stops. */
        if (in->stop && *in->stop)
            proc_log(PROC_LOG_WARN, "stopped while waiting for the schema registry", "id=%" PRId32 " error=%s", k->id,
                     proc_log_quote(why, q, sizeof q));
        else
            proc_log(PROC_LOG_ERROR, s == PROC_REG_BAD ? "schema registry answered garbage" : "schema registry unavailable",
                 "id=%" PRId32 " retried_for_s=%d error=%s", k->id, s == PROC_REG_BAD ? 0 : in->retry_s,
                 proc_log_quote(why, q, sizeof q));
        err->offset = 1;
        snprintf(err->msg, sizeof err->msg, "offset 1: schema id %" PRId32 ": %s", k->id,
                 s == PROC_REG_BAD ? "the schema registry answered garbage" : "the schema registry is unavailable");
        return PROC_INPUT_UNAVAILABLE;
    }
    alert_avro_source *src = calloc(texts.n, sizeof *src);
    char (*names)[64] = calloc(texts.n, sizeof *names);
    alert_error ce;
    int rc = -1;
    if (src && names) {
        for (size_t i = 0; i < texts.n; i++) {
            if (i + 1 == texts.n)
                snprintf(names[i], sizeof names[i], "schema id %" PRId32, k->id);
            else
                snprintf(names[i], sizeof names[i], "schema id %" PRId32 " reference %zu", k->id, i + 1);
            src[i] = (alert_avro_source){.name = names[i], .text = texts.texts[i], .len = strlen(texts.texts[i])};
        }
        rc = alert_avro_schema_compile(src, texts.n, NULL, &k->schema, &ce);
    } else {
        snprintf(ce.msg, sizeof ce.msg, "out of memory");
    }
    if (rc)
        snprintf(k->why, sizeof k->why, "the registry's schema does not compile: %.100s", ce.msg);
    else
        proc_log(PROC_LOG_INFO, "schema fetched", "id=%" PRId32 " name=%s schemas=%zu", k->id,
                 alert_avro_schema_name(k->schema), texts.n);
    free(src);
    free(names);
    proc_schema_texts_free(&texts);
    return rc ? PROC_INPUT_MALFORMED : PROC_INPUT_RECORD;
}

/* The schema of a Confluent-framed message's id, from the config, the cache or the registry. */
static proc_input_status schema_of(proc_input *in, int32_t id, const alert_avro_schema **out, alert_error *err)
{
    known_id *k = find_id(in, id);
    if (k && !k->schema && k->retry_after && now_s() >= k->retry_after) {
        *k = in->ids[--in->n_ids]; /* ask again */
        k = NULL;
    }
    if (!k && !in->registry)
        return fail(err, 1, "schema id %" PRId32 " is not in input.avro.schemas and no input.avro.registry is set", id);
    if (!k) {
        if (!(k = add_id(in, id)))
            return fail(err, 1, "schema id %" PRId32 ": out of memory", id);
        proc_input_status s = fetch_id(in, k, err);
        if (s == PROC_INPUT_UNAVAILABLE) {
            in->n_ids--;
            return s;
        }
    }
    if (!k->schema)
        return fail(err, 1, "%s", k->why);
    *out = k->schema;
    return PROC_INPUT_RECORD;
}

/* ---- messages ---- */

void proc_input_open(proc_input *in, const char *msg, size_t len)
{
    in->msg = msg;
    in->len = len;
    uint32_t id;
    bool text = in->format == ALERT_FORMAT_PYTHON || in->format == ALERT_FORMAT_JSON;
    if (!text && alert_avro_is_container(msg, len))
        in->at = AT_OCF_OPEN;
    else if (in->format == ALERT_FORMAT_AVRO && in->bare)
        in->at = AT_BARE;
    else if (!text && alert_avro_confluent_id(msg, len, &id))
        in->at = AT_CONFLUENT;
    else
        in->at = in->format == ALERT_FORMAT_AVRO ? AT_CONFLUENT : AT_TEXT;
}

proc_input_status proc_input_next(proc_input *in, alert_doc *d, alert_error *err)
{
    int at = in->at;
    in->at = AT_END;
    switch (at) {
    case AT_END:
        return PROC_INPUT_END;
    case AT_TEXT:
        return alert_parse(d, in->msg, in->len, in->format, err) ? PROC_INPUT_MALFORMED : PROC_INPUT_RECORD;
    case AT_BARE:
        return alert_avro_read(d, in->bare, in->msg, in->len, err) ? PROC_INPUT_MALFORMED : PROC_INPUT_RECORD;
    case AT_CONFLUENT: {
        uint32_t id;
        if (!alert_avro_confluent_id(in->msg, in->len, &id))
            return fail(err, 0, "neither an Avro object container file (Obj\\x01) nor a Confluent-framed record "
                                "(byte 0, then a 4-byte schema id)");
        const alert_avro_schema *s = NULL;
        proc_input_status st = schema_of(in, (int32_t)id, &s, err);
        if (st != PROC_INPUT_RECORD)
            return st;
        if (alert_avro_read(d, s, in->msg + ALERT_AVRO_CONFLUENT_HEADER, in->len - ALERT_AVRO_CONFLUENT_HEADER, err)) {
            /* err->msg reads "offset N: ..." from the record's start: make it the message's. */
            size_t n = strcspn(err->msg, ":");
            char rest[160];
            snprintf(rest, sizeof rest, "%s", err->msg + n);
            err->offset += ALERT_AVRO_CONFLUENT_HEADER;
            snprintf(err->msg, sizeof err->msg, "offset %zu%.130s", err->offset, rest);
            return PROC_INPUT_MALFORMED;
        }
        return PROC_INPUT_RECORD;
    }
    case AT_OCF_OPEN:
        if (alert_avro_file_open(&in->ocf, in->msg, in->len, NULL, err))
            return PROC_INPUT_MALFORMED;
        /* fall through */
    case AT_OCF: {
        int rc = alert_avro_file_next(&in->ocf, d, err);
        if (rc == 1)
            in->at = AT_OCF;
        if (rc < 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "record %" PRIu64 ": %.130s", in->ocf.record + 1, err->msg);
            memcpy(err->msg, msg, sizeof msg);
        }
        return rc == 1 ? PROC_INPUT_RECORD : rc == 0 ? PROC_INPUT_END : PROC_INPUT_MALFORMED;
    }
    }
    return PROC_INPUT_END;
}
