/* tests/alert/test_avro_file.c — object container files: blocks, codecs, the
 * schema reused from file to file, and each error with its offset and reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "alert/avro.h"
#include "tests/alert/avro_build.h"

#define SCHEMA "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"s\",\"type\":\"string\"}]}"

static alert_doc doc;
static alert_avro_file file;
static char all[4096];

static void setup(void)
{
    alert_doc_init(&doc);
    alert_avro_file_init(&file);
}

static void teardown(void)
{
    alert_doc_free(&doc);
    alert_avro_file_free(&file);
}

TestSuite(avro_file, .init = setup, .fini = teardown);

/* Every record of the file as "N@OFFSET JSON" lines, then "end" or "ERROR message". */
static const char *read_all(const abuf *b)
{
    alert_error err;
    size_t n = 0;
    all[0] = '\0';
    if (alert_avro_file_open(&file, (const char *)b->data, b->len, "f.avro", &err) != 0) {
        snprintf(all, sizeof all, "ERROR %s", err.msg);
        return all;
    }
    int rc;
    while ((rc = alert_avro_file_next(&file, &doc, &err)) == 1) {
        alert_buf out = {0};
        cr_assert_eq(alert_write_json(&doc, 0, &out), 0);
        n += (size_t)snprintf(all + n, sizeof all - n, "%llu@%zu %.*s\n", (unsigned long long)file.record,
                              file.record_offset, (int)out.len, out.data);
        alert_buf_free(&out);
    }
    snprintf(all + n, sizeof all - n, rc == 0 ? "end" : "ERROR %s", err.msg);
    return all;
}

static void record(abuf *b, int64_t id, const char *s)
{
    ab_long(b, id);
    ab_str(b, s);
}

/* Two blocks (2 records, then 1), with codec. */
static void two_blocks(abuf *b, const char *codec, int deflated)
{
    ab_ocf_header(b, SCHEMA, codec);
    abuf r = {0};
    record(&r, 1, "a");
    record(&r, 2, "bb");
    ab_ocf_block(b, 2, r.data, r.len, deflated);
    r.len = 0;
    record(&r, 3, "c");
    ab_ocf_block(b, 1, r.data, r.len, deflated);
    free(r.data);
}

Test(avro_file, null_codec_blocks_records_and_offsets)
{
    abuf b = {0};
    two_blocks(&b, "null", 0);
    size_t header = 4 + 1 + 12 + 2 + strlen(SCHEMA) + 11 + 5 + 1 + 16; /* 126-byte schema: a 2-byte length */
    char want[512];
    snprintf(want, sizeof want,
             "1@%zu {\"id\":1,\"s\":\"a\"}\n2@%zu {\"id\":2,\"s\":\"bb\"}\n3@%zu {\"id\":3,\"s\":\"c\"}\nend", header + 2,
             header + 5, header + 2 + 7 + 16 + 2);
    cr_assert_str_eq(read_all(&b), want);
    free(b.data);
}

Test(avro_file, no_codec_is_null_and_deflate_inflates)
{
    abuf b = {0};
    two_blocks(&b, NULL, 0);
    cr_assert(strstr(read_all(&b), "3@") && strstr(all, "\nend"));
    b.len = 0;
    two_blocks(&b, "deflate", 1);
    /* deflate: a record's offset is its block's */
    const char *got = read_all(&b);
    cr_assert(strstr(got, "{\"id\":1,\"s\":\"a\"}\n") && strstr(got, "{\"id\":2,\"s\":\"bb\"}\n") &&
              strstr(got, "{\"id\":3,\"s\":\"c\"}\nend"), "%s", got);
    free(b.data);
}

Test(avro_file, the_schema_is_compiled_once_for_many_files)
{
    abuf b = {0};
    two_blocks(&b, "null", 0);
    alert_error err;
    cr_assert_eq(alert_avro_file_open(&file, (const char *)b.data, b.len, "one", &err), 0);
    const alert_avro_schema *first = file.schema;
    cr_assert_eq(alert_avro_file_open(&file, (const char *)b.data, b.len, "two", &err), 0);
    cr_assert_eq(file.schema, first);
    cr_assert_str_eq(alert_avro_schema_name(file.schema), "r");
    free(b.data);
}

