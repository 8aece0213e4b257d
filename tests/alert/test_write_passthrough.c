/* tests/alert/test_write_passthrough.c — the writer's shortcut for JSON input
 * that is compact already (its source copied as it is): taken only when the
 * copy is what writing node by node gives, for the root and for every subtree,
 * and never for a space anywhere, for Python input, or for a str to re-escape. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/alert/write_check.h"
#include "tests/alert/random.h"

TestSuite(passthrough, .init = setup, .fini = teardown);

static void expect_copied(const char *text) { expect_json(text, ALERT_FORMAT_JSON, text); }

Test(passthrough, compact_json_is_copied)
{
    expect_copied("{}");
    expect_copied("[]");
    expect_copied("[[]]");
    expect_copied("[{},[],{\"a\":[]},[[{}]]]");
    expect_copied("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
    /* Numbers as they are spelled, whatever their size or shape. */
    expect_copied("[1E5,-0.0,-0,0,1e-05,2.5E+3,123456789012345678901234567890,-9223372036854775808,5e-324]");
    /* Escapes stay as they are, as the writer keeps every JSON escape. */
    expect_copied("[\"\\/\",\"\\u00e9\",\"\\ud83d\\ude00\",\"\\\"\",\"\\\\\",\"\\b\\f\\n\\r\\t\",\"\\u0000\"]");
    expect_copied("{\"\\u00e9\\/\":\"caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80\"}");
    /* Spaces and separators inside strings are content, not layout. */
    expect_copied("[\"a, b\",\" \",\": \",\"{ [\"]");
    expect_copied("{\" \":\" , \",\"k\":\"] }\"}");
    expect_copied("{\"a\":{\"b\":{\"c\":[1,[2,[3,{\"d\":[]}]]]}}}");
}

Test(passthrough, subtrees_are_copied)
{
    const char *text = "{\"a\":[1,{\"b\":\"x y\"},[]],\"c\":{\"d\":null,\"e\":[true]}}";
    parse_n(text, strlen(text), ALERT_FORMAT_JSON);
    /* Nodes: 0 {, 1 "a", 2 [, 3 1, 4 {, 5 "b", 6 "x y", 7 [], 8 "c", 9 {, 10 "d", 11 null, 12 "e", 13 [, 14 true. */
    expect_node(0, text);
    expect_node(2, "[1,{\"b\":\"x y\"},[]]");
    expect_node(4, "{\"b\":\"x y\"}");
    expect_node(6, "\"x y\"");
    expect_node(7, "[]");
    expect_node(9, "{\"d\":null,\"e\":[true]}");
    expect_node(13, "[true]");
    expect_node(14, "true");
}

/* The copy is what is taken for compact JSON: with the message changed after
 * reading (true spelled TRUE), a copy shows it where writing node by node
 * would spell true from the tape. */
Test(passthrough, the_source_is_what_is_copied)
{
    char text[] = "{\"a\":[true,-0.0,\"s\",{},[],{\"b\":null}],\"c\":\"\\/\"}";
    parse_n(text, strlen(text), ALERT_FORMAT_JSON);
    memcpy(strstr(text, "true"), "TRUE", 4);
    memcpy(strstr(text, "null"), "NULL", 4);
    /* Nodes: 0 {, 1 "a", 2 [, 3 true, 4 -0.0, 5 "s", 6 {}, 7 [], 8 {, 9 "b", 10 null, 11 "c", 12 the str. */
    expect_node(0, "{\"a\":[TRUE,-0.0,\"s\",{},[],{\"b\":NULL}],\"c\":\"\\/\"}");
    expect_node(2, "[TRUE,-0.0,\"s\",{},[],{\"b\":NULL}]");
    expect_node(3, "true");
    expect_node(8, "{\"b\":NULL}");
    expect_node(10, "null");
}

/* The same doc with one space (each kind) at each place between tokens: written
 * without it, never copied. */
