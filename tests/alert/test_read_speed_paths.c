/* tests/alert/test_read_speed_paths.c — the reader's pair loop (Python's
 * 'key': VALUE, read with no bound checks, away from the message's end and with
 * room for its nodes) gives the tape, errors and offsets the general states give. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"

/* A message under 64 bytes is read by the general states only; padded with
 * trailing spaces (which end a message as its end does), the pair loop reads
 * what lies 64 bytes or more before the end. */
#define GENERAL_ONLY 64
#define MAX_PAD 96

static void expect_same_nodes(const alert_doc *want, const alert_doc *got, const char *text, size_t pad)
{
    cr_assert_eq(got->n_nodes, want->n_nodes, "%s (+%zu spaces): %u nodes, not %u", text, pad, got->n_nodes,
                 want->n_nodes);
    cr_assert_eq(got->format, want->format, "%s (+%zu spaces): format", text, pad);
    cr_assert_eq(got->compact, want->compact, "%s (+%zu spaces): compact", text, pad);
    cr_assert_eq(got->canonical, want->canonical, "%s (+%zu spaces): canonical", text, pad);
    cr_assert_eq(got->scratch_len != 0, want->scratch_len != 0, "%s (+%zu spaces): scratch", text, pad);
    for (uint32_t k = 0; k < want->n_nodes; k++) {
        const alert_node *w = alert_at(want, k), *g = alert_at(got, k);
        cr_assert(w->start == g->start && w->len == g->len && w->next == g->next && w->count == g->count &&
                      w->type == g->type && w->flags == g->flags,
                  "%s (+%zu spaces): node %u is {%u,%u,%u,%u,%u,%u}, not {%u,%u,%u,%u,%u,%u}", text, pad, k, g->start,
                  g->len, g->next, g->count, g->type, g->flags, w->start, w->len, w->next, w->count, w->type, w->flags);
    }
}

/* Reads text alone (the general way) and followed by 0 to MAX_PAD spaces (the
 * pair loop's end crossing every byte of it), as fmt, with docs fresh and reused:
 * the same nodes, or for text that is not valid, the same error at the same offset
 * when it lies within text. */
static void expect_as_general(const char *text, alert_format fmt)
{
    size_t n = strlen(text);
    cr_assert_lt(n, GENERAL_ONLY, "%s: too long to be read the general way only", text);
    alert_doc want, got;
    alert_doc_init(&want);
    alert_doc_init(&got);
    alert_error want_err = {0}, err = {0};
    int want_rc = alert_parse(&want, text, n, fmt, &want_err);
    char *padded = malloc(n + MAX_PAD);
    cr_assert_not_null(padded);
    memcpy(padded, text, n);
    memset(padded + n, ' ', MAX_PAD);
    for (size_t pad = 0; pad <= MAX_PAD; pad++) {
        /* Exactly as long as the message: a read past its end is one past the block (ASan). */
        char *msg = malloc(n + pad);
        cr_assert_not_null(msg);
        memcpy(msg, padded, n + pad);
        for (int fresh = 0; fresh < 2; fresh++) {
            if (fresh) {
                alert_doc_free(&got);
                alert_doc_init(&got);
            }
            int rc = alert_parse(&got, msg, n + pad, fmt, &err);
            cr_assert_eq(rc, want_rc, "%s (+%zu spaces): %s", text, pad, rc ? err.msg : "read");
            if (rc == 0)
                expect_same_nodes(&want, &got, text, pad);
            else if (want_err.offset < n) {
                cr_assert_str_eq(err.msg, want_err.msg, "%s (+%zu spaces)", text, pad);
                cr_assert_eq(err.offset, want_err.offset, "%s (+%zu spaces)", text, pad);
            }
        }
        free(msg);
    }
    free(padded);
    alert_doc_free(&want);
    alert_doc_free(&got);
}

static void expect_python_as_general(const char *const *texts, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        expect_as_general(texts[k], ALERT_FORMAT_PYTHON);
        expect_as_general(texts[k], ALERT_FORMAT_AUTO);
    }
}

