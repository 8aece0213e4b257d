/* tests/alert/test_path.c — paths parsed and followed through the tape, and the
 * values found there: ints, doubles, decoded strings. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "alert/alert.h"

static alert_doc doc;

static void parse(const char *text)
{
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, strlen(text), ALERT_FORMAT_AUTO, &err), 0, "%s", err.msg);
}

/* Follows the path text from the root. */
static uint32_t find(const char *text)
{
    alert_path path;
    alert_error err;
    cr_assert_eq(alert_path_parse(text, strlen(text), &path, &err), 0, "%s: %s", text, err.msg);
    uint32_t node = alert_lookup(&doc, 0, path.steps, path.n);
    alert_path_free(&path);
    return node;
}

static void expect_string(const char *path, const char *want, size_t want_len)
{
    const char *s;
    size_t n;
    uint32_t node = find(path);
    cr_assert_neq(node, ALERT_ABSENT, "%s", path);
    cr_assert_eq(alert_string(&doc, node, &s, &n), 0, "%s", path);
    cr_assert_eq(n, want_len, "%s: %zu bytes", path, n);
    cr_assert_eq(memcmp(s, want, n), 0, "%s", path);
}

static void expect_path_error(const char *text, size_t offset, const char *msg)
{
    alert_path path;
    alert_error err;
    cr_assert_eq(alert_path_parse(text, strlen(text), &path, &err), -1, "%s", text);
    cr_assert_str_eq(err.msg, msg, "%s", text);
    cr_assert_eq(err.offset, offset, "%s", text);
    cr_assert_null(path.steps);
    cr_assert_eq(path.n, 0);
}

static void setup(void) { alert_doc_init(&doc); }
static void teardown(void) { alert_doc_free(&doc); }

TestSuite(path, .init = setup, .fini = teardown);
TestSuite(value, .init = setup, .fini = teardown);

Test(path, parse_steps)
{
    alert_path p;
    alert_error err;
    const char *text = "diaSource.ra_decl_Cov[12]['a.b'][\"x]\"].z";
    cr_assert_eq(alert_path_parse(text, strlen(text), &p, &err), 0, "%s", err.msg);
    cr_assert_eq(p.n, 6);
    const char *keys[] = {"diaSource", "ra_decl_Cov", NULL, "a.b", "x]", "z"};
    for (size_t i = 0; i < p.n; i++) {
        if (keys[i]) {
            cr_assert_eq(p.steps[i].index, -1);
            cr_assert_eq(p.steps[i].key_len, strlen(keys[i]));
            cr_assert_eq(memcmp(p.steps[i].key, keys[i], p.steps[i].key_len), 0, "step %zu", i);
        }
    }
    cr_assert_eq(p.steps[2].index, 12);
    cr_assert_neq(p.steps[0].key, text, "keys point into the path's own copy");
    alert_path_free(&p);
    cr_assert_null(p.steps);
}

Test(path, parse_errors)
{
    expect_path_error("", 0, "offset 0: empty path");
    expect_path_error("a..b", 2, "offset 2: empty key");
    expect_path_error("a.", 2, "offset 2: empty key");
    expect_path_error(".a", 0, "offset 0: empty key");
    expect_path_error("a[", 2, "offset 2: expected an index or a quoted key after '['");
    expect_path_error("a[-1]", 2, "offset 2: expected an index or a quoted key after '['");
    expect_path_error("a[1", 3, "offset 3: expected ']'");
    expect_path_error("a[1]b", 4, "offset 4: expected '.' or '[' after ']'");
    expect_path_error("a[2147483648]", 2, "offset 2: index too large");
    expect_path_error("a['b]", 2, "offset 2: unterminated quoted key");
    expect_path_error("a]", 1, "offset 1: unexpected ']'");
}

Test(path, lookup)
{
    parse("{'diaSource': {'ra': 351.5, 'flags': [4, 5, (6, 7)]}, 'prv': [{'snr': 41.1}, {'snr': 3}], 'e': {}}");
    cr_assert_eq(find("diaSource.ra"), 4);
    cr_assert_eq(alert_at(&doc, find("diaSource.flags[2][1]"))->type, ALERT_INT);
    cr_assert_eq(find("diaSource.flags[2][1]"), 11);
    cr_assert_eq(find("prv[1].snr"), 19);
    cr_assert_eq(find("[0]"), ALERT_ABSENT, "index into a dict");
    cr_assert_eq(find("diaSource.ra.x"), ALERT_ABSENT, "key into a float");
    cr_assert_eq(find("diaSource.flags.x"), ALERT_ABSENT, "key into a list");
    cr_assert_eq(find("diaSource.flags[3]"), ALERT_ABSENT, "index out of range");
    cr_assert_eq(find("diaSource.dec"), ALERT_ABSENT, "missing key");
    cr_assert_eq(find("e.x"), ALERT_ABSENT, "empty dict");
    cr_assert_eq(alert_lookup(&doc, ALERT_ABSENT, NULL, 0), ALERT_ABSENT);
    cr_assert_eq(alert_lookup(&doc, 3, NULL, 0), 3);
}

