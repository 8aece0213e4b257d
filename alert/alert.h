/* alert/alert.h — the alert document: Python-literal and JSON text read into a
 * flat, reusable tape; path lookup and value access for the rule engine; JSON out. */
#ifndef ALERT_H
#define ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of value. ALERT_TUPLE only comes from Python input; it is written as a JSON array. */
typedef enum {
    ALERT_NULL,
    ALERT_BOOL,
    ALERT_INT,
    ALERT_FLOAT,
    ALERT_STR,
    ALERT_BYTES,
    ALERT_LIST,
    ALERT_TUPLE,
    ALERT_DICT
} alert_type;

/* Input format. AUTO decides per message (see alert_parse). */
/* AVRO is read with a schema, by alert/avro.h: alert_parse refuses it. */
typedef enum { ALERT_FORMAT_AUTO, ALERT_FORMAT_PYTHON, ALERT_FORMAT_JSON, ALERT_FORMAT_AVRO } alert_format;

/* Node flags. */
enum {
    ALERT_F_ESCAPED = 1, /* str/bytes: the raw span holds backslash escapes */
    ALERT_F_VERBATIM = 2, /* str: the raw span can be copied into a JSON string as it is */
    ALERT_F_BIGINT = 4, /* int: does not fit in int64_t */
    ALERT_F_BINARY = 8, /* int/float (Avro): start/len hold the value's 64 bits, not a span (alert/avro.h) */
    ALERT_F_FLOAT32 = 16, /* float (Avro float): written as the shortest decimal of its 32-bit value */
};

/* An error: where in the message (byte offset) and why. */
typedef struct {
    size_t offset;
    char msg[160];
} alert_error;

/* One node of the tape. Node 0 is the root. A container's elements follow it
 * directly: the first at index+1, each next one at the previous one's `next`.
 * A dict's elements alternate key, value (count = number of pairs); a key is
 * always a scalar (str, int, float, bool, None), so its value is the node after it.
 * For str and bytes, [start, start+len) is the raw content between the quotes;
 * for other scalars it is the token itself (e.g. the digits of a number). */
typedef struct {
    uint32_t start;
    uint32_t len;
    uint32_t next;  /* index of the node after this whole subtree */
    uint32_t count; /* containers: elements (dict: pairs); bool: 0 or 1 */
    uint8_t type;   /* alert_type */
    uint8_t flags;  /* ALERT_F_* */
} alert_node;

#define ALERT_ABSENT UINT32_MAX            /* lookup result: no such node */
#define ALERT_DEFAULT_MAX_DEPTH 512
#define ALERT_DEFAULT_MAX_BYTES (16u << 20) /* 16 MiB */

/* A parsed message. Reused from message to message: buffers only grow.
 * The message bytes are not copied: they must outlive every use of the doc. */
typedef struct {
    const char *src;
    size_t len;
    alert_format format; /* the format the message was read as (never AUTO) */
    bool compact;        /* read as JSON with no space between the tokens of its root value:
                          * any container's JSON is then its source span as it is */
    bool canonical;      /* read as Python in the shape repr() writes: every str single-quoted
                          * and ALERT_F_VERBATIM; no bytes, tuples, True/False/None, keys other
                          * than str, or trailing commas; inside the root value no whitespace but
                          * one space after ',' and ':'. Any container's JSON is then its source
                          * span with the spaces outside strings dropped and each ' made " */
    alert_node *nodes;
    uint32_t n_nodes, cap_nodes;
    char *scratch; /* decoded strings of the current message (alert_string) */
    size_t scratch_len, scratch_cap;
    uint32_t max_depth;
    size_t max_bytes;
} alert_doc;

void alert_doc_init(alert_doc *d);
void alert_doc_free(alert_doc *d);

/* Reads one message into d (replacing what it held). AUTO: JSON unless the
 * text only parses as Python (single quotes, True/False/None, tuples, bytes...).
 * Returns 0, or -1 with err filled (byte offset + reason). */
int alert_parse(alert_doc *d, const char *msg, size_t len, alert_format fmt, alert_error *err);

/* Parses a format name ("auto", "python", "json"). Returns 0 or -1. */
int alert_format_parse(const char *name, alert_format *out);
const char *alert_format_name(alert_format f);
const char *alert_type_name(alert_type t);

/* ---- paths ---- */

/* One step of a path: a dict key (index < 0) or a list/tuple index. */
typedef struct {
    const char *key;
    uint32_t key_len;
    int32_t index;
} alert_step;

typedef struct {
    alert_step *steps;
    size_t n;
} alert_path;

/* Parses "a.b[2].c" into path (keys point into a copy owned by path).
 * Returns 0 or -1 with err (offset into text). */
int alert_path_parse(const char *text, size_t len, alert_path *path, alert_error *err);
void alert_path_free(alert_path *path);

/* Follows steps from node. A dict key matches a key whose JSON spelling (what
 * alert_write_json writes for it, unquoted) equals the step's key. Missing key,
 * index out of range or a type mismatch give ALERT_ABSENT, never an error. */
uint32_t alert_lookup(const alert_doc *d, uint32_t node, const alert_step *steps, size_t n);

/* ---- values ---- */

static inline const alert_node *alert_at(const alert_doc *d, uint32_t node) { return &d->nodes[node]; }

/* For ALERT_INT: 0 and *out when it fits in int64_t, -1 for big ints. */
int alert_int(const alert_doc *d, uint32_t node, int64_t *out);
/* For ALERT_INT or ALERT_FLOAT: the value as a double (big ints rounded). */
double alert_double(const alert_doc *d, uint32_t node);
/* For ALERT_STR or ALERT_BYTES: the decoded content (escapes resolved; a lone
 * surrogate is encoded as its 3-byte UTF-8 form). Points into the message or into
 * d->scratch; valid until the next alert_parse. Returns 0, -1 for other types. */
int alert_string(alert_doc *d, uint32_t node, const char **s, size_t *n);

/* ---- JSON out ---- */

typedef struct {
    char *data;
    size_t len, cap;
} alert_buf;

void alert_buf_free(alert_buf *b);
/* Appends node's value as compact JSON (valid UTF-8) to out. Returns 0 or -1 (out of memory). */
int alert_write_json(const alert_doc *d, uint32_t node, alert_buf *out);
/* alert_write_json leaving out each dict entry whose value is one of the
 * nodes drop[0..n_drop) (ALERT_ABSENT ones are ignored): what a rule's `drop`
 * publishes. Returns 0 or -1 (out of memory). */
int alert_write_json_dropping(const alert_doc *d, uint32_t node, const uint32_t *drop, size_t n_drop, alert_buf *out);

#endif
