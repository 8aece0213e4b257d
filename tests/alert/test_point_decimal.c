/* tests/alert/test_point_decimal.c — the values rules compare fields with:
 * alert_double's vector path for digits around a point (alert/value.c,
 * point_decimal) gives strtod's double bit for bit, for every length and
 * place of the point up to and past its 16 bytes, with and without a sign,
 * and with the token at every distance from the message's start. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "tests/alert/random.h"

static alert_doc doc;

static void setup(void) { alert_doc_init(&doc); }
static void teardown(void) { alert_doc_free(&doc); }

TestSuite(point_decimal, .init = setup, .fini = teardown);

static uint64_t rng = 0x2545F4914F6CDD1Du; /* next_random's state */
static unsigned random_digit(void) { return (unsigned)(next_random(&rng) >> 32) % 10; }

static uint64_t bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Reads `[` + pad spaces + token + `]` as JSON and checks the token's alert_double against strtod. */
static void expect_as_strtod(const char *token, int pad)
{
    char text[64];
    int n = snprintf(text, sizeof text, "[%*s%s]", pad, "", token);
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, (size_t)n, ALERT_FORMAT_JSON, &err), 0, "%s: %s", text, err.msg);
    double want = strtod(token, NULL), got = alert_double(&doc, 1);
    cr_assert_eq(bits(got), bits(want), "%s (after %d bytes): got %.17g, strtod %.17g", token, 1 + pad, got, want);
}

/* Every count of digits from 1 to 17 with the point before, among and after
 * them (JSON needs a digit on either side, so "0." or ".0" fill in), a
 * fraction's first digits zero or not, each at 0 to 17 bytes after the message's start:
 * the vector path's 16 bytes then begin before, at and after it. */
Test(point_decimal, every_length_and_point_as_strtod)
{
    for (int digits = 1; digits <= 17; digits++)
        for (int point = 0; point <= digits; point++)
            for (int zeros = 0; zeros <= 2; zeros++)
                for (int sign = 0; sign < 2; sign++)
                    for (int pad = 0; pad <= 17; pad++) {
                        char token[40];
                        int n = 0;
                        if (sign)
                            token[n++] = '-';
                        if (point == 0)
                            token[n++] = '0';
                        for (int k = 0; k < digits; k++) {
                            if (k == point && k > 0)
                                token[n++] = '.';
                            if (point == 0 && k == 0)
                                token[n++] = '.';
                            int lead = point == 0 ? zeros : 0; /* zeros lead a fraction only (JSON) */
                            token[n++] = (char)('0' + (k < lead ? 0 : k == lead ? 1 + random_digit() % 9
                                                                                : random_digit()));
                        }
                        if (point == digits) {
                            token[n++] = '.';
                            token[n++] = '0';
                        }
                        token[n] = '\0';
                        expect_as_strtod(token, pad);
                    }
}

/* The edges: all nines at 15 digits (the most the path reads), 16 bytes
 * exactly, the fields of the sample alert, a point with zeros only. */
Test(point_decimal, edges_as_strtod)
{
    static const char *const tokens[] = {
        "99999999999999.9", "-99999999999999.9", "9.99999999999999", "0.99999999999999", "0.999999999999999",
        "0.00000000000001", "1234567.89012345", "123456789012345.6", "31.923990219", "-10.885837508",
        "0.00033517", "347.866573174", "0.0", "-0.0", "0.000000000000000", "10.0", "1.5", "9.5",
    };
    for (size_t k = 0; k < sizeof tokens / sizeof *tokens; k++)
        for (int pad = 0; pad <= 17; pad++)
            expect_as_strtod(tokens[k], pad);
}
