/* tests/processor/test_positions.c — the guard against records fetched twice
 * (processor/run_positions.c): exact take/drop decisions, and librdkafka's own
 * re-fetch (confluentinc/librdkafka #4637) reproduced on its mock cluster,
 * with the guard letting each offset through exactly once. */
#include "tests/processor/kafka_harness.h"

#include "processor/metrics.h"
#include "processor/run_positions.h"

Test(positions, drops_records_below_the_next_offset)
{
    proc_positions p = {0};
    cr_assert_eq(proc_positions_set(&p, "in", 0, 100), 0);
    cr_assert(proc_positions_take(&p, "in", 0, 100));
    cr_assert(proc_positions_take(&p, "in", 0, 101));
    cr_assert_not(proc_positions_take(&p, "in", 0, 100));
    cr_assert_not(proc_positions_take(&p, "in", 0, 50));
    cr_assert(proc_positions_take(&p, "in", 0, 102));
    /* Offsets skip (transaction markers, aborted records): a gap is no re-fetch. */
    cr_assert(proc_positions_take(&p, "in", 0, 105));
    cr_assert_not(proc_positions_take(&p, "in", 0, 104));
    cr_assert(proc_positions_take(&p, "in", 0, 106));
    proc_positions_free(&p);
}

Test(positions, committed_offset_is_the_floor_before_any_record)
{
    proc_positions p = {0};
    cr_assert_eq(proc_positions_set(&p, "in", 3, 40), 0);
    cr_assert_not(proc_positions_take(&p, "in", 3, 39));
    cr_assert(proc_positions_take(&p, "in", 3, 40));
    proc_positions_free(&p);
}

Test(positions, partitions_and_topics_are_apart)
{
    proc_positions p = {0};
    for (int32_t part = 0; part < 40; part++) /* more than the first allocation */
        cr_assert_eq(proc_positions_set(&p, "a", part, 10 * part), 0);
    cr_assert_eq(proc_positions_set(&p, "b", 0, 7), 0);
    cr_assert(proc_positions_take(&p, "a", 0, 0));
    cr_assert(proc_positions_take(&p, "b", 0, 7));
    cr_assert_not(proc_positions_take(&p, "b", 0, 0));
    cr_assert_not(proc_positions_take(&p, "a", 39, 389));
    cr_assert(proc_positions_take(&p, "a", 39, 390));
    cr_assert(proc_positions_take(&p, "a", 0, 1));
    cr_assert_eq(p.n, 41);
    proc_positions_free(&p);
}

Test(positions, unknown_until_the_first_record)
{
    proc_positions p = {0};
    /* No committed offset (or the lookup failed): the first record is the reference. */
    cr_assert_eq(proc_positions_set(&p, "in", 1, RD_KAFKA_OFFSET_INVALID), 0);
    cr_assert(proc_positions_take(&p, "in", 1, 7));
    cr_assert_not(proc_positions_take(&p, "in", 1, 7));
    cr_assert_not(proc_positions_take(&p, "in", 1, 0));
    /* A partition never set is never tracked. */
    cr_assert(proc_positions_take(&p, "in", 2, 5));
    cr_assert(proc_positions_take(&p, "in", 2, 5));
    proc_positions_free(&p);
}