Test(path, keys_by_their_json_spelling)
{
    parse("{1: 'int', 1.5: 'float', True: 'true', False: 'false', None: 'null', 'a\\x2eb': 'escaped', "
          "'\\u00e9': 'e-acute', 'k': 'first', 'k': 'last'}");
    expect_string("['1']", "int", 3);
    expect_string("['1.5']", "float", 5);
    expect_string("true", "true", 4);
    expect_string("false", "false", 5);
    expect_string("null", "null", 4);
    expect_string("['a.b']", "escaped", 7);
    expect_string("\xc3\xa9", "e-acute", 7);
    expect_string("k", "last", 4);
    cr_assert_eq(find("True"), ALERT_ABSENT);
    cr_assert_eq(find("['a.']"), ALERT_ABSENT);
    cr_assert_eq(find("['a.bc']"), ALERT_ABSENT);
}

Test(value, ints)
{
    parse("[0, -1, 9223372036854775807, -9223372036854775808, 9223372036854775808, -9223372036854775809, 1.0, 'x']");
    int64_t v;
    const int64_t want[] = {0, -1, INT64_MAX, INT64_MIN};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(alert_int(&doc, (uint32_t)(1 + i), &v), 0);
        cr_assert_eq(v, want[i], "element %d", i);
        cr_assert_eq(alert_at(&doc, (uint32_t)(1 + i))->flags & ALERT_F_BIGINT, 0);
    }
    for (int i = 4; i < 8; i++)
        cr_assert_eq(alert_int(&doc, (uint32_t)(1 + i), &v), -1, "element %d", i);
    cr_assert_eq(alert_at(&doc, 5)->flags, ALERT_F_BIGINT);
    cr_assert_eq(alert_at(&doc, 6)->flags, ALERT_F_BIGINT);
}

Test(value, doubles)
{
    parse("[351.570546978, -0.0, 5e-324, 1.7976931348623157e+308, 1e-05, 42, 123456789012345678901234567890, "
          "1.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
          "000000000000000000000000001, 'x', None]");
    cr_assert_eq(alert_double(&doc, 1), 351.570546978);
    cr_assert(signbit(alert_double(&doc, 2)) && alert_double(&doc, 2) == 0.0);
    cr_assert_eq(alert_double(&doc, 3), 5e-324);
    cr_assert_eq(alert_double(&doc, 4), 1.7976931348623157e+308);
    cr_assert_eq(alert_double(&doc, 5), 1e-05);
    cr_assert_eq(alert_double(&doc, 6), 42.0);
    cr_assert_eq(alert_double(&doc, 7), 123456789012345678901234567890.0);
    cr_assert_eq(alert_double(&doc, 8), 1.0);
    cr_assert(isnan(alert_double(&doc, 9)));
    cr_assert(isnan(alert_double(&doc, 10)));
}

Test(value, doubles_never_read_past_the_message)
{
    /* The number is followed in memory by more digits that are not part of the message. */
    const char text[] = "12345";
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, 3, ALERT_FORMAT_AUTO, &err), 0);
    cr_assert_eq(alert_double(&doc, 0), 123.0);
    const char flt[] = "1.25e2999";
    cr_assert_eq(alert_parse(&doc, flt, 4, ALERT_FORMAT_AUTO, &err), 0);
    cr_assert_eq(alert_double(&doc, 0), 1.25);
}

