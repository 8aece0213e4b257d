/* tests/alert/test_write_canonical.c — Python input in the shape repr() writes
 * (alert_doc.canonical): when the reader says a doc is, and the writer's way
 * for it (the source span, spaces outside strings dropped, ' made "), exactly,
 * at the edges of its 64-byte blocks and against writing node by node. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/alert/write_check.h"

TestSuite(canonical, .init = setup, .fini = teardown);

static void expect_python(const char *text, const char *json) { expect_json(text, ALERT_FORMAT_PYTHON, json); }

/* Reads text as Python and checks whether the reader calls it canonical. */
static void expect_canonical(const char *text, bool canonical)
{
    parse_n(text, strlen(text), ALERT_FORMAT_PYTHON);
    cr_assert_eq(doc.canonical, canonical, "%s", text);
}

Test(canonical, what_repr_writes_is_canonical)
{
    expect_canonical("{}", true);
    expect_canonical("[]", true);
    expect_canonical("{'a': 1}", true);
    expect_canonical("{'a':1,'b':[]}", true); /* no space at all is the shape too */
    expect_canonical("[1, 'a b', {'c': [2.5e-05, -0, 123456789012345678901234567890]}, []]", true);
    expect_canonical("{'caf\xc3\xa9': '\xe6\x97\xa5 \xf0\x9f\x98\x80'}", true);
    /* Escapes a JSON string spells the same way are copied as they are. */
    expect_canonical("['a\\nb', '\\\\', '\\u00e9', '\\t']", true);
    /* Spaces around the root value are outside its span. */
    expect_canonical(" [1, 2]\n", true);
    expect_canonical("\t{'a': 'b'} ", true);
    /* A scalar root: nothing to write from a span, still the shape. */
    expect_canonical("5", true);
}

Test(canonical, what_repr_does_not_write_is_not)
{
    static const char *const not_canonical[] = {
        "[True]", "[False]", "[None]", "{'a': None}", "(1,)", "((),)", "[b'a']", "{'a': b''}",
        "[\"a\"]",            /* double quotes: its content may hold a ' */
        "[\"it's\"]", "{\"a\": 1}", "['it\"s']", /* a raw " must be escaped in JSON */
        "['\\x41']", "['\\'']", "['a\\\"b\\'']", /* escapes JSON spells otherwise */
        "['a\\x00']", "['\t']",                  /* a raw tab: escaped in JSON */
        "{1: 2}", "{1.5: 'a'}", "{None: 1}", "{True: 1}", /* keys written quoted */
        "[1, 2,]", "{'a': 1,}", "(1, 2,)",                /* trailing commas */
        "[1,  2]", "[ 1]", "[1 ]", "[1 , 2]", "{'a' : 1}", "{'a':  1}", "{ 'a': 1}", "{'a': 1 }", "[1,\n2]",
        "[1,\t2]", "{'a':\t1}", "[[1], [2] ]", "[{} ]", "[[ ]]",
    };
    for (size_t i = 0; i < sizeof not_canonical / sizeof *not_canonical; i++)
        expect_canonical(not_canonical[i], false);
    /* Never JSON (see compact for that), nor a doc whose read failed. */
    parse_n("{\"a\": 1}", 8, ALERT_FORMAT_JSON);
    cr_assert_not(doc.canonical);
    expect_json("[1,2,3,4,5,6,7,8,9,'a']", ALERT_FORMAT_AUTO, "[1,2,3,4,5,6,7,8,9,\"a\"]");
    cr_assert(doc.canonical);
    alert_error err;
    cr_assert_eq(alert_parse(&doc, "[1, 2", 5, ALERT_FORMAT_PYTHON, &err), -1);
    cr_assert_not(doc.canonical);
}

/* A long doc (the reader's pair loop takes most of it) with one more space
 * (each kind) or odd token at each place: canonical only where repr could have
 * written it, and written the same either way. */