Test(passthrough, one_space_anywhere_is_dropped)
{
    static const char *const tokens[] = {"{", "\"a\"", ":", "[", "1", ",", "\"b c\"", ",", "{", "\"d\"", ":",
                                         "null", "}", ",", "[", "]", "]", ",", "\"e\"", ":", "-0.0", "}"};
    static const char *const spaces[] = {" ", "\n", "\t", "\r", "  ", " \n "};
    const size_t n_tokens = sizeof tokens / sizeof *tokens;
    char compact[256] = "", text[256];
    for (size_t i = 0; i < n_tokens; i++)
        strcat(compact, tokens[i]);
    for (size_t gap = 0; gap <= n_tokens; gap++)
        for (size_t s = 0; s < sizeof spaces / sizeof *spaces; s++) {
            join_tokens(text, tokens, n_tokens, gap, spaces[s], "");
            expect_json(text, ALERT_FORMAT_JSON, compact);
            expect_node(2, "[1,\"b c\",{\"d\":null},[]]");
        }
}

/* The reader says a doc is compact (and so copied) when no space is between
 * its root value's tokens, wherever its states met one: a long doc (the pair
 * loop reads it), one space (each kind) at each place, and spaces that come
 * before and after the reader stops for an escape, an uncommon number or room. */
Test(passthrough, compact_is_told_by_the_reader)
{
    static const char *const tokens[] = {
        "{",     "\"alpha\"", ":", "1",    ",", "\"beta\"", ":", "\"two\"", ",", "\"gamma\"", ":", "{", "\"delta\"", ":",
        "-3.5",  ",",         "\"eps\"", ":", "[", "1", ",", "{", "\"z\"", ":", "null", "}", "]", "}", ",",
        "\"long_key_here\"", ":", "\"a long enough value\"", ",", "\"esc\"", ":", "\"\\u00e9x\"", ",", "\"num\"", ":",
        "1.0E+5", ",", "\"t\"", ":", "true", ",", "\"end\"", ":", "0", "}"};
    static const char *const spaces[] = {" ", "\n", "\t", "\r", "  "};
    const size_t n_tokens = sizeof tokens / sizeof *tokens;
    char compact[512] = "", text[512];
    for (size_t i = 0; i < n_tokens; i++)
        strcat(compact, tokens[i]);
    cr_assert_gt(strlen(compact), 128);
    parse_n(compact, strlen(compact), ALERT_FORMAT_JSON);
    cr_assert(doc.compact);
    for (size_t gap = 0; gap <= n_tokens; gap++)
        for (size_t s = 0; s < sizeof spaces / sizeof *spaces; s++) {
            join_tokens(text, tokens, n_tokens, gap, spaces[s], "");
            expect_json(text, ALERT_FORMAT_JSON, compact);
            /* Around the root the spaces are outside its span: still copied. */
            cr_assert_eq(doc.compact, gap == 0 || gap == n_tokens, "%s", text);
            /* Nodes: 0 {, 1 "alpha", 2 1, 3 "beta", 4 "two", 5 "gamma", 6 {, ... */
            expect_node(6, "{\"delta\":-3.5,\"eps\":[1,{\"z\":null}]}");
        }
    /* Hundreds of nodes: the reader stops for room, and a space after that is seen. */
    char big[4096] = "[";
    for (int i = 0; i < 600; i++)
        strcat(big, i ? ",1" : "1");
    strcat(big, ", 2]");
    parse_n(big, strlen(big), ALERT_FORMAT_JSON);
    cr_assert_not(doc.compact);
    /* A space before a stop is kept through it. */
    expect_json("[1, \"\\n\", 1e+5, true]", ALERT_FORMAT_JSON, "[1,\"\\n\",1e+5,true]");
    cr_assert_not(doc.compact);
    expect_json("[1,\"\\n\",1e+5,true]", ALERT_FORMAT_JSON, "[1,\"\\n\",1e+5,true]");
    cr_assert(doc.compact);
    /* Python is never compact, nor what AUTO reads as Python after a long JSON try. */
    expect_json("[1,2,3]", ALERT_FORMAT_PYTHON, "[1,2,3]");
    cr_assert_not(doc.compact);
    expect_json("[1,2,3,4,5,6,7,8,9,'a']", ALERT_FORMAT_AUTO, "[1,2,3,4,5,6,7,8,9,\"a\"]");
    cr_assert_not(doc.compact);
    /* Nor a doc whose read failed. */
    alert_error err;
    cr_assert_eq(alert_parse(&doc, "[1,2", 4, ALERT_FORMAT_JSON, &err), -1);
    cr_assert_not(doc.compact);
}

