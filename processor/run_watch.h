/* processor/run_watch.h — whether the Kafka cluster answers (the time since it
 * last did, from the consumer's statistics and the answers run sees), and calls
 * into librdkafka run on a thread of their own so that a wait on them is bounded. */
#ifndef PROC_RUN_WATCH_H
#define PROC_RUN_WATCH_H

#include <stdbool.h>
#include <stddef.h>

/* The consumer's statistics.interval.ms: how often its brokers' silence is read. */
#define PROC_WATCH_STATS_MS 1000

typedef struct proc_watch proc_watch;

/* NULL when out of memory. */
proc_watch *proc_watch_new(void);
void proc_watch_free(proc_watch *w);

/* The cluster answered (a delivery, a commit). Safe from any thread. */
void proc_watch_contact(proc_watch *w);

/* Notes the freshest answer that a librdkafka statistics document (JSON, LEN
 * bytes, from the stats callback) shows: its brokers' "rxidle". */
void proc_watch_stats(proc_watch *w, const char *json, size_t len);

/* Seconds since the cluster last answered. */
double proc_watch_silent(proc_watch *w);

/* Runs call(arg) on a thread of its own (arg is copied: size bytes) and waits
 * for it, calling give_up(ctx) every 100 ms. Returns true with call's result
 * in *result; false when give_up said so first: the call then runs on, and
 * the thread ends alone. librdkafka calls whose timeout is not kept
 * (send_offsets_to_transaction, librdkafka #5456) cannot hold us longer. */
bool proc_watch_call(void *(*call)(void *), const void *arg, size_t size, void **result, bool (*give_up)(void *),
                     void *ctx);

#endif
