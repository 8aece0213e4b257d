/* tests/alert/test_read.c — the reader and writer together: every construct of
 * both formats read and written back as exact JSON, and every error exactly. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alert/alert.h"

/* Reads text as fmt and checks the format chosen and the JSON written. */
static void expect_json(const char *text, alert_format fmt, alert_format read_as, const char *json)
{
    alert_doc d;
    alert_doc_init(&d);
    alert_error err = {0};
    alert_buf out = {0};
    int rc = alert_parse(&d, text, strlen(text), fmt, &err);
    cr_assert_eq(rc, 0, "%s: %s", text, err.msg);
    cr_assert_eq(d.format, read_as, "%s: read as %s", text, alert_format_name(d.format));
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert_eq(out.len, strlen(json), "%s: got %.*s", text, (int)out.len, out.data);
    cr_assert_eq(memcmp(out.data, json, out.len), 0, "%s: got %.*s", text, (int)out.len, out.data);
    alert_buf_free(&out);
    alert_doc_free(&d);
}

static void expect_python(const char *text, const char *json) { expect_json(text, ALERT_FORMAT_AUTO, ALERT_FORMAT_PYTHON, json); }
static void expect_same_json(const char *text, const char *json) { expect_json(text, ALERT_FORMAT_AUTO, ALERT_FORMAT_JSON, json); }

/* Reads n bytes of text as fmt and checks that it fails with exactly msg at offset. */
static void expect_error_n(const char *text, size_t n, alert_format fmt, size_t offset, const char *msg)
{
    alert_doc d;
    alert_doc_init(&d);
    alert_error err = {0};
    cr_assert_eq(alert_parse(&d, text, n, fmt, &err), -1, "%s: no error", text);
    cr_assert_str_eq(err.msg, msg, "%s", text);
    cr_assert_eq(err.offset, offset, "%s: offset %zu", text, err.offset);
    cr_assert_eq(d.n_nodes, 0, "%s: a failed read leaves no nodes", text);
    alert_doc_free(&d);
}

static void expect_error(const char *text, size_t offset, const char *msg)
{
    expect_error_n(text, strlen(text), ALERT_FORMAT_AUTO, offset, msg);
}

Test(python, scalars)
{
    expect_python("True", "true");
    expect_python("False", "false");
    expect_python("None", "null");
    expect_python("'abc'", "\"abc\"");
    expect_same_json("\"it's\"", "\"it's\"");
    expect_python("(\"it's\",)", "[\"it's\"]");
    expect_python("'say \"hi\"'", "\"say \\\"hi\\\"\"");
    expect_python("''", "\"\"");
}

Test(python, numbers_copied_digit_for_digit)
{
    expect_python("(1e-05, -0.0, 5e-324, 1.7976931348623157e+308, 1e+16, 2.5E-3)",
                  "[1e-05,-0.0,5e-324,1.7976931348623157e+308,1e+16,2.5E-3]");
    expect_python("(123456789012345678901234567890, -98765432109876543210)",
                  "[123456789012345678901234567890,-98765432109876543210]");
}

Test(python, containers)
{
    expect_python("{'a': [1, (2, 3)], 'b': {}, 'c': [], 'd': ()}", "{\"a\":[1,[2,3]],\"b\":{},\"c\":[],\"d\":[]}");
    expect_python("(1,)", "[1]");
    expect_python("((1,),)", "[[1]]");
    expect_python("[1, 2,]", "[1,2]");
    expect_python("{'a': 1,}", "{\"a\":1}");
    expect_python("( 1 , 2 , )", "[1,2]");
    expect_python(" {\n\t'k' :\r\n 'v' } ", "{\"k\":\"v\"}");
}

Test(python, non_string_keys_as_json_dumps_writes_them)
{
    expect_python("{1: 'a', -2: 'b', 1.5: 'c', True: 'd', False: 'e', None: 'f', 1e+16: 'g'}",
                  "{\"1\":\"a\",\"-2\":\"b\",\"1.5\":\"c\",\"true\":\"d\",\"false\":\"e\",\"null\":\"f\",\"1e+16\":\"g\"}");
    expect_python("{'z': 1, 'a': 2, 'm': 3}", "{\"z\":1,\"a\":2,\"m\":3}");
}