static void expect_json_as_general(const char *const *texts, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        expect_as_general(texts[k], ALERT_FORMAT_JSON);
        expect_as_general(texts[k], ALERT_FORMAT_AUTO);
    }
}

#define EACH(texts) (texts), sizeof(texts) / sizeof *(texts)

Test(pairs, keys_at_the_edges_of_the_window)
{
    static const char *const texts[] = {
        "{'': 1, 'a': 2}",
        "{'abcdefghijklmn': 1, 'b': 2}",     /* 14 */
        "{'abcdefghijklmno': 1, 'b': 2}",    /* 15 */
        "{'abcdefghijklmnop': 1, 'b': 2}",   /* 16 */
        "{'abcdefghijklmnopq': 1, 'b': 2}",  /* 17 */
        "{'abcdefghijklmnopqrstuvwxyzABCDEF': 1, 'b': 2}", /* 32 */
        "{'abcdefghijklmno': 'abcdefghijklmno', 'b': 2}",
        "{'abcdefghijklmno': 'abcdefghijklmnop', 'b': 2}",
        "{'abcdefghijklmno': -1234567890123, 'b': 2}",
        "{'abcdefghijklmno': -1234567890123.25e-07, 'b': 2}",
        "{\"it's\": 1, 'b': 2}",
        "{'say \"hi\"': 1, 'b': 2}",
        "{'a\\'b': 1, 'b\\x41': 2}",
        "{'caf\xc3\xa9': 1, 'b': 2}",
        "{'a\tb': 1, 'b': 2}",
        "{1: 1, 'b': 2, None: 3, 1.5: 4, True: 5}",
        "{'a': 1, 'a': 2}",
    };
    expect_python_as_general(EACH(texts));
}

Test(pairs, key_bytes_around_the_loops_stops)
{
    /* The pair loop ends a Python key at a backslash or any byte up to '\''
     * in signed order, a JSON key at one up to '"': the keys it leaves to the
     * general states, and the bytes just past its stops, which it reads itself. */
    static const char *const texts[] = {
        "{'a b': 1, 'c': 2}", "{'a!': 1, '#': 2, '$%': 3, '&': 4}", "{'(': 1, ')': 2, 'a(b': 3}",
        "{'a\x7f': 1, '\x7f': 2}", "{'a\"b': 1, 'c': 2}", "{'~': 1, '[{': 2, '0': 3}",
        "{'a\\': 1, 'c': 2}", "{'\\a': 1, 'c': 2}", "{' ': 1, '': 2}",
    };
    expect_python_as_general(EACH(texts));
    static const char *const json[] = {
        "{\"a b\": 1, \"c\": 2}", "{\"a!\": 1, \"#\": 2, \"$\": 3}", "{\"it's\": 1, \"'\": 2, \"&\": 3}",
        "{\"a\\\\\": 1, \"c\": 2}", "{\"\x7f\": 1, \"c\": 2}",
    };
    expect_json_as_general(EACH(json));
}

Test(pairs, what_follows_a_key_and_a_value)
{
    /* The loop reads "': " after a key and ", '" after a value as one word each;
     * every near miss goes the general way, and canonical and compact tell it. */
    static const char *const texts[] = {
        "{'a':1, 'b':-2, 'c':'x', 'd':{'e':3}}", "{'a': 1,'b': 2, 'c': 3}", "{'a': 1, \"b\": 2, 'c': 3}",
        "{'a': 'x', \"b\": 2, 'c': 'y', 'd': 4}", "{'a': 1, 2: 3, 'b': 4}", "{'a': 1,  'b': 2}",
        "{'a': 1 , 'b': 2}", "{'a': 1,\n'b': 2}", "{'a':\n1, 'b': 2}", "{'a'::1, 'b': 2}", "{'a': :1, 'b': 2}",
        "{'a': 1, ''b': 2}", "{'a': {'b': 1}, 'c': 2}", "{'a': {'b': 1},'c': 2}", "{'a': 1.5, 'b': 1e5, 'c': 7}",
        "{'a': 1.5e3, 'b': 2}", "{'a': 1, 'b': 2, 'c': 3}",
    };
    expect_python_as_general(EACH(texts));
    static const char *const json[] = {
        "{\"a\": 1, \"b\": 2, \"c\": \"x\", \"d\": 3}", "{\"a\":1,\"b\":2,\"c\":\"x\",\"d\":3}",
        "{\"a\": 1,\"b\":2, \"c\": 3}", "{\"a\": \"x\", \"b\": {\"c\": 1}, \"d\": 2}",
    };
    expect_json_as_general(EACH(json));
}

