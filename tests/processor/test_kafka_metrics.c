/* tests/processor/test_kafka_metrics.c — scrapes a live `alertfilter run` on the
 * mock cluster and checks its counters against a known stream, and against a
 * rebalance that takes partitions away. */
#include "tests/processor/kafka_harness.h"
#include "tests/processor/metrics_client.h"

#define N_ALERTS 600

/* A run config with a metrics group on port, and two rules whose counts the
 * harness's generator fixes: every alert, and band r (alert ids ≡ 2 mod 6). */
static char *metrics_config(const kh_cluster *c, int port)
{
    return kh_config("kafka = { bootstrap_servers = \"%s\"; };\n"
                     "input = { topics = [ \"alerts\" ]; group = \"kmetrics\"; };\n"
                     "output = { guarantee = \"exactly_once\"; dead_letter_topic = \"alerts-dlq\"; };\n"
                     "metrics = { address = \"127.0.0.1\"; port = %d; };\n"
                     "rules = (\n"
                     "  { name = \"all\"; topic = \"alerts-all\"; where = \"true\"; },\n"
                     "  { name = \"band_r\"; topic = \"alerts-r\"; where = \"diaSource.filterName == 'r'\"; }\n"
                     ");\n",
                     c->bootstraps, port);
}

/* Scrapes /metrics until consumed_total reaches want or 40 s pass; the last reply is in r. */
static void scrape_until_consumed(int port, pid_t run, const char *log_path, long long want, mc_reply *r)
{
    long long consumed = -1;
    for (int i = 0; i < 400 && consumed != want; i++) {
        kh_sleep_ms(100);
        if (waitpid(run, NULL, WNOHANG) == run) {
            char *log = kh_slurp(log_path);
            cr_assert_fail("run exited early; its log ends:\n%s", kh_tail(log));
        }
        mc_request(port, "GET", "/metrics", r);
        consumed = r->status == 200 ? mc_sample(r->body, "alertfilter_messages_consumed_total") : -1;
    }
    cr_assert_eq(consumed, want, "consumed %lld of %lld messages in 40 s", consumed, want);
}

/* SIGTERMs run, asserts exit 0, and removes and frees its log and config. */
static void stop_run(pid_t run, char *log_path, char *cfg)
{
    kill(run, SIGTERM);
    int st = kh_wait(run, 20000);
    char *log = kh_slurp(log_path);
    cr_assert_eq(st, 0, "run exited %d on SIGTERM; its log ends:\n%s", st, kh_tail(log));
    free(log);
    unlink(log_path), unlink(cfg);
    free(log_path), free(cfg);
}

Test(kafka_metrics, live_run_counts_a_known_stream, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "alerts", 2);
    kh_produce_alerts(&c, "alerts", 0, N_ALERTS);
    kh_msg bad = {"{'alertId': 1, 'diaSource': {'ra': nan}}", "bad"};
    kh_produce(&c, "alerts", &bad, 1);
    long long want_r = 0;
    for (int id = 0; id < N_ALERTS; id++) {
        kh_alert a = kh_alert_make(id);
        want_r += a.band == 'r';
        kh_alert_free(&a);
    }
    int port = mc_free_port();
    char *cfg = metrics_config(&c, port), *log_path;
    pid_t run = kh_spawn(&log_path, "run", "-c", cfg, NULL);

    mc_reply r;
    scrape_until_consumed(port, run, log_path, N_ALERTS + 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    cr_assert_eq(mc_sample(r.body, "alertfilter_messages_rejected_total"), 1);
    cr_assert_eq(mc_sample(r.body, "alertfilter_rule_matches_total{rule=\"all\"}"), N_ALERTS);
    cr_assert_eq(mc_sample(r.body, "alertfilter_rule_matches_total{rule=\"band_r\"}"), want_r);
    long long committed = mc_sample(r.body, "alertfilter_transactions_total{outcome=\"committed\"}");
    long long aborted = mc_sample(r.body, "alertfilter_transactions_total{outcome=\"aborted\"}");
    cr_assert_geq(committed, 1);
    cr_assert_eq(aborted, 0);
    cr_assert_eq(mc_sample(r.body, "alertfilter_batch_seconds_count"), committed + aborted);
    cr_assert_eq(mc_sample(r.body, "alertfilter_consumer_lag{topic=\"alerts\",partition=\"0\"}"), 0);
    cr_assert_eq(mc_sample(r.body, "alertfilter_consumer_lag{topic=\"alerts\",partition=\"1\"}"), 0);
    cr_assert_eq(kh_topic_size(&c, "alerts-r"), want_r);

    mc_request(port, "GET", "/healthz", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "ok\n");
    mc_request(port, "GET", "/readyz", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "ready\n");

    stop_run(run, log_path, cfg);
    kh_cluster_free(&c);
}