Test(passthrough, formatted_json_is_compacted)
{
    expect_json("{\"a\": 1, \"b\": [1, 2], \"c\": {}}", ALERT_FORMAT_JSON, "{\"a\":1,\"b\":[1,2],\"c\":{}}");
    expect_json("{\n  \"a\": [\n    1\n  ]\n}\n", ALERT_FORMAT_JSON, "{\"a\":[1]}");
    expect_json("[1 ,2]", ALERT_FORMAT_JSON, "[1,2]");
    expect_json("[ 1,2]", ALERT_FORMAT_JSON, "[1,2]");
    expect_json("[1,2 ]", ALERT_FORMAT_JSON, "[1,2]");
    expect_json("{\"a\" :1}", ALERT_FORMAT_JSON, "{\"a\":1}");
    expect_json("[[],[ ]]", ALERT_FORMAT_JSON, "[[],[]]");
    expect_json("[{ }]", ALERT_FORMAT_JSON, "[{}]");
    expect_json("[1,2,3,[4,5, 6]]", ALERT_FORMAT_JSON, "[1,2,3,[4,5,6]]");
    /* Around the root only: the root's span has no space, the message has. */
    expect_json(" [1,2]\n", ALERT_FORMAT_JSON, "[1,2]");
    expect_json("\t{\"a\":\"b\"}\r\n", ALERT_FORMAT_JSON, "{\"a\":\"b\"}");
}

/* Python input is as long as its JSON at times, and still written differently. */
Test(passthrough, python_is_never_copied)
{
    expect_json("{1:2}", ALERT_FORMAT_PYTHON, "{\"1\":2}");
    expect_json("[True]", ALERT_FORMAT_PYTHON, "[true]");
    expect_json("[None]", ALERT_FORMAT_PYTHON, "[null]");
    expect_json("[1,'a']", ALERT_FORMAT_PYTHON, "[1,\"a\"]");
    expect_json("(1,)", ALERT_FORMAT_PYTHON, "[1]");
    expect_json("[\"\\x41\"]", ALERT_FORMAT_PYTHON, "[\"A\"]");
    expect_json("[\"a\"]", ALERT_FORMAT_PYTHON, "[\"a\"]");
    expect_json("[b'AAA=']", ALERT_FORMAT_PYTHON, "[\"QUFBPQ==\"]");
    /* AUTO: the JSON reading is copied, the Python one is not. */
    expect_json("[1,\"a\"]", ALERT_FORMAT_AUTO, "[1,\"a\"]");
    expect_json("[1,'a']", ALERT_FORMAT_AUTO, "[1,\"a\"]");
}

/* A tape said to be JSON whose str has no ALERT_F_VERBATIM (a raw tab, which
 * the writer escapes): its span has the compact length and is still not copied. */
Test(passthrough, a_str_to_reescape_is_not_copied)
{
    static const char src[] = "[\"a\tb\"]";
    alert_node nodes[] = {
        {.start = 0, .len = 7, .next = 2, .count = 1, .type = ALERT_LIST},
        {.start = 2, .len = 3, .next = 2, .type = ALERT_STR},
    };
    alert_doc d = {.src = src, .len = 7, .format = ALERT_FORMAT_JSON, .nodes = nodes, .n_nodes = 2, .cap_nodes = 2};
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert(out.len == 8 && memcmp(out.data, "[\"a\\tb\"]", 8) == 0, "got %.*s", (int)out.len, out.data);
    nodes[1].flags = ALERT_F_VERBATIM;
    out.len = 0;
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert(out.len == 7 && memcmp(out.data, src, 7) == 0, "got %.*s", (int)out.len, out.data);
}

/* Strings of 14 to 34 bytes ending at or near the end of the message: the
 * writer's 16- and 32-byte moves meet the copy at their edges. */