Test(pairs, numbers_of_every_length_and_shape)
{
    static const char *const texts[] = {
        "{'a': 123456789012345, 'b': 2}",                  /* 15 digits */
        "{'a': 1234567890123456, 'b': 2}",                 /* 16 */
        "{'a': 12345678901234567, 'b': 2}",                /* 17 */
        "{'a': 9223372036854775807, 'b': -9223372036854775808}",
        "{'a': 9223372036854775808, 'b': -9223372036854775809}",
        "{'a': 1234567890123456789012345678, 'b': 2}",     /* 28 */
        "{'a': 12345678901234567890123456789, 'b': 2}",    /* 29 */
        "{'a': 123456789012345678901234567890, 'b': 2}",   /* 30 */
        "{'a': 1234567890123456789012345678901, 'b': 2}",  /* 31 */
        "{'a': 12345678901234567890123456789012, 'b': 2}", /* 32 */
        "{'a': 123456789012345678901234567890123, 'b': 2}",
        "{'abcdefghijklmno': -123456789012345678901234567, 'b': 2}",
        "{'abcdefghijklmno': -12345678901234567890123456789, 'b': 2}",
        /* A 15-byte key and a sign: the window's last bytes, and the set bits past it. */
        "{'abcdefghijklmno': -1234567890123456789012345, 'b': 2}",
        "{'abcdefghijklmno': -12345678901234567890123456, 'b': 2}",
        "{'abcdefghijklmno': -1234567890123456789012345678, 'b': 2}",
        "{'abcdefghijklmno': -123456789012345678901234567890, 'b': 2}",
        "{'abcdefghijklmno': -1234567890123.45678901234, 'b': 2}",
        "{'abcdefghijklmno': -1234567890123.456789012345, 'b': 2}",
        "{'abcdefghijklmno': -1234567890.1234567e-123, 'b': 2}",
        "{'abcdefghijklmno': -1234567890.12345678e-123, 'b': 2}",
        "{'abcdefghijklmno': 12345678901234567890123456789, 'b': 2}",
        "{'abcdefghijklmn': -123456789012345678901234567890, 'b': 2}",
        "{'a': 0.00055, 'b': 2.453e-06, 'c': 347.866573174, 'd': 0}",
        "{'a': -0.0, 'b': 1e-05, 'c': 5e-324, 'd': 1E+5, 'e': 2.5E3}",
        "{'a': 1.7976931348623157e+308, 'b': -1, 'c': -0}",
        "{'a': 12345678901234.5678901234567, 'b': 2}",
        "{'a': 1.2345678901234567890123456e-07, 'b': 2}",
        "{'a': 1.23456789012345678901234567e-07, 'b': 2}",
        "{'a': 1e5e3, 'b': 2}",
        "{'a': 1.5.3, 'b': 2}",
        "{'a': 1.e5, 'b': 2}",
        "{'a': 1., 'b': 2}",
        "{'a': 1e, 'b': 2}",
        "{'a': 1e+, 'b': 2}",
        "{'a': 01, 'b': 2}",
        "{'a': -, 'b': 2}",
        "{'a': --1, 'b': 2}",
        "{'a': 1x, 'b': 2}",
        "{'a': 0x10, 'b': 2}",
        "{'a': 12345678901234567890123456789012345678901234567890}",
    };
    expect_python_as_general(EACH(texts));
}