Test(kafka_metrics, port_in_use_stops_run_with_a_clear_error, .timeout = 30)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "alerts", 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(fd, 1), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    int port = ntohs(sa.sin_port);
    char *cfg = metrics_config(&c, port), *log_path;

    int st = kh_wait(kh_spawn(&log_path, "run", "-c", cfg, NULL), 20000);
    close(fd);
    char *log = kh_slurp(log_path);
    cr_assert_eq(st, 1, "run exited %d; its log ends:\n%s", st, kh_tail(log));
    char want[160];
    snprintf(want, sizeof want, "metrics: cannot listen on 127.0.0.1:%d: Address already in use", port);
    cr_assert_not_null(strstr(log, want), "the log should say \"%s\"; it ends:\n%s", want, kh_tail(log));
    free(log);
    unlink(log_path);
    free(log_path);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

static int lag_series(const char *metrics)
{
    int n = 0;
    for (const char *p = metrics; (p = strstr(p, "\nalertfilter_consumer_lag{")) != NULL; p++)
        n++;
    return n;
}

/* Partitions handed to a newcomer are no longer this processor's: their lag
 * series go, and the processor stays ready with the partitions it keeps. */
Test(kafka_metrics, revoked_partitions_leave_the_lag_series, .timeout = 120)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "alerts", 4);
    kh_produce_alerts(&c, "alerts", 0, N_ALERTS);
    int port = mc_free_port();
    char *with_metrics = kh_config("kafka = { bootstrap_servers = \"%s\"; session_timeout_ms = \"6000\"; };\n"
                                   "input = { topics = [ \"alerts\" ]; group = \"krevoke\"; };\n"
                                   "output = { guarantee = \"at_least_once\"; };\n"
                                   "metrics = { address = \"127.0.0.1\"; port = %d; };\n"
                                   "rules = ( { name = \"all\"; topic = \"alerts-all\"; where = \"true\"; } );\n",
                                   c.bootstraps, port);
    char *plain = kh_run_config(&c, "session_timeout_ms = \"6000\";", "alerts", "krevoke", "auto",
                                "guarantee = \"at_least_once\";",
                                "{ name = \"all\"; topic = \"alerts-all\"; where = \"true\"; }");
    char *log_a, *log_b;
    pid_t a = kh_spawn(&log_a, "run", "-c", with_metrics, NULL);
    mc_reply r;
    scrape_until_consumed(port, a, log_a, N_ALERTS, &r);
    cr_assert_eq(lag_series(r.body), 4, "before the rebalance:\n%s", r.body);

    pid_t b = kh_spawn(&log_b, "run", "-c", plain, NULL);
    cr_assert(kh_wait_log(log_a, "msg=\"partitions revoked\"", 60000), "nothing was revoked");
    int series = 4;
    for (int i = 0; i < 50 && series == 4; i++) {
        kh_sleep_ms(100);
        mc_request(port, "GET", "/metrics", &r);
        series = lag_series(r.body);
    }
    cr_assert_lt(series, 4, "the revoked partitions still have lag series:\n%s", r.body);
    mc_request(port, "GET", "/readyz", &r);
    cr_assert_eq(r.status, 200, "readyz: %d %s", r.status, r.body);

    /* Both leave the group at once, the slowest shutdown there is: each may
     * wait out one offset commit (10 s) and its consumer close (5 s). */
    kill(a, SIGTERM), kill(b, SIGTERM);
    int st_a = kh_wait(a, 30000), st_b = kh_wait(b, 30000);
    char *text_a = kh_slurp(log_a), *text_b = kh_slurp(log_b);
    cr_assert_eq(st_a, 0, "a exited %d; its log ends:\n%s", st_a, kh_tail(text_a));
    cr_assert_eq(st_b, 0, "b exited %d; its log ends:\n%s", st_b, kh_tail(text_b));
    free(text_a), free(text_b);
    unlink(log_a), unlink(log_b), unlink(with_metrics), unlink(plain);
    free(log_a), free(log_b), free(with_metrics), free(plain);
    kh_cluster_free(&c);
}

