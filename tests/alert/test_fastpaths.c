/* tests/alert/test_fastpaths.c — the shortcuts of value and lookup give what
 * the general way gives: alert_double bit for bit as strtod, dict keys as spelled. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "tests/alert/random.h"

static alert_doc doc;

static void setup(void) { alert_doc_init(&doc); }
static void teardown(void) { alert_doc_free(&doc); }

TestSuite(fast, .init = setup, .fini = teardown);

static uint64_t rng = 0x9E3779B97F4A7C15u; /* next_random's state */

/* A JSON number with `digits` significant digits, a point somewhere (or none)
 * and maybe an exponent: the shapes writers produce, and the edges of the shortcut. */
static size_t random_number(char *out, int digits)
{
    size_t n = 0;
    if (next_random(&rng) % 2)
        out[n++] = '-';
    int point = (int)(next_random(&rng) % (uint64_t)(digits + 2)) - 1; /* -1: no point */
    if (point == 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (int z = (int)(next_random(&rng) % 8); z > 0; z--)
            out[n++] = '0';
    }
    for (int k = 0; k < digits; k++) {
        if (k == point && k > 0)
            out[n++] = '.';
        out[n++] = (char)('0' + (k == 0 && point != 0 ? 1 + next_random(&rng) % 9 : next_random(&rng) % 10));
    }
    if (point > 0 && point >= digits) {
        out[n++] = '.';
        out[n++] = '0';
    }
    if (next_random(&rng) % 3 == 0)
        n += (size_t)sprintf(out + n, "e%s%d", next_random(&rng) % 2 ? "-" : next_random(&rng) % 2 ? "+" : "",
                             (int)(next_random(&rng) % 30));
    return n;
}

static uint64_t bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Parses the numbers as one JSON list and checks each one's alert_double against strtod. */
static void expect_as_strtod(const char *const *numbers, size_t count)
{
    size_t cap = 2;
    for (size_t k = 0; k < count; k++)
        cap += strlen(numbers[k]) + 1;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t n = 0;
    text[n++] = '[';
    for (size_t k = 0; k < count; k++)
        n += (size_t)sprintf(text + n, "%s%s", k ? "," : "", numbers[k]);
    text[n++] = ']';
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, n, ALERT_FORMAT_JSON, &err), 0, "%s", err.msg);
    cr_assert_eq(alert_at(&doc, 0)->count, count);
    uint32_t node = 1;
    for (size_t k = 0; k < count; k++, node = alert_at(&doc, node)->next) {
        double want = strtod(numbers[k], NULL), got = alert_double(&doc, node);
        cr_assert_eq(bits(got), bits(want), "%s: got %.17g, strtod %.17g", numbers[k], got, want);
    }
    free(text);
}

Test(fast, doubles_at_the_edges_as_strtod)
{
    static const char *const numbers[] = {
        "0", "0.0", "-0.0", "0e0", "-0e-5", "0.000", "1", "-1", "0.1", "0.3", "2.5e-07", "1e22", "1e23",
        "1e-22", "1e-23", "9007199254740993", "9007199254740992.0", "123456789012345", "1234567890123456",
        "12345678901234567", "0.123456789012345", "0.1234567890123456", "0.12345678901234567",
        "999999999999999e22", "999999999999999e-22", "999999999999999e-23", "1.7976931348623157e308",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "4.9406564584124654e-324", "5e-324", "2e-324",
        "1e-400", "1e400", "-1e400", "31.923990219", "27.898057655", "0.00055", "2.453e-06", "3.67", "1E5",
        "1E+5", "1e-0", "100000000000000000000000", "0.000000000000000000000001", "1.0e-22", "10.0e-23",
        "4.35679e-05", "281323062375219199.5", "1480361001.0",
    };
    expect_as_strtod(numbers, sizeof numbers / sizeof *numbers);
}

Test(fast, random_doubles_as_strtod)
{
    enum { PER_DOC = 500, DOCS = 200 };
    static char storage[PER_DOC][64];
    const char *numbers[PER_DOC];
    for (int d = 0; d < DOCS; d++) {
        for (int k = 0; k < PER_DOC; k++) {
            int digits = 1 + (int)(next_random(&rng) % 19); /* 15, 16 and 17 among them */
            storage[k][random_number(storage[k], digits)] = '\0';
            numbers[k] = storage[k];
        }
        expect_as_strtod(numbers, PER_DOC);
    }
}

Test(fast, shortest_reprs_as_strtod)
{
    /* What Python's repr writes: the shortest string that reads back, up to 17 digits. */
    enum { COUNT = 20000 };
    static char storage[COUNT][40];
    static const char *numbers[COUNT];
    for (int k = 0; k < COUNT; k++) {
        double v;
        uint64_t b = next_random(&rng);
        if (k % 4 == 0)
            b &= 0x800FFFFFFFFFFFFFu; /* subnormals */
        memcpy(&v, &b, sizeof v);
        if (!isfinite(v))
            v = (double)k;
        sprintf(storage[k], "%.*g", 1 + k % 17, v);
        numbers[k] = storage[k];
    }
    expect_as_strtod(numbers, COUNT);
}

Test(fast, dict_keys_told_apart_by_length_and_bytes)
{
    const char *text = "{'ra': 1, 'rb': 2, 'ra_': 3, '': 4, 'r\\x61': 5, 'dup': 6, 'du\\x70': 7, 'xy': 8, 'xy': 9, "
                       "'d\\x75p2': 10, 'dup2': 11}";
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, strlen(text), ALERT_FORMAT_PYTHON, &err), 0, "%s", err.msg);
    static const struct {
        const char *key;
        int64_t want;
    } cases[] = {{"ra", 5}, {"rb", 2}, {"ra_", 3}, {"", 4}, {"dup", 7}, {"xy", 9}, {"dup2", 11}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        alert_step step = {.key = cases[k].key, .key_len = (uint32_t)strlen(cases[k].key), .index = -1};
        int64_t v;
        uint32_t node = alert_lookup(&doc, 0, &step, 1);
        cr_assert_eq(alert_int(&doc, node, &v), 0, "'%s'", cases[k].key);
        cr_assert_eq(v, cases[k].want, "'%s': %lld", cases[k].key, (long long)v);
    }
    static const char *const missing[] = {"r", "rab", "x", "xyz", "du", "DUP"};
    for (size_t k = 0; k < sizeof missing / sizeof *missing; k++) {
        alert_step step = {.key = missing[k], .key_len = (uint32_t)strlen(missing[k]), .index = -1};
        cr_assert_eq(alert_lookup(&doc, 0, &step, 1), ALERT_ABSENT, "'%s'", missing[k]);
    }
}