Test(canonical, the_reader_tells_it_in_every_state)
{
    static const char *const tokens[] = {
        "{", "'alpha'", ":", "1", ",", "'beta'", ":", "'two words'", ",", "'gamma'", ":", "{", "'delta'", ":", "-3.5",
        ",", "'eps'", ":", "[", "1", ",", "{", "'z'", ":", "2e-05", "}", "]", "}", ",", "'long_key_here_and_more'", ":",
        "'a value: long, enough {to} [pass] 32 bytes'", ",", "'esc'", ":", "'\\u00e9x'", ",", "'num'", ":", "1.0E+5",
        ",", "'big'", ":", "123456789012345678901234567890", ",", "'end'", ":", "0", "}"};
    const char *json = "{\"alpha\":1,\"beta\":\"two words\",\"gamma\":{\"delta\":-3.5,\"eps\":[1,{\"z\":2e-05}]},"
                       "\"long_key_here_and_more\":\"a value: long, enough {to} [pass] 32 bytes\",\"esc\":\"\\u00e9x\","
                       "\"num\":1.0E+5,\"big\":123456789012345678901234567890,\"end\":0}";
    static const char *const extras[] = {" ", "\n", "\t", "\r", "  "};
    const size_t n_tokens = sizeof tokens / sizeof *tokens;
    char text[1024];
    join_tokens(text, tokens, n_tokens, n_tokens + 1, "", " ");
    cr_assert_gt(strlen(text), 128);
    expect_python(text, json);
    cr_assert(doc.canonical);
    for (size_t gap = 0; gap <= n_tokens; gap++)
        for (size_t e = 0; e < sizeof extras / sizeof *extras; e++) {
            join_tokens(text, tokens, n_tokens, gap, extras[e], " ");
            expect_python(text, json);
            cr_assert_eq(doc.canonical, gap == 0 || gap == n_tokens, "%s", text);
            /* Nodes: 0 {, 1 'alpha', 2 1, 3 'beta', 4 'two words', 5 'gamma', 6 {, ... */
            expect_node(6, "{\"delta\":-3.5,\"eps\":[1,{\"z\":2e-05}]}");
        }
    /* Hundreds of nodes: the reader stops for room; what comes after is still seen. */
    char big[4096] = "[";
    for (int i = 0; i < 600; i++)
        strcat(big, i ? ", 1" : "1");
    expect_canonical(strcat(big, "]"), true);
    big[strlen(big) - 1] = '\0';
    expect_canonical(strcat(big, ", None]"), false);
}

Test(canonical, strings_keep_their_spaces)
{
    expect_python("{'a': 'x, y: z', 'b': [1, 2]}", "{\"a\":\"x, y: z\",\"b\":[1,2]}");
    expect_python("[' ', '  ', ', ', ': ', '{ [', '] }', '']", "[\" \",\"  \",\", \",\": \",\"{ [\",\"] }\",\"\"]");
    expect_python("{' ': ' , ', 'k': 'a b'}", "{\" \":\" , \",\"k\":\"a b\"}");
    expect_python("{'a': {'b': {'c': [1, [2, [3, {'d': []}]]]}}}", "{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":[]}]]]}}}");
    expect_python("['caf\xc3\xa9 \xe6\x97\xa5', 'a\\nb \\\\ \\t']", "[\"caf\xc3\xa9 \xe6\x97\xa5\",\"a\\nb \\\\ \\t\"]");
    cr_assert(doc.canonical);
}

Test(canonical, subtrees_are_written_from_their_span)
{
    const char *text = "{'a': [1, {'b': 'x y'}, []], 'c': {'d': 0, 'e': [-1.5]}}";
    parse_n(text, strlen(text), ALERT_FORMAT_PYTHON);
    cr_assert(doc.canonical);
    /* Nodes: 0 {, 1 'a', 2 [, 3 1, 4 {, 5 'b', 6 'x y', 7 [], 8 'c', 9 {, 10 'd', 11 0, 12 'e', 13 [, 14 -1.5. */
    expect_node(0, "{\"a\":[1,{\"b\":\"x y\"},[]],\"c\":{\"d\":0,\"e\":[-1.5]}}");
    expect_node(2, "[1,{\"b\":\"x y\"},[]]");
    expect_node(4, "{\"b\":\"x y\"}");
    expect_node(6, "\"x y\"");
    expect_node(7, "[]");
    expect_node(9, "{\"d\":0,\"e\":[-1.5]}");
    expect_node(13, "[-1.5]");
}

/* Whether this CPU has what the writer's way from the source needs (AVX2 and
 * PCLMUL on x86-64, see alert/write.c); without, it writes node by node. */
static bool writes_from_source(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul");
#else
    return false;
#endif
}

/* The source is what a canonical doc's containers are written from: with the
 * message changed after reading (each ':' made '='), the JSON shows it, where
 * writing node by node writes the ':' itself. */
Test(canonical, the_source_is_what_is_written)
{
    char text[] = "{'a': [1, 'b: c'], 'd': {'e': 2}}";
    parse_n(text, strlen(text), ALERT_FORMAT_PYTHON);
    cr_assert(doc.canonical);
    for (char *c = strchr(text, ':'); c; c = strchr(c + 1, ':'))
        *c = '=';
    bool source = writes_from_source();
    expect_written(0, source ? "{\"a\"=[1,\"b= c\"],\"d\"={\"e\"=2}}" : "{\"a\":[1,\"b= c\"],\"d\":{\"e\":2}}");
    /* Nodes: 0 {, 1 'a', 2 [, 3 1, 4 'b: c', 5 'd', 6 {, 7 'e', 8 2. */
    expect_written(6, source ? "{\"e\"=2}" : "{\"e\":2}");
    doc.canonical = false;
    expect_written(0, "{\"a\":[1,\"b= c\"],\"d\":{\"e\":2}}");
}