/* A run of the "all" rule, transactions at most every minute, ending after
 * idle_ms without input (0: never), with metrics on port. */
static char *idle_config(const kh_cluster *c, const char *group, int idle_ms, int port)
{
    return kh_config("kafka = { bootstrap_servers = \"%s\"; };\n"
                     "input = { topics = [ \"alerts\" ]; group = \"%s\"; };\n"
                     "output = { guarantee = \"exactly_once\"; transaction_interval_ms = 60000; "
                     "transaction_idle_ms = %d; };\n"
                     "metrics = { address = \"127.0.0.1\"; port = %d; };\n"
                     "rules = ( { name = \"all\"; topic = \"alerts-%s\"; where = \"true\"; } );\n",
                     c->bootstraps, group, idle_ms, port, group);
}

/* The end of a burst commits its transaction transaction_idle_ms after the
 * last alert, not a whole transaction_interval_ms later: the metrics count a
 * batch only once it is committed. So does an idle end longer than the
 * loop's 100 ms poll (300 ms). With the idle end off, the same alerts are
 * written (the mock shows open transactions' records) and nothing is
 * committed before the minute is over. */
Test(kafka_metrics, an_idle_input_ends_the_transaction, .timeout = 120)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "alerts", 2);
    kh_produce_alerts(&c, "alerts", 0, 50);
    const char *groups[] = {"idle10", "idle300"};
    const int idle_ms[] = {10, 300};
    char *cfg, *log_path;
    pid_t run;
    int port;
    mc_reply r;
    for (int i = 0; i < 2; i++) {
        port = mc_free_port();
        cfg = idle_config(&c, groups[i], idle_ms[i], port);
        run = kh_spawn(&log_path, "run", "-c", cfg, NULL);
        scrape_until_consumed(port, run, log_path, 50, &r);
        cr_assert_eq(mc_sample(r.body, "alertfilter_transactions_total{outcome=\"aborted\"}"), 0);
        cr_assert_geq(mc_sample(r.body, "alertfilter_transactions_total{outcome=\"committed\"}"), 1);
        stop_run(run, log_path, cfg);
    }

    port = mc_free_port();
    cfg = idle_config(&c, "idle0", 0, port);
    run = kh_spawn(&log_path, "run", "-c", cfg, NULL);
    cr_assert_eq(kh_wait_topic_size(&c, "alerts-idle0", 50, KH_TIMEOUT_MS), 50);
    kh_sleep_ms(1000);
    mc_request(port, "GET", "/metrics", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(mc_sample(r.body, "alertfilter_messages_consumed_total"), 0, "%s", r.body);
    cr_assert_eq(mc_sample(r.body, "alertfilter_transactions_total{outcome=\"committed\"}"), 0, "%s", r.body);
    stop_run(run, log_path, cfg);
    kh_cluster_free(&c);
}
