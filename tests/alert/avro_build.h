/* tests/alert/avro_build.h — Avro binary and object container files built by
 * hand, byte by byte, for the Avro reader's tests (no Avro library involved). */
#ifndef TESTS_AVRO_BUILD_H
#define TESTS_AVRO_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    unsigned char *data;
    size_t len, cap;
} abuf;

static inline void ab_raw(abuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->data = realloc(b->data, b->cap);
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void ab_byte(abuf *b, unsigned char c) { ab_raw(b, &c, 1); }

/* Avro's zigzag varint. */
static inline void ab_long(abuf *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z >= 0x80) {
        ab_byte(b, (unsigned char)(z | 0x80));
        z >>= 7;
    }
    ab_byte(b, (unsigned char)z);
}

static inline void ab_bytes(abuf *b, const void *p, size_t n)
{
    ab_long(b, (int64_t)n);
    ab_raw(b, p, n);
}

static inline void ab_str(abuf *b, const char *s) { ab_bytes(b, s, strlen(s)); }

static inline void ab_double(abuf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; i++)
        ab_byte(b, (unsigned char)(bits >> (8 * i)));
}

static inline void ab_float(abuf *b, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    for (int i = 0; i < 4; i++)
        ab_byte(b, (unsigned char)(bits >> (8 * i)));
}

static const unsigned char test_sync[16] = "0123456789abcdef";

/* An OCF header: magic, metadata {avro.schema, avro.codec (unless NULL)}, sync marker. */
static inline void ab_ocf_header(abuf *b, const char *schema, const char *codec)
{
    ab_raw(b, "Obj\x01", 4);
    ab_long(b, codec ? 2 : 1);
    ab_str(b, "avro.schema");
    ab_str(b, schema);
    if (codec) {
        ab_str(b, "avro.codec");
        ab_str(b, codec);
    }
    ab_long(b, 0);
    ab_raw(b, test_sync, 16);
}

/* A block of count records (their encoding in data[0..n)), deflated when deflate. */
static inline void ab_ocf_block(abuf *b, int64_t count, const void *data, size_t n, int deflated)
{
    ab_long(b, count);
    if (!deflated) {
        ab_bytes(b, data, n);
    } else {
        unsigned char out[65536];
        z_stream z = {0};
        deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (unsigned char *)data;
        z.avail_in = (uInt)n;
        z.next_out = out;
        z.avail_out = sizeof out;
        deflate(&z, Z_FINISH);
        ab_bytes(b, out, sizeof out - z.avail_out);
        deflateEnd(&z);
    }
    ab_raw(b, test_sync, 16);
}

#endif
