/* tests/alert/test_write_pairs.c — the writer's pair loop ("key":value in one
 * straight line, for a verbatim str key and a number or verbatim str value each
 * shorter than 32 bytes, with 32 bytes of the message from the value on): its
 * output exactly, at the edges of the lengths it takes, at the message's end,
 * at the end of its dict and beside every kind of pair it leaves to the general way. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/alert/write_check.h"

TestSuite(pairs, .init = setup, .fini = teardown);

static void expect_python(const char *text, const char *json) { expect_json(text, ALERT_FORMAT_PYTHON, json); }

/* n bytes of c, as a string. */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    s[n] = 0;
    return s;
}

/* A number of n bytes: digits, or a float with its point in the middle. */
static char *number(size_t n, bool fraction)
{
    char *s = repeat('7', n);
    if (fraction && n >= 3)
        s[n / 2] = '.';
    return s;
}

static const size_t edges[] = {0, 1, 15, 16, 17, 30, 31, 32, 33, 47, 48, 49};
#define N_EDGES (sizeof edges / sizeof edges[0])

/* The pair key: value as the first, a middle and the last of its dict, and
 * with the message ending right after it, each against its exact JSON. */
static void expect_pair_everywhere(const char *key, const char *py_value, const char *json_value)
{
    static const char *const layouts[][2] = {
        {"{'%s': %s}", "{\"%s\":%s}"},
        {"{'%s': %s, 'after': 'a value long enough to keep 32 bytes in reach'}",
         "{\"%s\":%s,\"after\":\"a value long enough to keep 32 bytes in reach\"}"},
        {"{'a': 1, '%s': %s, 'z': 2}", "{\"a\":1,\"%s\":%s,\"z\":2}"},
        {"{'a': [], '%s': %s}", "{\"a\":[],\"%s\":%s}"},
        {"[{'%s': %s}]", "[{\"%s\":%s}]"},
        {"{'d': {'%s': %s}, 'e': {'%s': %s}}", "{\"d\":{\"%s\":%s},\"e\":{\"%s\":%s}}"},
    };
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
        char *text, *json;
        cr_assert(asprintf(&text, layouts[l][0], key, py_value, key, py_value) > 0);
        cr_assert(asprintf(&json, layouts[l][1], key, json_value, key, json_value) > 0);
        expect_python(text, json);
        free(text);
        free(json);
    }
}

Test(pairs, key_and_value_lengths_at_the_edges)
{
    for (size_t k = 0; k < N_EDGES; k++) {
        char *key = repeat('k', edges[k]);
        for (size_t v = 0; v < N_EDGES; v++) {
            char *py, *json;
            char *str = repeat('s', edges[v]);
            cr_assert(asprintf(&py, "'%s'", str) > 0);
            cr_assert(asprintf(&json, "\"%s\"", str) > 0);
            expect_pair_everywhere(key, py, json);
            free(py);
            free(json);
            free(str);
            if (edges[v] == 0)
                continue;
            for (int fraction = 0; fraction <= 1; fraction++) {
                char *num = number(edges[v], fraction);
                expect_pair_everywhere(key, num, num);
                num[0] = '-';
                if (edges[v] > 1 && num[1] != '.')
                    expect_pair_everywhere(key, num, num);
                free(num);
            }
        }
        free(key);
    }
}