Test(python, every_str_escape)
{
    expect_python("'\\\\'", "\"\\\\\"");
    expect_python("'\\''", "\"'\"");
    expect_python("'\\\"'", "\"\\\"\"");
    expect_python("'a\\nb\\rc\\td'", "\"a\\nb\\rc\\td\"");
    expect_python("'\\x00\\x1f\\x7f\\xe9'", "\"\\u0000\\u001f\x7f\xc3\xa9\"");
    expect_python("'\\u20ac\\U0001f600'", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"");
    expect_python("'\\a\\b\\f\\v'", "\"\\u0007\\b\\f\\u000b\"");
    expect_python("'\\0\\101\\777'", "\"\\u0000A\xc7\xbf\"");
    expect_python("'a\\\nb'", "\"ab\"");
    expect_python("'tab\there'", "\"tab\\there\"");
}

Test(python, lone_surrogates_stay_escaped)
{
    expect_python("'\\ud800'", "\"\\ud800\"");
    expect_python("'\\udfff x'", "\"\\udfff x\"");
    /* Python reads these as two lone surrogates; written as escapes, JSON readers pair them as Python's json.dumps output would be. */
    expect_python("'\\ud83d\\ude00'", "\"\\ud83d\\ude00\"");
}

Test(python, raw_utf8)
{
    expect_python("'h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80'", "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

Test(python, bytes_as_padded_base64)
{
    expect_python("b''", "\"\"");
    expect_python("b'a'", "\"YQ==\"");
    expect_python("b'ab'", "\"YWI=\"");
    expect_python("b'abc'", "\"YWJj\"");
    expect_python("b'\\x00\\xff\\n\\t\\\\\\''", "\"AP8KCVwn\"");
    expect_python("b\"it's\"", "\"aXQncw==\"");
}

Test(json, constructs)
{
    expect_same_json("{\"a\": [1, -2.5e+3, true, false, null], \"b\": {}, \"c\": []}",
                     "{\"a\":[1,-2.5e+3,true,false,null],\"b\":{},\"c\":[]}");
    expect_same_json("\"\\ud83d\\ude00 \\/ \\u00e9 \\\" \\\\ \\b\\f\\n\\r\\t\"",
                     "\"\\ud83d\\ude00 \\/ \\u00e9 \\\" \\\\ \\b\\f\\n\\r\\t\"");
    expect_same_json("123456789012345678901234567890", "123456789012345678901234567890");
    expect_same_json(" [ ] ", "[]");
}

Test(auto, decides_per_message)
{
    expect_same_json("{\"a\": 1}", "{\"a\":1}");
    expect_python("{'a': 1}", "{\"a\":1}");
    expect_python("{\"a\": True}", "{\"a\":true}");
    expect_python("{\"a\": (1, 2)}", "{\"a\":[1,2]}");
    expect_json("{\"a\": 1}", ALERT_FORMAT_PYTHON, ALERT_FORMAT_PYTHON, "{\"a\":1}");
}

Test(auto, a_single_quoted_first_key_is_python_read_first)
{
    /* Read as Python at once; when that fails, the error is the one of the
     * reading that got further, as for any message. */
    expect_python("{'a': 1, \"b\": (1,), 'c': None}", "{\"a\":1,\"b\":[1],\"c\":null}");
    expect_python("{'': {}}", "{\"\":{}}");
    expect_python("{ 'a': 1}", "{\"a\":1}");
    expect_python("{\"a\": 'x'}", "{\"a\":\"x\"}");
    expect_error("{'a': nan}", 6, "offset 6: unknown name 'nan'");
    expect_error("{'a': 1, \"b\": true}", 14, "offset 14: unknown name 'true'");
    expect_error("{'", 1, "offset 1: unterminated string");
    expect_error("{'a'}", 4, "offset 4: set literals are not supported: JSON has no sets");
    expect_error("{'a': 1}}", 8, "offset 8: expected end of input after the value, found '}'");
    /* Both at offset 0 (nesting_limit_of_every_container_type, {'a': {'b': 1}} at 0). */
}

Test(errors, structure)
{
    expect_error("", 0, "offset 0: expected a value, found end of input");
    expect_error("{'a' 1}", 5, "offset 5: expected ':' after dict key, found '1'");
    expect_error("{'a': 1", 7, "offset 7: expected ',' or '}' after dict value, found end of input");
    expect_error("[1, 2", 5, "offset 5: expected ',' or ']' after list element, found end of input");
    expect_error("(1, 2", 5, "offset 5: expected ',' or ')' after tuple element, found end of input");
    expect_error("[1}", 2, "offset 2: expected ',' or ']' after list element, found '}'");
    expect_error("[1] x", 4, "offset 4: expected end of input after the value, found 'x'");
    expect_error("{}}", 2, "offset 2: expected end of input after the value, found '}'");
    expect_error("[,]", 1, "offset 1: expected a value, found ','");
    expect_error("'abc", 0, "offset 0: unterminated string");
    expect_error("(1)", 0, "offset 0: a parenthesized value is not a tuple: a 1-tuple needs a trailing comma");
}

Test(errors, names_and_calls)
{
    expect_error("nan", 0, "offset 0: unknown name 'nan'");
    expect_error("[inf]", 1, "offset 1: unknown name 'inf'");
    expect_error("-inf", 1, "offset 1: expected a digit after '-', found 'i'");
    expect_error("__import__('os')", 0, "offset 0: unknown name '__import__'");
    expect_error("{'a': open('x')}", 6, "offset 6: unknown name 'open'");
    expect_error_n("true", 4, ALERT_FORMAT_PYTHON, 0, "offset 0: unknown name 'true'");
    expect_error_n("True", 4, ALERT_FORMAT_JSON, 0, "offset 0: unknown name 'True'");
}

Test(errors, numbers)
{
    expect_error("01", 0, "offset 0: leading zero in number");
    expect_error("[-01]", 2, "offset 2: leading zero in number");
    expect_error("1.", 2, "offset 2: expected a digit after '.', found end of input");
    expect_error("1e", 2, "offset 2: expected a digit in the exponent, found end of input");
    expect_error("1e+x", 3, "offset 3: expected a digit in the exponent, found 'x'");
    expect_error("1j", 1, "offset 1: expected end of input after the value, found 'j'");
    expect_error("+1", 0, "offset 0: expected a value, found '+'");
}

Test(errors, sets_and_keys)
{
    expect_error("{1, 2}", 2, "offset 2: set literals are not supported: JSON has no sets");
    expect_error("{'a'}", 4, "offset 4: set literals are not supported: JSON has no sets");
    expect_error("{(1, 2): 3}", 1, "offset 1: dict key must be str, int, float, bool or None, not tuple");
    expect_error("{b'k': 3}", 1, "offset 1: dict key must be str, int, float, bool or None, not bytes");
    expect_error_n("{1: 2}", 6, ALERT_FORMAT_JSON, 1, "offset 1: object key must be a string");
}

Test(errors, strings)
{
    expect_error("'a\\qb'", 2, "offset 2: invalid escape '\\q'");
    expect_error("'\\x4'", 1, "offset 1: truncated \\x escape: expected 2 hex digits");
    expect_error("'\\u12'", 1, "offset 1: truncated \\u escape: expected 4 hex digits");
    expect_error("'\\U0011ffff'", 1, "offset 1: \\U escape beyond U+10FFFF");
    expect_error("'\\N{DASH}'", 1, "offset 1: \\N{...} escapes are not supported");
    expect_error("b'\\u1234'", 2, "offset 2: invalid escape '\\u'");
    expect_error("b'\\777'", 2, "offset 2: octal escape above \\377 in bytes");
    expect_error("b'\xc3\xa9'", 2, "offset 2: non-ASCII byte in bytes literal");
    expect_error("'a\nb'", 2, "offset 2: newline in string");
    expect_error_n("\"a\tb\"", 5, ALERT_FORMAT_JSON, 2, "offset 2: control character 0x09 in string must be escaped");
    expect_error_n("\"\\x41\"", 6, ALERT_FORMAT_JSON, 1, "offset 1: invalid escape '\\x'");
    expect_error_n("'\\/'", 4, ALERT_FORMAT_PYTHON, 1, "offset 1: invalid escape '\\/'");
}

Test(python, bytes_around_the_control_range_at_every_place_of_a_block)
{
    /* The string scan stops at bytes below 0x20 (and non-ASCII ones) 16 at a
     * time: a byte just below, at and above that bound, and DEL, at every
     * place of two blocks, in Python (escaped in the JSON out) and JSON (an error). */
    static const struct {
        unsigned char byte;
        const char *json; /* what Python's str gives in the JSON out */
    } cases[] = {{0x01, "\\u0001"}, {0x1f, "\\u001f"}, {0x20, " "}, {0x21, "!"}, {0x7f, "\x7f"}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        for (size_t at = 0; at < 32; at++) {
            char content[33], text[64], want[80], msg[80];
            memset(content, 'a', 32);
            content[at] = (char)cases[k].byte;
            content[32] = '\0';
            snprintf(text, sizeof text, "['%s']", content);
            snprintf(want, sizeof want, "[\"%.*s%s%s\"]", (int)at, content, cases[k].json, content + at + 1);
            expect_python(text, want);
            snprintf(text, sizeof text, "[\"%s\"]", content);
            if (cases[k].byte >= 0x20) {
                expect_same_json(text, want);
            } else {
                snprintf(msg, sizeof msg, "offset %zu: control character 0x%02x in string must be escaped", at + 2,
                         cases[k].byte);
                expect_error_n(text, strlen(text), ALERT_FORMAT_JSON, at + 2, msg);
            }
        }
    }
}

Test(errors, bytes_that_are_not_text)
{
    expect_error_n("'a\0b'", 5, ALERT_FORMAT_AUTO, 2, "offset 2: NUL byte in string");
    expect_error_n("[1,\0]", 5, ALERT_FORMAT_AUTO, 3, "offset 3: expected a value, found byte 0x00");
    expect_error("'\xff'", 1, "offset 1: invalid UTF-8 in string");
    expect_error("'\xc3('", 1, "offset 1: invalid UTF-8 in string");
    expect_error("'\xc0\xaf'", 1, "offset 1: invalid UTF-8 in string");         /* overlong */
    expect_error("'\xed\xa0\x80'", 1, "offset 1: invalid UTF-8 in string");     /* encoded surrogate */
    expect_error("'\xf4\x90\x80\x80'", 1, "offset 1: invalid UTF-8 in string"); /* beyond U+10FFFF */
    expect_error("'\xe2\x82'", 1, "offset 1: invalid UTF-8 in string");         /* truncated */
    expect_error("\xc3\xa9", 0, "offset 0: expected a value, found byte 0xc3");
}

Test(errors, nesting_limit_without_recursion)
{
    size_t n = 100000;
    char *deep = malloc(n);
    memset(deep, '[', n);
    expect_error_n(deep, n, ALERT_FORMAT_AUTO, 512, "offset 512: nesting deeper than 512 levels");
    free(deep);

    char at_limit[1024];
    memset(at_limit, '[', 512);
    memset(at_limit + 512, ']', 512);
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    cr_assert_eq(alert_parse(&d, at_limit, sizeof at_limit, ALERT_FORMAT_AUTO, &err), 0);
    cr_assert_eq(d.n_nodes, 512);
    alert_buf out = {0};
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert_eq(out.len, 1024);
    cr_assert_eq(memcmp(out.data, at_limit, 1024), 0);
    d.max_depth = 3;
    cr_assert_eq(alert_parse(&d, "[[[[1]]]]", 9, ALERT_FORMAT_AUTO, &err), -1);
    cr_assert_str_eq(err.msg, "offset 3: nesting deeper than 3 levels");
    alert_buf_free(&out);
    alert_doc_free(&d);
}

Test(errors, nesting_limit_of_every_container_type)
{
    /* The same doc, its limit changed between messages: each container type
     * opens a level, each closer gives it back. */
    static const struct {
        const char *text;
        size_t at[4]; /* the offset of the error at limits 0 to 3, or SIZE_MAX */
    } cases[] = {
        {"({'a': 1},)", {0, 1, SIZE_MAX, SIZE_MAX}},
        {"({'a': (1,)},)", {0, 1, 7, SIZE_MAX}},
        {"[{'a': [1]}]", {0, 1, 7, SIZE_MAX}},
        {"{'a': {'b': 1}}", {0, 6, SIZE_MAX, SIZE_MAX}},
        {"[[], [[]], []]", {0, 1, 6, SIZE_MAX}},
        {"(((),),)", {0, 1, 2, SIZE_MAX}},
    };
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    for (uint32_t limit = 0; limit < 4; limit++) {
        for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
            d.max_depth = limit;
            size_t at = cases[k].at[limit];
            int rc = alert_parse(&d, cases[k].text, strlen(cases[k].text), ALERT_FORMAT_AUTO, &err);
            if (at == SIZE_MAX) {
                cr_assert_eq(rc, 0, "%s at %u: %s", cases[k].text, limit, err.msg);
                continue;
            }
            char want[80];
            snprintf(want, sizeof want, "offset %zu: nesting deeper than %u levels", at, limit);
            cr_assert_eq(rc, -1, "%s at %u", cases[k].text, limit);
            cr_assert_str_eq(err.msg, want, "%s at %u", cases[k].text, limit);
        }
    }
    alert_doc_free(&d);
}

Test(errors, size_limit)
{
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    d.max_bytes = 4;
    cr_assert_eq(alert_parse(&d, "[1, 2]", 6, ALERT_FORMAT_AUTO, &err), -1);
    cr_assert_str_eq(err.msg, "offset 4: message of 6 bytes is over the limit of 4 bytes");
    cr_assert_eq(err.offset, 4);
    cr_assert_eq(alert_parse(&d, "[12]", 4, ALERT_FORMAT_AUTO, &err), 0);
    alert_doc_free(&d);
    alert_doc_init(&d);
    cr_assert_eq(d.max_bytes, ALERT_DEFAULT_MAX_BYTES);
    cr_assert_eq(d.max_depth, ALERT_DEFAULT_MAX_DEPTH);
    alert_doc_free(&d);
}

Test(errors, auto_reports_the_reading_that_got_further)
{
    /* JSON fails at the single quote (9), Python further on, at the name (14). */
    expect_error("{\"a\": 1, 'b': nan}", 14, "offset 14: unknown name 'nan'");
    /* Both readings fail at the same spot, with the same words. */
    expect_error("{\"a\" 1}", 5, "offset 5: expected ':' after dict key, found '1'");
    /* Python fails at the name (1), JSON further on, at the single quote (7). */
    expect_error("[true, 'x']", 7, "offset 7: expected a value, found '''");
}

Test(names, formats_and_types)
{
    alert_format f;
    cr_assert_eq(alert_format_parse("auto", &f), 0);
    cr_assert_eq(f, ALERT_FORMAT_AUTO);
    cr_assert_eq(alert_format_parse("python", &f), 0);
    cr_assert_eq(f, ALERT_FORMAT_PYTHON);
    cr_assert_eq(alert_format_parse("json", &f), 0);
    cr_assert_eq(f, ALERT_FORMAT_JSON);
    cr_assert_eq(alert_format_parse("yaml", &f), -1);
    cr_assert_str_eq(alert_format_name(ALERT_FORMAT_PYTHON), "python");
    const char *names[] = {"null", "bool", "int", "float", "str", "bytes", "list", "tuple", "dict"};
    for (int t = ALERT_NULL; t <= ALERT_DICT; t++)
        cr_assert_str_eq(alert_type_name((alert_type)t), names[t]);
}

Test(doc, reused_from_message_to_message)
{
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    alert_buf out = {0};
    cr_assert_eq(alert_parse(&d, "{'a': [1, 2, 3]}", 16, ALERT_FORMAT_AUTO, &err), 0);
    cr_assert_eq(d.n_nodes, 6);
    cr_assert_eq(alert_parse(&d, "7", 1, ALERT_FORMAT_AUTO, &err), 0);
    cr_assert_eq(d.n_nodes, 1);
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert_eq(out.len, 1);
    cr_assert_eq(out.data[0], '7');
    alert_buf_free(&out);
    alert_doc_free(&d);
}

Test(writer, big_messages_reserve_node_by_node)
{
    /* Over 1 MiB of input: the writer reserves per node instead of at once. */
    const char item[] = "'\\x07\"', b'\\xff', ";
    const char want_item[] = "\"\\u0007\\\"\",\"/w==\",";
    size_t n = 100000, item_len = strlen(item), want_len = strlen(want_item);
    char *text = malloc(n * item_len + 2), *want = malloc(n * want_len + 2);
    text[0] = want[0] = '[';
    for (size_t i = 0; i < n; i++) {
        memcpy(text + 1 + i * item_len, item, item_len);
        memcpy(want + 1 + i * want_len, want_item, want_len);
    }
    text[1 + n * item_len] = ']';
    want[n * want_len] = ']';
    text[1 + n * item_len - 2] = ' '; /* drop the trailing comma: "..., ]" stays valid Python either way */
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    alert_buf out = {0};
    cr_assert_eq(alert_parse(&d, text, n * item_len + 2, ALERT_FORMAT_AUTO, &err), 0, "%s", err.msg);
    cr_assert_eq(d.n_nodes, 2 * n + 1);
    cr_assert_eq(alert_write_json(&d, 0, &out), 0);
    cr_assert_eq(out.len, n * want_len + 1);
    cr_assert_eq(memcmp(out.data, want, out.len), 0);
    alert_buf_free(&out);
    alert_doc_free(&d);
    free(text);
    free(want);
}
