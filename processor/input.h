/* processor/input.h — what an input message holds, by input.format: Python or
 * JSON text, an Avro object container file (ZTF: one per message), a
 * Confluent-framed Avro record (Rubin) whose schema comes from the config or
 * a schema registry, or bare Avro binary of input.avro.schema; read record by
 * record into an alert_doc. */
#ifndef PROC_INPUT_H
#define PROC_INPUT_H

#include <signal.h>
#include <stddef.h>

#include "alert/alert.h"
#include "alert/avro.h"
#include "processor/config.h"
#include "processor/registry.h"

typedef struct proc_input proc_input;

/* Compiles every schema file of cfg (input.avro.schemas, input.avro.schema)
 * and sets up the registry client (which is only asked on the first message
 * that needs it). Named types a schema file uses but does not define are read
 * from NAME.avsc beside it, as fastavro's load_schema does: Rubin's schema
 * directories (lsst.vX_Y.alert.avsc beside lsst.vX_Y.diaSource.avsc...) work
 * as they are. stop (may be NULL) ends a registry retry early. Returns NULL
 * with every error in diags, each as
 *   CFG:LINE: input.avro.schemas[I].file "FILE": PATH: offset N: reason */
proc_input *proc_input_new(const proc_config *cfg, volatile sig_atomic_t *stop, proc_diags *diags);
void proc_input_free(proc_input *in);

typedef enum {
    PROC_INPUT_RECORD = 1,      /* one alert read into the doc */
    PROC_INPUT_END = 0,         /* the message holds no more alerts */
    PROC_INPUT_MALFORMED = -1,  /* the message cannot be read: err says where and why */
    PROC_INPUT_UNAVAILABLE = -2 /* its schema cannot be had now (the registry is down, or stop
                                 * was set while waiting for it): not the message's fault */
} proc_input_status;

/* Starts reading msg[0..len) (which must outlive the reading). */
void proc_input_open(proc_input *in, const char *msg, size_t len);

/* Reads the message's next alert into d. A text message, a Confluent-framed
 * or bare record holds one alert, an object container file one per record.
 * Errors: err->msg is "offset N: reason" (N a byte offset in the message), an
 * OCF's record errors "record K: offset N: reason"; PROC_INPUT_UNAVAILABLE
 * says what failed and for how long it was tried. */
proc_input_status proc_input_next(proc_input *in, alert_doc *d, alert_error *err);

#endif
