/* tests/alert/test_avro_schema.c — Avro schemas compiled: named types across
 * sources and namespaces, and each error with its source, offset and reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alert/avro.h"
#include "tests/alert/avro_build.h"

static char message[256];

/* Compiles the n texts (named a.avsc, b.avsc...): "ok NAME", or the error's message. */
static const char *compile_n(const char *const *texts, size_t n, const char *root)
{
    alert_avro_source src[8];
    static const char *const names[] = {"a.avsc", "b.avsc", "c.avsc", "d.avsc"};
    for (size_t i = 0; i < n; i++)
        src[i] = (alert_avro_source){.name = names[i], .text = texts[i], .len = strlen(texts[i])};
    alert_avro_schema *s = NULL;
    alert_error err;
    if (alert_avro_schema_compile(src, n, root, &s, &err) != 0) {
        cr_assert_null(s);
        snprintf(message, sizeof message, "%s", err.msg);
    } else {
        snprintf(message, sizeof message, "ok %s", alert_avro_schema_name(s));
        alert_avro_schema_free(s);
    }
    return message;
}

static const char *compile1(const char *text) { return compile_n(&text, 1, NULL); }

Test(avro_schema, primitives_and_their_names)
{
    const char *names[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};
    for (size_t i = 0; i < 8; i++) {
        char text[32], want[32];
        snprintf(text, sizeof text, "\"%s\"", names[i]);
        snprintf(want, sizeof want, "ok %s", names[i]);
        cr_assert_str_eq(compile1(text), want);
        snprintf(text, sizeof text, "{\"type\":\"%s\"}", names[i]);
        cr_assert_str_eq(compile1(text), want);
    }
    cr_assert_str_eq(compile1("[\"null\",\"long\"]"), "ok union");
    cr_assert_str_eq(compile1("{\"type\":\"array\",\"items\":\"long\"}"), "ok array");
    cr_assert_str_eq(compile1("{\"type\":\"map\",\"values\":\"long\"}"), "ok map");
}

Test(avro_schema, namespaces)
{
    cr_assert_str_eq(compile1("{\"type\":\"record\",\"name\":\"alert\",\"namespace\":\"lsst.v7_0\",\"fields\":[]}"),
                     "ok lsst.v7_0.alert");
    cr_assert_str_eq(compile1("{\"type\":\"record\",\"name\":\"x.y.alert\",\"namespace\":\"ignored\",\"fields\":[]}"),
                     "ok x.y.alert");
    /* A short name resolves in the enclosing namespace; a nested type inherits it. */
    cr_assert_str_eq(compile1("{\"type\":\"record\",\"name\":\"a\",\"namespace\":\"n\",\"fields\":["
                              "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"h\",\"size\":2}},"
                              "{\"name\":\"g\",\"type\":\"h\"},{\"name\":\"k\",\"type\":\"n.h\"}]}"),
                     "ok n.a");
    /* ... and in the null namespace when nothing in the enclosing one has it */
    const char *two[] = {"{\"type\":\"enum\",\"name\":\"colour\",\"symbols\":[\"r\"]}",
                         "{\"type\":\"record\",\"name\":\"a\",\"namespace\":\"n\",\"fields\":[{\"name\":\"c\",\"type\":\"colour\"}]}"};
    cr_assert_str_eq(compile_n(two, 2, NULL), "ok n.a");
}

Test(avro_schema, references_across_sources_in_any_order)
{
    const char *alert = "{\"type\":\"record\",\"name\":\"alert\",\"namespace\":\"lsst.v9_0\",\"fields\":["
                        "{\"name\":\"diaSource\",\"type\":\"lsst.v9_0.diaSource\"},"
                        "{\"name\":\"prv\",\"type\":[\"null\",{\"type\":\"array\",\"items\":\"diaSource\"}]}]}";
    const char *source = "{\"type\":\"record\",\"name\":\"diaSource\",\"namespace\":\"lsst.v9_0\",\"fields\":["
                         "{\"name\":\"psfFlux\",\"type\":\"float\"}]}";
    const char *before[] = {source, alert}, *after[] = {alert, source};
    cr_assert_str_eq(compile_n(before, 2, NULL), "ok lsst.v9_0.alert");
    cr_assert_str_eq(compile_n(after, 2, NULL), "ok lsst.v9_0.diaSource"); /* the last source's type */
    cr_assert_str_eq(compile_n(after, 2, "lsst.v9_0.alert"), "ok lsst.v9_0.alert");
    cr_assert_str_eq(compile_n(after, 2, "lsst.v9_0.nothing"), "schema: offset 0: no type is named \"lsst.v9_0.nothing\"");
    cr_assert_str_eq(compile_n(&alert, 1, NULL), "a.avsc: offset 93: unknown type \"lsst.v9_0.diaSource\"");
}

