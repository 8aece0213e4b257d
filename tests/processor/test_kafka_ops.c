/* tests/processor/test_kafka_ops.c — `alertfilter run` as an operator meets it
 * (issue 13): rule counters from start-up and after a reload, a broker that
 * goes away (health, signals, the bounded exit), a drain whose commits fail. */
#include "tests/processor/kafka_harness.h"
#include "tests/processor/metrics_client.h"

#define RULE_ALL "{ name = \"all\"; topic = \"out\"; where = \"true\"; }"
#define RULE_NEVER "{ name = \"never\"; topic = \"out-never\"; where = \"false\"; }"

/* A run config with metrics on port; kafka_extra goes into the kafka group,
 * output into the output group. */
static char *ops_config(const kh_cluster *c, const char *top, const char *kafka_extra, const char *group,
                        const char *output, int port, const char *rules)
{
    return kh_config("%s\nkafka = { bootstrap_servers = \"%s\"; %s };\n"
                     "input = { topics = [ \"in\" ]; group = \"%s\"; };\n"
                     "output = { %s };\n"
                     "metrics = { address = \"127.0.0.1\"; port = %d; };\n"
                     "rules = ( %s );\n",
                     top, c->bootstraps, kafka_extra, group, output, port, rules);
}

/* Scrapes path until its status is want or timeout_ms pass; returns the last reply's status. */
static int wait_status(int port, const char *path, int want, int timeout_ms, mc_reply *r)
{
    double deadline = kh_now() + timeout_ms / 1000.0;
    do {
        mc_request(port, "GET", path, r);
        if (r->status == want)
            break;
        kh_sleep_ms(100);
    } while (kh_now() < deadline);
    return r->status;
}

Test(kafka_ops, a_rule_that_never_matched_has_a_zero_series, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 1);
    int port = mc_free_port();
    char *cfg = ops_config(&c, "", "", "zero", "", port, RULE_ALL ", " RULE_NEVER);
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    mc_reply r;
    cr_assert_eq(wait_status(port, "/metrics", 200, 20000, &r), 200);
    cr_assert_eq(mc_sample(r.body, "alertfilter_rule_matches_total{rule=\"never\"}"), 0, "%s", r.body);
    cr_assert_eq(mc_sample(r.body, "alertfilter_rule_matches_total{rule=\"all\"}"), 0, "%s", r.body);
    /* A reload brings a new rule: its series is there before it matches. */
    char *cfg2 = ops_config(&c, "", "", "zero", "", port,
                            RULE_ALL ", " RULE_NEVER ", { name = \"later\"; topic = \"out\"; where = \"false\"; }");
    cr_assert_eq(rename(cfg2, cfg), 0);
    kill(pid, SIGHUP);
    cr_assert(kh_wait_log(errp, "msg=\"rules reloaded\" rules=3", 10000));
    mc_request(port, "GET", "/metrics", &r);
    cr_assert_eq(mc_sample(r.body, "alertfilter_rule_matches_total{rule=\"later\"}"), 0, "%s", r.body);
    kill(pid, SIGTERM);
    cr_assert_eq(kh_wait(pid, 20000), 0);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg), free(cfg2);
    kh_cluster_free(&c);
}