/* Strings and spaces at every offset around the 64-byte blocks: a str of n
 * bytes (spaces and quotes' neighbours in it) after a key that shifts it. */
Test(canonical, block_edges)
{
    char text[512], json[512], value[256];
    for (size_t shift = 0; shift < 8; shift++)
        for (size_t n = 0; n < 200; n++) {
            for (size_t i = 0; i < n; i++)
                value[i] = i % 3 == 0 ? ' ' : i % 5 == 0 ? ',' : (char)('a' + i % 26);
            value[n] = '\0';
            snprintf(text, sizeof text, "{'%.*s': '%s', 'n': [%zu, 'x y']}", (int)shift, "kkkkkkkk", value, n);
            snprintf(json, sizeof json, "{\"%.*s\":\"%s\",\"n\":[%zu,\"x y\"]}", (int)shift, "kkkkkkkk", value, n);
            expect_python(text, json);
            cr_assert(doc.canonical, "%s", text);
        }
}

/* ---- random docs in repr()'s shape, with their JSON built alongside ---- */

typedef struct {
    char py[1 << 18], json[1 << 18];
    size_t n_py, n_json;
} pair_text;

static void add(pair_text *t, const char *py, const char *json)
{
    size_t a = strlen(py), b = strlen(json);
    cr_assert_lt(t->n_py + a, sizeof t->py);
    cr_assert_lt(t->n_json + b, sizeof t->json);
    memcpy(t->py + t->n_py, py, a + 1);
    memcpy(t->json + t->n_json, json, b + 1);
    t->n_py += a;
    t->n_json += b;
}

static void add_str(pair_text *t)
{
    /* Pieces the same in both: plain bytes, layout bytes, raw UTF-8 and JSON's own escapes. */
    static const char *const pieces[] = {"a", "Z", "0", " ", "  ", ",", ":", ", ", ": ", "{", "}", "[", "]",
                                         "\xc3\xa9", "\xf0\x9f\x98\x80", "\\n", "\\\\", "\\u00e9", "key"};
    add(t, "'", "\"");
    for (int k = rand() % 12; k > 0; k--) {
        const char *p = pieces[rand() % (sizeof pieces / sizeof *pieces)];
        add(t, p, p);
    }
    add(t, "'", "\"");
}

static void add_value(pair_text *t, int depth)
{
    static const char *const numbers[] = {"0", "-1", "7", "1.5", "2.453e-06", "-0.0", "31.923990219",
                                          "281323062375219200", "123456789012345678901234567890", "1e+300"};
    int kind = rand() % (depth < 3 ? 6 : 3);
    if (kind == 0)
        add_str(t);
    else if (kind <= 2) {
        const char *n = numbers[rand() % (sizeof numbers / sizeof *numbers)];
        add(t, n, n);
    } else {
        bool dict = kind >= 4;
        add(t, dict ? "{" : "[", dict ? "{" : "[");
        for (int k = 0, n = rand() % 7; k < n; k++) {
            if (k)
                add(t, rand() % 8 ? ", " : ",", ",");
            if (dict) {
                add_str(t);
                add(t, rand() % 8 ? ": " : ":", ":");
            }
            add_value(t, depth + 1);
        }
        add(t, dict ? "}" : "]", dict ? "}" : "]");
    }
}

/* Every container of the doc read last: from the source as from the nodes. */
static void expect_containers_alike(void)
{
    alert_buf tape = {0};
    for (uint32_t i = 0; i < doc.n_nodes; i++) {
        if (doc.nodes[i].type < ALERT_LIST)
            continue;
        doc.canonical = false;
        tape.len = 0;
        cr_assert_eq(alert_write_json(&doc, i, &tape), 0);
        doc.canonical = true;
        char *want = strndup(tape.data, tape.len);
        cr_assert_not_null(want);
        expect_written(i, want);
        free(want);
    }
    alert_buf_free(&tape);
}

Test(canonical, random_docs)
{
    static pair_text t;
    srand(20261124);
    for (int i = 0; i < 3000; i++) {
        t.n_py = t.n_json = 0;
        add(&t, "{", "{");
        for (int k = 0, n = 1 + rand() % 12; k < n; k++) {
            if (k)
                add(&t, ", ", ",");
            add_str(&t);
            add(&t, ": ", ":");
            add_value(&t, 0);
        }
        add(&t, "}", "}");
        expect_python(t.py, t.json);
        cr_assert(doc.canonical, "%s", t.py);
        expect_containers_alike();
    }
}