Test(avro_file, header_errors)
{
    abuf b = {0};
    ab_raw(&b, "Obj\x02", 4);
    cr_assert_str_eq(read_all(&b), "ERROR offset 0: not an Avro object container file (no Obj\\x01 magic)");
    b.len = 0;
    ab_raw(&b, "Obj\x01", 4);
    ab_long(&b, 1);
    ab_str(&b, "avro.codec");
    ab_str(&b, "null");
    ab_long(&b, 0);
    ab_raw(&b, test_sync, 16);
    cr_assert_str_eq(read_all(&b), "ERROR offset 22: the header has no avro.schema");
    b.len = 0;
    ab_ocf_header(&b, SCHEMA, "zstandard");
    cr_assert_str_eq(read_all(&b), "ERROR offset 126: codec \"zstandard\" is not supported (null, deflate and snappy are)");
    b.len = 0;
    ab_ocf_header(&b, "{\"type\":\"recor\"}", NULL);
    cr_assert_str_eq(read_all(&b), "ERROR f.avro: offset 8: unknown type \"recor\"");
    b.len = 0;
    ab_ocf_header(&b, SCHEMA, NULL);
    b.len -= 3;
    cr_assert_str_eq(read_all(&b), "ERROR offset 116: file ends inside the header's sync marker");
    b.len = 10;
    cr_assert_str_eq(read_all(&b), "ERROR offset 5: a metadata key of 11 bytes is longer than the 4 bytes left");
    free(b.data);
}

Test(avro_file, block_errors)
{
    abuf b = {0}, r = {0};
    record(&r, 1, "a");
    size_t header;
    /* sync marker that does not match */
    ab_ocf_header(&b, SCHEMA, NULL);
    header = b.len;
    ab_ocf_block(&b, 1, r.data, r.len, 0);
    b.data[b.len - 1] ^= 1;
    char want[256];
    snprintf(want, sizeof want, "ERROR offset %zu: sync marker does not match the header's", header + 2 + r.len);
    cr_assert_str_eq(read_all(&b), want);
    /* truncated: inside the block, then inside its sync marker */
    b.len = header + 4;
    snprintf(want, sizeof want, "ERROR offset %zu: block of 3 bytes is longer than the 2 bytes left", header);
    cr_assert_str_eq(read_all(&b), want);
    b.len = header + 2 + r.len + 5;
    snprintf(want, sizeof want, "ERROR offset %zu: file ends inside a block's sync marker", header + 2 + r.len);
    cr_assert_str_eq(read_all(&b), want);
    /* a count its bytes cannot hold (each record takes 2 bytes at least) */
    b.len = header;
    ab_ocf_block(&b, 5, r.data, r.len, 0);
    snprintf(want, sizeof want, "ERROR offset %zu: block claims 5 records, more than its 3 bytes can hold", header);
    cr_assert_str_eq(read_all(&b), want);
    /* a record cut short inside its block; then bytes left after the last record */
    b.len = header;
    ab_ocf_block(&b, 1, r.data, r.len - 1, 0);
    snprintf(want, sizeof want, "ERROR offset %zu: string of 1 bytes is longer than the 0 bytes left", header + 3);
    cr_assert_str_eq(read_all(&b), want);
    b.len = header;
    record(&r, 2, "b");
    ab_ocf_block(&b, 1, r.data, r.len, 0);
    snprintf(want, sizeof want, "1@%zu {\"id\":1,\"s\":\"a\"}\nERROR offset %zu: 3 bytes after the block's last record",
             header + 2, header + 5);
    cr_assert_str_eq(read_all(&b), want);
    /* negative counts and sizes */
    b.len = header;
    ab_long(&b, -1);
    snprintf(want, sizeof want, "ERROR offset %zu: file ends inside a block's size", header + 1);
    cr_assert_str_eq(read_all(&b), want);
    ab_long(&b, 0);
    snprintf(want, sizeof want, "ERROR offset %zu: negative record count -1", header);
    cr_assert_str_eq(read_all(&b), want);
    free(b.data);
    free(r.data);
}

