/* alert/avro_file.c — Avro object container files (Obj\x01): the header's
 * metadata and schema, then blocks checked by their sync marker and inflated
 * (codecs null, deflate and snappy), read one record at a time into the doc. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "alert/avro_internal.h"

enum { CODEC_NULL, CODEC_DEFLATE, CODEC_SNAPPY, CODEC_FAILED };

static __attribute__((format(printf, 4, 5), cold)) int fail(alert_avro_file *f, alert_error *err, size_t offset,
                                                           const char *fmt, ...)
{
    err->offset = offset;
    int n = snprintf(err->msg, sizeof err->msg, "offset %zu: ", offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    f->codec = CODEC_FAILED;
    return -1;
}

void alert_avro_file_init(alert_avro_file *f) { memset(f, 0, sizeof *f); }

void alert_avro_file_free(alert_avro_file *f)
{
    free(f->inflated);
    free(f->schema_text);
    alert_avro_schema_free(f->plan);
    alert_avro_file_init(f);
}

/* A zigzag varint of the file at f->pos. */
static int file_long(alert_avro_file *f, alert_error *err, const char *what, int64_t *out)
{
    size_t at = f->pos;
    uint64_t v = 0;
    for (unsigned i = 0;; i++) {
        if (i == 10)
            return fail(f, err, at, "varint longer than 10 bytes (%s)", what);
        if (f->pos >= f->len)
            return fail(f, err, at, "file ends inside %s", what);
        unsigned char b = f->data[f->pos++];
        v |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    return 0;
}

/* A length-prefixed run of bytes (a metadata key or value): *p and *n. */
static int file_bytes(alert_avro_file *f, alert_error *err, const char *what, const unsigned char **p, size_t *n)
{
    size_t at = f->pos;
    int64_t v;
    if (file_long(f, err, what, &v) != 0)
        return -1;
    if (v < 0)
        return fail(f, err, at, "negative length %lld of %s", (long long)v, what);
    if ((uint64_t)v > f->len - f->pos)
        return fail(f, err, at, "%s of %lld bytes is longer than the %zu bytes left", what, (long long)v,
                    f->len - f->pos);
    *p = f->data + f->pos;
    *n = (size_t)v;
    f->pos += (size_t)v;
    return 0;
}

static bool equals(const unsigned char *p, size_t n, const char *lit) { return n == strlen(lit) && memcmp(p, lit, n) == 0; }

/* The header's metadata map: avro.schema and avro.codec. */
static int read_metadata(alert_avro_file *f, alert_error *err, const unsigned char **schema, size_t *schema_len)
{
    *schema = NULL;
    f->codec = CODEC_NULL;
    for (;;) {
        size_t at = f->pos;
        int64_t count, size;
        if (file_long(f, err, "the header's metadata", &count) != 0)
            return -1;
        if (count == 0)
            return 0;
        if (count < 0 && (count == INT64_MIN || file_long(f, err, "the header's metadata", &size) != 0))
            return count == INT64_MIN ? fail(f, err, at, "metadata block count out of range") : -1;
        count = count < 0 ? -count : count;
        for (int64_t i = 0; i < count; i++) {
            const unsigned char *key, *value;
            size_t key_len, value_len, value_at;
            if (file_bytes(f, err, "a metadata key", &key, &key_len) != 0)
                return -1;
            value_at = f->pos;
            if (file_bytes(f, err, "a metadata value", &value, &value_len) != 0)
                return -1;
            if (equals(key, key_len, "avro.schema")) {
                *schema = value;
                *schema_len = value_len;
            } else if (equals(key, key_len, "avro.codec")) {
                if (equals(value, value_len, "deflate"))
                    f->codec = CODEC_DEFLATE;
                else if (equals(value, value_len, "snappy"))
                    f->codec = CODEC_SNAPPY;
                else if (!equals(value, value_len, "null"))
                    return fail(f, err, value_at, "codec \"%.*s\" is not supported (null, deflate and snappy are)",
                                (int)(value_len < 32 ? value_len : 32), (const char *)value);
            }
        }
    }
}

int alert_avro_file_open(alert_avro_file *f, const char *data, size_t len, const char *name, alert_error *err)
{
    f->data = (const unsigned char *)data;
    f->len = len;
    f->pos = 4;
    f->record = 0;
    f->record_offset = 0;
    f->block_left = 0;
    f->block_len = f->block_pos = 0;
    f->schema = NULL;
    if (!alert_avro_is_container(data, len))
        return fail(f, err, 0, "not an Avro object container file (no Obj\\x01 magic)");
    const unsigned char *schema;
    size_t schema_len;
    if (read_metadata(f, err, &schema, &schema_len) != 0)
        return -1;
    if (!schema)
        return fail(f, err, f->pos, "the header has no avro.schema");
    if (f->len - f->pos < 16)
        return fail(f, err, f->pos, "file ends inside the header's sync marker");
    memcpy(f->sync, f->data + f->pos, 16);
    f->pos += 16;
    if (f->plan && schema_len == f->schema_len && memcmp(schema, f->schema_text, schema_len) == 0) {
        f->schema = f->plan;
        return 0;
    }
    alert_avro_schema_free(f->plan);
    f->plan = NULL;
    char *copy = malloc(schema_len ? schema_len : 1);
    if (!copy)
        return fail(f, err, 0, "out of memory");
    memcpy(copy, schema, schema_len);
    free(f->schema_text);
    f->schema_text = copy;
    f->schema_len = schema_len;
    alert_avro_source src = {.name = name ? name : "avro.schema", .text = copy, .len = schema_len};
    if (alert_avro_schema_compile(&src, 1, NULL, &f->plan, err) != 0) {
        f->codec = CODEC_FAILED;
        f->schema_len = 0;
        return -1;
    }
    f->schema = f->plan;
    return 0;
}

/* Inflates the raw deflate data [p, p + n) into f->inflated, at most max bytes. */
static int inflate_block(alert_avro_file *f, alert_error *err, const unsigned char *p, size_t n, size_t max)
{
    z_stream z = {0};
    if (inflateInit2(&z, -15) != Z_OK)
        return fail(f, err, f->block_offset, "out of memory");
    z.next_in = (unsigned char *)p;
    z.avail_in = n < UINT32_MAX ? (uInt)n : UINT32_MAX;
    size_t out = 0, room = f->inflated_cap < max ? f->inflated_cap : max; /* the buffer may be larger than max */
    int rc;
    do {
        if (out == room) {
            if (room >= max) {
                inflateEnd(&z);
                return fail(f, err, f->block_offset, "deflate block inflates past %zu bytes (input.max_message_bytes)",
                            max);
            }
            size_t cap = f->inflated_cap > room ? f->inflated_cap : room ? room * 2 : 65536;
            cap = cap < max ? cap : max;
            if (cap > f->inflated_cap) {
                unsigned char *grown = realloc(f->inflated, cap);
                if (!grown) {
                    inflateEnd(&z);
                    return fail(f, err, f->block_offset, "out of memory");
                }
                f->inflated = grown;
                f->inflated_cap = cap;
            }
            room = cap;
        }
        z.next_out = f->inflated + out;
        z.avail_out = (uInt)(room - out < UINT32_MAX ? room - out : UINT32_MAX);
        rc = inflate(&z, Z_NO_FLUSH);
        out = (size_t)(z.next_out - f->inflated);
    } while (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0));
    const char *why = z.msg ? z.msg : rc == Z_BUF_ERROR ? "the deflate data ends early" : "zlib error";
    inflateEnd(&z);
    if (rc != Z_STREAM_END)
        return fail(f, err, f->block_offset, "deflate block does not inflate: %s", why);
    f->block = f->inflated;
    f->block_len = out;
    return 0;
}

