/* processor/run_positions.c — the next offset expected from each input
 * partition; records below it were fetched twice by the client and are dropped. */
#include "processor/run_positions.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "processor/log.h"

static proc_position *find(proc_positions *p, const char *topic, int32_t partition)
{
    if (p->last < p->n && p->items[p->last].partition == partition && !strcmp(p->items[p->last].topic, topic))
        return &p->items[p->last];
    for (size_t i = 0; i < p->n; i++)
        if (p->items[i].partition == partition && !strcmp(p->items[i].topic, topic))
            return &p->items[p->last = i];
    return NULL;
}

int proc_positions_set(proc_positions *p, const char *topic, int32_t partition, int64_t offset)
{
    proc_position *e = find(p, topic, partition);
    if (!e) {
        if (p->n == p->cap) {
            size_t cap = p->cap ? 2 * p->cap : 16;
            proc_position *items = realloc(p->items, cap * sizeof *items);
            if (!items)
                return -1;
            p->items = items;
            p->cap = cap;
        }
        char *name = strdup(topic);
        if (!name)
            return -1;
        e = &p->items[p->last = p->n++];
        *e = (proc_position){name, partition, -1};
    }
    e->next = offset < 0 ? -1 : offset;
    return 0;
}

int proc_positions_set_list(proc_positions *p, const rd_kafka_topic_partition_list_t *l)
{
    for (int i = 0; i < l->cnt; i++)
        if (proc_positions_set(p, l->elems[i].topic, l->elems[i].partition, l->elems[i].offset))
            return -1;
    return 0;
}

bool proc_positions_take(proc_positions *p, const char *topic, int32_t partition, int64_t offset)
{
    proc_position *e = find(p, topic, partition);
    if (e && e->next >= 0 && offset < e->next)
        return false;
    if (e)
        e->next = offset + 1;
    return true;
}

bool proc_positions_admit(proc_positions *p, const rd_kafka_message_t *m, proc_metrics *metrics)
{
    if (proc_positions_take(p, rd_kafka_topic_name(m->rkt), m->partition, m->offset))
        return true;
    proc_metrics_refetched(metrics, 1);
    proc_log(PROC_LOG_DEBUG, "record fetched again, dropped", "topic=%s partition=%" PRId32 " offset=%" PRId64 " expected=%" PRId64,
             rd_kafka_topic_name(m->rkt), m->partition, m->offset, find(p, rd_kafka_topic_name(m->rkt), m->partition)->next);
    return false;
}

int proc_positions_assign(proc_positions *p, rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *parts,
                          int timeout_ms)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_resp_err_t e = rd_kafka_committed(consumer, l, timeout_ms);
    if (e)
        proc_log(PROC_LOG_WARN, "committed offsets not read: a re-fetched record cannot be told apart", "count=%d error=\"%s\"",
                 l->cnt, rd_kafka_err2str(e));
    for (int i = 0; i < l->cnt; i++)
        if (e || l->elems[i].err)
            l->elems[i].offset = -1;
    int failed = proc_positions_set_list(p, l);
    rd_kafka_topic_partition_list_destroy(l);
    return failed ? -1 : e ? 1 : 0;
}

void proc_positions_free(proc_positions *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].topic);
    free(p->items);
    memset(p, 0, sizeof *p);
}
