/* tests/alert/test_avro_read.c — one record of Avro binary into the tape: every
 * type's JSON and values as rules read them, and every error, exactly. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alert/avro.h"
#include "tests/alert/avro_build.h"

static alert_avro_schema *compile(const char *text)
{
    alert_avro_source src = {.name = "test.avsc", .text = text, .len = strlen(text)};
    alert_avro_schema *s;
    alert_error err;
    cr_assert_eq(alert_avro_schema_compile(&src, 1, NULL, &s, &err), 0, "%s", err.msg);
    return s;
}

static alert_doc doc;
static char result[1 << 16];

/* b read with schema into doc: the root's JSON, or "ERROR " and the message. */
static const char *read_with(const char *schema, const abuf *b)
{
    alert_avro_schema *s = compile(schema);
    alert_error err;
    if (alert_avro_read(&doc, s, (const char *)b->data, b->len, &err) != 0) {
        snprintf(result, sizeof result, "ERROR %s", err.msg);
    } else {
        alert_buf out = {0};
        cr_assert_eq(alert_write_json(&doc, 0, &out), 0);
        snprintf(result, sizeof result, "%.*s", (int)out.len, out.data);
        alert_buf_free(&out);
    }
    alert_avro_schema_free(s);
    return result;
}

static void setup(void) { alert_doc_init(&doc); }
static void teardown(void) { alert_doc_free(&doc); }
TestSuite(avro_read, .init = setup, .fini = teardown);

#define EXPECT(schema, b, want) cr_assert_str_eq(read_with(schema, &(b)), want)

Test(avro_read, null_boolean)
{
    abuf b = {0};
    EXPECT("\"null\"", b, "null");
    ab_byte(&b, 1);
    EXPECT("\"boolean\"", b, "true");
    b.len = 0;
    ab_byte(&b, 0);
    EXPECT("\"boolean\"", b, "false");
    cr_assert_eq(alert_at(&doc, 0)->type, ALERT_BOOL);
    free(b.data);
}

Test(avro_read, int_and_long_exact)
{
    const int64_t cases[] = {0, -1, 1, 63, -64, 64, 2147483647, -2147483648LL, INT64_MAX, INT64_MIN};
    const char *want[] = {"0", "-1", "1", "63", "-64", "64", "2147483647", "-2147483648", "9223372036854775807",
                          "-9223372036854775808"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        abuf b = {0};
        ab_long(&b, cases[i]);
        EXPECT(i < 8 ? "\"int\"" : "\"long\"", b, want[i]);
        int64_t v;
        cr_assert_eq(alert_int(&doc, 0, &v), 0);
        cr_assert_eq(v, cases[i]);
        cr_assert_eq(alert_double(&doc, 0), (double)cases[i]);
        free(b.data);
    }
}

Test(avro_read, double_shortest_round_trip_as_python_repr)
{
    const double cases[] = {0.1, 1e16, 1e15, 1e-5, 1e-4, -0.0, 0.0, 5e-324, 1.7976931348623157e308, 123.0,
                            60902.993305483615, 2.5, -1e-300, 1.0 / 3, 123456789012345680.0};
    const char *want[] = {"0.1", "1e+16", "1000000000000000.0", "1e-05", "0.0001", "-0.0", "0.0", "5e-324",
                          "1.7976931348623157e+308", "123.0", "60902.993305483615", "2.5", "-1e-300",
                          "0.3333333333333333", "1.2345678901234568e+17"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        abuf b = {0};
        ab_double(&b, cases[i]);
        EXPECT("\"double\"", b, want[i]);
        cr_assert_eq(alert_double(&doc, 0), cases[i]);
        cr_assert_eq(alert_at(&doc, 0)->type, ALERT_FLOAT);
        free(b.data);
    }
}

Test(avro_read, float_shortest_as_32_bits)
{
    const float cases[] = {0.1f, 3.4028235e38f, 1e-45f, 1.17549435e-38f, 19.5f, -7.25e-3f, 16777216.0f, 1e16f};
    const char *want[] = {"0.1", "3.4028235e+38", "1e-45", "1.1754944e-38", "19.5", "-0.00725", "16777216.0", "1e+16"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        abuf b = {0};
        ab_float(&b, cases[i]);
        EXPECT("\"float\"", b, want[i]);
        cr_assert_eq(alert_double(&doc, 0), (double)cases[i]); /* rules see the float's exact value */
        free(b.data);
    }
}

