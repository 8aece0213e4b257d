/* processor/cmd_send_sample.h — the sample alert stream of `send`: deterministic
 * alerts shaped like alert_stream's sample alert, written as Python str(dict)
 * text or compact JSON. */
#ifndef PROC_SAMPLE_H
#define PROC_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { PROC_SAMPLE_PYTHON, PROC_SAMPLE_JSON } proc_sample_format;

/* Alert i depends only on (seed, i), so the Python and the JSON text of an
 * alert hold the same values, and --stamps leaves every other value unchanged. */
typedef struct {
    uint64_t seed;
    uint64_t index;    /* index of the next alert */
    uint64_t alert_id; /* alertId of the alert written last */
} proc_sample;

/* A buffer of this size always holds one alert, stamps included. */
#define PROC_SAMPLE_MAX_BYTES 32768

void proc_sample_init(proc_sample *g, uint64_t seed);

/* Writes the next alert (no newline) into buf and moves on. Returns its
 * length, or 0 when it does not fit in cap (then g is left unchanged). */
size_t proc_sample_alert(proc_sample *g, proc_sample_format fmt, bool stamps, char *buf, size_t cap);

/* Writes mant × 10^-scale as Python's repr() writes the double nearest to it
 * (1e-05, 0.0001, 1241.0, 1.5e+16). |mant| < 10^15 makes that text exactly
 * the repr, as every decimal of at most 15 digits survives a round trip
 * through a double. out needs 32 bytes. Returns the length. */
size_t proc_sample_decimal(int64_t mant, int scale, char *out);

/* "python" or "json". Returns 0, or -1 for another name. */
int proc_sample_format_parse(const char *name, proc_sample_format *out);

#endif
