/* tests/processor/test_input.c — input messages by format (processor/input.c):
 * Confluent-framed records with schemas from files (split over several, as
 * Rubin's) or from a registry (cached; 404, down, garbage), object container
 * files of several records, bare Avro, text; every error's offset and reason. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert.h"
#include "avro_bytes.h"
#include "processor/config.h"
#include "processor/input.h"
#include "processor/log.h"
#include "registry_server.h"

#define ALERT_AVSC "{\"type\": \"record\", \"name\": \"alert\", \"namespace\": \"t\", \"fields\": [" \
                   "{\"name\": \"id\", \"type\": \"long\"}, {\"name\": \"name\", \"type\": \"string\"}, "  \
                   "{\"name\": \"sub\", \"type\": \"t.sub\"}]}"
#define SUB_AVSC "{\"type\": \"record\", \"name\": \"sub\", \"namespace\": \"t\", \"fields\": [" \
                 "{\"name\": \"flux\", \"type\": \"double\"}]}"
#define WHOLE_AVSC "{\"type\": \"record\", \"name\": \"alert\", \"namespace\": \"t\", \"fields\": ["              \
                   "{\"name\": \"id\", \"type\": \"long\"}, {\"name\": \"name\", \"type\": \"string\"}, "        \
                   "{\"name\": \"sub\", \"type\": {\"type\": \"record\", \"name\": \"sub\", \"fields\": ["    \
                   "{\"name\": \"flux\", \"type\": \"double\"}]}}]}"

static char dir[64];
static rs_server server;
static proc_config cfg;
static proc_input *in;
static alert_doc doc;

static void put(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    cr_redirect_stderr(); /* the error lines a registry that fails logs */
    snprintf(dir, sizeof dir, "/tmp/af-input-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    put("t.alert.avsc", ALERT_AVSC);
    put("t.sub.avsc", SUB_AVSC);
    alert_doc_init(&doc);
}

static void teardown(void)
{
    proc_input_free(in);
    in = NULL;
    proc_config_free(&cfg);
    alert_doc_free(&doc);
    if (server.pid)
        rs_stop(&server);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Loads a config of `input` settings (rules added) and sets up the input; returns the diagnostics. */
static char *start(const char *input)
{
    char text[2048];
    snprintf(text, sizeof text, "input = { %s };\nrules = ( { name = \"a\"; topic = \"a\"; where = \"true\"; } );\n",
             input);
    put("a.cfg", text);
    char path[128];
    snprintf(path, sizeof path, "%s/a.cfg", dir);
    proc_diags d = {0};
    cr_assert_eq(proc_config_load(path, &cfg, &d), 0, "%s", d.n ? d.lines[0] : "");
    in = proc_input_new(&cfg, NULL, &d);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    proc_diags_print(&d, f);
    fclose(f);
    proc_diags_free(&d);
    /* The temporary directory written "D". */
    for (char *p; (p = strstr(out, dir));) {
        *p = 'D';
        memmove(p + 1, p + strlen(dir), strlen(p + strlen(dir)) + 1);
    }
    return out;
}

static void record(ab_buf *o, int64_t id, const char *name, double flux)
{
    ab_long(o, id);
    ab_string(o, name);
    ab_double(o, flux);
}

static char *json_of(void)
{
    alert_buf b = {0};
    cr_assert_eq(alert_write_json(&doc, 0, &b), 0);
    char *out = strndup(b.data, b.len);
    alert_buf_free(&b);
    return out;
}

/* Reads msg: expects one alert whose JSON is want, then the end. */
static void expect_alert(const ab_buf *msg, const char *want)
{
    alert_error e;
    proc_input_open(in, (const char *)msg->b, msg->n);
    proc_input_status s = proc_input_next(in, &doc, &e);
    cr_assert_eq(s, PROC_INPUT_RECORD, "%d: %s", s, e.msg);
    char *json = json_of();
    cr_assert_str_eq(json, want);
    free(json);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_END);
}

