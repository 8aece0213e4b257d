/* tests/processor/test_config.c — the config file (processor/config.c): values,
 * defaults, every error message, rule positions; and the compiled rule set
 * with its FILE:LINE:COL errors (processor/ruleset.c). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "processor/config.h"
#include "processor/log.h"
#include "processor/ruleset.h"
#include "processor/run_kafka.h"

#define DIR "tests/processor/configs/"

/* Every diagnostic, one per line, as `check` prints them. */
static char *joined(const proc_diags *d)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    proc_diags_print(d, f);
    fclose(f);
    return out;
}

/* Loads path, expecting failure, and returns all the diagnostics. */
static char *errors_of(const char *path)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), -1);
    char *out = joined(&d);
    proc_diags_free(&d);
    proc_config_free(&cfg);
    return out;
}

/* Writes text to a fresh temporary file; returns its path (caller frees and unlinks). */
static char *temp_config(const char *text)
{
    char *path = strdup("/tmp/af-test-config-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* The diagnostics of a config given as text, with its temporary path replaced by "F". */
static char *errors_of_text(const char *text)
{
    char *path = temp_config(text);
    char *raw = errors_of(path);
    char *out = calloc(strlen(raw) + 1, 1);
    size_t n = strlen(path), o = 0;
    for (const char *p = raw; *p;)
        if (!strncmp(p, path, n)) {
            out[o++] = 'F';
            p += n;
        } else {
            out[o++] = *p++;
        }
    unlink(path);
    free(path);
    free(raw);
    return out;
}

#define RULE_ALL "rules = ( { name = \"all\"; topic = \"all\"; where = \"true\"; } );\n"

Test(config, minimal_file_takes_every_default)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(DIR "minimal.cfg", &cfg, &d), 0);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(cfg.file, DIR "minimal.cfg");
    cr_assert_eq(cfg.kafka.n, 0);
    cr_assert_eq(cfg.n_input_topics, 0);
    cr_assert_str_eq(cfg.group, "alertfilter");
    cr_assert_eq(cfg.format, ALERT_FORMAT_AUTO);
    cr_assert_eq(cfg.max_depth, 512);
    cr_assert_eq(cfg.max_bytes, 16777216);
    cr_assert_eq(cfg.guarantee, PROC_EXACTLY_ONCE);
    cr_assert_null(cfg.dead_letter_topic);
    cr_assert_null(cfg.key_path);
    cr_assert_eq(cfg.output_kafka.n, 0);
    cr_assert_eq(cfg.txn_interval_ms, 100);
    cr_assert_eq(cfg.txn_max_messages, 10000);
    cr_assert_eq(cfg.txn_idle_ms, 10);
    cr_assert_eq(cfg.metrics_enabled, false);
    cr_assert_str_eq(cfg.metrics_address, "0.0.0.0");
    cr_assert_eq(cfg.metrics_port, 9464);
    cr_assert_eq(cfg.n_rules, 1);
    cr_assert_str_eq(cfg.rules[0].name, "all");
    cr_assert_str_eq(cfg.rules[0].topic, "all");
    cr_assert_str_eq(cfg.rules[0].where, "true");
    cr_assert_eq(cfg.rules[0].line, 1);
    cr_assert_eq(cfg.rules[0].col, 51);
    proc_config_free(&cfg);
}

