/* processor/run_positions.h — the next offset expected from each input
 * partition, so that a record the client fetches a second time is dropped. */
#ifndef PROC_RUN_POSITIONS_H
#define PROC_RUN_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "processor/metrics.h"

/* Why: librdkafka before 2.4.0 can restart fetching a partition it is already
 * reading from an older offset when a partition that is not paused gets
 * resumed, as a cooperative rebalance does (confluentinc/librdkafka #4637);
 * before 2.1.1 a fetch answered during an offset validation (a partition
 * leader change) could deliver records twice (#4249). In a transactional loop
 * a record read twice is a committed duplicate. Offsets only grow within a
 * partition, so any record below the next expected offset is such a re-fetch. */
typedef struct {
    char *topic;
    int32_t partition;
    int64_t next; /* < 0: unknown, the next record sets it */
} proc_position;

typedef struct {
    proc_position *items;
    size_t n, cap, last;
} proc_positions;

/* Reading of topic/partition resumes at offset (a committed offset on
 * assignment, a batch's first offset on a rewind); a logical (negative)
 * offset makes the next record the reference. Returns 0, or -1 out of memory. */
int proc_positions_set(proc_positions *p, const char *topic, int32_t partition, int64_t offset);

/* Sets every partition of l to its offset. Returns 0, or -1 out of memory. */
int proc_positions_set_list(proc_positions *p, const rd_kafka_topic_partition_list_t *l);

/* Whether the record at offset is new (not below the next expected offset);
 * if so, the next expected offset moves past it. An unknown partition is
 * taken as new. */
bool proc_positions_take(proc_positions *p, const char *topic, int32_t partition, int64_t offset);

/* proc_positions_take for a consumed record; a dropped one is counted in
 * metrics and logged (debug). */
bool proc_positions_admit(proc_positions *p, const rd_kafka_message_t *m, proc_metrics *metrics);

/* Looks up the group's committed offsets of parts (waiting, as a
 * read_committed consumer does, for pending transactional ones) and sets them;
 * partitions without one, or all of them when the lookup fails within
 * timeout_ms, become unknown (a failed lookup is logged). Returns 0, 1 when
 * the lookup failed (the cluster did not answer it), or -1 out of memory. */
int proc_positions_assign(proc_positions *p, rd_kafka_t *consumer,
                                          const rd_kafka_topic_partition_list_t *parts, int timeout_ms);

void proc_positions_free(proc_positions *p);

#endif
