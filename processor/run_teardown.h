/* processor/run_teardown.h — closing and destroying `run`'s two clients in
 * bounded time. */
#ifndef PROC_RUN_TEARDOWN_H
#define PROC_RUN_TEARDOWN_H

#include <stdbool.h>

#include <librdkafka/rdkafka.h>

/* Closes consumer and destroys both clients (either may be NULL) on a thread
 * of its own, waiting timeout_ms at most: a consumer destroyed right after a
 * transaction has been seen to hang, and a supervisor waiting on us must not.
 * A kept client is closed (the consumer) but not destroyed. Returns false when
 * it gave up waiting: the clients are then left to the process's exit. */
bool proc_teardown(rd_kafka_t *consumer, rd_kafka_t *producer, bool keep_consumer, bool keep_producer,
                   int timeout_ms);

#endif