Test(config, full_file_sets_every_value_and_maps_kafka_names)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(DIR "full.cfg", &cfg, &d), 0);
    static const char *const kafka[][2] = {{"bootstrap.servers", "kafka:9092"}, {"sasl.password", "hunter2"},
                                           {"enable.idempotence", "true"},       {"linger.ms", "5"},
                                           {"queue.buffering.max.kbytes", "2048"}};
    cr_assert_eq(cfg.kafka.n, 5);
    for (size_t i = 0; i < 5; i++) {
        cr_assert_str_eq(cfg.kafka.items[i].name, kafka[i][0]);
        cr_assert_str_eq(cfg.kafka.items[i].value, kafka[i][1]);
    }
    cr_assert_eq(cfg.n_input_topics, 2);
    cr_assert_str_eq(cfg.input_topics[0], "alerts");
    cr_assert_str_eq(cfg.input_topics[1], "alerts.other");
    cr_assert_str_eq(cfg.group, "filters");
    cr_assert_eq(cfg.format, ALERT_FORMAT_PYTHON);
    cr_assert_eq(cfg.max_depth, 64);
    cr_assert_eq(cfg.max_bytes, 1048576);
    cr_assert_eq(cfg.guarantee, PROC_AT_LEAST_ONCE);
    cr_assert_str_eq(cfg.dead_letter_topic, "alerts-dlq");
    cr_assert_str_eq(cfg.key_path, "diaObject.diaObjectId");
    cr_assert_eq(cfg.output_kafka.n, 2);
    cr_assert_str_eq(cfg.output_kafka.items[0].name, "bootstrap.servers");
    cr_assert_str_eq(cfg.output_kafka.items[0].value, "downstream:9092");
    cr_assert_str_eq(cfg.output_kafka.items[1].name, "compression.type");
    cr_assert_str_eq(cfg.output_kafka.items[1].value, "lz4");
    cr_assert_eq(cfg.txn_interval_ms, 250);
    cr_assert_eq(cfg.txn_max_messages, 5000);
    cr_assert_eq(cfg.txn_idle_ms, 0);
    cr_assert_eq(cfg.metrics_enabled, true);
    cr_assert_str_eq(cfg.metrics_address, "127.0.0.1");
    cr_assert_eq(cfg.metrics_port, 9100);
    cr_assert_eq(cfg.n_rules, 2);
    cr_assert_str_eq(cfg.rules[1].name, "seed_ra");
    cr_assert_str_eq(cfg.rules[1].topic, "alerts-ra350");
    cr_assert_str_eq(cfg.rules[1].where, "diaSource.ra > 350");
    cr_assert_eq(cfg.rules[1].line, 21);
    cr_assert_eq(cfg.rules[1].col, 56);
    cr_assert_eq(proc_config_check_run(&cfg, &d), 0);
    proc_config_free(&cfg);
}

Test(config, reference_config_loads)
{
    proc_config cfg;
    proc_diags d = {0};
    int rc = proc_config_load("etc/alertfilter.cfg", &cfg, &d);
    char *out = joined(&d);
    cr_assert_str_eq(out, "");
    cr_assert_eq(rc, 0);
    cr_assert_eq(cfg.n_rules, 2);
    free(out);
    proc_config_free(&cfg);
}

Test(config, misspelt_settings_are_errors_with_suggestions)
{
    char *out = errors_of(DIR "typo.cfg");
    cr_assert_str_eq(out, DIR "typo.cfg:2: unknown setting 'input.toipcs' (did you mean 'input.topics'?)\n"
                          DIR "typo.cfg:3: unknown setting 'input.grop' (did you mean 'input.group'?)\n"
                          DIR "typo.cfg:5: unknown setting 'outptu' (did you mean 'output'?)\n"
                          DIR "typo.cfg:6: unknown setting 'rules[0].wehre' (did you mean 'rules[0].where'?)\n");
    free(out);
}

Test(config, unknown_setting_far_from_any_name_has_no_suggestion)
{
    char *out = errors_of_text("input = { partitions = 3; };\n" RULE_ALL);
    cr_assert_str_eq(out, "F:1: unknown setting 'input.partitions'\n");
    free(out);
}

