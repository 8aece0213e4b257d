/* tests/processor/avro_bytes.h — Avro binary written by hand for the processor's
 * tests: zigzag varints, strings, doubles, the Confluent frame and a null-codec
 * object container file. Included (static functions). */
#ifndef AVRO_BYTES_H
#define AVRO_BYTES_H

#include <stdint.h>
#include <string.h>

typedef struct {
    unsigned char b[8192];
    size_t n;
} ab_buf;

static inline void ab_long(ab_buf *o, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    do {
        unsigned char c = z & 0x7F;
        z >>= 7;
        o->b[o->n++] = c | (z ? 0x80 : 0);
    } while (z);
}

static inline void ab_raw(ab_buf *o, const void *p, size_t n)
{
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static inline void ab_string(ab_buf *o, const char *s)
{
    ab_long(o, (int64_t)strlen(s));
    ab_raw(o, s, strlen(s));
}

static inline void ab_double(ab_buf *o, double d)
{
    ab_raw(o, &d, 8); /* little-endian, as Avro writes it (x86) */
}

/* Byte 0, then the schema id big-endian. */
static inline void ab_confluent(ab_buf *o, uint32_t id)
{
    unsigned char h[5] = {0, (unsigned char)(id >> 24), (unsigned char)(id >> 16), (unsigned char)(id >> 8),
                          (unsigned char)id};
    ab_raw(o, h, 5);
}

/* An OCF (codec null) of schema with one block holding the n records of body. */
static inline void ab_container(ab_buf *o, const char *schema, const ab_buf *body, int64_t n, const char sync[16])
{
    ab_raw(o, "Obj\x01", 4);
    ab_long(o, 2);
    ab_string(o, "avro.schema");
    ab_string(o, schema);
    ab_string(o, "avro.codec");
    ab_string(o, "null");
    ab_long(o, 0);
    ab_raw(o, sync, 16);
    ab_long(o, n);
    ab_long(o, (int64_t)body->n);
    ab_raw(o, body->b, body->n);
    ab_raw(o, sync, 16);
}

#endif