static void expect_error(const ab_buf *msg, proc_input_status want, const char *why)
{
    alert_error e;
    proc_input_open(in, (const char *)msg->b, msg->n);
    proc_input_status s = proc_input_next(in, &doc, &e);
    cr_assert_eq(s, want, "%d: %s", s, s == PROC_INPUT_RECORD ? "" : e.msg);
    cr_assert_str_eq(e.msg, why);
}

TestSuite(input, .init = setup, .fini = teardown, .timeout = 30);

Test(input, confluent_record_with_a_schema_split_over_files)
{
    char *errs = start("avro = { schemas = ( { id = 7; file = \"t.alert.avsc\"; } ); };");
    cr_assert_str_eq(errs, "");
    free(errs);
    ab_buf m = {0};
    ab_confluent(&m, 7);
    record(&m, 42, "x", 1.5);
    expect_alert(&m, "{\"id\":42,\"name\":\"x\",\"sub\":{\"flux\":1.5}}");
}

Test(input, schema_file_errors_name_the_config_line)
{
    put("bad.avsc", "{\"type\": \"record\", \"name\": \"b\", \"fields\": [{\"name\": \"x\", \"type\": \"t.nowhere\"}]}");
    put("broken.avsc", "{\"type\": ");
    char *errs = start("avro = {\n"
                       "  schemas = ( { id = 1; file = \"missing.avsc\"; },\n"
                       "              { id = 2; file = \"bad.avsc\"; },\n"
                       "              { id = 3; file = \"broken.avsc\"; } );\n"
                       "};\n");
    cr_assert_str_eq(errs, "D/a.cfg:2: input.avro.schemas[0].file \"missing.avsc\": cannot read D/missing.avsc: No such "
                           "file or directory\n"
                           "D/a.cfg:3: input.avro.schemas[1].file \"bad.avsc\": bad.avsc: offset 65: unknown type "
                           "\"t.nowhere\"\n"
                           "D/a.cfg:4: input.avro.schemas[2].file \"broken.avsc\": broken.avsc: offset 9: not JSON: "
                           "expected a value, found end of input\n");
    free(errs);
    cr_assert_null(in);
}

Test(input, an_unknown_id_without_a_registry_is_malformed)
{
    free(start("avro = { schemas = ( { id = 7; file = \"t.alert.avsc\"; } ); };"));
    ab_buf m = {0};
    ab_confluent(&m, 9);
    record(&m, 1, "y", 2);
    expect_error(&m, PROC_INPUT_MALFORMED,
                 "offset 1: schema id 9 is not in input.avro.schemas and no input.avro.registry is set");
}

Test(input, a_truncated_record_names_its_offset_in_the_message)
{
    free(start("avro = { schemas = ( { id = 7; file = \"t.alert.avsc\"; } ); };"));
    ab_buf m = {0};
    ab_confluent(&m, 7);
    record(&m, 42, "x", 1.5);
    m.n -= 3; /* inside the double, which starts at 5 + 1 + 2 = 8 */
    alert_error e;
    proc_input_open(in, (const char *)m.b, m.n);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_MALFORMED);
    cr_assert_eq(e.offset, 8, "%s", e.msg);
    cr_assert_eq(strncmp(e.msg, "offset 8: ", 10), 0, "%s", e.msg);
}

Test(input, auto_reads_text_and_avro_apart)
{
    free(start("avro = { schemas = ( { id = 7; file = \"t.alert.avsc\"; } ); };"));
    ab_buf m = {0};
    ab_raw(&m, "{'id': 3}", 9);
    expect_alert(&m, "{\"id\":3}");
    m.n = 0;
    ab_confluent(&m, 7);
    record(&m, -5, "z", 0.25);
    expect_alert(&m, "{\"id\":-5,\"name\":\"z\",\"sub\":{\"flux\":0.25}}");
}

