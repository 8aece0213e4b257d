/* processor/run_drain.c — a drain is done when the group's offsets say so:
 * the coordinator's consent before, the committed offsets after. */
#include "processor/run_drain.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "processor/log.h"

#define DRAIN_TIMEOUT_MS 10000 /* one commit or offset lookup */
#define SHOWN_PARTITIONS 8     /* partitions not committed, logged one by one */

/* Commits offsets, waiting DRAIN_TIMEOUT_MS at most (a plain synchronous commit has no deadline). */
static rd_kafka_resp_err_t commit_bounded(rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *offsets)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(consumer);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(consumer, offsets, q, NULL, NULL);
    if (!e) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, DRAIN_TIMEOUT_MS);
        e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        if (ev) {
            /* The request may succeed while a partition fails. */
            const rd_kafka_topic_partition_list_t *l = rd_kafka_event_topic_partition_list(ev);
            for (int i = 0; !e && l && i < l->cnt; i++)
                e = l->elems[i].err;
            rd_kafka_event_destroy(ev);
        }
    }
    rd_kafka_queue_destroy(q);
    return e;
}

static bool membership_error(rd_kafka_resp_err_t e)
{
    return e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
           e == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || e == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

/* session.timeout.ms of the consumer's configuration, in ms (Kafka's default if unreadable). */
static int session_timeout_ms(rd_kafka_t *consumer)
{
    char v[32];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(rd_kafka_conf(consumer), "session.timeout.ms", v, &n) != RD_KAFKA_CONF_OK)
        return 45000;
    return atoi(v);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int proc_drain_precheck(rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *start, const char *group,
                        volatile sig_atomic_t *stop)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(start->cnt ? start->cnt : 1);
    for (int i = 0; i < start->cnt; i++)
        if (start->elems[i].offset >= 0 && !start->elems[i].err)
            rd_kafka_topic_partition_list_add(l, start->elems[i].topic, start->elems[i].partition)->offset =
                start->elems[i].offset;
    /* Members that died leave when their session times out: that long is waited
     * for (plus a heartbeat's slack); members still there after it are alive. */
    int session_ms = session_timeout_ms(consumer);
    double deadline = now_s() + session_ms / 1000.0 + 3.0;
    rd_kafka_resp_err_t e;
    bool told = false;
    while ((e = l->cnt ? commit_bounded(consumer, l) : RD_KAFKA_RESP_ERR_NO_ERROR) && membership_error(e) &&
           now_s() < deadline && !*stop) {
        if (!told)
            proc_log(PROC_LOG_WARN, "the group has members: waiting for their session to time out",
                     "group=%s session_timeout_ms=%d", group, session_ms);
        told = true;
        struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (!e)
        return 0;
    char q[256];
    if (membership_error(e))
        proc_log(PROC_LOG_ERROR, "cannot drain: the group still has members after session.timeout.ms",
                 "group=%s error=%s session_timeout_ms=%d hint=\"a drain commits from outside the group, which its "
                 "coordinator refuses while the group has members; these outlived their session: stop them first\"",
                 group, proc_log_quote(rd_kafka_err2str(e), q, sizeof q), session_ms);
    else
        proc_log(PROC_LOG_ERROR, "cannot drain: the group's coordinator refuses its commits", "group=%s error=%s",
                 group, proc_log_quote(rd_kafka_err2str(e), q, sizeof q));
    return -1;
}

int proc_drain_verify(rd_kafka_t *consumer, const char *last_error)
{
    rd_kafka_topic_partition_list_t *read = NULL;
    if (rd_kafka_assignment(consumer, &read) || rd_kafka_position(consumer, read)) {
        if (read)
            rd_kafka_topic_partition_list_destroy(read);
        proc_log(PROC_LOG_ERROR, "drain not verified: cannot read the positions", NULL);
        return -1;
    }
    rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_copy(read);
    rd_kafka_resp_err_t e = rd_kafka_committed(consumer, committed, DRAIN_TIMEOUT_MS);
    int64_t done = 0, missing = 0;
    int behind = 0, partitions = 0;
    for (int i = 0; !e && i < read->cnt; i++) {
        int64_t to = read->elems[i].offset, at = committed->elems[i].offset;
        if (to < 0) /* nothing read there: nothing to commit */
            continue;
        partitions++;
        if (!committed->elems[i].err && at >= to) {
            done++;
            continue;
        }
        behind++;
        missing += to - (at > 0 ? at : 0);
        if (behind <= SHOWN_PARTITIONS)
            proc_log(PROC_LOG_ERROR, "partition not committed", "topic=%s partition=%" PRId32
                     " committed=%" PRId64 " read_to=%" PRId64, read->elems[i].topic, read->elems[i].partition, at, to);
    }
    char q[512];
    int status = 0;
    if (e) {
        proc_log(PROC_LOG_ERROR, "drain not verified: cannot read the committed offsets", "error=%s",
                 proc_log_quote(rd_kafka_err2str(e), q, sizeof q));
        status = -1;
    } else if (behind) {
        proc_log(PROC_LOG_ERROR, "drain not committed: its input is read again by the next run",
                 "partitions_committed=%" PRId64 " partitions_not_committed=%d messages_not_committed=%" PRId64
                 " last_commit_error=%s",
                 done, behind, missing, proc_log_quote(last_error ? last_error : "none", q, sizeof q));
        status = -1;
    } else {
        proc_log(PROC_LOG_INFO, "drain committed", "partitions=%d", partitions);
    }
    rd_kafka_topic_partition_list_destroy(committed);
    rd_kafka_topic_partition_list_destroy(read);
    return status;
}

void proc_drain_start_offsets(rd_kafka_t *consumer, rd_kafka_topic_partition_list_t *all, int64_t reset,
                              int timeout_ms)
{
    if (rd_kafka_committed(consumer, all, timeout_ms)) {
        for (int i = 0; i < all->cnt; i++)
            all->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        return;
    }
    for (int i = 0; i < all->cnt; i++) {
        rd_kafka_topic_partition_t *p = &all->elems[i];
        if (p->err)
            p->offset = RD_KAFKA_OFFSET_INVALID;
        else if (p->offset < 0)
            p->offset = reset;
    }
}