Test(pairs, separators_and_what_ends_a_value)
{
    static const char *const texts[] = {
        "{'a': 1, 'b': 2}", "{'a':1,'b':2}", "{'a' : 1 , 'b' : 2}", "{'a':  1,  'b': 2}",
        "{'a':\t1,\t'b':\n2}", "{'a':\r\n1,\r\n'b': 2}", "{'a': 1, 'b': 2,}", "{'a': 1, 'b': 2, }",
        "{'a': 1,, 'b': 2}", "{'a': 1 'b': 2}", "{'a' 1, 'b': 2}", "{'a': , 'b': 2}", "{'a': 1, 'b': 2]",
        "{'a': 1, 'b'}", "{'a', 'b'}", "{'a': 1}, 2", "{'a': 1}}", "{'a': 1, 'b': 2", "{'a': 1, 'b': ",
        "{'a': 1, 'b'", "{'a': 1, ", "{'a': 1,", "{'a': 1", "{'a': ", "{'a'", "{'", "{",
    };
    expect_python_as_general(EACH(texts));
}

Test(pairs, every_kind_of_value)
{
    static const char *const texts[] = {
        "{'a': 'y', 'b': \"x\", 'c': '', 'd': 'abcdefghijklmno', 'e': 1}",
        "{'a': 'abcdefghijklmnop', 'b': 'abcdefghijklmnopq', 'c': 1}",
        "{'a': 'it\\'s', 'b': 'caf\xc3\xa9', 'c': 'tab\there', 'd': 1}",
        "{'a': b'x', 'b': b'\\xff', 'c': None, 'd': True, 'e': False}",
        "{'a': {'b': 1, 'c': {'d': 2}}, 'e': {}, 'f': { }, 'g': 3}",
        "{'a': [1, 2], 'b': [], 'c': (1,), 'd': (), 'e': [{'f': 1}]}",
        "[{'a': 1, 'b': 2}, {'a': 3, 'b': 4}, {'a': 5, 'b': 6}]",
        "{'a': {'b': {'c': {'d': {'e': {'f': {'g': 1}}}}}}}",
        "{'a': {1, 2}, 'b': 2}",
        "{'a': nan, 'b': 2}",
        "{'a': None1, 'b': 2}",
        "{'a': 'unterminated, 'b': 2}",
        "{'a': 'new\nline', 'b': 2}",
        "{'a': 'nul\0', 'b': 2}",
        "{'a': (1), 'b': 2}",
        "{'a': 1, {'b': 2}: 3}",
        "{'a': 1, {'b': {'c': 2}}: 3}",
        "{'a': {'b': 1}, {'c': 2}}",
        "{'a': {'b': {'c': 1}}}}",
        "{'a': {'b': {'c': 1}}, 'd': [{'e': 1}, {'f': {}}]}",
        "{'a': {'b': 1}}, {'c': 2}",
        "[{'a': 1}, {'b': {'c': 2}}, ({'d': 3},)]",
        "{'a': {'b': 1} , 'c': {'d': 2 }, 'e': {'f': 3}}",
        "{'a': {'b': 1}]",
        "{'a': { 'b': 1}, 'c': {\n'd': 2}}",
        "{'a': {\"b\": 1}, 'c': {1: 2}}",
    };
    expect_python_as_general(EACH(texts));
}

Test(pairs, json_the_same_way)
{
    static const char *const texts[] = {
        "{\"a\": 1, \"b\": 2.5e-06, \"c\": \"y\", \"d\": {\"e\": -0.00055}}",
        "{\"a\":1,\"b\":2,\"c\":[1,2],\"d\":null,\"e\":true}",
        "{\"abcdefghijklmno\": 12345678901234567890123456, \"b\": 2}",
        "{\"abcdefghijklmnop\": 1, \"b\": 2}",
        "{\"a\": 'x', \"b\": 2}",
        "{'a': 1, \"b\": 2}",
        "{\"a\": 1, \"b\": 2,}",
        "{\"a\\u0041\": 1, \"b\": \"\\n\"}",
        "{\"a\": 01, \"b\": 2}",
        "{\"a\": 1.5, \"b\": 2",
    };
    expect_json_as_general(EACH(texts));
}