Test(config, every_error_of_a_file_is_reported_in_file_order)
{
    char *out = errors_of(DIR "errors.cfg");
    cr_assert_str_eq(
        out,
        DIR "errors.cfg:1: 'input.format' is \"xml\", must be \"auto\", \"python\", \"json\" or \"avro\"\n"
        DIR "errors.cfg:1: 'input.max_depth' is 0, must be between 1 and 100000\n"
        DIR "errors.cfg:1: 'input.max_message_bytes' must be an integer, not a string\n"
        DIR "errors.cfg:1: 'input.topics[1]': \"bad topic\" is not a valid Kafka topic name (1 to 249 characters "
            "of A-Z a-z 0-9 . _ -, not \".\" or \"..\")\n"
        DIR "errors.cfg:1: 'input.topics[2]' must be a string, not an integer\n"
        DIR "errors.cfg:2: 'output.guarantee' is \"twice\", must be \"exactly_once\" or \"at_least_once\"\n"
        DIR "errors.cfg:2: 'output.transaction_interval_ms' is 60001, must be between 1 and 60000\n"
        DIR "errors.cfg:2: 'output.dead_letter_topic': \"..\" is not a valid Kafka topic name (1 to 249 "
            "characters of A-Z a-z 0-9 . _ -, not \".\" or \"..\")\n"
        DIR "errors.cfg:3: 'metrics.port' is 65536, must be between 1 and 65535\n"
        DIR "errors.cfg:3: 'metrics.address' must be a string, not an integer\n"
        DIR "errors.cfg:6: 'rules[1].topic': \"alerts/bright\" is not a valid Kafka topic name (1 to 249 "
            "characters of A-Z a-z 0-9 . _ -, not \".\" or \"..\")\n"
        DIR "errors.cfg:6: duplicate rule name 'bright' (first used at line 5)\n"
        DIR "errors.cfg:7: 'rules[2].name': \"b c\" is not a valid rule name (letters, digits, _ and - only)\n"
        DIR "errors.cfg:7: 'rules[2].where' must be a string, not an integer\n"
        DIR "errors.cfg:8: missing required setting 'rules[3].where'\n"
        DIR "errors.cfg:9: 'rules[4]' must be a group { ... }, not a string\n");
    free(out);
}

Test(config, topic_names_follow_kafka)
{
    char ok[600], bad[600];
    char t249[250], t250[251];
    memset(t249, 'a', 249);
    t249[249] = '\0';
    memset(t250, 'a', 250);
    t250[250] = '\0';
    snprintf(ok, sizeof ok, "rules = ( { name = \"r\"; topic = \"%s\"; where = \"true\"; },\n"
                            "          { name = \"s\"; topic = \"A.b_c-9\"; where = \"true\"; } );\n", t249);
    char *path = temp_config(ok);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), 0);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
    snprintf(bad, sizeof bad, "rules = ( { name = \"r\"; topic = \"%s\"; where = \"true\"; },\n"
                              "          { name = \"s\"; topic = \".\"; where = \"true\"; },\n"
                              "          { name = \"t\"; topic = \"\"; where = \"true\"; },\n"
                              "          { name = \"u\"; topic = \"caf\xc3\xa9\"; where = \"true\"; } );\n", t250);
    char *out = errors_of_text(bad);
    char expected[2000];
    const char *rest = " is not a valid Kafka topic name (1 to 249 characters of A-Z a-z 0-9 . _ -, not \".\" or \"..\")\n";
    snprintf(expected, sizeof expected,
             "F:1: 'rules[0].topic': \"%s\"%sF:2: 'rules[1].topic': \".\"%sF:3: 'rules[2].topic': \"\"%s"
             "F:4: 'rules[3].topic': \"caf\xc3\xa9\"%s",
             t250, rest, rest, rest, rest);
    cr_assert_str_eq(out, expected);
    free(out);
}

Test(config, exactly_once_cannot_span_two_clusters)
{
    char *out = errors_of(DIR "two_clusters.cfg");
    cr_assert_str_eq(out, DIR "two_clusters.cfg:4: output.kafka.bootstrap_servers \"downstream:9092\" is another "
                          "cluster than kafka.bootstrap_servers \"kafka:9092\", but guarantee \"exactly_once\" commits "
                          "the input offsets and the output in one transaction, and a transaction cannot span two "
                          "Kafka clusters; use guarantee = \"at_least_once\" to chain to a downstream cluster\n");
    free(out);
}

