/* processor/config_table.c — the table of settings: each one declared once (name,
 * type, default, bounds, where it lands), with the validators of its values. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "processor/config_internal.h"

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

/* A name of letters, digits, _ and -; what says what it names, for the message. */
static int check_name(const char *value, const char *what, char *why, size_t cap)
{
    size_t n = strlen(value);
    if (n == 0 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        snprintf(why, cap, "\"%s\" is not a valid %s (letters, digits, _ and - only)", value, what);
        return -1;
    }
    return 0;
}

static int check_rule_name(const char *value, char *why, size_t cap)
{
    return check_name(value, "rule name", why, cap);
}

static int check_sky_name(const char *value, char *why, size_t cap)
{
    return check_name(value, "name", why, cap);
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

const spec proc_config_settings[] = {
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