Test(avro_read, nan_and_infinities_are_null)
{
    abuf b = {0};
    ab_double(&b, NAN);
    ab_double(&b, INFINITY);
    ab_float(&b, -INFINITY);
    ab_float(&b, NAN);
    EXPECT("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"double\"},"
           "{\"name\":\"b\",\"type\":\"double\"},{\"name\":\"c\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"float\"}]}",
           b, "{\"a\":null,\"b\":null,\"c\":null,\"d\":null}");
    cr_assert(isnan(alert_double(&doc, 2)));
    cr_assert_eq(alert_double(&doc, 4), INFINITY);
    free(b.data);
}

Test(avro_read, bytes_and_fixed_as_padded_base64)
{
    const char *cases[] = {"", "f", "fo", "foo", "foob", "\\\xff\"\x00"};
    const size_t lens[] = {0, 1, 2, 3, 4, 4};
    const char *want[] = {"\"\"", "\"Zg==\"", "\"Zm8=\"", "\"Zm9v\"", "\"Zm9vYg==\"", "\"XP8iAA==\""};
    for (size_t i = 0; i < 6; i++) {
        abuf b = {0};
        ab_bytes(&b, cases[i], lens[i]);
        EXPECT("\"bytes\"", b, want[i]);
        const char *s;
        size_t n;
        cr_assert_eq(alert_string(&doc, 0, &s, &n), 0);
        cr_assert_eq(n, lens[i]);
        cr_assert_eq(memcmp(s, cases[i], n), 0);
        free(b.data);
    }
    abuf b = {0};
    ab_raw(&b, "\x01\x02\x03\x04\x05", 5);
    EXPECT("{\"type\":\"fixed\",\"name\":\"f5\",\"size\":5}", b, "\"AQIDBAU=\"");
    cr_assert_eq(alert_at(&doc, 0)->type, ALERT_BYTES);
    free(b.data);
}

Test(avro_read, strings_escaped_for_json_only_where_they_must_be)
{
    abuf b = {0};
    ab_str(&b, "plain");
    EXPECT("\"string\"", b, "\"plain\"");
    cr_assert(alert_at(&doc, 0)->flags & ALERT_F_VERBATIM);
    b.len = 0;
    ab_str(&b, "q\"b\\n\n\x01\x7f\xc3\xa9\xf0\x9f\x98\x80");
    EXPECT("\"string\"", b, "\"q\\\"b\\\\n\\n\\u0001\x7f\xc3\xa9\xf0\x9f\x98\x80\"");
    const char *s;
    size_t n;
    cr_assert_eq(alert_string(&doc, 0, &s, &n), 0);
    cr_assert_eq(n, 14);
    cr_assert_eq(memcmp(s, "q\"b\\n\n\x01\x7f\xc3\xa9\xf0\x9f\x98\x80", n), 0);
    free(b.data);
}

static const char *every_schema =
    "{\"type\":\"record\",\"name\":\"every\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"colour\",\"symbols\":[\"red\",\"green\",\"blue\"]}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"double\",\"colour\"]}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"long\"}},"
    "{\"name\":\"u\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"list\",\"type\":{\"type\":\"record\",\"name\":\"node\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
    "{\"name\":\"rest\",\"type\":[\"null\",\"node\"]}]}},"
    "{\"name\":\"empty\",\"type\":{\"type\":\"record\",\"name\":\"nothing\",\"fields\":[]}}]}";

static void every_record(abuf *b)
{
    ab_long(b, 2); /* e: blue */
    ab_long(b, -2); /* a: a block of 2 with its byte size */
    ab_long(b, 10);
    ab_long(b, 1);
    ab_double(b, 1.5);
    ab_long(b, 2);
    ab_long(b, 0);
    ab_long(b, 1); /* a: then a block of 1 */
    ab_long(b, 0);
    ab_long(b, 0);
    ab_long(b, 2); /* m */
    ab_str(b, "x");
    ab_long(b, -3);
    ab_str(b, "k\"y");
    ab_long(b, 4);
    ab_long(b, 0);
    ab_long(b, 1); /* u: string */
    ab_str(b, "hi");
    ab_long(b, 1700000000000); /* ts */
    ab_long(b, 1); /* list: 1 -> 2 -> end */
    ab_long(b, 1);
    ab_long(b, 2);
    ab_long(b, 0);
}

