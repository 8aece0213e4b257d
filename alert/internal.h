/* alert/internal.h — what the files of alert/ share and nobody else needs: the
 * decoding of string content (escapes, UTF-8) that reader, lookup and writer agree on. */
#ifndef ALERT_INTERNAL_H
#define ALERT_INTERNAL_H

#include "alert/alert.h"

/* How the escapes of a string's raw span are read. */
/* RAW (Avro): the span is the content itself, a backslash a backslash. */
typedef enum { ALERT_ESC_JSON, ALERT_ESC_PY_STR, ALERT_ESC_PY_BYTES, ALERT_ESC_RAW } alert_escape_mode;

#define ALERT_CP_NONE UINT32_MAX /* a Python line continuation: an escape that yields nothing */

/* Reads the escape at p (p[0] is the backslash). Returns the bytes it spans and
 * its code point (a byte value for bytes), or 0 with *why set when invalid. */
size_t alert_escape_decode(const unsigned char *p, const unsigned char *end, alert_escape_mode mode,
                           uint32_t *cp, const char **why);

/* The length of the valid UTF-8 sequence at p (p[0] >= 0x80), or 0 if invalid. */
size_t alert_utf8_check(const unsigned char *p, const unsigned char *end);

/* Writes cp as UTF-8 (surrogates as their 3-byte form) and returns the byte count. */
size_t alert_utf8_put(char *out, uint32_t cp);

/* The escape mode of a str or bytes node of d. */
alert_escape_mode alert_node_escape_mode(const alert_doc *d, const alert_node *n);

/* Decodes the next piece of raw content at *p (one byte, or one escape) into
 * out, advances *p and returns the bytes written (at most 4). */
size_t alert_decode_piece(const unsigned char **p, const unsigned char *end, alert_escape_mode mode, char *out);

/* An ALERT_F_BINARY number as JSON at out (at most 24 bytes; NaN and
 * infinities, which JSON cannot hold, as null): a double or float as the
 * shortest decimal that reads back to it, as Python's repr() writes it. */
size_t alert_put_shortest(char *out, double v, bool float32);
size_t alert_put_int64(char *out, int64_t v);

#endif