/* Room for n bytes in f->inflated. */
static int inflated_room(alert_avro_file *f, alert_error *err, size_t n)
{
    if (n <= f->inflated_cap)
        return 0;
    unsigned char *grown = realloc(f->inflated, n);
    if (!grown)
        return fail(f, err, f->block_offset, "out of memory");
    f->inflated = grown;
    f->inflated_cap = n;
    return 0;
}

/* Avro's snappy codec: the block is Snappy's raw format (the length it
 * expands to, then literals and back-references), then the big-endian CRC-32
 * of what it expands to. Expanded into f->inflated, at most max bytes. */
static int unsnappy_block(alert_avro_file *f, alert_error *err, const unsigned char *p, size_t n, size_t max)
{
    size_t at = f->block_offset;
    if (n < 4)
        return fail(f, err, at, "snappy block of %zu bytes has no room for its CRC", n);
    const unsigned char *end = p + n - 4, *crc_at = end;
    uint64_t want = 0;
    for (unsigned shift = 0;; shift += 7) {
        if (p == end || shift > 28)
            return fail(f, err, at, "snappy block: bad length");
        want |= (uint64_t)(*p & 0x7F) << shift;
        if (!(*p++ & 0x80))
            break;
    }
    if (want > max)
        return fail(f, err, at, "snappy block expands past %zu bytes (input.max_message_bytes)", max);
    if (inflated_room(f, err, want ? want : 1) != 0)
        return -1;
    unsigned char *out = f->inflated;
    size_t o = 0;
    while (p < end) {
        unsigned tag = *p++, kind = tag & 3;
        size_t len, offset = 0;
        if (kind == 0) {
            len = (tag >> 2) + 1;
            if (len > 60) { /* the length - 1 in the next 1..4 bytes */
                size_t bytes = len - 60;
                if ((size_t)(end - p) < bytes)
                    return fail(f, err, at, "snappy block: truncated literal length");
                len = 0;
                for (size_t i = 0; i < bytes; i++)
                    len |= (size_t)p[i] << (8 * i);
                len++;
                p += bytes;
            }
            if ((size_t)(end - p) < len || want - o < len)
                return fail(f, err, at, "snappy block: literal past the end");
            memcpy(out + o, p, len);
            p += len;
            o += len;
            continue;
        }
        size_t bytes = kind == 1 ? 1 : kind == 2 ? 2 : 4;
        if ((size_t)(end - p) < bytes)
            return fail(f, err, at, "snappy block: truncated copy");
        for (size_t i = 0; i < bytes; i++)
            offset |= (size_t)p[i] << (8 * i);
        p += bytes;
        if (kind == 1) {
            len = 4 + (tag >> 2 & 7);
            offset |= (size_t)(tag >> 5) << 8;
        } else {
            len = (tag >> 2) + 1;
        }
        if (offset == 0 || offset > o || want - o < len)
            return fail(f, err, at, "snappy block: copy out of range");
        for (size_t i = 0; i < len; i++, o++) /* may overlap what it writes */
            out[o] = out[o - offset];
    }
    if (o != want)
        return fail(f, err, at, "snappy block expands to %zu bytes, not the %llu it says", o, (unsigned long long)want);
    uint32_t crc = (uint32_t)crc_at[0] << 24 | (uint32_t)crc_at[1] << 16 | (uint32_t)crc_at[2] << 8 | crc_at[3];
    if ((uint32_t)crc32(0, out, (uInt)o) != crc)
        return fail(f, err, at, "snappy block: CRC mismatch");
    f->block = out;
    f->block_len = o;
    return 0;
}