Test(avro_schema, errors_name_source_offset_and_reason)
{
    const struct {
        const char *text, *want;
    } cases[] = {
        {"{\"type\":", "a.avsc: offset 8: not JSON: expected a value, found end of input"},
        {"\"nothing\"", "a.avsc: offset 0: unknown type \"nothing\""},
        {"5", "a.avsc: offset 0: a type must be a name, an object or a union (a list), found int"},
        {"{\"name\":\"x\"}", "a.avsc: offset 0: a type object needs a \"type\""},
        {"{\"type\":\"record\",\"name\":\"r\"}", "a.avsc: offset 0: a record needs a \"fields\" list"},
        {"{\"type\":\"record\",\"fields\":[]}", "a.avsc: offset 0: a named type needs a \"name\""},
        {"{\"type\":\"record\",\"name\":\"9r\",\"fields\":[]}", "a.avsc: offset 24: \"9r\" is not a valid Avro name"},
        {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a b\",\"type\":\"int\"}]}",
         "a.avsc: offset 46: \"a b\" is not a valid Avro name"},
        {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\"}]}", "a.avsc: offset 38: a field needs a \"type\""},
        {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"a\",\"type\":\"int\"}]}",
         "a.avsc: offset 64: the field \"a\" appears twice"},
        {"{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"a\",\"a\"]}", "a.avsc: offset 41: the symbol \"a\" appears twice"},
        {"{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"a-b\"]}", "a.avsc: offset 37: \"a-b\" is not a valid Avro name"},
        {"{\"type\":\"enum\",\"name\":\"e\"}", "a.avsc: offset 0: an enum needs a \"symbols\" list"},
        {"{\"type\":\"fixed\",\"name\":\"f\"}", "a.avsc: offset 0: a fixed needs a \"size\" (a count of bytes)"},
        {"{\"type\":\"fixed\",\"name\":\"f\",\"size\":-1}", "a.avsc: offset 34: a fixed needs a \"size\" (a count of bytes)"},
        {"{\"type\":\"array\"}", "a.avsc: offset 0: an array needs \"items\""},
        {"{\"type\":\"map\"}", "a.avsc: offset 0: a map needs \"values\""},
        {"[]", "a.avsc: offset 0: a union needs at least one branch"},
        {"[\"null\",[\"int\"]]", "a.avsc: offset 8: a union cannot hold a union"},
        {"[\"null\",\"int\",\"null\"]", "a.avsc: offset 14: a union holds two branches of type null"},
        {"[{\"type\":\"array\",\"items\":\"int\"},{\"type\":\"array\",\"items\":\"long\"}]",
         "a.avsc: offset 32: a union holds two branches of type array"},
        {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"record\",\"name\":\"r\",\"fields\":[]}}]}",
         "a.avsc: offset 57: the name \"r\" is defined twice"},
        {"{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":[\"r\",\"r\"]}]}",
         "schema: offset 0: a union holds \"r\" twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_assert_str_eq(compile1(cases[i].text), cases[i].want, "case %zu", i);
    cr_assert_str_eq(compile_n(NULL, 0, NULL), "schema: offset 0: no schema given");
}

Test(avro_schema, one_plan_reads_many_records)
{
    const char *text = "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"}]}";
    alert_avro_source src = {.text = text, .len = strlen(text)};
    alert_avro_schema *s;
    alert_error err;
    cr_assert_eq(alert_avro_schema_compile(&src, 1, NULL, &s, &err), 0);
    alert_doc a, b;
    alert_doc_init(&a);
    alert_doc_init(&b);
    abuf one = {0}, two = {0};
    ab_long(&one, 1);
    ab_long(&two, 2);
    cr_assert_eq(alert_avro_read(&a, s, (const char *)one.data, one.len, &err), 0);
    cr_assert_eq(alert_avro_read(&b, s, (const char *)two.data, two.len, &err), 0);
    int64_t va, vb;
    cr_assert_eq(alert_int(&a, 2, &va), 0);
    cr_assert_eq(alert_int(&b, 2, &vb), 0);
    cr_assert_eq(va, 1);
    cr_assert_eq(vb, 2);
    alert_doc_free(&a);
    alert_doc_free(&b);
    free(one.data);
    free(two.data);
    alert_avro_schema_free(s);
}