Test(avro_read, every_compound_type)
{
    abuf b = {0};
    every_record(&b);
    EXPECT(every_schema, b,
           "{\"e\":\"blue\",\"a\":[1.5,\"red\",null],\"m\":{\"x\":-3,\"k\\\"y\":4},\"u\":\"hi\","
           "\"ts\":1700000000000,\"list\":{\"v\":1,\"rest\":{\"v\":2,\"rest\":null}},\"empty\":{}}");
    /* Rules' paths: a union is its value, an enum its symbol. */
    const char *paths[] = {"e", "a[0]", "m.x", "u", "list.rest.v", "a[2]", "m['k\"y']"};
    const char *want[] = {"\"blue\"", "1.5", "-3", "\"hi\"", "2", "null", "4"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        alert_path p;
        alert_error err;
        cr_assert_eq(alert_path_parse(paths[i], strlen(paths[i]), &p, &err), 0);
        uint32_t node = alert_lookup(&doc, 0, p.steps, p.n);
        cr_assert_neq(node, ALERT_ABSENT, "%s", paths[i]);
        alert_buf out = {0};
        cr_assert_eq(alert_write_json(&doc, node, &out), 0);
        cr_assert_eq(out.len, strlen(want[i]), "%s: %.*s", paths[i], (int)out.len, out.data);
        cr_assert_eq(memcmp(out.data, want[i], out.len), 0, "%s", paths[i]);
        alert_buf_free(&out);
        alert_path_free(&p);
    }
    free(b.data);
}

Test(avro_read, ztf_and_rubin_paths)
{
    /* candidate.magpsf, prv_candidates[1].jd as rules write them */
    const char *schema =
        "{\"type\":\"record\",\"name\":\"alert\",\"namespace\":\"ztf\",\"fields\":["
        "{\"name\":\"candidate\",\"type\":{\"type\":\"record\",\"name\":\"candidate\",\"fields\":["
        "{\"name\":\"jd\",\"type\":\"double\"},{\"name\":\"magpsf\",\"type\":\"float\"}]}},"
        "{\"name\":\"prv_candidates\",\"type\":[{\"type\":\"array\",\"items\":\"candidate\"},\"null\"]}]}";
    abuf b = {0};
    ab_double(&b, 2459000.5);
    ab_float(&b, 18.25f);
    ab_long(&b, 0);
    ab_long(&b, 2);
    ab_double(&b, 2458999.5);
    ab_float(&b, 19.0f);
    ab_double(&b, 2458998.75);
    ab_float(&b, 19.5f);
    ab_long(&b, 0);
    EXPECT(schema, b,
           "{\"candidate\":{\"jd\":2459000.5,\"magpsf\":18.25},\"prv_candidates\":[{\"jd\":2458999.5,\"magpsf\":19.0},"
           "{\"jd\":2458998.75,\"magpsf\":19.5}]}");
    alert_path p;
    alert_error err;
    cr_assert_eq(alert_path_parse("prv_candidates[1].jd", 20, &p, &err), 0);
    cr_assert_eq(alert_double(&doc, alert_lookup(&doc, 0, p.steps, p.n)), 2458998.75);
    alert_path_free(&p);
    cr_assert_eq(alert_path_parse("candidate.magpsf", 16, &p, &err), 0);
    cr_assert_eq(alert_double(&doc, alert_lookup(&doc, 0, p.steps, p.n)), 18.25);
    alert_path_free(&p);
    free(b.data);
}

/* ---- errors ---- */

#define ERR(schema, b, want) cr_assert_str_eq(read_with(schema, &(b)), "ERROR " want)

Test(avro_read, truncated_values)
{
    abuf b = {0};
    ERR("\"boolean\"", b, "offset 0: input ends inside a boolean");
    ERR("\"long\"", b, "offset 0: input ends inside a varint");
    ab_raw(&b, "\x80\x80", 2);
    ERR("\"int\"", b, "offset 0: input ends inside a varint");
    ERR("\"float\"", b, "offset 0: input ends inside a float");
    ab_raw(&b, "\x01\x02\x03", 3);
    ERR("\"double\"", b, "offset 0: input ends inside a double");
    ERR("{\"type\":\"fixed\",\"name\":\"f\",\"size\":6}", b, "offset 0: input ends inside a fixed of 6 bytes");
    b.len = 0;
    ab_long(&b, 5);
    ab_raw(&b, "abc", 3);
    ERR("\"string\"", b, "offset 0: string of 5 bytes is longer than the 3 bytes left");
    ERR("\"bytes\"", b, "offset 0: bytes of 5 bytes is longer than the 3 bytes left");
    b.len = 0;
    ab_long(&b, 1);
    ab_long(&b, 7);
    ERR("{\"type\":\"array\",\"items\":\"long\"}", b, "offset 2: input ends inside a varint");
    ERR("{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},"
        "{\"name\":\"b\",\"type\":\"long\"},{\"name\":\"c\",\"type\":\"double\"}]}",
        b, "offset 2: input ends inside a double");
    free(b.data);
}

