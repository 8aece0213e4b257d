/* processor/config.h — the whole configuration as one struct, read from a
 * libconfig file by a table of settings (processor/config_table.c, config.c). */
#ifndef PROC_CONFIG_H
#define PROC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alert/alert.h"

typedef enum { PROC_EXACTLY_ONCE, PROC_AT_LEAST_ONCE } proc_guarantee;

/* What a match is written as: the alert as JSON, or the input message's bytes
 * unchanged. A rule's PROC_ENCODING_DEFAULT is resolved to output.encoding by
 * proc_config_load. */
typedef enum { PROC_ENCODING_DEFAULT = -1, PROC_ENCODING_JSON, PROC_ENCODING_ORIGINAL } proc_encoding;

/* One librdkafka property: name with dots (the file writes '_'), value as a string. */
typedef struct {
    char *name;
    char *value;
} proc_kv;

typedef struct {
    proc_kv *items;
    size_t n;
} proc_kvs;

/* One rule as written in the file. line/col locate the first character of
 * the `where` string's content, for FILE:LINE:COL messages (col counts UTF-8
 * characters, a tab as one; 0 if the file changed while it was read).
 * where_src is that string as written, escapes unresolved, or NULL when it
 * is split into adjacent "..." "..." pieces: with it, a byte offset into
 * `where` maps to the exact column. */
typedef struct {
    char *name;
    char *topic;
    char *where; /* NULL once proc_ruleset_build has moved it to the rule set */
    int line;
    int col;
    char *where_src;
    char *file; /* the file the rule is written in: the config's, or one it @includes */
    proc_encoding encoding; /* the rule's `encoding`, else output.encoding */
    char **drop; /* drop = [ "cutoutScience", "candidate.x", ... ]: left out of what it publishes */
    size_t n_drop;
} proc_rule_cfg;

/* One entry of input.avro.schemas: the schema a Confluent-framed message with
 * this id is written with. path is `file` resolved against the config file's
 * directory; where is "CFG:LINE" of the entry, for errors about the file. */
typedef struct {
    int32_t id;
    char *file;
    char *path;
    char *where;
} proc_schema_cfg;
/* A watchlist or watchmap as written in the file: its file (a relative path
 * is from the config file's folder) and, for a watchlist, the radius of the
 * rows without one; line and src locate its group. */
typedef struct {
    char *name;
    char *file;
    double radius_arcsec; /* NAN when not given */
    int line;
    char *src; /* the file the group is written in */
} proc_sky_cfg;

typedef struct {
    char *file;
    bool parsed; /* the file was read and parsed (its settings may still be wrong) */

    proc_kvs kafka; /* kafka = { ... } */
    int unreachable_timeout_ms; /* kafka_unreachable_timeout_ms: `run` ends when the cluster is silent that long */

    char **input_topics; /* input.topics */
    size_t n_input_topics;
    char *group;         /* input.group */
    alert_format format; /* input.format */
    unsigned max_depth;  /* input.max_depth */
    size_t max_bytes;    /* input.max_message_bytes */

    bool avro_present;       /* an input.avro = { ... } group is present */
    char *registry;          /* input.avro.registry: "http://host:port", or NULL */
    int registry_timeout_ms; /* input.avro.registry_timeout_ms: one HTTP request */
    int registry_retry_s;    /* input.avro.registry_retry_seconds: how long an unreachable registry is retried */
    proc_schema_cfg *schemas; /* input.avro.schemas */
    size_t n_schemas;
    char *bare_schema;       /* input.avro.schema as written, or NULL */
    char *bare_schema_path;  /* ... resolved against the config file's directory */
    char *bare_schema_where; /* ... "CFG:LINE" */

    proc_guarantee guarantee; /* output.guarantee */
    proc_encoding encoding;   /* output.encoding */
    char *dead_letter_topic;  /* output.dead_letter_topic, or NULL */
    char *key_path;           /* output.key, or NULL: keep the input key */
    proc_kvs output_kafka;    /* output.kafka: producer overrides (n == 0: none) */
    int txn_interval_ms;      /* output.transaction_interval_ms */
    int txn_max_messages;     /* output.transaction_max_messages */
    int txn_idle_ms;          /* output.transaction_idle_ms (0: never ends a transaction) */

    bool metrics_enabled; /* a metrics = { ... } group is present */
    char *metrics_address;
    int metrics_port;

    proc_rule_cfg *rules;
    size_t n_rules;
    proc_rule_cfg *defs; /* definitions = { NAME = "expression"; ... }: name, where (the text), its place */
    size_t n_defs;

    proc_sky_cfg *watchlists, *watchmaps;
    size_t n_watchlists, n_watchmaps;
} proc_config;

/* Diagnostics: every error found, each one line "FILE:LINE: message" or
 * "FILE:LINE:COL: message" with, for rules, the offending text and a caret. */
typedef struct {
    char **lines;
    size_t n;
} proc_diags;

void proc_diags_add(proc_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void proc_diags_print(const proc_diags *d, FILE *out);
/* Logs each error as one logfmt line (msg="config error"): its first line
 * (file:line[:col]: what), without the context lines under it (the rule's text
 * and a caret), which proc_diags_print and `alertfilter check` show. */
void proc_diags_log(const proc_diags *d);
void proc_diags_free(proc_diags *d);

/* Reads and validates the file. Returns 0, or -1 with every error in diags.
 * input.topics is optional here, so that `check` and `eval` take a file with
 * only `rules`; `run` calls proc_config_check_run as well. cfg is always
 * left freeable with proc_config_free. */
int proc_config_load(const char *path, proc_config *cfg, proc_diags *diags);
/* What `run` needs beyond proc_config_load: input.topics. Returns 0 or -1 with diags. */
int proc_config_check_run(const proc_config *cfg, proc_diags *diags);
/* Names the top-level settings other than the rules (kafka, input, output,
 * metrics) that differ between a and b, comma-separated into names; returns
 * how many. */
size_t proc_config_changed(const proc_config *a, const proc_config *b, char *names, size_t cap);
void proc_config_free(proc_config *cfg);

/* Writes the effective configuration as logfmt key=value pairs, one line per
 * group, secrets masked as "***": any Kafka property whose name contains
 * "password", "secret", ".pem", "oauthbearer.config" or "credentials", or ends in "key". */
void proc_config_log(const proc_config *cfg);

#endif