Test(avro_file, deflate_errors)
{
    abuf b = {0}, r = {0};
    ab_ocf_header(&b, SCHEMA, "deflate");
    size_t header = b.len;
    ab_ocf_block(&b, 1, "\x01\x02\x03garbage", 10, 0); /* not deflate data */
    char want[256];
    snprintf(want, sizeof want, "ERROR offset %zu: deflate block does not inflate: invalid stored block lengths", header + 2);
    cr_assert_str_eq(read_all(&b), want);
    /* a record bad inside an inflated block: the block's offset, then the inflated one */
    b.len = header;
    record(&r, 1, "\xff");
    ab_ocf_block(&b, 1, r.data, r.len, 1);
    snprintf(want, sizeof want, "ERROR block at offset %zu, inflated offset 2: string is not UTF-8 (byte 0xff)", header + 2);
    cr_assert_str_eq(read_all(&b), want);
    /* a block that inflates past the limit */
    char zeros[8192] = {0};
    b.len = header;
    ab_ocf_block(&b, 1, zeros, sizeof zeros, 1);
    doc.max_bytes = 4096;
    snprintf(want, sizeof want, "ERROR offset %zu: deflate block inflates past 4096 bytes (input.max_message_bytes)",
             header + 2);
    cr_assert_str_eq(read_all(&b), want);
    /* truncated deflate data */
    doc.max_bytes = 1 << 20;
    b.len = header;
    r.len = 0;
    for (int i = 0; i < 200; i++)
        record(&r, i, "some text that compresses");
    abuf whole = {0};
    ab_ocf_block(&whole, 200, r.data, r.len, 1);
    /* the block's count and size varints, then half of its deflate data */
    ab_raw(&b, whole.data, whole.len);
    size_t data_at = header + 4; /* after the 2-byte count and size */
    int64_t size = (int64_t)(whole.len - 16 - 2 - 2);
    b.len = header;
    ab_long(&b, 200);
    ab_long(&b, size / 2);
    ab_raw(&b, whole.data + 4, (size_t)size / 2);
    ab_raw(&b, test_sync, 16);
    snprintf(want, sizeof want, "ERROR offset %zu: deflate block does not inflate: the deflate data ends early", data_at);
    cr_assert_str_eq(read_all(&b), want);
    free(whole.data);
    free(b.data);
    free(r.data);
}

Test(avro_file, after_an_error_the_file_is_abandoned)
{
    abuf b = {0};
    ab_ocf_header(&b, SCHEMA, NULL);
    ab_long(&b, 1);
    alert_error err;
    cr_assert_eq(alert_avro_file_open(&file, (const char *)b.data, b.len, "f", &err), 0);
    cr_assert_eq(alert_avro_file_next(&file, &doc, &err), -1);
    cr_assert_eq(alert_avro_file_next(&file, &doc, &err), -1);
    char want[64];
    snprintf(want, sizeof want, "offset %zu: the file was abandoned after an error", b.len);
    cr_assert_str_eq(err.msg, want);
    free(b.data);
}

/* A snappy block by hand: the record {id 1, s "abcdabcdabcd"} as a literal of
 * its first 6 bytes and a copy of 8 from 4 back, then the CRC-32. */
static void snappy_block(abuf *b, unsigned char crc_flip, unsigned char offset)
{
    const unsigned char raw[] = {0x02, 0x18, 'a', 'b', 'c', 'd', 'a', 'b', 'c', 'd', 'a', 'b', 'c', 'd'};
    abuf z = {0};
    ab_byte(&z, sizeof raw);
    ab_byte(&z, (6 - 1) << 2);
    ab_raw(&z, raw, 6);
    ab_byte(&z, (8 - 4) << 2 | 1);
    ab_byte(&z, offset);
    uint32_t crc = (uint32_t)crc32(0, raw, sizeof raw) ^ crc_flip;
    unsigned char be[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16), (unsigned char)(crc >> 8), (unsigned char)crc};
    ab_raw(&z, be, 4);
    ab_long(b, 1);
    ab_bytes(b, z.data, z.len);
    ab_raw(b, test_sync, 16);
    free(z.data);
}

Test(avro_file, snappy_blocks_and_their_errors)
{
    abuf b = {0};
    ab_ocf_header(&b, SCHEMA, "snappy");
    size_t header = b.len;
    snappy_block(&b, 0, 4);
    char want[256];
    snprintf(want, sizeof want, "1@%zu {\"id\":1,\"s\":\"abcdabcdabcd\"}\nend", header + 2);
    cr_assert_str_eq(read_all(&b), want);
    b.len = header;
    snappy_block(&b, 1, 4);
    snprintf(want, sizeof want, "ERROR offset %zu: snappy block: CRC mismatch", header + 2);
    cr_assert_str_eq(read_all(&b), want);
    b.len = header;
    snappy_block(&b, 0, 7);
    snprintf(want, sizeof want, "ERROR offset %zu: snappy block: copy out of range", header + 2);
    cr_assert_str_eq(read_all(&b), want);
    free(b.data);
}