Test(passthrough, strings_at_the_end_of_the_message)
{
    for (size_t n = 14; n <= 34; n++) {
        char value[40], str[48], list[56], text[64], spaced[72];
        memset(value, 'x', n);
        value[n] = '\0';
        value[n / 2] = ' ';
        snprintf(str, sizeof str, "\"%s\"", value);
        snprintf(list, sizeof list, "[%s]", str);
        snprintf(text, sizeof text, "{\"k\":%s}", list);
        snprintf(spaced, sizeof spaced, "{\"k\": %s}", list);
        /* Nodes: 0 {, 1 "k", 2 [, 3 the str. */
        parse_n(text, strlen(text), ALERT_FORMAT_JSON);
        expect_node(0, text);
        expect_node(2, list);
        expect_node(3, str);
        parse_n(spaced, strlen(spaced), ALERT_FORMAT_JSON);
        expect_node(0, text);
        expect_node(2, list);
        expect_node(3, str);
        parse_n(list, strlen(list), ALERT_FORMAT_JSON);
        expect_node(0, list);
        expect_node(1, str);
        parse_n(str, strlen(str), ALERT_FORMAT_JSON);
        expect_node(0, str);
    }
}

/* Copies append to what the buffer holds, and grow it as writing does. */
Test(passthrough, copies_append_and_grow)
{
    char *big = malloc(3 << 20);
    size_t n = 0;
    big[n++] = '[';
    for (int i = 0; i < 200000; i++)
        n += (size_t)sprintf(big + n, "%s{\"i\":%d}", i ? "," : "", i);
    big[n++] = ']';
    parse_n(big, n, ALERT_FORMAT_JSON);
    cr_assert_eq(alert_write_json(&doc, 0, &out), 0);
    cr_assert_eq(alert_write_json(&doc, 1, &out), 0);
    cr_assert_eq(alert_write_json(&doc, 0, &out), 0);
    cr_assert_eq(out.len, 2 * n + 7);
    cr_assert_eq(memcmp(out.data, big, n), 0);
    cr_assert_eq(memcmp(out.data + n, "{\"i\":0}", 7), 0);
    cr_assert_eq(memcmp(out.data + n + 7, big, n), 0);
    free(big);
}

/* ---- differential: random JSON, compact and laid out, every node written ---- */

static uint64_t rng = 0x2545F4914F6CDD1Du; /* next_random's state */

static size_t pick(size_t n) { return (size_t)(next_random(&rng) % n); }

/* A doc as its tokens (scalars and structural characters): a layout puts
 * spaces in the gaps between them. */
typedef struct {
    char text[1 << 20];
    size_t len;
    size_t ends[1 << 12]; /* where each token ends in text */
    size_t n;
} token_list;

static void add_token(token_list *t, const char *s)
{
    size_t n = strlen(s);
    memcpy(t->text + t->len, s, n);
    t->len += n;
    t->ends[t->n++] = t->len;
}

static void add_string(token_list *t)
{
    static const char *const pieces[] = {"a",     "xyz",         " ",       ", ",          ": ",          "\\/",
                                         "\\u00e9", "\\ud83d\\ude00", "\\\"",    "\\\\",         "\\n",         "\\t",
                                         "\xc3\xa9", "\xe6\x97\xa5",  "\xf0\x9f\x98\x80", "{", "]", "0123456789abcdef"};
    char s[256] = "\"";
    for (size_t k = pick(6); k > 0; k--)
        strcat(s, pieces[pick(sizeof pieces / sizeof *pieces)]);
    strcat(s, "\"");
    add_token(t, s);
}

static void add_value(token_list *t, int depth)
{
    static const char *const scalars[] = {"0",    "-0",          "-0.0",  "1E5",   "1e-05", "2.453e-06", "3.14", "-17",
                                          "123456789012345678901234567890", "-9223372036854775808",
                                          "9223372036854775807", "1.7976931348623157e+308", "true", "false", "null"};
    size_t kind = depth >= 4 || t->n > 3000 ? 4 + pick(6) : pick(10);
    if (kind < 4) {
        bool dict = kind >= 2;
        add_token(t, dict ? "{" : "[");
        for (size_t i = 0, n = pick(5); i < n; i++) {
            if (i > 0)
                add_token(t, ",");
            if (dict) {
                add_string(t);
                add_token(t, ":");
            }
            add_value(t, depth + 1);
        }
        add_token(t, dict ? "}" : "]");
    } else if (kind < 7) {
        add_string(t);
    } else {
        add_token(t, scalars[pick(sizeof scalars / sizeof *scalars)]);
    }
}