Test(value, strings)
{
    parse("['plain', 'tab\\there', '\\ud800', b'\\x00\\xffA', 'h\xc3\xa9', '\\x41\\102\\u0043\\U00000044', 1]");
    expect_string("[0]", "plain", 5);
    expect_string("[1]", "tab\there", 8);
    expect_string("[2]", "\xed\xa0\x80", 3);
    expect_string("[3]", "\x00\xff" "A", 3);
    expect_string("[4]", "h\xc3\xa9", 3);
    expect_string("[5]", "ABCD", 4);
    const char *s;
    size_t n;
    cr_assert_eq(alert_string(&doc, find("[6]"), &s, &n), -1);
    /* Earlier results stay valid while later strings are decoded. */
    const char *first;
    size_t first_n;
    alert_string(&doc, find("[1]"), &first, &first_n);
    alert_string(&doc, find("[5]"), &s, &n);
    cr_assert_eq(first_n, 8);
    cr_assert_eq(memcmp(first, "tab\there", 8), 0);
    cr_assert_eq(alert_at(&doc, 1)->flags, ALERT_F_VERBATIM);
    cr_assert_eq(alert_at(&doc, 2)->flags, ALERT_F_ESCAPED | ALERT_F_VERBATIM);
    cr_assert_eq(alert_at(&doc, 6)->flags, ALERT_F_ESCAPED);
}

Test(value, json_strings)
{
    parse("[\"\\ud83d\\ude00\", \"\\ud800x\", \"a\\/b\"]");
    expect_string("[0]", "\xf0\x9f\x98\x80", 4);
    expect_string("[1]", "\xed\xa0\x80x", 4);
    expect_string("[2]", "a/b", 3);
    cr_assert_eq(alert_at(&doc, 3)->flags, ALERT_F_ESCAPED | ALERT_F_VERBATIM);
}

Test(value, node_shapes)
{
    parse("{'a': [True, False, None], 'b': 'xy'}");
    const alert_node *root = alert_at(&doc, 0);
    cr_assert_eq(root->type, ALERT_DICT);
    cr_assert_eq(root->count, 2);
    cr_assert_eq(root->next, 8);
    cr_assert_eq(root->start, 0);
    cr_assert_eq(root->len, 37);
    cr_assert_eq(alert_at(&doc, 2)->type, ALERT_LIST);
    cr_assert_eq(alert_at(&doc, 2)->next, 6);
    cr_assert_eq(alert_at(&doc, 3)->count, 1);
    cr_assert_eq(alert_at(&doc, 4)->count, 0);
    cr_assert_eq(alert_at(&doc, 5)->type, ALERT_NULL);
    cr_assert_eq(alert_at(&doc, 7)->start, 33);
    cr_assert_eq(alert_at(&doc, 7)->len, 2);
}

Test(path, subtrees_written_as_json)
{
    parse("{'diaSource': {'ra': 351.5, 'flags': (4, b'\\x01')}, 'name': 'it\\'s', 1: None}");
    const char *paths[] = {"diaSource", "diaSource.flags", "diaSource.flags[1]", "name", "['1']", "diaSource.ra"};
    const char *want[] = {"{\"ra\":351.5,\"flags\":[4,\"AQ==\"]}", "[4,\"AQ==\"]", "\"AQ==\"", "\"it's\"", "null", "351.5"};
    alert_buf out = {0};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        out.len = 0;
        uint32_t node = find(paths[i]);
        cr_assert_neq(node, ALERT_ABSENT, "%s", paths[i]);
        cr_assert_eq(alert_write_json(&doc, node, &out), 0);
        cr_assert_eq(out.len, strlen(want[i]), "%s: %.*s", paths[i], (int)out.len, out.data);
        cr_assert_eq(memcmp(out.data, want[i], out.len), 0, "%s: %.*s", paths[i], (int)out.len, out.data);
    }
    /* Appends to what the buffer holds. */
    cr_assert_eq(alert_write_json(&doc, find("diaSource.ra"), &out), 0);
    cr_assert_eq(out.len, 10);
    cr_assert_eq(memcmp(out.data, "351.5351.5", 10), 0);
    alert_buf_free(&out);
}

Test(value, absent_nodes_have_no_value)
{
    parse("[1, 'a']");
    int64_t v;
    const char *s;
    size_t n;
    alert_buf out = {0};
    cr_assert_eq(alert_int(&doc, ALERT_ABSENT, &v), -1);
    cr_assert(isnan(alert_double(&doc, ALERT_ABSENT)));
    cr_assert_eq(alert_string(&doc, ALERT_ABSENT, &s, &n), -1);
    cr_assert_eq(alert_write_json(&doc, ALERT_ABSENT, &out), -1);
    cr_assert_eq(alert_write_json(&doc, 3, &out), -1);
    alert_error err;
    cr_assert_eq(alert_parse(&doc, "[1,", 3, ALERT_FORMAT_AUTO, &err), -1);
    cr_assert_eq(alert_write_json(&doc, 0, &out), -1, "a failed read leaves nothing to write");
    cr_assert_eq(alert_int(&doc, 1, &v), -1);
    cr_assert_eq(out.len, 0);
    alert_buf_free(&out);
}