/* A value and the node it must give (str: its content between the quotes). */
typedef struct {
    const char *text;
    uint8_t type, flags;
} value_case;

/* A dict of n pairs 'kJ': VALUE read by one fresh doc: its nodes grow while the
 * pair loop runs (it must stop where its room ends), and each node is checked. */
static void expect_long_dict(size_t n, const value_case *values, size_t n_values)
{
    size_t cap = 2 + n * 48, len = 0;
    char *text = malloc(cap);
    uint32_t *key_at = malloc(n * sizeof *key_at), *value_at = malloc(n * sizeof *value_at);
    cr_assert(text && key_at && value_at);
    text[len++] = '{';
    for (size_t j = 0; j < n; j++) {
        len += (size_t)sprintf(text + len, "%s'k%zu': ", j ? ", " : "", j);
        key_at[j] = (uint32_t)(len - 5 - (size_t)snprintf(NULL, 0, "%zu", j)); /* its quote */
        value_at[j] = (uint32_t)len;
        len += (size_t)sprintf(text + len, "%s", values[j % n_values].text);
    }
    text[len++] = '}';
    char *msg = malloc(len);
    cr_assert_not_null(msg);
    memcpy(msg, text, len);
    alert_doc d;
    alert_doc_init(&d);
    alert_error err;
    cr_assert_eq(alert_parse(&d, msg, len, ALERT_FORMAT_PYTHON, &err), 0, "%s", err.msg);
    cr_assert_eq(d.n_nodes, 1 + 2 * n);
    const alert_node *root = alert_at(&d, 0);
    cr_assert(root->start == 0 && root->len == len && root->next == 1 + 2 * n && root->count == n &&
              root->type == ALERT_DICT && root->flags == 0);
    for (size_t j = 0; j < n; j++) {
        const value_case *v = &values[j % n_values];
        uint32_t k = (uint32_t)(1 + 2 * j);
        const alert_node *key = alert_at(&d, k), *value = alert_at(&d, k + 1);
        cr_assert(key->start == key_at[j] + 1 && key->len == value_at[j] - key_at[j] - 4 && key->next == k + 1 &&
                      key->count == 0 && key->type == ALERT_STR && key->flags == ALERT_F_VERBATIM,
                  "key %zu", j);
        bool str = v->type == ALERT_STR;
        cr_assert(value->start == value_at[j] + str && value->len == strlen(v->text) - 2 * str &&
                      value->next == k + 2 && value->count == 0 && value->type == v->type && value->flags == v->flags,
                  "value %zu (%s)", j, v->text);
    }
    alert_doc_free(&d);
    free(msg);
    free(text);
    free(key_at);
    free(value_at);
}

Test(pairs, long_dicts_as_the_nodes_grow)
{
    static const value_case values[] = {
        {"0", ALERT_INT, 0},
        {"-1.5", ALERT_FLOAT, 0},
        {"2.453e-06", ALERT_FLOAT, 0},
        {"'y'", ALERT_STR, ALERT_F_VERBATIM},
        {"281323062375219200", ALERT_INT, 0},
        {"347.866573174", ALERT_FLOAT, 0},
        {"1e-05", ALERT_FLOAT, 0},
        {"-7E+5", ALERT_FLOAT, 0},
        {"9223372036854775807", ALERT_INT, 0},
        {"-9223372036854775809", ALERT_INT, ALERT_F_BIGINT},
        {"123456789012345678901234567", ALERT_INT, ALERT_F_BIGINT},
        {"'abcdefghijklmno'", ALERT_STR, ALERT_F_VERBATIM},
    };
    size_t count = sizeof values / sizeof *values;
    for (size_t n = 1; n <= 300; n += 7)
        expect_long_dict(n, values, count);
    expect_long_dict(5000, values, count);
    static const value_case shortest[] = {{"0", ALERT_INT, 0}};
    expect_long_dict(3000, shortest, 1);
}