/* The next block with records: its header, data, sync marker; 0, 1 at the end of the file, or -1. */
static int next_block(alert_avro_file *f, const alert_doc *d, alert_error *err)
{
    while (f->block_left == 0) {
        if (f->block_pos != f->block_len)
            return fail(f, err, f->codec != CODEC_NULL ? f->block_offset : f->block_offset + f->block_pos,
                        "%zu bytes after the block's last record", f->block_len - f->block_pos);
        if (f->pos == f->len)
            return 1;
        size_t at = f->pos;
        int64_t count, size;
        if (file_long(f, err, "a block's record count", &count) != 0 || file_long(f, err, "a block's size", &size) != 0)
            return -1;
        if (count < 0)
            return fail(f, err, at, "negative record count %lld", (long long)count);
        if (size < 0)
            return fail(f, err, at, "negative block size %lld", (long long)size);
        if ((uint64_t)size > f->len - f->pos)
            return fail(f, err, at, "block of %lld bytes is longer than the %zu bytes left", (long long)size,
                        f->len - f->pos);
        if ((uint64_t)size > d->max_bytes)
            return fail(f, err, at, "block of %lld bytes is over the limit of %zu bytes", (long long)size, d->max_bytes);
        const unsigned char *data = f->data + f->pos;
        f->block_offset = f->pos;
        f->pos += (size_t)size;
        if (f->len - f->pos < 16)
            return fail(f, err, f->pos, "file ends inside a block's sync marker");
        if (memcmp(f->data + f->pos, f->sync, 16) != 0)
            return fail(f, err, f->pos, "sync marker does not match the header's");
        f->pos += 16;
        if (f->codec == CODEC_DEFLATE) {
            if (inflate_block(f, err, data, (size_t)size, d->max_bytes) != 0)
                return -1;
        } else if (f->codec == CODEC_SNAPPY) {
            if (unsnappy_block(f, err, data, (size_t)size, d->max_bytes) != 0)
                return -1;
        } else {
            f->block = data;
            f->block_len = (size_t)size;
        }
        uint32_t least = f->schema->types[f->schema->root].min_size;
        if (least > 0 && (uint64_t)count > f->block_len / least)
            return fail(f, err, at, "block claims %lld records, more than its %zu bytes can hold", (long long)count,
                        f->block_len);
        f->block_pos = 0;
        f->block_left = count;
    }
    return 0;
}

int alert_avro_file_next(alert_avro_file *f, alert_doc *d, alert_error *err)
{
    if (f->codec == CODEC_FAILED || !f->schema)
        return fail(f, err, f->pos, "the file was abandoned after an error");
    int rc = next_block(f, d, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    bool deflated = f->codec != CODEC_NULL; /* inflated or expanded: offsets in the block */
    size_t base = deflated ? 0 : f->block_offset, end;
    f->record++;
    f->record_offset = base + f->block_pos;
    if (avro_read_value(d, f->schema, f->block, f->block_len, f->block_pos, &end, base, err) != 0) {
        d->n_nodes = 0;
        f->codec = CODEC_FAILED;
        if (deflated) {
            char why[sizeof err->msg];
            snprintf(why, sizeof why, "%s", err->msg);
            snprintf(err->msg, sizeof err->msg, "block at offset %zu, inflated %.120s", f->block_offset, why);
            err->offset = f->block_offset;
        }
        return -1;
    }
    if (deflated)
        f->record_offset = f->block_offset;
    f->block_pos = end;
    f->block_left--;
    return 1;
}
