/* tests/processor/test_kafka_faults.c — `alertfilter run` (exactly_once) under
 * faults injected into the mock cluster: request errors on Produce,
 * AddPartitionsToTxn, EndTxn, TxnOffsetCommit and Fetch, a broker down and up,
 * coordinators moving. Nothing may be lost; duplicates can only come from
 * aborted transactions, which the mock does not hide from readers, so they are
 * counted and bounded by one batch per injected abortable error. */
#include "tests/processor/kafka_harness.h"

#define N_ALERTS 2000
#define BATCH 200
#define TXN_ID "kh-faults"
#define OUTPUT "transaction_max_messages = 200;"
#define KAFKA "transactional_id = \"" TXN_ID "\";"
#define RULE_ALL "{ name = \"all\"; topic = \"out\"; where = \"true\"; }"

static kh_cluster setup(void)
{
    kh_cluster c = kh_cluster_new(3);
    kh_topic(&c, "in", 4);
    kh_topic(&c, "out", 4);
    return c;
}

/* Produces the whole input, then injects the errors (so that our own producer
 * does not meet them), then runs to the end of the input. */
static void run_with_errors(int16_t api, const rd_kafka_resp_err_t *errs, size_t n, size_t abortable)
{
    kh_cluster c = setup();
    kh_produce_alerts(&c, "in", 0, N_ALERTS);
    rd_kafka_mock_push_request_errors_array(c.mc, api, n, errs);
    char *cfg = kh_run_config(&c, KAFKA, "in", "faults", "python", OUTPUT, RULE_ALL);
    kh_run_until_eof(cfg, 60000);
    size_t dups = kh_expect_all_alerts(&c, "out", N_ALERTS);
    cr_assert_leq(dups, abortable * BATCH, "%zu duplicates for %zu abortable errors", dups, abortable);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_faults, produce_errors, .timeout = 90)
{
    const rd_kafka_resp_err_t e[] = {RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED};
    run_with_errors(KH_PRODUCE, e, 3, 1);
}

Test(kafka_faults, add_partitions_to_txn_errors, .timeout = 90)
{
    const rd_kafka_resp_err_t e[] = {RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED};
    run_with_errors(KH_ADD_PARTITIONS_TO_TXN, e, 3, 1);
}

Test(kafka_faults, end_txn_errors, .timeout = 90)
{
    const rd_kafka_resp_err_t e[] = {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
                                     RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS};
    run_with_errors(KH_END_TXN, e, 3, 3);
}

Test(kafka_faults, txn_offset_commit_errors, .timeout = 90)
{
    const rd_kafka_resp_err_t e[] = {RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
                                     RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED};
    run_with_errors(KH_TXN_OFFSET_COMMIT, e, 3, 3);
}

Test(kafka_faults, fetch_errors, .timeout = 90)
{
    const rd_kafka_resp_err_t e[] = {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                                     RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT};
    run_with_errors(KH_FETCH, e, 3, 0);
}

/* Runs the processor over a stream fed in two halves: disrupt() once the
 * first half is through and the second is in (our own producer needs the
 * cluster whole), recover() a second later. */
static void run_disrupted(void (*disrupt)(kh_cluster *), void (*recover)(kh_cluster *), size_t abortable)
{
    kh_cluster c = setup();
    char *cfg = kh_run_config(&c, KAFKA, "in", "faults", "python", OUTPUT, RULE_ALL);
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    kh_produce_alerts(&c, "in", 0, N_ALERTS / 2);
    cr_assert_geq(kh_wait_topic_size(&c, "out", N_ALERTS / 2, 30000), N_ALERTS / 2);
    kh_produce_alerts(&c, "in", N_ALERTS / 2, N_ALERTS);
    disrupt(&c);
    kh_sleep_ms(1000);
    recover(&c);
    int64_t size = kh_wait_topic_settled(&c, "out", N_ALERTS, 40000, 2000);
    kill(pid, SIGTERM);
    int st = kh_wait(pid, 20000);
    char *log = kh_slurp(errp);
    cr_assert_geq(size, N_ALERTS, "out holds %" PRId64 "; log:\n%s", size, kh_tail(log));
    cr_assert_eq(st, 0, "exit %d; log:\n%s", st, kh_tail(log));
    free(log);
    size_t dups = kh_expect_all_alerts(&c, "out", N_ALERTS);
    cr_assert_leq(dups, abortable * BATCH, "%zu duplicates", dups);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg);
    kh_cluster_free(&c);
}

static void broker_down(kh_cluster *c) { rd_kafka_mock_broker_set_down(c->mc, 2); }
static void broker_up(kh_cluster *c) { rd_kafka_mock_broker_set_up(c->mc, 2); }

Test(kafka_faults, broker_down_and_up, .timeout = 120)
{
    /* Abortable at most: the batch in flight when the broker went, and the one when it came back. */
    run_disrupted(broker_down, broker_up, 2);
}

static void move_coordinators(kh_cluster *c)
{
    rd_kafka_mock_coordinator_set(c->mc, "transaction", TXN_ID, 2);
    rd_kafka_mock_coordinator_set(c->mc, "group", "faults", 3);
}

static void move_back(kh_cluster *c)
{
    rd_kafka_mock_coordinator_set(c->mc, "transaction", TXN_ID, 1);
    rd_kafka_mock_coordinator_set(c->mc, "group", "faults", 1);
}

Test(kafka_faults, coordinators_move, .timeout = 120)
{
    run_disrupted(move_coordinators, move_back, 2);
}

Test(kafka_faults, persistent_produce_failure_gives_up, .timeout = 90)
{
    /* Enough errors for every Produce request of ten batches in a row. */
    kh_cluster c = setup();
    kh_produce_alerts(&c, "in", 0, N_ALERTS / 4);
    rd_kafka_resp_err_t errs[400];
    for (size_t i = 0; i < 400; i++)
        errs[i] = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
    rd_kafka_mock_push_request_errors_array(c.mc, KH_PRODUCE, 400, errs);
    char *cfg = kh_run_config(&c, KAFKA, "in", "faults", "python", OUTPUT, RULE_ALL);
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, "--until-eof", NULL);
    int st = kh_wait(pid, 60000);
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 1, "exit %d; log ends:\n%s", st, kh_tail(log));
    cr_assert(strstr(log, "level=error msg=\"giving up: every batch fails\" aborted_in_a_row=10\n"), "log ends:\n%s",
              kh_tail(log));
    free(log);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg);
    kh_cluster_free(&c);
}