Test(pairs, densest_dicts_as_the_nodes_grow)
{
    /* {'':0,'':0,...}: 2 nodes in every 5 bytes, the most the pair loop's room allows for. */
    for (size_t n = 100; n <= 3000; n += 100) {
        for (int json = 0; json < 2; json++) {
            size_t len = 5 * n + 1;
            char *text = malloc(len);
            cr_assert_not_null(text);
            text[0] = '{';
            for (size_t j = 0; j < n; j++)
                memcpy(text + 1 + 5 * j, json ? "\"\":0," : "'':0,", 5);
            text[len - 1] = '}';
            alert_doc d;
            alert_doc_init(&d);
            alert_error err;
            cr_assert_eq(alert_parse(&d, text, len, json ? ALERT_FORMAT_JSON : ALERT_FORMAT_PYTHON, &err), 0, "%s",
                         err.msg);
            cr_assert_eq(d.n_nodes, 1 + 2 * n);
            cr_assert_eq(alert_at(&d, 0)->count, n);
            for (uint32_t k = 1; k < d.n_nodes; k++) {
                const alert_node *node = alert_at(&d, k);
                bool key = k % 2;
                size_t at = 1 + 5 * ((k - 1) / 2) + (key ? 1 : 3);
                cr_assert(node->start == at && node->len == !key && node->next == k + 1 && node->count == 0 &&
                              node->type == (key ? ALERT_STR : ALERT_INT) && node->flags == (key ? ALERT_F_VERBATIM : 0),
                          "%zu pairs: node %u", n, k);
            }
            alert_doc_free(&d);
            free(text);
        }
    }
}

Test(pairs, errors_far_from_the_end)
{
    /* The same bad pair, with 100 good ones after it: the pair loop meets it. */
    static const struct {
        const char *pair, *msg;
        size_t at; /* from the pair's start */
    } cases[] = {
        {"'a': 01", "leading zero in number", 5},
        {"'a': 1.e5", "expected a digit after '.', found 'e'", 7},
        {"'a': -x", "expected a digit after '-', found 'x'", 6},
        {"'a': 1 1", "expected ',' or '}' after dict value, found '1'", 7},
        {"'a' 1", "expected ':' after dict key, found '1'", 4},
        {"'a': nan", "unknown name 'nan'", 5},
        {"'a': 'x\n'", "newline in string", 7},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char text[4096];
        size_t len = (size_t)sprintf(text, "{'first': 1, %s", cases[k].pair);
        for (int j = 0; j < 100; j++)
            len += (size_t)sprintf(text + len, ", 'k%d': %d.5", j, j);
        text[len++] = '}';
        alert_doc d;
        alert_doc_init(&d);
        alert_error err;
        cr_assert_eq(alert_parse(&d, text, len, ALERT_FORMAT_PYTHON, &err), -1, "%s", cases[k].pair);
        char want[160];
        size_t at = strlen("{'first': 1, ") + cases[k].at;
        snprintf(want, sizeof want, "offset %zu: %s", at, cases[k].msg);
        cr_assert_str_eq(err.msg, want);
        cr_assert_eq(err.offset, at);
        alert_doc_free(&d);
    }
}

Test(pairs, nesting_limit_met_in_the_loop)
{
    /* The dict that goes one level too deep is opened by the pair loop when
     * the message goes on for 64 bytes or more after it. */
    const char *text = "{'a': {'b': {'c': {'d': 1}}}}";
    size_t n = strlen(text);
    for (size_t pad = 0; pad <= MAX_PAD; pad += 8) {
        char *msg = malloc(n + pad);
        cr_assert_not_null(msg);
        memcpy(msg, text, n);
        memset(msg + n, ' ', pad);
        alert_doc d;
        alert_doc_init(&d);
        d.max_depth = 3;
        alert_error err;
        cr_assert_eq(alert_parse(&d, msg, n + pad, ALERT_FORMAT_PYTHON, &err), -1);
        cr_assert_str_eq(err.msg, "offset 18: nesting deeper than 3 levels", "+%zu spaces", pad);
        cr_assert_eq(err.offset, 18);
        alert_doc_free(&d);
        free(msg);
    }
}