Test(input, format_json_does_not_read_avro)
{
    free(start("format = \"json\"; avro = { schemas = ( { id = 7; file = \"t.alert.avsc\"; } ); };"));
    ab_buf m = {0};
    ab_confluent(&m, 7);
    record(&m, 42, "x", 1.5);
    alert_error e;
    proc_input_open(in, (const char *)m.b, m.n);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_MALFORMED);
    cr_assert_eq(e.offset, 0, "%s", e.msg);
}

Test(input, format_avro_refuses_what_is_not_framed)
{
    free(start("format = \"avro\";"));
    ab_buf m = {0};
    ab_raw(&m, "{\"id\": 3}", 9);
    expect_error(&m, PROC_INPUT_MALFORMED,
                 "offset 0: neither an Avro object container file (Obj\\x01) nor a Confluent-framed record (byte 0, "
                 "then a 4-byte schema id)");
}

Test(input, bare_avro_with_input_avro_schema)
{
    free(start("format = \"avro\"; avro = { schema = \"t.alert.avsc\"; };"));
    ab_buf m = {0};
    record(&m, 0, "", -1);
    expect_alert(&m, "{\"id\":0,\"name\":\"\",\"sub\":{\"flux\":-1.0}}");
}

Test(input, a_container_file_is_one_alert_per_record)
{
    free(start(""));
    ab_buf body = {0}, m = {0};
    record(&body, 1, "a", 1);
    record(&body, 2, "b", 2);
    ab_container(&m, WHOLE_AVSC, &body, 2, "0123456789abcdef");
    alert_error e;
    proc_input_open(in, (const char *)m.b, m.n);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_RECORD, "%s", e.msg);
    char *json = json_of();
    cr_assert_str_eq(json, "{\"id\":1,\"name\":\"a\",\"sub\":{\"flux\":1.0}}");
    free(json);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_RECORD, "%s", e.msg);
    json = json_of();
    cr_assert_str_eq(json, "{\"id\":2,\"name\":\"b\",\"sub\":{\"flux\":2.0}}");
    free(json);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_END);
    /* The sync marker after the block does not match the header's: checked before its first record. */
    m.b[m.n - 1] ^= 1;
    proc_input_open(in, (const char *)m.b, m.n);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_MALFORMED);
    cr_assert_str_eq(e.msg, "record 1: offset 317: sync marker does not match the header's");
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_END);
}

/* ---- the registry ---- */

#define ID9_ANSWER "{\"schema\": \"{\\\"type\\\": \\\"record\\\", \\\"name\\\": \\\"r\\\", \\\"fields\\\": [" \
                   "{\\\"name\\\": \\\"n\\\", \\\"type\\\": \\\"long\\\"}]}\"}"

static char *with_registry(const char *routes, const char *extra)
{
    rs_start(&server, routes);
    char input[512];
    snprintf(input, sizeof input, "avro = { registry = \"%s\"; registry_timeout_ms = 500; %s };", server.url, extra);
    return start(input);
}

