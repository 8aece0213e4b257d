/* processor/run_output.h — what one input message becomes: a JSON record on
 * the topic of each rule it matches, or, unparsable, a dead letter. */
#ifndef PROC_RUN_OUTPUT_H
#define PROC_RUN_OUTPUT_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "alert/alert.h"
#include "processor/config.h"
#include "processor/run_rules.h"

/* Header names written on every output record. */
#define PROC_HDR_RULE "alertfilter-rule"
#define PROC_HDR_SOURCE "alertfilter-source" /* "topic/partition/offset" of the input */
#define PROC_HDR_ERROR "alertfilter-error"   /* dead letters: why the input was rejected */

typedef struct {
    rd_kafka_t *producer;
    alert_format format;
    rd_kafka_topic_t *dlq; /* NULL: rejected input is logged and counted only */
    alert_path key;        /* key.n == 0: keep the input key */
    alert_doc doc;         /* reused from message to message */
    alert_buf json;
    uint64_t rejected; /* unparsable inputs in the open batch */
    /* Asked while a full produce queue is waited out: true ends the wait (the
     * produce then fails with __QUEUE_FULL). NULL: wait as long as it takes. */
    bool (*give_up)(void *ctx);
    void *give_up_ctx;
} proc_output;

/* Returns 0, or -1 with err (bad output.key path, cannot open the dead-letter topic). */
int proc_output_init(proc_output *o, const proc_config *cfg, rd_kafka_t *producer, char *err, size_t errcap);
void proc_output_free(proc_output *o);

/* Evaluates rules on m and produces its matches (or its dead letter).
 * Returns RD_KAFKA_RESP_ERR_NO_ERROR, or the error of a produce call that
 * failed for a reason other than a full queue (which it waits out, unless
 * give_up says otherwise). */
rd_kafka_resp_err_t proc_output_message(proc_output *o, proc_rules *rules, const rd_kafka_message_t *m);

#endif