Test(config, two_clusters_at_least_once_or_same_cluster_is_fine)
{
    const char *texts[] = {
        "kafka = { bootstrap_servers = \"a:9092\"; };\n"
        "output = { guarantee = \"at_least_once\"; kafka = { bootstrap_servers = \"b:9092\"; }; };\n" RULE_ALL,
        "kafka = { bootstrap_servers = \"a:9092\"; };\n"
        "output = { kafka = { bootstrap_servers = \"a:9092\"; linger_ms = 1; }; };\n" RULE_ALL,
    };
    for (size_t i = 0; i < 2; i++) {
        char *path = temp_config(texts[i]);
        proc_config cfg;
        proc_diags d = {0};
        cr_assert_eq(proc_config_load(path, &cfg, &d), 0, "config %zu", i);
        proc_config_free(&cfg);
        unlink(path);
        free(path);
    }
}

Test(config, syntax_error_names_file_and_line)
{
    char *out = errors_of(DIR "syntax.cfg");
    cr_assert_str_eq(out, DIR "syntax.cfg:3: syntax error\n");
    free(out);
}

Test(config, rules_are_required_and_not_empty)
{
    char *out = errors_of(DIR "no_rules.cfg");
    cr_assert_str_eq(out, DIR "no_rules.cfg: missing required setting 'rules'\n");
    free(out);
    out = errors_of_text("rules = ( );\n");
    cr_assert_str_eq(out, "F:1: 'rules' is empty, must hold at least one group\n");
    free(out);
    out = errors_of_text("rules = { name = \"all\"; };\n");
    cr_assert_str_eq(out, "F:1: 'rules' must be a list ( ... ), not a group\n");
    free(out);
}

Test(config, missing_file)
{
    char *out = errors_of(DIR "no-such.cfg");
    cr_assert_str_eq(out, DIR "no-such.cfg: cannot open: No such file or directory\n");
    free(out);
}

Test(config, kafka_properties_are_checked_by_librdkafka)
{
    char *out = errors_of(DIR "kafka.cfg");
    cr_assert_str_eq(out, DIR "kafka.cfg:2: 'kafka.bootstrap_serverz': No such configuration property: "
                          "\"bootstrap.serverz\" (did you mean 'bootstrap_servers'?)\n"
                          DIR "kafka.cfg:3: 'kafka.auto_offset_reset': Invalid value \"sometime\" for "
                          "configuration property \"auto.offset.reset\"\n"
                          DIR "kafka.cfg:5: 'kafka.fetch_wait_max_ms' must be a string, an integer, a float or a "
                          "boolean, not an array\n");
    free(out);
}

Test(config, integers_beyond_32_bits_are_out_of_bounds_not_wrapped)
{
    char *out = errors_of_text("input = { max_message_bytes = 5000000000; max_depth = 0x10; };\n"
                               "output = { transaction_max_messages = 99999999999999999999; };\n" RULE_ALL);
    cr_assert_str_eq(out, "F:1: 'input.max_message_bytes' is 5000000000, must be between 1 and 1073741824\n"
                          "F:2: 'output.transaction_max_messages' is out of range, must be between 1 and 1000000\n");
    free(out);
}

Test(config, output_key_must_be_a_path)
{
    char *path = temp_config("output = { key = \"diaObject.\"; };\n" RULE_ALL);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), -1);
    alert_path p = {0};
    alert_error e;
    cr_assert_eq(alert_path_parse("diaObject.", 10, &p, &e), -1);
    char expected[400];
    snprintf(expected, sizeof expected, "%s:1: 'output.key': \"diaObject.\" is not a valid path: %s", path, e.msg);
    cr_assert_str_eq(e.msg, "offset 10: empty key");
    cr_assert_eq(d.n, 1);
    cr_assert_str_eq(d.lines[0], expected);
    proc_diags_free(&d);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
}

