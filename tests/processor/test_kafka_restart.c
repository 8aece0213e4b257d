/* tests/processor/test_kafka_restart.c — `alertfilter run` killed with SIGKILL
 * and restarted (at_least_once: nothing lost, duplicates bounded by one batch
 * per partition), and two processors in one group, one of them killed: the
 * other takes its partitions over and nothing is lost. */
#include "tests/processor/kafka_harness.h"

#define N_ALERTS 3000
#define PARTITIONS 4
#define BATCH 100
#define RULE_ALL "{ name = \"all\"; topic = \"out\"; where = \"true\"; }"

static kh_cluster setup(void)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", PARTITIONS);
    kh_topic(&c, "out", PARTITIONS);
    return c;
}

Test(kafka_restart, sigkill_then_restart_at_least_once, .timeout = 90)
{
    kh_cluster c = setup();
    char *cfg = kh_run_config(&c, "session_timeout_ms = \"6000\";", "in", "restart", "python",
                              "guarantee = \"at_least_once\"; transaction_max_messages = 100;", RULE_ALL);
    pid_t pid = kh_spawn(NULL, "run", "-c", cfg, NULL);
    kh_produce_alerts(&c, "in", 0, N_ALERTS / 2);
    cr_assert_geq(kh_wait_topic_size(&c, "out", 1, 30000), 1);
    kill(pid, SIGKILL);
    cr_assert_eq(kh_wait(pid, 10000), 128 + SIGKILL);
    kh_produce_alerts(&c, "in", N_ALERTS / 2, N_ALERTS);
    /* Restarted in the group, as a supervisor does: a drain (--until-eof)
     * would be refused while the dead member is in the group, and the mock
     * never lets it go. */
    char *errp;
    pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    int64_t size = kh_wait_topic_settled(&c, "out", N_ALERTS, 40000, 2000);
    kill(pid, SIGTERM);
    int st = kh_wait(pid, 20000);
    char *log = kh_slurp(errp);
    cr_assert_geq(size, N_ALERTS, "out holds %" PRId64 "; log:\n%s", size, kh_tail(log));
    cr_assert_eq(st, 0, "exit %d; log:\n%s", st, kh_tail(log));
    free(log);
    size_t dups = kh_expect_all_alerts(&c, "out", N_ALERTS);
    cr_assert_leq(dups, PARTITIONS * BATCH, "%zu duplicates", dups);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_restart, survivor_takes_over_in_one_group, .timeout = 120)
{
    kh_cluster c = setup();
    /* A short session so that the group notices the dead member in seconds. */
    char *cfg = kh_run_config(&c, "session_timeout_ms = \"6000\"; heartbeat_interval_ms = \"500\";", "in", "pair",
                              "python", "transaction_max_messages = 100;", RULE_ALL);
    char *err_a, *err_b;
    pid_t a = kh_spawn(&err_a, "run", "-c", cfg, NULL);
    pid_t b = kh_spawn(&err_b, "run", "-c", cfg, NULL);
    kh_produce_alerts(&c, "in", 0, N_ALERTS / 2);
    cr_assert_geq(kh_wait_topic_size(&c, "out", N_ALERTS / 2, 30000), N_ALERTS / 2);
    char *log_a = kh_slurp(err_a);
    cr_assert(strstr(log_a, "msg=\"partitions assigned\""), "the first processor got no partitions:\n%s", kh_tail(log_a));
    free(log_a);
    kill(a, SIGKILL);
    cr_assert_eq(kh_wait(a, 10000), 128 + SIGKILL);
    kh_produce_alerts(&c, "in", N_ALERTS / 2, N_ALERTS);
    int64_t size = kh_wait_topic_settled(&c, "out", N_ALERTS, 60000, 2000);
    kill(b, SIGTERM);
    int st = kh_wait(b, 20000);
    char *log_b = kh_slurp(err_b);
    cr_assert_geq(size, N_ALERTS, "out holds %" PRId64 "; survivor's log:\n%s", size, kh_tail(log_b));
    cr_assert_eq(st, 0, "survivor exit %d; log:\n%s", st, kh_tail(log_b));
    free(log_b);
    /* exactly_once on the mock: offsets sent in transactions are not stored,
     * so the survivor re-reads the dead one's partitions from the start;
     * each alert is there, duplicates are at most the first half. */
    size_t dups = kh_expect_all_alerts(&c, "out", N_ALERTS);
    cr_assert_leq(dups, N_ALERTS / 2, "%zu duplicates", dups);
    unlink(err_a), unlink(err_b), unlink(cfg);
    free(err_a), free(err_b), free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_restart, newcomer_gets_partitions_committed_first, .timeout = 120)
{
    /* at_least_once, where the mock stores committed offsets: the partitions
     * the first processor gives up are committed in its rebalance callback,
     * so the newcomer resumes there. */
    kh_cluster c = setup();
    char *cfg = kh_run_config(&c, "session_timeout_ms = \"6000\"; heartbeat_interval_ms = \"500\";", "in", "grow", "python",
                              "guarantee = \"at_least_once\"; transaction_max_messages = 100;", RULE_ALL);
    char *err_a, *err_b;
    pid_t a = kh_spawn(&err_a, "run", "-c", cfg, NULL);
    kh_produce_alerts(&c, "in", 0, N_ALERTS / 2);
    cr_assert_geq(kh_wait_topic_size(&c, "out", N_ALERTS / 2, 30000), N_ALERTS / 2);
    pid_t b = kh_spawn(&err_b, "run", "-c", cfg, NULL);
    bool revoked = kh_wait_log(err_a, "msg=\"partitions revoked\"", 30000);
    kh_produce_alerts(&c, "in", N_ALERTS / 2, N_ALERTS);
    int64_t size = kh_wait_topic_settled(&c, "out", N_ALERTS, 40000, 2000);
    kill(a, SIGTERM);
    kill(b, SIGTERM);
    int st_a = kh_wait(a, 20000), st_b = kh_wait(b, 20000);
    char *log_a = kh_slurp(err_a), *log_b = kh_slurp(err_b);
    cr_assert(revoked, "the first processor gave nothing up:\n%s", kh_tail(log_a));
    cr_assert(strstr(log_b, "msg=\"partitions assigned\""), "the newcomer got nothing:\n%s", kh_tail(log_b));
    cr_assert_geq(size, N_ALERTS, "out holds %" PRId64, size);
    cr_assert_eq(st_a, 0, "first exit %d:\n%s", st_a, kh_tail(log_a));
    cr_assert_eq(st_b, 0, "newcomer exit %d:\n%s", st_b, kh_tail(log_b));
    /* The mock fails commits of the member it rebalances ("generation id is
     * not valid") where a real broker would let it commit in its callback:
     * each such batch is read again by the newcomer. */
    size_t dups = kh_expect_all_alerts(&c, "out", N_ALERTS);
    cr_assert_leq(dups, PARTITIONS * BATCH, "%zu duplicates", dups);
    free(log_a), free(log_b);
    unlink(err_a), unlink(err_b), unlink(cfg);
    free(err_a), free(err_b), free(cfg);
    kh_cluster_free(&c);
}