Test(pairs, numbers_of_every_shape)
{
    static const char *const numbers[] = {"0", "-0", "0.0", "-1.5", "2.453e-06", "1E+300", "-7e5",
                                          "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                          "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
        expect_pair_everywhere("n", numbers[i], numbers[i]);
}

Test(pairs, strings_kept_as_they_are)
{
    /* Verbatim with escapes JSON has, and UTF-8 of every length. */
    expect_pair_everywhere("k\\n", "'a\\tb\\\\c\\\"d'", "\"a\\tb\\\\c\\\"d\"");
    expect_pair_everywhere("caf\xc3\xa9", "'\xe6\x97\xa5\xf0\x9f\x98\x80 \xc3\xa9'", "\"\xe6\x97\xa5\xf0\x9f\x98\x80 \xc3\xa9\"");
    expect_pair_everywhere("\\u00e9", "'\\u00e9\\ud83d'", "\"\\u00e9\\ud83d\"");
    expect_pair_everywhere("k", "\"it's\"", "\"it's\"");
    expect_pair_everywhere("k", "'a, b: {c}'", "\"a, b: {c}\"");
}

Test(pairs, pairs_left_to_the_general_way)
{
    /* Values that are not a number or a verbatim str. */
    expect_pair_everywhere("k", "None", "null");
    expect_pair_everywhere("k", "True", "true");
    expect_pair_everywhere("k", "False", "false");
    expect_pair_everywhere("k", "b'ab\\x00'", "\"YWIA\"");
    expect_pair_everywhere("k", "[1, 'a']", "[1,\"a\"]");
    expect_pair_everywhere("k", "(1,)", "[1]");
    expect_pair_everywhere("k", "{'x': 1}", "{\"x\":1}");
    expect_pair_everywhere("k", "{}", "{}");
    expect_pair_everywhere("k", "'a\"b'", "\"a\\\"b\"");
    expect_pair_everywhere("k", "'\\x01\\'\\u00e9'", "\"\\u0001'\xc3\xa9\"");
    /* Keys that are not a verbatim str. */
    expect_python("{'a\"b': 1, 'c': 2}", "{\"a\\\"b\":1,\"c\":2}");
    expect_python("{'a\\'b': 1, 'c': 2}", "{\"a'b\":1,\"c\":2}");
    expect_python("{'a\\x41': 1, 'c': 2}", "{\"aA\":1,\"c\":2}");
    expect_python("{1: 2, 'c': 3, -1.5: 'x', None: 4, True: 5, False: 6}",
                  "{\"1\":2,\"c\":3,\"-1.5\":\"x\",\"null\":4,\"true\":5,\"false\":6}");
}

Test(pairs, dicts_closed_by_a_pair)
{
    expect_python("{'a': {'b': {'c': 1}}}", "{\"a\":{\"b\":{\"c\":1}}}");
    expect_python("{'a': {'b': {'c': 1}}, 'd': [{'e': 'f'}, {'g': 2.5}], 'h': 3}",
                  "{\"a\":{\"b\":{\"c\":1}},\"d\":[{\"e\":\"f\"},{\"g\":2.5}],\"h\":3}");
    expect_python("[{'a': 1}, ({'b': 2},), [{'c': 3}]]", "[{\"a\":1},[{\"b\":2}],[{\"c\":3}]]");
    expect_python("{'a': 1, 'b': 2, 'c': 3, 'd': 4, 'e': 5}", "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}");
}

Test(pairs, subtrees)
{
    const char *text = "{'a': {'b': 1, 'c': 'x'}, 'd': {'e': 2.5}}";
    /* Nodes: 0 {, 1 'a', 2 {, 3 'b', 4 1, 5 'c', 6 'x', 7 'd', 8 {, 9 'e', 10 2.5. */
    parse_n(text, strlen(text), ALERT_FORMAT_PYTHON);
    expect_node(2, "{\"b\":1,\"c\":\"x\"}");
    expect_node(8, "{\"e\":2.5}");
    expect_node(0, "{\"a\":{\"b\":1,\"c\":\"x\"},\"d\":{\"e\":2.5}}");
}

Test(pairs, formatted_json)
{
    expect_json("{\"a\": 1, \"b\": {\"c\": \"d\"}}", ALERT_FORMAT_JSON, "{\"a\":1,\"b\":{\"c\":\"d\"}}");
    expect_json("{ \"a\" : -2e5 ,\n \"b\" : \"\\u00e9\" }", ALERT_FORMAT_JSON, "{\"a\":-2e5,\"b\":\"\\u00e9\"}");
}