Test(config, run_needs_input_topics)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(DIR "minimal.cfg", &cfg, &d), 0);
    cr_assert_eq(proc_config_check_run(&cfg, &d), -1);
    char *out = joined(&d);
    cr_assert_str_eq(out, DIR "minimal.cfg: 'run' needs input.topics = [ \"TOPIC\", ... ]: the topics to read "
                          "alerts from\n");
    free(out);
    proc_diags_free(&d);
    proc_config_free(&cfg);
}

Test(config, where_positions_and_raw_text)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(DIR "where_pos.cfg", &cfg, &d), 0);
    static const struct {
        int line, col;
        const char *src;
    } want[] = {
        {2, 39, "x > 1"},
        {2, 86, "y > 2"}, /* the second rule on the same line */
        {3, 39, "name == \\\"where = \\\\\\\"\\\" and \xc3\xa9 > 3"},
        {5, 8, "z > 4"},  /* the string on the line after `where =` */
        {6, 39, NULL},    /* split into "a" " > 5": no single raw text */
        {7, 58, "w > 6"}, /* after a comment that says where = */
    };
    cr_assert_eq(cfg.n_rules, 6);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(cfg.rules[i].line, want[i].line, "rule %zu", i);
        cr_assert_eq(cfg.rules[i].col, want[i].col, "rule %zu", i);
        if (want[i].src)
            cr_assert_str_eq(cfg.rules[i].where_src, want[i].src, "rule %zu", i);
        else
            cr_assert_null(cfg.rules[i].where_src, "rule %zu", i);
    }
    cr_assert_str_eq(cfg.rules[2].where, "name == \"where = \\\"\" and \xc3\xa9 > 3");
    cr_assert_str_eq(cfg.rules[4].where, "a > 5");
    proc_config_free(&cfg);
}

/* Runs proc_config_log with stderr in a file; returns the lines without their time= field. */
static char *logged(const proc_config *cfg)
{
    char path[] = "/tmp/af-test-log-XXXXXX";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    proc_config_log(cfg);
    dup2(saved, STDERR_FILENO);
    close(saved);
    size_t cap = 8192, len = 0;
    char *raw = calloc(cap, 1), *out = calloc(cap, 1);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, raw, cap - 1);
    close(fd);
    unlink(path);
    cr_assert_gt(n, 0);
    for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n")) {
        cr_assert_eq(strncmp(line, "time=", 5), 0);
        len += (size_t)snprintf(out + len, cap - len, "%s\n", strchr(line, ' ') + 1);
    }
    free(raw);
    return out;
}

Test(config, effective_config_is_logged_with_secrets_masked)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(DIR "full.cfg", &cfg, &d), 0);
    char *out = logged(&cfg);
    cr_assert_str_eq(out,
                     "level=info msg=config file=" DIR "full.cfg kafka.bootstrap.servers=kafka:9092 "
                     "kafka.sasl.password=*** kafka.enable.idempotence=true kafka.linger.ms=5 "
                     "kafka.queue.buffering.max.kbytes=2048 kafka_unreachable_timeout_ms=60000 rules=2 watchlists=0 watchmaps=0\n"
                     "level=info msg=config section=input topics=alerts,alerts.other group=filters format=python "
                     "max_depth=64 max_message_bytes=1048576\n"
                     "level=info msg=config section=output guarantee=at_least_once encoding=json dead_letter_topic=alerts-dlq "
                     "key=diaObject.diaObjectId kafka.bootstrap.servers=downstream:9092 kafka.compression.type=lz4 "
                     "transaction_interval_ms=250 transaction_max_messages=5000 transaction_idle_ms=0\n"
                     "level=info msg=config section=metrics address=127.0.0.1 port=9100\n");
    free(out);
    proc_config_free(&cfg);
}

