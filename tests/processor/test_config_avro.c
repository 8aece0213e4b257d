/* tests/processor/test_config_avro.c — the Avro settings of the config file
 * (input.avro.*, output.encoding, a rule's encoding): values, defaults,
 * paths resolved beside the config, every error with its line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "processor/config.h"
#include "processor/log.h"

#define RULE_ALL "rules = ( { name = \"all\"; topic = \"all\"; where = \"true\"; } );\n"

typedef struct {
    char path[64];
    proc_config cfg;
    proc_diags d;
    int rc;
    char *errors; /* every diagnostic, one per line, the file's path written "F" */
} loaded;

/* Loads text from a file in a fresh directory under /tmp. */
static void load(loaded *l, const char *text)
{
    char dir[] = "/tmp/af-cfg-avro-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(l->path, sizeof l->path, "%s/a.cfg", dir);
    FILE *f = fopen(l->path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    memset(&l->d, 0, sizeof l->d);
    l->rc = proc_config_load(l->path, &l->cfg, &l->d);
    char *raw = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&raw, &len);
    proc_diags_print(&l->d, m);
    fclose(m);
    l->errors = calloc(len + 1, 1);
    size_t n = strlen(l->path), o = 0;
    for (const char *p = raw; *p;)
        if (!strncmp(p, l->path, n)) {
            l->errors[o++] = 'F';
            p += n;
        } else {
            l->errors[o++] = *p++;
        }
    free(raw);
}

static void unload(loaded *l)
{
    proc_config_free(&l->cfg);
    proc_diags_free(&l->d);
    free(l->errors);
    unlink(l->path);
    *strrchr(l->path, '/') = '\0';
    rmdir(l->path);
}

static char *errors_of(const char *text)
{
    loaded l;
    load(&l, text);
    cr_assert_eq(l.rc, -1, "loaded without error: %s", text);
    char *out = strdup(l.errors);
    unload(&l);
    return out;
}

Test(config_avro, defaults)
{
    loaded l;
    load(&l, RULE_ALL);
    cr_assert_eq(l.rc, 0, "%s", l.errors);
    cr_assert_eq(l.cfg.avro_present, false);
    cr_assert_null(l.cfg.registry);
    cr_assert_eq(l.cfg.registry_timeout_ms, 10000);
    cr_assert_eq(l.cfg.registry_retry_s, 60);
    cr_assert_eq(l.cfg.n_schemas, 0);
    cr_assert_null(l.cfg.bare_schema);
    cr_assert_null(l.cfg.bare_schema_path);
    cr_assert_eq(l.cfg.encoding, PROC_ENCODING_JSON);
    cr_assert_eq(l.cfg.rules[0].encoding, PROC_ENCODING_JSON);
    unload(&l);
}

Test(config_avro, every_setting_with_paths_beside_the_config)
{
    loaded l;
    load(&l, "input = {\n"
             "  avro = {\n"
             "    registry = \"http://127.0.0.1:8081/\";\n"
             "    registry_timeout_ms = 2500;\n"
             "    registry_retry_seconds = 0;\n"
             "    schemas = (\n"
             "      { id = 1100; file = \"schema/lsst.v11_0.alert.avsc\"; },\n"
             "      { id = 2147483647; file = \"/abs/ztf.avsc\"; }\n"
             "    );\n"
             "  };\n"
             "};\n"
             "output = { encoding = \"original\"; };\n"
             "rules = ( { name = \"a\"; topic = \"a\"; where = \"true\"; },\n"
             "          { name = \"b\"; topic = \"b\"; where = \"true\"; encoding = \"json\"; },\n"
             "          { name = \"c\"; topic = \"c\"; where = \"true\"; encoding = \"original\"; } );\n");
    cr_assert_eq(l.rc, 0, "%s", l.errors);
    char dir[64];
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(l.path, '/') - l.path), l.path);
    cr_assert_eq(l.cfg.avro_present, true);
    cr_assert_str_eq(l.cfg.registry, "http://127.0.0.1:8081/");
    cr_assert_eq(l.cfg.registry_timeout_ms, 2500);
    cr_assert_eq(l.cfg.registry_retry_s, 0);
    cr_assert_eq(l.cfg.n_schemas, 2);
    cr_assert_eq(l.cfg.schemas[0].id, 1100);
    cr_assert_str_eq(l.cfg.schemas[0].file, "schema/lsst.v11_0.alert.avsc");
    char want[200];
    snprintf(want, sizeof want, "%s/schema/lsst.v11_0.alert.avsc", dir);
    cr_assert_str_eq(l.cfg.schemas[0].path, want);
    snprintf(want, sizeof want, "%s:7", l.path);
    cr_assert_str_eq(l.cfg.schemas[0].where, want);
    cr_assert_eq(l.cfg.schemas[1].id, 2147483647);
    cr_assert_str_eq(l.cfg.schemas[1].path, "/abs/ztf.avsc");
    cr_assert_eq(l.cfg.encoding, PROC_ENCODING_ORIGINAL);
    cr_assert_eq(l.cfg.rules[0].encoding, PROC_ENCODING_ORIGINAL);
    cr_assert_eq(l.cfg.rules[1].encoding, PROC_ENCODING_JSON);
    cr_assert_eq(l.cfg.rules[2].encoding, PROC_ENCODING_ORIGINAL);
    unload(&l);
}

