/* tests/alert/test_long.c — the reader's block-at-a-time paths: values read
 * inside long messages (16 and 32 bytes ahead to scan) and at every distance
 * from the end, with the same results and errors as in short ones. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"

#define PREFIX "{'pad': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'v': "
#define SUFFIX ", 'tail': 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'}"
#define JSON_PREFIX "{\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\"v\":"
#define JSON_SUFFIX ",\"tail\":\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}"

/* Reads n bytes of text (Python) and checks the JSON written. */
static void expect_json_n(const char *text, size_t n, const char *json)
{
    alert_doc d;
    alert_doc_init(&d);
    alert_error err = {0};
    alert_buf out = {0};
    cr_assert_eq(alert_parse(&d, text, n, ALERT_FORMAT_PYTHON, &err), 0, "%s: %s", text, err.msg);
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert_eq(out.len, strlen(json), "%s: got %.*s", text, (int)out.len, out.data);
    cr_assert_eq(memcmp(out.data, json, out.len), 0, "%s: got %.*s", text, (int)out.len, out.data);
    alert_buf_free(&out);
    alert_doc_free(&d);
}

/* value between PREFIX and SUFFIX is written as json, and is node 4 of the tape. */
static void expect_value(const char *value, const char *json, alert_type type, bool big)
{
    char text[512], expected[512];
    snprintf(text, sizeof text, PREFIX "%s" SUFFIX, value);
    snprintf(expected, sizeof expected, JSON_PREFIX "%s" JSON_SUFFIX, json);
    expect_json_n(text, strlen(text), expected);
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    cr_assert_eq(alert_parse(&d, text, strlen(text), ALERT_FORMAT_PYTHON, &err), 0);
    cr_assert_eq(d.n_nodes, d.nodes[4].next + 2, "%s", value);
    cr_assert_eq(d.nodes[4].type, type, "%s", value);
    cr_assert_eq(d.nodes[4].start, strlen(PREFIX) + (type == ALERT_STR), "%s", value);
    cr_assert_eq(!!(d.nodes[4].flags & ALERT_F_BIGINT), big, "%s", value);
    alert_doc_free(&d);
}

/* value between PREFIX and SUFFIX fails with msg at offset `at` into value. */
static void expect_error(const char *value, size_t at, const char *msg)
{
    char text[512], expected[200];
    snprintf(text, sizeof text, PREFIX "%s" SUFFIX, value);
    snprintf(expected, sizeof expected, "offset %zu: %s", strlen(PREFIX) + at, msg);
    alert_doc d;
    alert_doc_init(&d);
    alert_error err = {0};
    cr_assert_eq(alert_parse(&d, text, strlen(text), ALERT_FORMAT_AUTO, &err), -1, "%s: no error", value);
    cr_assert_str_eq(err.msg, expected, "%s", value);
    cr_assert_eq(err.offset, strlen(PREFIX) + at);
    alert_doc_free(&d);
}

Test(long_message, numbers)
{
    expect_value("0", "0", ALERT_INT, false);
    expect_value("-0.0", "-0.0", ALERT_FLOAT, false);
    expect_value("1241.0", "1241.0", ALERT_FLOAT, false);
    expect_value("49.54350870919409", "49.54350870919409", ALERT_FLOAT, false);
    expect_value("9223372036854775807", "9223372036854775807", ALERT_INT, false);
    expect_value("9223372036854775808", "9223372036854775808", ALERT_INT, true);
    expect_value("-9223372036854775808", "-9223372036854775808", ALERT_INT, false);
    expect_value("-9223372036854775809", "-9223372036854775809", ALERT_INT, true);
    expect_value("10000000000000000000", "10000000000000000000", ALERT_INT, true);
    expect_value("1234567890123456789012345678901", "1234567890123456789012345678901", ALERT_INT, true);
    expect_value("123456789012345678901234567890123456789", "123456789012345678901234567890123456789", ALERT_INT, true);
    expect_value("1.2345678901234567890123456789012345", "1.2345678901234567890123456789012345", ALERT_FLOAT, false);
    expect_value("123456789012345678901234567890.5", "123456789012345678901234567890.5", ALERT_FLOAT, false);
    expect_value("1e-05", "1e-05", ALERT_FLOAT, false);
    expect_value("-2.5E+300", "-2.5E+300", ALERT_FLOAT, false);
}