Test(avro_read, varint_longer_than_10_bytes)
{
    abuf b = {0};
    ab_raw(&b, "\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x01", 11);
    ERR("\"long\"", b, "offset 0: varint longer than 10 bytes");
    b.len = 0;
    ab_raw(&b, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10); /* 10 bytes: INT64_MAX */
    EXPECT("\"long\"", b, "9223372036854775807");
    free(b.data);
}

Test(avro_read, negative_lengths_and_counts)
{
    abuf b = {0};
    ab_long(&b, -3);
    ERR("\"string\"", b, "offset 0: negative length -3 of string");
    ERR("\"bytes\"", b, "offset 0: negative length -3 of bytes");
    b.len = 0;
    ab_long(&b, -1);
    ab_long(&b, -5);
    ERR("{\"type\":\"array\",\"items\":\"long\"}", b, "offset 0: negative block size -5");
    b.len = 0;
    ab_raw(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10); /* INT64_MIN */
    ERR("{\"type\":\"map\",\"values\":\"long\"}", b, "offset 0: block count out of range");
    free(b.data);
}

Test(avro_read, union_and_enum_index_out_of_range)
{
    abuf b = {0};
    ab_long(&b, 2);
    ERR("[\"null\",\"long\"]", b, "offset 0: union branch 2 out of range (2 branches)");
    b.len = 0;
    ab_long(&b, -1);
    ERR("[\"null\",\"long\"]", b, "offset 0: union branch -1 out of range (2 branches)");
    ERR("{\"type\":\"enum\",\"name\":\"e\",\"symbols\":[\"a\"]}", b, "offset 0: enum index -1 out of range (1 symbols)");
    free(b.data);
}

Test(avro_read, strings_not_utf8)
{
    const char *bad[] = {"ab\xff", "\xc3", "\xed\xa0\x80", "\xc0\xaf", "x\xf4\x90\x80\x80"};
    const char *want[] = {"ERROR offset 3: string is not UTF-8 (byte 0xff)", "ERROR offset 1: string is not UTF-8 (byte 0xc3)",
                          "ERROR offset 1: string is not UTF-8 (byte 0xed)", "ERROR offset 1: string is not UTF-8 (byte 0xc0)",
                          "ERROR offset 2: string is not UTF-8 (byte 0xf4)"};
    for (size_t i = 0; i < 5; i++) {
        abuf b = {0};
        ab_str(&b, bad[i]);
        cr_assert_str_eq(read_with("\"string\"", &b), want[i]);
        free(b.data);
    }
    abuf b = {0};
    ab_long(&b, 1);
    ab_str(&b, "\xff");
    ab_long(&b, 0);
    ERR("{\"type\":\"map\",\"values\":\"null\"}", b, "offset 2: string is not UTF-8 (byte 0xff)");
    free(b.data);
}

Test(avro_read, boolean_byte_other_than_0_or_1)
{
    abuf b = {0};
    ab_byte(&b, 2);
    ERR("\"boolean\"", b, "offset 0: boolean byte 0x02 is neither 0 nor 1");
    free(b.data);
}

Test(avro_read, nesting_past_max_depth)
{
    const char *schema = "{\"type\":\"record\",\"name\":\"n\",\"fields\":[{\"name\":\"next\",\"type\":[\"null\",\"n\"]}]}";
    abuf b = {0};
    for (int i = 0; i < 3; i++)
        ab_long(&b, 1);
    ab_long(&b, 0);
    doc.max_depth = 4;
    EXPECT(schema, b, "{\"next\":{\"next\":{\"next\":{\"next\":null}}}}");
    doc.max_depth = 3;
    ERR(schema, b, "offset 3: nesting deeper than 3");
    free(b.data);
}

