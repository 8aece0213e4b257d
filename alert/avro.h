/* alert/avro.h — Avro in: schemas (Avro JSON, over one or more files) compiled
 * into a reading plan; one record of Avro binary, or an object container file
 * record by record, read into the same alert_doc tape as Python and JSON text. */
#ifndef ALERT_AVRO_H
#define ALERT_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert/alert.h"

/* ---- schemas ----
 *
 * A compiled schema: the plan a record is read by (each type resolved,
 * names and enum symbols laid out once). Immutable once compiled: any
 * number of docs and threads may read with it at once. It must outlive every
 * doc read with it until that doc's next alert_avro_read or alert_parse. */
typedef struct alert_avro_schema alert_avro_schema;

/* One schema text (an .avsc file, a registry's answer, an OCF header's
 * avro.schema). name is only for messages (a file name; NULL: "schema"). */
typedef struct {
    const char *name;
    const char *text;
    size_t len;
} alert_avro_source;

/* Compiles sources[0..n) together, as the Avro specification reads them:
 * every named type (record, enum, fixed) defined in any source, at any depth,
 * may be used by its full name from any other and in any order (Rubin splits
 * lsst.vX_Y.alert over several files); namespaces are inherited and a
 * short name resolves in the enclosing namespace first. The type read is
 * `root` (a full name, e.g. "lsst.v7_0.alert"), or when root is NULL the
 * type of the last source. Logical types are read as their underlying type;
 * unknown attributes are ignored.
 *
 * Returns 0 and *out, or -1 with err: err->offset is the byte offset in
 * the source named in err->msg, which reads "NAME: offset N: reason" (a
 * JSON syntax error, an unknown type name, a duplicate name, a record
 * without fields, an enum symbol that is not a valid name, a union holding
 * two of one type or a union, a fixed without a size...). */
int alert_avro_schema_compile(const alert_avro_source *sources, size_t n, const char *root,
                              alert_avro_schema **out, alert_error *err);
void alert_avro_schema_free(alert_avro_schema *s);

/* The full name of the schema's root type ("lsst.v7_0.alert"), or the
 * primitive's name ("long") when the root is not a named type. */
const char *alert_avro_schema_name(const alert_avro_schema *s);

/* ---- one record ----
 *
 * Reads msg[0..len), the Avro binary encoding of exactly one value of s's
 * root type (bare, or what follows the 5-byte Confluent frame: the caller
 * strips it and adds 5 to err->offset), into d, replacing what d held.
 * d->format becomes ALERT_FORMAT_AVRO. Rules read it as any other alert:
 * a record is a dict of its fields in schema order, a map a dict, an array a
 * list, a union its value, an enum its symbol (str), fixed and bytes
 * ALERT_BYTES; int and long ALERT_INT, float and double ALERT_FLOAT.
 *
 * The tape: str and bytes spans (field names, enum symbols, strings and
 * bytes of the message) point into d->scratch, which d->src points at;
 * numbers are not text: an ALERT_INT or ALERT_FLOAT node flagged
 * ALERT_F_BINARY holds its value in its own start/len fields (see
 * alert_avro_node_bits), and alert_int, alert_double and alert_write_json
 * read it from there: only what a rule or the writer asks for is ever
 * formatted. ALERT_F_FLOAT32 marks an Avro float: JSON writes it as the
 * shortest decimal that reads back to the same 32-bit float.
 *
 * Errors (-1, err->offset the byte of msg where the bad item starts):
 * input ending inside a value, a varint longer than 10 bytes, a negative
 * length or block count, a length past the end, a union branch or enum
 * index out of range, a string that is not UTF-8, a boolean byte other
 * than 0 or 1, nesting deeper than d->max_depth, bytes left after the
 * value, and a record that would take more than d->max_bytes of tape and
 * text (a block count claiming more elements than there are bytes left is
 * caught before anything is allocated for them). */
int alert_avro_read(alert_doc *d, const alert_avro_schema *s, const char *msg, size_t len, alert_error *err);

/* Whether msg starts as an object container file does ("Obj\x01"). */
bool alert_avro_is_container(const char *msg, size_t len);

/* Confluent wire format: byte 0 is 0, bytes 1..4 the schema id (big-endian),
 * then the record. Returns true and *schema_id when msg is long enough and
 * starts with 0 (whether the id is known is the caller's business). */
bool alert_avro_confluent_id(const char *msg, size_t len, uint32_t *schema_id);
#define ALERT_AVRO_CONFLUENT_HEADER 5

/* ---- object container files ----
 *
 * A reader of OCFs, one record at a time: the header's schema compiled
 * (the plan kept and reused while the next file's schema text is the same
 * bytes: thousands of ZTF files compile one schema), blocks checked against
 * the sync marker and inflated (codecs "null", "deflate" and "snappy"; another is
 * an error naming it) into a buffer bounded by the doc's max_bytes. The
 * file's bytes are the caller's (a Kafka message, an mmap'ed file); a null-
 * codec block is read in place. Reuse one reader for many files. */
typedef struct {
    /* public, read-only: for messages */
    uint64_t record;     /* 1-based number in the file of the record last read */
    size_t record_offset; /* offset in the file of that record (deflate: of its block) */
    const alert_avro_schema *schema; /* the current file's plan (owned by the reader) */
    /* private */
    const unsigned char *data;
    size_t len, pos;
    unsigned char sync[16];
    int codec;
    const unsigned char *block; /* the current block's records (in data, or inflated) */
    size_t block_len, block_pos, block_offset;
    int64_t block_left; /* records left in the current block */
    unsigned char *inflated;
    size_t inflated_cap;
    char *schema_text; /* the text the plan was compiled from */
    size_t schema_len;
    alert_avro_schema *plan;
} alert_avro_file;

void alert_avro_file_init(alert_avro_file *f);
void alert_avro_file_free(alert_avro_file *f);

/* Starts reading data[0..len): checks the magic, reads the header's metadata
 * map (avro.schema, avro.codec; others ignored) and sync marker, and
 * compiles the schema (or reuses the last one). name (a file name, or NULL)
 * only goes into messages. Returns 0, or -1 with err (offset in data). */
int alert_avro_file_open(alert_avro_file *f, const char *data, size_t len, const char *name, alert_error *err);

/* Reads the next record into d. Returns 1 (read; f->record and
 * f->record_offset say which), 0 (end of file: no more blocks), or -1 with
 * err: offset in the file, and for deflate blocks "block at offset B,
 * inflated offset N: reason" (a truncated block, a sync marker that does not
 * match, a block that does not inflate (deflate, snappy: its CRC too) or
 * inflates past d->max_bytes, a
 * count of records the block's bytes cannot hold, or any alert_avro_read
 * error). After -1 the file is abandoned: the next call returns -1 again. */
int alert_avro_file_next(alert_avro_file *f, alert_doc *d, alert_error *err);

/* ---- values of the binary tape ---- */

/* The 64 bits an ALERT_F_BINARY node holds: an int64_t (ALERT_INT) or the
 * bits of a double (ALERT_FLOAT; an Avro float widened exactly). */
static inline uint64_t alert_avro_node_bits(const alert_node *n) { return (uint64_t)n->len << 32 | n->start; }

#endif