Test(config, the_avro_group_is_logged_when_present)
{
    char *path = temp_config("input = { format = \"json\"; avro = { registry = \"http://r:8081\"; "
                             "schemas = ( { id = 1; file = \"x\"; } ); }; };\n"
                             "output = { encoding = \"original\"; };\n" RULE_ALL);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), 0);
    char *out = logged(&cfg);
    cr_assert_str_eq(strchr(out, '\n') + 1,
                     "level=info msg=config section=input topics=\"\" group=alertfilter format=json max_depth=512 "
                     "max_message_bytes=16777216 avro.registry=http://r:8081 avro.registry_timeout_ms=10000 "
                     "avro.registry_retry_seconds=60 avro.schemas=1 avro.schema=\"\"\n"
                     "level=info msg=config section=output guarantee=exactly_once encoding=original "
                     "dead_letter_topic=\"\" key=\"\" transaction_interval_ms=100 transaction_max_messages=10000 "
                     "transaction_idle_ms=10\n");
    free(out);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
}

Test(config, credentials_in_a_url_are_masked)
{
    char *path = temp_config("input = { avro = { registry = \"https://reader:s3cret@registry.example:8081/api\"; }; };\n"
                             RULE_ALL);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), 0);
    char *out = logged(&cfg);
    cr_assert_not_null(strstr(out, " avro.registry=https://***@registry.example:8081/api "), "%s", out);
    cr_assert_null(strstr(out, "s3cret"), "%s", out);
    free(out);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
}

/* What a reload would leave unchanged: every top-level setting but the rules,
 * secrets compared as they are (they are only masked in the log). */
static char *changed_between(const char *a_text, const char *b_text, size_t *n)
{
    char *pa = temp_config(a_text), *pb = temp_config(b_text);
    proc_config a, b;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(pa, &a, &d), 0);
    cr_assert_eq(proc_config_load(pb, &b, &d), 0);
    char names[256];
    *n = proc_config_changed(&a, &b, names, sizeof names);
    proc_config_free(&a);
    proc_config_free(&b);
    unlink(pa);
    unlink(pb);
    free(pa);
    free(pb);
    return strdup(names);
}

Test(config, a_reload_names_the_settings_it_cannot_change)
{
    const char *base = "kafka = { bootstrap_servers = \"k:9092\"; sasl_password = \"a\"; };\n"
                       "input = { topics = [ \"in\" ]; };\n"
                       "rules = ( { name = \"r\"; topic = \"o\"; where = \"true\"; } );\n";
    size_t n;
    char *names = changed_between(base,
                                  "kafka = { bootstrap_servers = \"k:9092\"; sasl_password = \"a\"; };\n"
                                  "input = { topics = [ \"in\" ]; };\n"
                                  "rules = ( { name = \"r\"; topic = \"o\"; where = \"false\"; },\n"
                                  "          { name = \"s\"; topic = \"p\"; where = \"true\"; } );\n",
                                  &n);
    cr_assert_eq(n, 0);
    cr_assert_str_eq(names, "");
    free(names);
    names = changed_between(base,
                            "kafka = { bootstrap_servers = \"k:9092\"; sasl_password = \"b\"; };\n"
                            "input = { topics = [ \"in\" ]; format = \"json\"; };\n"
                            "metrics = { port = 9100; };\n"
                            "rules = ( { name = \"r\"; topic = \"o\"; where = \"true\"; } );\n",
                            &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(names, "kafka,input,metrics");
    free(names);
    names = changed_between(base,
                            "kafka = { bootstrap_servers = \"k:9092\"; sasl_password = \"a\"; };\n"
                            "input = { topics = [ \"in\" ]; };\n"
                            "output = { guarantee = \"at_least_once\"; };\n"
                            "rules = ( { name = \"r\"; topic = \"o\"; where = \"true\"; } );\n",
                            &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(names, "output");
    free(names);
}

/* ---- the rule set ---- */

Test(ruleset, builds_every_rule_in_order)
{
    proc_config cfg;
    proc_diags d = {0};
    rule_set *rs = proc_ruleset_load(DIR "full.cfg", &cfg, &d);
    cr_assert_not_null(rs);
    cr_assert_eq(rule_set_count(rs), 2);
    cr_assert_str_eq(rule_set_name(rs, 0), "bright");
    cr_assert_str_eq(rule_set_name(rs, 1), "seed_ra");
    /* Each rule's text moved to the set: one copy of it, not two. */
    cr_assert_str_eq(rule_set_where(rs, 0), "diaSource.snr > 5");
    cr_assert_str_eq(rule_set_where(rs, 1), "diaSource.ra > 350");
    cr_assert_null(cfg.rules[0].where);
    cr_assert_null(cfg.rules[1].where);
    rule_set_free(rs);
    proc_config_free(&cfg);
}

/* The errors rules/ gives for where: their messages and where they point. */
static size_t compile_errors(const char *where, rule_error *e, size_t max)
{
    rule_set *rs = rule_set_new();
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "x", where, e, max, &n), -1);
    rule_set_free(rs);
    return n;
}

