/* processor/run_drain.h — what makes `run --until-eof` a success: the group's
 * coordinator takes its commits (checked before reading), and the group's
 * offsets reach what was read (checked at the end). */
#ifndef PROC_RUN_DRAIN_H
#define PROC_RUN_DRAIN_H

#include <signal.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* Sets each partition of all to the group's committed offset or, with none,
 * to where auto.offset.reset (reset) says. Left at INVALID, librdkafka would
 * look the committed offsets up itself but then wait 100 ms (a fixed backoff)
 * before asking for the earliest offset of each partition that has none: a
 * tenth of a 20,000-alert drain. On any error the partition is left to it. */
void proc_drain_start_offsets(rd_kafka_t *consumer, rd_kafka_topic_partition_list_t *all, int64_t reset,
                              int timeout_ms);

/* A drain commits from outside the group, which a coordinator refuses while
 * the group has members, live or dead less than session.timeout.ms ago.
 * Commits the group's own committed offsets of start (those >= 0) back, as the
 * drain will commit, until the coordinator takes them: dead members time out
 * within session.timeout.ms, which is waited for. Members still there then
 * are alive: logs why and returns -1 (also when stop is set meanwhile). With
 * no offset to commit (a new group), returns 0: proc_drain_verify will tell. */
int proc_drain_precheck(rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *start, const char *group,
                        volatile sig_atomic_t *stop);

/* Compares the group's committed offsets of the assigned partitions with the
 * positions read to and logs the outcome: what was committed and, if not all,
 * what was not and last_error (the last commit error seen, or NULL). Returns
 * 0 when every partition is committed to where it was read, else -1. */
int proc_drain_verify(rd_kafka_t *consumer, const char *last_error);

#endif
