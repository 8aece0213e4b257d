/* processor/run_watch.h — whether the Kafka cluster answers (the time since it
 * last did, kept fresh by a probe when nothing else shows it), and calls into
 * librdkafka run on a thread of their own so that a wait on them is bounded. */
#ifndef PROC_RUN_WATCH_H
#define PROC_RUN_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define PROC_WATCH_PROBE_MS 2000 /* silence after which a probe asks the cluster */

typedef struct proc_watch proc_watch;

/* Watches the cluster of rk; the probe describes topic's configuration (a
 * DescribeConfigs that any broker answers). NULL when out of memory. */
proc_watch *proc_watch_new(rd_kafka_t *rk, const char *topic);
void proc_watch_free(proc_watch *w);

/* The cluster answered (a delivery, a commit). Safe from any thread. */
void proc_watch_contact(proc_watch *w);

/* Seconds since the cluster last answered. Main thread only: it also reads
 * the probe's answer and sends the next probe when one is due. */
double proc_watch_silent(proc_watch *w);

/* Runs call(arg) on a thread of its own (arg is copied: size bytes) and waits
 * for it, calling give_up(ctx) every 100 ms. Returns true with call's result
 * in *result; false when give_up said so first: the call then runs on, and
 * the thread ends alone. librdkafka calls whose timeout is not kept
 * (send_offsets_to_transaction, librdkafka #5456) cannot hold us longer. */
bool proc_watch_call(void *(*call)(void *), const void *arg, size_t size, void **result, bool (*give_up)(void *),
                     void *ctx);

#endif
