/* processor/run_output.h — what one input message becomes: a record on the
 * topic of each rule one of its alerts matches (the alert as JSON, or the
 * message's bytes unchanged: the rule's encoding), or, unreadable, a dead letter. */
#ifndef PROC_RUN_OUTPUT_H
#define PROC_RUN_OUTPUT_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "alert/alert.h"
#include "processor/config.h"
#include "processor/input.h"
#include "processor/run_rules.h"

/* Header names written on every output record. */
#define PROC_HDR_RULE "alertfilter-rule"
#define PROC_HDR_SOURCE "alertfilter-source" /* "topic/partition/offset" of the input */
#define PROC_HDR_ERROR "alertfilter-error"   /* dead letters: why the input was rejected */
#define PROC_HDR_WATCHLIST "alertfilter-watchlist" /* the nearest entry of the watchlist() that was true */

typedef struct {
    rd_kafka_t *producer;
    proc_input *input;     /* owned */
    rd_kafka_topic_t *dlq; /* NULL: rejected input is logged and counted only */
    alert_path key;        /* key.n == 0: keep the input key */
    alert_doc doc;         /* reused from message to message */
    alert_buf json;
    uint64_t rejected; /* unparsable inputs in the open batch */
    bool unavailable;  /* the last message's schema could not be had (proc_input_next): it was not processed */
    unsigned char *sent; /* per rule: the message's bytes already written (encoding original, an OCF of many records) */
    size_t n_sent;
    char src[300]; /* the alertfilter-source value of the message being read */
    size_t src_len;
    /* Asked while a full produce queue is waited out: true ends the wait (the
     * produce then fails with __QUEUE_FULL). NULL: wait as long as it takes. */
    bool (*give_up)(void *ctx);
    void *give_up_ctx;
} proc_output;

/* Takes input (freed with o, or at once on failure). Returns 0, or -1 with
 * err (bad output.key path, cannot open the dead-letter topic). */
int proc_output_init(proc_output *o, const proc_config *cfg, rd_kafka_t *producer, proc_input *input, char *err,
                     size_t errcap);
void proc_output_free(proc_output *o);

/* Evaluates rules on each alert of m and produces its matches (or m's dead
 * letter). Returns RD_KAFKA_RESP_ERR_NO_ERROR, or the error of a produce call
 * that failed for a reason other than a full queue (which it waits out, unless
 * give_up says otherwise). When m's schema cannot be had (the registry is
 * unavailable) it sets o->unavailable and returns RD_KAFKA_RESP_ERR__TRANSPORT:
 * m must be read again, not committed. */
rd_kafka_resp_err_t proc_output_message(proc_output *o, proc_rules *rules, const rd_kafka_message_t *m);

#endif
