/* alert/avro_internal.h — the compiled schema (the reading plan) that
 * avro_schema.c builds and avro_read.c follows; not for use outside alert/. */
#ifndef ALERT_AVRO_INTERNAL_H
#define ALERT_AVRO_INTERNAL_H

#include "alert/avro.h"

typedef enum {
    AVRO_NULL,
    AVRO_BOOLEAN,
    AVRO_INT,
    AVRO_LONG,
    AVRO_FLOAT,
    AVRO_DOUBLE,
    AVRO_BYTES,
    AVRO_STRING,
    AVRO_RECORD,
    AVRO_ENUM,
    AVRO_ARRAY,
    AVRO_MAP,
    AVRO_UNION,
    AVRO_FIXED,
    AVRO_REF, /* while compiling only: a name not yet resolved */
} avro_kind;

#define AVRO_N_PRIMITIVES 8 /* types[0..8) are the primitives, in avro_kind order */

typedef struct {
    uint8_t kind;     /* avro_kind */
    uint32_t n;       /* record: fields; enum: symbols; union: branches; fixed: size */
    uint32_t first;   /* record, enum, union: index of the first of its n members */
    uint32_t item;    /* array: items' type; map: values' type; REF: resolved type */
    uint32_t min_size; /* the fewest bytes a value takes (a bound for block counts) */
    uint32_t name;    /* named types and REF: offset of the full name in full_names */
    uint32_t alt;     /* REF: offset of the name in the null namespace, or UINT32_MAX */
} avro_type;

/* A record's field, an enum's symbol, or a union's branch (type only). */
typedef struct {
    uint32_t type;
    uint32_t name, name_len; /* offset and length in names (fields and symbols) */
} avro_member;

struct alert_avro_schema {
    avro_type *types;
    uint32_t n_types, cap_types;
    avro_member *members;
    uint32_t n_members, cap_members;
    uint32_t root;
    char *names; /* field names and enum symbols, each span a key or str of the tape */
    size_t names_len, names_cap;
    char *full_names; /* NUL-terminated full names of named types and references */
    size_t full_len, full_cap;
};

/* Reads one value of s's root type at msg[pos..len) into d (d->src and the
 * text it points into set up here), leaving *end after it. Offsets in err
 * are base + the offset in msg. */
int avro_read_value(alert_doc *d, const alert_avro_schema *s, const unsigned char *msg, size_t len, size_t pos,
                    size_t *end, size_t base, alert_error *err);

#endif