Test(avro_read, bytes_after_the_record)
{
    abuf b = {0};
    ab_long(&b, 5);
    ab_raw(&b, "zz", 2);
    ERR("\"long\"", b, "offset 1: 2 bytes after the record");
    free(b.data);
}

Test(avro_read, block_counts_claiming_more_than_the_bytes_left)
{
    abuf b = {0};
    ab_long(&b, 1000000000);
    ab_raw(&b, "0123456789", 10);
    ERR("{\"type\":\"array\",\"items\":\"double\"}", b, "offset 0: block of 1000000000 items is longer than the 10 bytes left");
    ERR("{\"type\":\"map\",\"values\":\"null\"}", b, "offset 0: block of 1000000000 items is longer than the 10 bytes left");
    /* Items of no bytes at all: the tape's bound stops them. */
    doc.max_bytes = 4096;
    ERR("{\"type\":\"array\",\"items\":\"null\"}", b, "offset 5: the record takes more than 1024 nodes (input.max_message_bytes / 4)");
    free(b.data);
}

Test(avro_read, message_over_the_limit)
{
    abuf b = {0};
    ab_str(&b, "0123456789");
    doc.max_bytes = 8;
    ERR("\"string\"", b, "offset 8: message of 11 bytes is over the limit of 8 bytes");
    free(b.data);
}

Test(avro_read, doc_reused_after_an_error_and_across_schemas)
{
    abuf b = {0};
    ab_long(&b, 9);
    ERR("\"string\"", b, "offset 0: string of 9 bytes is longer than the 0 bytes left");
    cr_assert_eq(doc.n_nodes, 0);
    EXPECT("\"long\"", b, "9");
    b.len = 0;
    every_record(&b);
    EXPECT(every_schema, b,
           "{\"e\":\"blue\",\"a\":[1.5,\"red\",null],\"m\":{\"x\":-3,\"k\\\"y\":4},\"u\":\"hi\","
           "\"ts\":1700000000000,\"list\":{\"v\":1,\"rest\":{\"v\":2,\"rest\":null}},\"empty\":{}}");
    free(b.data);
}

Test(avro_read, framing_helpers)
{
    uint32_t id = 0;
    cr_assert(alert_avro_confluent_id("\x00\x00\x00\x04\x4c\x02", 6, &id));
    cr_assert_eq(id, 1100);
    cr_assert_not(alert_avro_confluent_id("\x00\x00\x00\x04", 4, &id));
    cr_assert_not(alert_avro_confluent_id("{\"a\":1}", 7, &id));
    cr_assert(alert_avro_is_container("Obj\x01rest", 8));
    cr_assert_not(alert_avro_is_container("Obj", 3));
    cr_assert_not(alert_avro_is_container("Obj\x02", 4));
}

Test(avro_read, alert_parse_refuses_avro)
{
    alert_error err;
    cr_assert_eq(alert_parse(&doc, "{}", 2, ALERT_FORMAT_AVRO, &err), -1);
    cr_assert_str_eq(err.msg, "offset 0: Avro is read with a schema (alert/avro.h), not as text");
    alert_format f;
    cr_assert_eq(alert_format_parse("avro", &f), 0);
    cr_assert_eq(f, ALERT_FORMAT_AVRO);
    cr_assert_str_eq(alert_format_name(ALERT_FORMAT_AVRO), "avro");
}

/* Standard base64 with padding, the plain way, for comparing long bytes. */
static void reference_base64(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? p[i + 1] : 0) << 8 | (i + 2 < n ? p[i + 2] : 0);
        *out++ = digits[v >> 18];
        *out++ = digits[v >> 12 & 63];
        *out++ = i + 1 < n ? digits[v >> 6 & 63] : '=';
        *out++ = i + 2 < n ? digits[v & 63] : '=';
    }
    *out = '\0';
}

Test(avro_read, long_bytes_as_base64_every_length)
{
    unsigned char bytes[400];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof bytes; i++) {
        x = x * 1103515245 + 12345;
        bytes[i] = (unsigned char)(x >> 16);
    }
    char want[600], quoted[610];
    for (size_t n = 0; n <= sizeof bytes; n++) {
        abuf b = {0};
        ab_bytes(&b, bytes, n);
        reference_base64(bytes, n, want);
        snprintf(quoted, sizeof quoted, "\"%s\"", want);
        EXPECT("\"bytes\"", b, quoted);
        free(b.data);
    }
}