Test(long_message, number_errors)
{
    expect_error("01", 0, "leading zero in number");
    expect_error("-012", 1, "leading zero in number");
    expect_error("-x", 1, "expected a digit after '-', found 'x'");
    expect_error("1.x", 2, "expected a digit after '.', found 'x'");
    expect_error("1.e5", 2, "expected a digit after '.', found 'e'");
    expect_error("1ex", 2, "expected a digit in the exponent, found 'x'");
    expect_error("2.5e+", 5, "expected a digit in the exponent, found ','");
    expect_error("12j", 2, "expected ',' or '}' after dict value, found 'j'");
}

Test(long_message, strings)
{
    expect_value("'plain text that is longer than sixteen bytes'", "\"plain text that is longer than sixteen bytes\"",
                 ALERT_STR, false);
    expect_value("'it\\'s \"q\" \\n\\t\\\\ \xc3\xa9 \xf0\x9f\x98\x80 and more'",
                 "\"it's \\\"q\\\" \\n\\t\\\\ \xc3\xa9 \xf0\x9f\x98\x80 and more\"", ALERT_STR, false);
    expect_value("\"it's\"", "\"it's\"", ALERT_STR, false);
    expect_value("'\\x41\\u00e9\\U0001f600'", "\"A\xc3\xa9\xf0\x9f\x98\x80\"", ALERT_STR, false);
    expect_value("'tab\tinside'", "\"tab\\tinside\"", ALERT_STR, false);
}

Test(long_message, string_errors)
{
    expect_error("'a\\qb'", 2, "invalid escape '\\q'");
    expect_error("'a\nb'", 2, "newline in string");
    expect_error("'ab\xff'", 3, "invalid UTF-8 in string");
    expect_error("'abc\xe2\x82'", 4, "invalid UTF-8 in string");
    expect_error("b'\xc3\xa9'", 2, "non-ASCII byte in bytes literal");
    expect_error("{'a' 1}", 5, "expected ':' after dict key, found '1'");
    expect_error("{'a', 'b'}", 4, "set literals are not supported: JSON has no sets");
    expect_error("{'a'}", 4, "set literals are not supported: JSON has no sets");
    expect_error("{b'k': 3}", 1, "dict key must be str, int, float, bool or None, not bytes");
    expect_error("{'k': }", 6, "expected a value, found '}'");
}

/* Strings and numbers ending at every distance from the end of the message,
 * where fewer than 16 or 32 bytes are left to look at. */
Test(long_message, values_near_the_end)
{
    char text[128], json[160];
    for (size_t n = 0; n < 48; n++) {
        memset(text, 'a', sizeof text);
        text[0] = text[n + 1] = '\'';
        json[0] = json[n + 1] = '"';
        memset(json + 1, 'a', n);
        json[n + 2] = 0;
        expect_json_n(text, n + 2, json);
        text[n + 1] = 'a';
        alert_doc d;
        alert_doc_init(&d);
        alert_error err;
        cr_assert_eq(alert_parse(&d, text, n + 2, ALERT_FORMAT_PYTHON, &err), -1);
        cr_assert_str_eq(err.msg, "offset 0: unterminated string");
        alert_doc_free(&d);
        snprintf(text, sizeof text, "[%.*s, 1.5, 'x\\ny']", (int)n, "123456789012345678901234567890123456789012345678");
        snprintf(json, sizeof json, "[%.*s,1.5,\"x\\ny\"]", (int)n, "123456789012345678901234567890123456789012345678");
        if (n > 0)
            expect_json_n(text, strlen(text), json);
    }
}

