/* tests/fuzz/fuzz_alert_avro.c — libFuzzer target for the Avro reader: any bytes,
 * read as one record of a fixed schema, as an object container file (whose
 * header's schema the fuzzer writes too), or as a schema text then a record,
 * either fail cleanly or give a tape whose JSON is valid UTF-8, reads back as
 * JSON and writes back to the very same bytes. Memory and depth are bounded. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert/avro.h"

static const char *const schemas[] = {
    "{\"type\":\"record\",\"name\":\"every\",\"namespace\":\"t\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},{\"name\":\"b\",\"type\":\"boolean\"},{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"f\",\"type\":\"float\"},{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"colour\",\"symbols\":[\"red\",\"green\",\"blue\"]}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":[\"null\",\"double\",\"colour\"]}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":\"long\"}}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"md5\",\"size\":4}},"
    "{\"name\":\"list\",\"type\":[\"null\",{\"type\":\"record\",\"name\":\"node\",\"fields\":["
    "{\"name\":\"v\",\"type\":\"long\"},{\"name\":\"rest\",\"type\":[\"null\",\"node\"]}]}]},"
    "{\"name\":\"z\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"none\",\"fields\":[]}}}]}",
    "{\"type\":\"record\",\"name\":\"alert\",\"namespace\":\"ztf\",\"fields\":[{\"name\":\"objectId\",\"type\":\"string\"},"
    "{\"name\":\"candidate\",\"type\":{\"type\":\"record\",\"name\":\"candidate\",\"fields\":["
    "{\"name\":\"jd\",\"type\":\"double\"},{\"name\":\"magpsf\",\"type\":\"float\"},{\"name\":\"drb\",\"type\":[\"float\",\"null\"]}]}},"
    "{\"name\":\"prv_candidates\",\"type\":[{\"type\":\"array\",\"items\":\"candidate\"},\"null\"]},"
    "{\"name\":\"cutout\",\"type\":[\"null\",\"bytes\"]}]}",
};

static const int valid_utf8_len[256] = {
    [0x00 ... 0x7F] = 1, [0xC2 ... 0xDF] = 2, [0xE0 ... 0xEF] = 3, [0xF0 ... 0xF4] = 4,
};

/* A UTF-8 check of its own (not the reader's): RFC 3629, no surrogates. */
static int valid_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        int len = valid_utf8_len[p[i]];
        if (len == 0 || i + (size_t)len > n)
            return 0;
        uint32_t cp = len == 1 ? p[i] : (uint32_t)(p[i] & (0x7F >> len));
        for (int k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += (size_t)len;
    }
    return 1;
}

static alert_doc doc, again;
static alert_buf json, json_again;
static alert_avro_schema *fixed[2];
static alert_avro_file file;

static void check(void)
{
    for (uint32_t i = 0; i < doc.n_nodes; i++) {
        const alert_node *n = &doc.nodes[i];
        assert(n->next > i && n->next <= doc.n_nodes);
        const char *s;
        size_t len;
        int64_t v;
        if (alert_string(&doc, i, &s, &len) == 0)
            assert(len == n->len && s >= doc.src && s + len <= doc.src + doc.len);
        (void)alert_int(&doc, i, &v);
        (void)alert_double(&doc, i);
    }
    json.len = 0;
    assert(alert_write_json(&doc, 0, &json) == 0);
    assert(valid_utf8((const unsigned char *)json.data, json.len));
    alert_error err;
    assert(alert_parse(&again, json.data, json.len, ALERT_FORMAT_JSON, &err) == 0);
    json_again.len = 0;
    assert(alert_write_json(&again, 0, &json_again) == 0);
    assert(json_again.len == json.len && memcmp(json_again.data, json.data, json.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fixed[0]) {
        for (int i = 0; i < 2; i++) {
            alert_avro_source src = {.text = schemas[i], .len = strlen(schemas[i])};
            alert_error err;
            if (alert_avro_schema_compile(&src, 1, NULL, &fixed[i], &err) != 0)
                abort();
        }
        alert_doc_init(&doc);
        alert_doc_init(&again);
        alert_avro_file_init(&file);
        doc.max_bytes = 1 << 16;
        doc.max_depth = 64;
        again.max_bytes = 1 << 24;
    }
    if (size < 1)
        return 0;
    unsigned mode = data[0] % 4;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    alert_error err;
    if (mode < 2) {
        if (alert_avro_read(&doc, fixed[mode], p, n, &err) == 0)
            check();
    } else if (mode == 2) {
        if (alert_avro_file_open(&file, p, n, "fuzz", &err) == 0) {
            int rc;
            while ((rc = alert_avro_file_next(&file, &doc, &err)) == 1)
                check();
        }
    } else {
        /* a schema text, a NUL, then one record of it */
        const char *nul = memchr(p, '\0', n);
        if (!nul)
            return 0;
        alert_avro_source src = {.text = p, .len = (size_t)(nul - p)};
        alert_avro_schema *s;
        if (alert_avro_schema_compile(&src, 1, NULL, &s, &err) != 0)
            return 0;
        if (alert_avro_read(&doc, s, nul + 1, n - (size_t)(nul + 1 - p), &err) == 0)
            check();
        alert_avro_schema_free(s);
    }
    return 0;
}