static const char *token_at(const token_list *t, size_t i, size_t *len)
{
    size_t start = i > 0 ? t->ends[i - 1] : 0;
    *len = t->ends[i] - start;
    return t->text + start;
}

/* The space a layout puts in gap (before token gap): 0 none, 1 one space in
 * gap one, 2 json.dumps' ", " and ": ", 3 spaces of every kind in a quarter of the gaps. */
static const char *gap_space(const token_list *t, int layout, size_t gap, size_t one)
{
    static const char *const spaces[] = {" ", "\n", "\t", "\r", "  ", "\r\n"};
    size_t len;
    const char *before = gap > 0 ? token_at(t, gap - 1, &len) : (len = 0, "");
    switch (layout) {
    case 1:
        return gap == one ? spaces[pick(6)] : "";
    case 2:
        return len == 1 && (*before == ',' || *before == ':') ? " " : "";
    case 3:
        return pick(4) == 0 ? spaces[pick(6)] : "";
    default:
        return "";
    }
}

static size_t lay_out(const token_list *t, int layout, char *out)
{
    size_t n = 0, one = pick(t->n + 1), len;
    for (size_t gap = 0; gap <= t->n; gap++) {
        n += (size_t)sprintf(out + n, "%s", gap_space(t, layout, gap, one));
        if (gap < t->n) {
            const char *token = token_at(t, gap, &len);
            memcpy(out + n, token, len);
            n += len;
        }
    }
    return n;
}

/* What writing JSON input must give: its text without the spaces between tokens. */
static size_t without_spaces(const char *s, size_t n, char *out)
{
    size_t k = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                out[k++] = s[i++];
            else if (c == '"')
                in_string = false;
            c = s[i];
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            continue;
        }
        out[k++] = c;
    }
    return k;
}

/* Thousands of docs, each compact (copied) and laid out (written node by node
 * where a subtree has a space): every node of both written as its text without spaces. */
Test(passthrough, random_docs_every_node_as_without_spaces)
{
    static token_list t;
    static char compact[1 << 20], laid[(1 << 20) + (1 << 14)], want[1 << 20];
    alert_doc laid_doc;
    alert_doc_init(&laid_doc);
    alert_buf laid_out = {0};
    for (int round = 0; round < 4000; round++) {
        t.len = t.n = 0;
        add_value(&t, 0);
        size_t n_compact = lay_out(&t, 0, compact), n_laid = lay_out(&t, round % 4, laid);
        alert_error err = {0};
        parse_n(compact, n_compact, ALERT_FORMAT_JSON);
        cr_assert_eq(alert_parse(&laid_doc, laid, n_laid, ALERT_FORMAT_JSON, &err), 0, "%.*s: %s", (int)n_laid, laid,
                     err.msg);
        cr_assert_eq(doc.n_nodes, laid_doc.n_nodes);
        for (uint32_t i = 0; i < doc.n_nodes; i++) {
            const alert_node *k = alert_at(&laid_doc, i);
            size_t quoted = k->type == ALERT_STR;
            size_t n_want = without_spaces(laid + k->start - quoted, k->len + 2 * quoted, want);
            out.len = laid_out.len = 0;
            cr_assert_eq(alert_write_json(&doc, i, &out), 0);
            cr_assert_eq(alert_write_json(&laid_doc, i, &laid_out), 0);
            cr_assert(out.len == n_want && memcmp(out.data, want, n_want) == 0,
                      "round %d, node %u of %.*s: got %.*s, want %.*s", round, i, (int)n_compact, compact,
                      (int)out.len, out.data, (int)n_want, want);
            cr_assert(laid_out.len == n_want && memcmp(laid_out.data, want, n_want) == 0,
                      "round %d, node %u of %.*s: got %.*s, want %.*s", round, i, (int)n_laid, laid,
                      (int)laid_out.len, laid_out.data, (int)n_want, want);
        }
    }
    alert_buf_free(&laid_out);
    alert_doc_free(&laid_doc);
}