/* Over 1 MiB of input the writer reserves node by node: dict keys of every
 * kind, nested and empty containers, escaped strings and bytes on that path. */
Test(long_message, big_dict_reserved_node_by_node)
{
    size_t n = 20000;
    char *text = malloc(n * 96 + 2), *want = malloc(n * 96 + 2);
    size_t tl = 1, wl = 1;
    text[0] = '{';
    want[0] = '{';
    for (size_t i = 0; i < n; i++) {
        tl += (size_t)sprintf(text + tl, "%s'k%05zu': {1: 'a\\tb', None: [True, -1.5e3], False: {}, 'q\"': b'xy'}",
                              i ? ", " : "", i);
        wl += (size_t)sprintf(want + wl,
                              "%s\"k%05zu\":{\"1\":\"a\\tb\",\"null\":[true,-1.5e3],\"false\":{},\"q\\\"\":\"eHk=\"}",
                              i ? "," : "", i);
    }
    text[tl++] = '}';
    want[wl++] = '}';
    cr_assert_gt(tl, 1u << 20);
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    alert_buf out = {0};
    cr_assert_eq(alert_parse(&d, text, tl, ALERT_FORMAT_AUTO, &err), 0, "%s", err.msg);
    cr_assert_eq(d.n_nodes, 12 * n + 1);
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert_eq(out.len, wl);
    cr_assert_eq(memcmp(out.data, want, wl), 0);
    alert_buf_free(&out);
    alert_doc_free(&d);
    free(text);
    free(want);
}

/* Spaces anywhere between tokens, trailing commas, and what is not a value
 * where one is due, off the ", " and ": " that Python writes. */
Test(long_message, spacing_and_trailing_commas)
{
    expect_value("[1 ,\n 2,\t]", "[1,2]", ALERT_LIST, false);
    expect_value("{'a' :1 , 'b':\t2 ,}", "{\"a\":1,\"b\":2}", ALERT_DICT, false);
    expect_value("(  'x'  ,  )", "[\"x\"]", ALERT_TUPLE, false);
    expect_value("{ }", "{}", ALERT_DICT, false);
    expect_error("{'a': , 'b': 1}", 6, "expected a value, found ','");
    expect_error("[1, , 2]", 4, "expected a value, found ','");
    expect_error("{'a':1,,}", 7, "expected a value, found ','");
    expect_error("{'a':}", 5, "expected a value, found '}'");
    expect_error("[1, )", 4, "expected a value, found ')'");
    expect_error("(1 )", 0, "a parenthesized value is not a tuple: a 1-tuple needs a trailing comma");

    const char json[] = "{\"pad\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\", \"v\": [1, ], \"tail\": 1}";
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    cr_assert_eq(alert_parse(&d, json, strlen(json), ALERT_FORMAT_JSON, &err), -1);
    cr_assert_str_eq(err.msg, "offset 61: expected a value, found ']'");
    alert_doc_free(&d);
}

/* The node array grows (from nothing, at 256, 512...) while a key is due and
 * while a value is due: both layouts put the 256th node on one of them. */
Test(long_message, nodes_grow_at_keys_and_at_values)
{
    for (int nested = 0; nested < 2; nested++) {
        char text[16384], json[16384];
        size_t tl = 0, jl = 0;
        tl += (size_t)sprintf(text + tl, "%s{", nested ? "[" : "");
        jl += (size_t)sprintf(json + jl, "%s{", nested ? "[" : "");
        for (int i = 0; i < 600; i++) {
            tl += (size_t)sprintf(text + tl, "%s'k%d': %d", i ? ", " : "", i, i);
            jl += (size_t)sprintf(json + jl, "%s\"k%d\":%d", i ? "," : "", i, i);
        }
        sprintf(text + tl, "}%s", nested ? "]" : "");
        sprintf(json + jl, "}%s", nested ? "]" : "");
        expect_json_n(text, strlen(text), json);
    }
}