/* A route JSON for a 200 answer whose body is the JSON text `answer`. */
static char *route_of(const char *path, const char *answer)
{
    static char out[2048];
    size_t n = (size_t)snprintf(out, sizeof out, "{\"%s\": {\"status\": 200, \"body\": \"", path);
    for (const char *p = answer; *p; p++)
        n += (size_t)snprintf(out + n, sizeof out - n, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
    snprintf(out + n, sizeof out - n, "\"}}");
    return out;
}

Test(input, a_registry_schema_is_fetched_once)
{
    free(with_registry(route_of("/schemas/ids/9", ID9_ANSWER), ""));
    for (int i = 0; i < 3; i++) {
        ab_buf m = {0};
        ab_confluent(&m, 9);
        ab_long(&m, 1000 + i);
        char want[32];
        snprintf(want, sizeof want, "{\"n\":%d}", 1000 + i);
        expect_alert(&m, want);
    }
    cr_assert_eq(rs_requests(&server, NULL), 1);
}

Test(input, an_id_the_registry_does_not_know_is_malformed_and_not_asked_again_at_once)
{
    free(with_registry("{}", ""));
    for (int i = 0; i < 2; i++) {
        ab_buf m = {0};
        ab_confluent(&m, 10);
        ab_long(&m, 1);
        expect_error(&m, PROC_INPUT_MALFORMED, "offset 1: schema id 10 is not in the schema registry");
    }
    cr_assert_eq(rs_requests(&server, NULL), 1);
}

Test(input, a_config_schema_is_not_asked_of_the_registry)
{
    free(with_registry("{}", "schemas = ( { id = 7; file = \"t.alert.avsc\"; } );"));
    ab_buf m = {0};
    ab_confluent(&m, 7);
    record(&m, 42, "x", 1.5);
    expect_alert(&m, "{\"id\":42,\"name\":\"x\",\"sub\":{\"flux\":1.5}}");
    cr_assert_eq(rs_requests(&server, NULL), 0);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(input, a_registry_down_is_unavailable_after_retrying)
{
    char input[256];
    snprintf(input, sizeof input, "avro = { registry = \"http://127.0.0.1:%d\"; registry_retry_seconds = 1; };",
             rs_dead_port());
    free(start(input));
    ab_buf m = {0};
    ab_confluent(&m, 11);
    ab_long(&m, 1);
    double t0 = now();
    expect_error(&m, PROC_INPUT_UNAVAILABLE, "offset 1: schema id 11: the schema registry is unavailable");
    double took = now() - t0;
    cr_assert(took >= 0.5 && took < 1.5, "tries at 0 and 0.5 s; took %.3f s", took);
}

Test(input, a_garbage_answer_is_unavailable_at_once)
{
    free(with_registry("{\"/schemas/ids/12\": {\"status\": 200, \"body\": \"<html>\"}}", "registry_retry_seconds = 30;"));
    ab_buf m = {0};
    ab_confluent(&m, 12);
    ab_long(&m, 1);
    expect_error(&m, PROC_INPUT_UNAVAILABLE, "offset 1: schema id 12: the schema registry answered garbage");
    cr_assert_eq(rs_requests(&server, NULL), 1);
}

Test(input, a_registry_schema_that_does_not_compile_is_malformed)
{
    free(with_registry(route_of("/schemas/ids/13", "{\"schema\": \"{\\\"type\\\": \\\"nothing\\\"}\"}"), ""));
    ab_buf m = {0};
    ab_confluent(&m, 13);
    ab_long(&m, 1);
    alert_error e;
    proc_input_open(in, (const char *)m.b, m.n);
    cr_assert_eq(proc_input_next(in, &doc, &e), PROC_INPUT_MALFORMED);
    cr_assert_str_eq(e.msg, "offset 1: the registry's schema does not compile: schema id 13: offset 9: unknown type \"nothing\"");
}

Test(input, split_schema_files_in_a_deep_directory)
{
    /* A long path (as site-packages/lsst/alert/packet/schema/11/0) must not cut the compiler's
     * message that names the type to read from beside the file. */
    const char *sub = "a-directory-with-a-rather-long-name-as-python-packages-have/"
                      "lsst/alert/packet/schema/11/0/and-some-more-of-it";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s' && cp '%s'/t.*.avsc '%s/%s'/", dir, sub, dir, dir, sub);
    cr_assert_eq(system(cmd), 0);
    char input[512];
    snprintf(input, sizeof input, "avro = { schemas = ( { id = 7; file = \"%s/t.alert.avsc\"; } ); };", sub);
    char *errs = start(input);
    cr_assert_str_eq(errs, "");
    free(errs);
    ab_buf m = {0};
    ab_confluent(&m, 7);
    record(&m, 42, "x", 1.5);
    expect_alert(&m, "{\"id\":42,\"name\":\"x\",\"sub\":{\"flux\":1.5}}");
}