Test(ruleset, compile_errors_point_into_the_file)
{
    const char *text = "rules = (\n"
                       "  { name = \"ok\"; topic = \"t\"; where = \"true\"; },\n"
                       "  { name = \"bright\"; topic = \"t\"; where = \"diaSource.snr > > 5 and sqr(2)\"; },\n"
                       "  { name = \"esc\"; topic = \"t\"; where = \"diaSource.filterName == \\\"r\\\" and nosuch(1)\"; }\n"
                       ");\n";
    char *path = temp_config(text);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_null(proc_ruleset_load(path, &cfg, &d));
    rule_error e1[4], e2[4];
    cr_assert_eq(compile_errors("diaSource.snr > > 5 and sqr(2)", e1, 4), 2);
    cr_assert_eq(compile_errors("diaSource.filterName == \"r\" and nosuch(1)", e2, 4), 1);
    cr_assert_eq(e1[0].offset, 16);
    cr_assert_eq(e1[1].offset, 24);
    cr_assert_eq(e1[1].len, 3);
    cr_assert_eq(e2[0].offset, 32);
    cr_assert_eq(e2[0].len, 6);
    char expected[1500];
    snprintf(expected, sizeof expected,
             "%s:3:60: rule 'bright': %s\n"
             "    where = \"diaSource.snr > > 5 and sqr(2)\"\n"
             "                             ^\n"
             "%s:3:68: rule 'bright': %s\n"
             "    where = \"diaSource.snr > > 5 and sqr(2)\"\n"
             "                                     ^~~\n"
             "%s:4:75: rule 'esc': %s\n"
             "    where = \"diaSource.filterName == \\\"r\\\" and nosuch(1)\"\n"
             "                                               ^~~~~~\n",
             path, e1[0].msg, path, e1[1].msg, path, e2[0].msg);
    char *out = joined(&d);
    cr_assert_str_eq(out, expected);
    free(out);
    proc_diags_free(&d);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
}

/* One `check` lists every error of a file: a misspelt setting does not hide
 * the rules' own errors, and a rule missing its `where` is reported once. */
Test(ruleset, rules_compile_even_when_other_settings_are_wrong)
{
    const char *text = "input = { toipcs = [ \"x\" ]; };\n"
                       "rules = (\n"
                       "  { name = \"bad\"; topic = \"t\"; where = \"nosuch(1)\"; },\n"
                       "  { name = \"nowhere\"; topic = \"t\"; }\n"
                       ");\n";
    char *path = temp_config(text);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_null(proc_ruleset_load(path, &cfg, &d));
    rule_error e[4];
    cr_assert_eq(compile_errors("nosuch(1)", e, 4), 1);
    char expected[1500];
    snprintf(expected, sizeof expected,
             "%s:1: unknown setting 'input.toipcs' (did you mean 'input.topics'?)\n"
             "%s:4: missing required setting 'rules[1].where'\n"
             "%s:3:41: rule 'bad': %s\n"
             "    where = \"nosuch(1)\"\n"
             "             ^~~~~~\n",
             path, path, path, e[0].msg);
    char *out = joined(&d);
    cr_assert_str_eq(out, expected);
    free(out);
    proc_diags_free(&d);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
}