Test(positions, rewind_takes_the_batch_again)
{
    proc_positions p = {0};
    cr_assert_eq(proc_positions_set(&p, "in", 0, 100), 0);
    for (int64_t o = 100; o < 110; o++)
        cr_assert(proc_positions_take(&p, "in", 0, o));
    /* An aborted batch is rewound to its first offset: read again, and taken. */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "in", 0)->offset = 100;
    cr_assert_eq(proc_positions_set_list(&p, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    for (int64_t o = 100; o < 110; o++)
        cr_assert(proc_positions_take(&p, "in", 0, o));
    cr_assert_not(proc_positions_take(&p, "in", 0, 100));
    proc_positions_free(&p);
}

/* librdkafka #4637: resuming a partition that is not paused (what a
 * cooperative rebalance does to the whole assignment) bumps its fetch version
 * and restarts the fetch at an older offset, so records already consumed are
 * delivered again. Fixed in librdkafka 2.4.0; Debian's 2.0.2 has it. Here on
 * the mock cluster, as librdkafka's own test 0145 does it: every offset must
 * pass the guard exactly once, and whatever the client delivered twice is
 * counted as re-fetched. */
#define REFETCH_MSGS 100

Test(positions, guard_drops_what_librdkafka_fetches_again, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 1);
    kh_msg msgs[REFETCH_MSGS];
    char vals[REFETCH_MSGS][16];
    for (int i = 0; i < REFETCH_MSGS; i++) {
        snprintf(vals[i], sizeof vals[i], "m%d", i);
        msgs[i] = (kh_msg){vals[i], NULL};
    }
    kh_produce(&c, "in", msgs, REFETCH_MSGS);

    rd_kafka_conf_t *conf = kh_conf(&c);
    kh_set(conf, "group.id", "refetch");
    kh_set(conf, "auto.offset.reset", "earliest");
    kh_set(conf, "enable.auto.commit", "false");
    kh_set(conf, "partition.assignment.strategy", "cooperative-sticky");
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    cr_assert(rk, "%s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, "in", RD_KAFKA_PARTITION_UA);
    cr_assert_eq(rd_kafka_subscribe(rk, sub), RD_KAFKA_RESP_ERR_NO_ERROR);

    proc_positions p = {0};
    proc_metrics *metrics = proc_metrics_new();
    int delivered[REFETCH_MSGS] = {0}, admitted[REFETCH_MSGS] = {0};
    int n_delivered = 0;
    bool resumed = false, assigned = false;
    double quiet_until = 0, deadline = kh_now() + 30;
    while (kh_now() < deadline && (!resumed || kh_now() < quiet_until)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (m && !m->err) {
            if (!assigned) { /* what run.c does on assignment: the committed offsets (none here) */
                rd_kafka_topic_partition_list_t *a = NULL;
                cr_assert_eq(rd_kafka_assignment(rk, &a), RD_KAFKA_RESP_ERR_NO_ERROR);
                cr_assert_eq(proc_positions_assign(&p, rk, a, KH_TIMEOUT_MS), 0);
                rd_kafka_topic_partition_list_destroy(a);
                assigned = true;
            }
            cr_assert(m->offset >= 0 && m->offset < REFETCH_MSGS);
            delivered[m->offset]++;
            n_delivered++;
            if (proc_positions_admit(&p, m, metrics))
                admitted[m->offset]++;
        }
        if (m)
            rd_kafka_message_destroy(m);
        if (!resumed && n_delivered == REFETCH_MSGS) {
            sub->elems[0].partition = 0;
            cr_assert_eq(rd_kafka_resume_partitions(rk, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
            resumed = true;
            quiet_until = kh_now() + 3;
        }
    }
    cr_assert(resumed, "only %d of %d messages consumed", n_delivered, REFETCH_MSGS);
    int twice = 0;
    for (int i = 0; i < REFETCH_MSGS; i++) {
        cr_assert_eq(admitted[i], 1, "offset %d admitted %d times", i, admitted[i]);
        twice += delivered[i] - 1;
    }
    cr_assert_eq(n_delivered - REFETCH_MSGS, twice);
    cr_log_info("librdkafka %s delivered %d of %d records twice", rd_kafka_version_str(), twice, REFETCH_MSGS);
    if (rd_kafka_version() < 0x020400ff)
        cr_assert_gt(twice, 0, "librdkafka %s did not fetch again: #4637 not reproduced", rd_kafka_version_str());
    else
        cr_assert_eq(twice, 0, "librdkafka %s fetched %d records again", rd_kafka_version_str(), twice);
    char *text = proc_metrics_render(metrics), want[64];
    snprintf(want, sizeof want, "\nalertfilter_messages_refetched_total %d\n", twice);
    cr_assert(strstr(text, want), "no '%s' in the metrics", want + 1);
    free(text);

    proc_metrics_free(metrics);
    proc_positions_free(&p);
    rd_kafka_topic_partition_list_destroy(sub);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    kh_cluster_free(&c);
}