Test(config_avro, a_bare_schema_is_resolved_beside_the_config)
{
    loaded l;
    load(&l, "input = { format = \"avro\"; avro = { schema = \"bare.avsc\"; }; };\n" RULE_ALL);
    cr_assert_eq(l.rc, 0, "%s", l.errors);
    char want[200];
    snprintf(want, sizeof want, "%.*s/bare.avsc", (int)(strrchr(l.path, '/') - l.path), l.path);
    cr_assert_str_eq(l.cfg.bare_schema, "bare.avsc");
    cr_assert_str_eq(l.cfg.bare_schema_path, want);
    snprintf(want, sizeof want, "%s:1", l.path);
    cr_assert_str_eq(l.cfg.bare_schema_where, want);
    cr_assert_eq(l.cfg.format, ALERT_FORMAT_AVRO);
    unload(&l);
}

Test(config_avro, a_bare_schema_needs_format_avro)
{
    char *out = errors_of("input = {\n  avro = { schema = \"bare.avsc\"; };\n};\n" RULE_ALL);
    cr_assert_str_eq(out, "F:2: 'input.avro.schema' needs input.format = \"avro\": bare Avro binary has no mark that "
                          "tells it from text\n");
    free(out);
    out = errors_of("input = { format = \"avr\"; };\n" RULE_ALL);
    cr_assert_str_eq(out, "F:1: 'input.format' is \"avr\", must be \"auto\", \"python\", \"json\" or \"avro\"\n");
    free(out);
}

Test(config_avro, errors_name_the_line)
{
    char *out = errors_of("input = {\n"
                          "  avro = {\n"
                          "    registry = \"localhost:8081\";\n"
                          "    registy_timeout_ms = 5;\n"
                          "    registry_retry_seconds = 3601;\n"
                          "    schemas = (\n"
                          "      { id = 1; },\n"
                          "      { file = \"a.avsc\"; },\n"
                          "      { id = -1; file = \"b.avsc\"; },\n"
                          "      { id = 2; file = \"c.avsc\"; },\n"
                          "      { id = 2; file = \"d.avsc\"; },\n"
                          "      \"e.avsc\" );\n"
                          "    schema = 7;\n"
                          "  };\n"
                          "};\n"
                          "output = { encoding = \"avro\"; };\n"
                          "rules = ( { name = \"a\"; topic = \"a\"; where = \"true\"; encoding = \"orig\"; } );\n");
    cr_assert_str_eq(out,
                     "F:3: 'input.avro.registry': \"localhost:8081\" is not an http:// or https:// URL\n"
                     "F:4: unknown setting 'input.avro.registy_timeout_ms' (did you mean "
                     "'input.avro.registry_timeout_ms'?)\n"
                     "F:5: 'input.avro.registry_retry_seconds' is 3601, must be between 0 and 3600\n"
                     "F:7: missing required setting 'input.avro.schemas[0].file'\n"
                     "F:8: missing required setting 'input.avro.schemas[1].id'\n"
                     "F:9: 'input.avro.schemas[2].id' is -1, must be between 0 and 2147483647\n"
                     "F:11: duplicate schema id 2 in input.avro.schemas (first at line 10)\n"
                     "F:12: 'input.avro.schemas[5]' must be a group { ... }, not a string\n"
                     "F:13: 'input.avro.schema' must be a string, not an integer\n"
                     "F:16: 'output.encoding' is \"avro\", must be \"json\" or \"original\"\n"
                     "F:17: 'rules[0].encoding' is \"orig\", must be \"json\" or \"original\"\n");
    free(out);
}

Test(config_avro, schemas_must_be_a_list_and_ids_fit_32_bits)
{
    char *out = errors_of("input = { avro = { schemas = { id = 1; }; }; };\n" RULE_ALL);
    cr_assert_str_eq(out, "F:1: 'input.avro.schemas' must be a list ( ... ), not a group\n");
    free(out);
    out = errors_of("input = { avro = { schemas = ( { id = 2147483648; file = \"x\"; } ); }; };\n" RULE_ALL);
    cr_assert_str_eq(out, "F:1: 'input.avro.schemas[0].id' is 2147483648, must be between 0 and 2147483647\n");
    free(out);
}