Test(ruleset, errors_in_an_included_file_name_that_file)
{
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_null(proc_ruleset_load(DIR "include.cfg", &cfg, &d));
    rule_error e[4];
    cr_assert_eq(compile_errors("nosuch(1)", e, 4), 1);
    char expected[600];
    snprintf(expected, sizeof expected,
             DIR "include_rules.inc:3:41: rule 'inc': %s\n"
                 "    where = \"nosuch(1)\"\n"
                 "             ^~~~~~\n",
             e[0].msg);
    char *out = joined(&d);
    cr_assert_str_eq(out, expected);
    free(out);
    proc_diags_free(&d);
    proc_config_free(&cfg);
}

Test(config, output_to_an_input_topic_is_a_loop)
{
    char *out = errors_of_text("input = { topics = [ \"alerts\", \"more\" ]; };\n"
                               "output = { dead_letter_topic = \"more\"; };\n"
                               "rules = ( { name = \"all\"; topic = \"alerts\"; where = \"true\"; } );\n");
    cr_assert_str_eq(out, "F:2: output.dead_letter_topic \"more\" is an input topic: malformed messages would be "
                          "read again\n"
                          "F:3: rule 'all' writes to \"alerts\", an input topic: its matches would be read again\n");
    free(out);
}

/* The values of names in the consumer's (or the producer's) librdkafka
 * configuration that run builds from the config text. */
static void client_values(const char *text, bool producer, const char *const *names, char (*out)[32])
{
    char *path = temp_config(text);
    proc_config cfg;
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), 0);
    char err[512] = "";
    rd_kafka_conf_t *conf =
        producer ? proc_kafka_producer_conf(&cfg, err, sizeof err) : proc_kafka_consumer_conf(&cfg, 0, err, sizeof err);
    cr_assert_not_null(conf, "%s", err);
    for (size_t i = 0; names[i]; i++) {
        size_t n = sizeof out[i];
        cr_assert_eq(rd_kafka_conf_get(conf, names[i], out[i], &n), RD_KAFKA_CONF_OK, "%s", names[i]);
    }
    rd_kafka_conf_destroy(conf);
    proc_config_free(&cfg);
    unlink(path);
    free(path);
}

/* run's bounded prefetch (run_kafka.c: 64 MiB queued, 512 KiB per partition
 * fetch) is a default: the file's kafka group wins. */
Test(config, consumer_prefetch_defaults_apply_and_the_file_overrides_them)
{
    const char *names[] = {"queued.max.messages.kbytes", "max.partition.fetch.bytes", "fetch.wait.max.ms", NULL};
    char got[3][32];
    client_values(RULE_ALL, false, names, got);
    cr_assert_str_eq(got[0], "65536");
    cr_assert_str_eq(got[1], "524288");
    cr_assert_str_eq(got[2], "100");
    client_values("kafka = { queued_max_messages_kbytes = 16384; max_partition_fetch_bytes = \"1048576\"; "
                  "fetch_wait_max_ms = 500; };\n" RULE_ALL,
                  false, names, got);
    cr_assert_str_eq(got[0], "16384");
    cr_assert_str_eq(got[1], "1048576");
    cr_assert_str_eq(got[2], "500");
}

/* run's produce queue (run_kafka.c: 32 MiB, a transaction's output waiting
 * for the broker) is a default: the output's kafka group wins. */
Test(config, the_produce_queue_default_applies_and_the_file_overrides_it)
{
    const char *names[] = {"queue.buffering.max.kbytes", "linger.ms", NULL};
    char got[2][32];
    client_values(RULE_ALL, true, names, got);
    cr_assert_str_eq(got[0], "32768");
    cr_assert_str_eq(got[1], "5");
    client_values("output = { kafka = { queue_buffering_max_kbytes = 65536; }; };\n" RULE_ALL, true, names, got);
    cr_assert_str_eq(got[0], "65536");
}
