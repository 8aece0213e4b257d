/* tests/processor/test_metrics.c — the Prometheus text for known updates, and
 * the HTTP endpoints (/metrics, /healthz, /readyz) scraped with a plain socket. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "processor/metrics.h"
#include "tests/processor/metrics_client.h"

#define EMPTY_RULES "# HELP alertfilter_rule_matches_total Alerts matched, by rule.\n" \
                    "# TYPE alertfilter_rule_matches_total counter\n"

static const char *const head_consumed =
    "# HELP alertfilter_messages_consumed_total Messages read from the input topics.\n"
    "# TYPE alertfilter_messages_consumed_total counter\n";
static const char *const head_rejected =
    "# HELP alertfilter_messages_rejected_total Malformed messages (sent to the dead-letter topic when one is "
    "configured).\n"
    "# TYPE alertfilter_messages_rejected_total counter\n";
static const char *const head_refetched =
    "# HELP alertfilter_messages_refetched_total Messages the client fetched a second time (below the next offset "
    "expected of their partition), dropped.\n"
    "# TYPE alertfilter_messages_refetched_total counter\n";
static const char *const head_txn = "# HELP alertfilter_transactions_total Kafka transactions, by outcome.\n"
                                    "# TYPE alertfilter_transactions_total counter\n";
static const char *const head_lag =
    "# HELP alertfilter_consumer_lag Messages between the committed position and the partition end.\n"
    "# TYPE alertfilter_consumer_lag gauge\n";
static const char *const head_batch = "# HELP alertfilter_batch_seconds Time to process and commit one batch.\n"
                                      "# TYPE alertfilter_batch_seconds histogram\n";
static const char *const build_info = "# HELP alertfilter_build_info The running build; the value is always 1.\n"
                                      "# TYPE alertfilter_build_info gauge\n"
                                      "alertfilter_build_info{version=\"" ALERTFILTER_VERSION "\"} 1\n";

/* Joins the pieces of an expected exposition; caller frees. */
static char *join(const char *const *parts, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i]);
    char *s = calloc(1, len);
    for (size_t i = 0; i < n; i++)
        strcat(s, parts[i]);
    return s;
}

Test(metrics, render_fresh)
{
    proc_metrics *m = proc_metrics_new();
    char *got = proc_metrics_render(m);
    const char *parts[] = {
        head_consumed, "alertfilter_messages_consumed_total 0\n",
        head_rejected, "alertfilter_messages_rejected_total 0\n",
        head_refetched, "alertfilter_messages_refetched_total 0\n",
        EMPTY_RULES,
        head_txn, "alertfilter_transactions_total{outcome=\"committed\"} 0\n"
                  "alertfilter_transactions_total{outcome=\"aborted\"} 0\n",
        head_lag,
        head_batch,
        "alertfilter_batch_seconds_bucket{le=\"0.001\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.005\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.01\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.025\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.05\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.1\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.25\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.5\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"1\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"2.5\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"5\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"10\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"+Inf\"} 0\n"
        "alertfilter_batch_seconds_sum 0\n"
        "alertfilter_batch_seconds_count 0\n",
        build_info,
    };
    char *want = join(parts, sizeof parts / sizeof parts[0]);
    cr_assert_str_eq(got, want);
    free(want);
    free(got);
    proc_metrics_free(m);
}

/* A known sequence: two batches of a run with two rules, one reload that adds
 * a third, a rejected message, an abort, three batch timings and lags. */
static void apply_known_sequence(proc_metrics *m)
{
    proc_metrics_consumed(m, 1000);
    proc_metrics_consumed(m, 250);
    proc_metrics_rejected(m, 3);
    proc_metrics_refetched(m, 2);
    proc_metrics_rule_matches(m, "seed_ra", 120);
    proc_metrics_rule_matches(m, "bright", 700);
    proc_metrics_rule_matches(m, "seed_ra", 5);
    proc_metrics_rule_matches(m, "cone", 0);
    proc_metrics_transaction(m, true);
    proc_metrics_transaction(m, true);
    proc_metrics_transaction(m, false);
    proc_metrics_batch_seconds(m, 0.0625);
    proc_metrics_batch_seconds(m, 0.25);
    proc_metrics_batch_seconds(m, 12.5);
    proc_metrics_lag(m, "alerts", 0, 17);
    proc_metrics_lag(m, "alerts", 1, 0);
    proc_metrics_lag(m, "alerts", 0, 4);
}

Test(metrics, render_known_sequence)
{
    proc_metrics *m = proc_metrics_new();
    apply_known_sequence(m);
    char *got = proc_metrics_render(m);
    const char *parts[] = {
        head_consumed, "alertfilter_messages_consumed_total 1250\n",
        head_rejected, "alertfilter_messages_rejected_total 3\n",
        head_refetched, "alertfilter_messages_refetched_total 2\n",
        EMPTY_RULES,
        "alertfilter_rule_matches_total{rule=\"seed_ra\"} 125\n"
        "alertfilter_rule_matches_total{rule=\"bright\"} 700\n"
        "alertfilter_rule_matches_total{rule=\"cone\"} 0\n",
        head_txn, "alertfilter_transactions_total{outcome=\"committed\"} 2\n"
                  "alertfilter_transactions_total{outcome=\"aborted\"} 1\n",
        head_lag,
        "alertfilter_consumer_lag{topic=\"alerts\",partition=\"0\"} 4\n"
        "alertfilter_consumer_lag{topic=\"alerts\",partition=\"1\"} 0\n",
        head_batch,
        "alertfilter_batch_seconds_bucket{le=\"0.001\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.005\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.01\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.025\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.05\"} 0\n"
        "alertfilter_batch_seconds_bucket{le=\"0.1\"} 1\n"
        "alertfilter_batch_seconds_bucket{le=\"0.25\"} 2\n"
        "alertfilter_batch_seconds_bucket{le=\"0.5\"} 2\n"
        "alertfilter_batch_seconds_bucket{le=\"1\"} 2\n"
        "alertfilter_batch_seconds_bucket{le=\"2.5\"} 2\n"
        "alertfilter_batch_seconds_bucket{le=\"5\"} 2\n"
        "alertfilter_batch_seconds_bucket{le=\"10\"} 2\n"
        "alertfilter_batch_seconds_bucket{le=\"+Inf\"} 3\n"
        "alertfilter_batch_seconds_sum 12.8125\n"
        "alertfilter_batch_seconds_count 3\n",
        build_info,
    };
    char *want = join(parts, sizeof parts / sizeof parts[0]);
    cr_assert_str_eq(got, want);
    free(want);
    free(got);
    proc_metrics_free(m);
}

Test(metrics, label_values_are_escaped)
{
    proc_metrics *m = proc_metrics_new();
    proc_metrics_rule_matches(m, "a\\b\"c\nd", 2);
    proc_metrics_lag(m, "we\"ird", 7, 9);
    char *got = proc_metrics_render(m);
    char line[256];
    mc_line(got, "alertfilter_rule_matches_total{", line, sizeof line);
    cr_assert_str_eq(line, "alertfilter_rule_matches_total{rule=\"a\\\\b\\\"c\\nd\"} 2");
    mc_line(got, "alertfilter_consumer_lag{", line, sizeof line);
    cr_assert_str_eq(line, "alertfilter_consumer_lag{topic=\"we\\\"ird\",partition=\"7\"} 9");
    free(got);
    proc_metrics_free(m);
}

Test(metrics, negative_lag_removes_the_series)
{
    proc_metrics *m = proc_metrics_new();
    proc_metrics_lag(m, "alerts", 0, 5);
    proc_metrics_lag(m, "alerts", 1, 6);
    proc_metrics_lag(m, "alerts", 0, -1);
    proc_metrics_lag(m, "other", 2, -1);
    char *got = proc_metrics_render(m);
    const char *from = strstr(got, "alertfilter_consumer_lag{");
    cr_assert_not_null(from);
    char line[256];
    mc_line(from, "alertfilter_consumer_lag", line, sizeof line);
    cr_assert_str_eq(line, "alertfilter_consumer_lag{topic=\"alerts\",partition=\"1\"} 6");
    cr_assert_null(strstr(strchr(from, '\n'), "alertfilter_consumer_lag{"));
    free(got);
    proc_metrics_free(m);
}

Test(metrics, sums_print_the_shortest_exact_decimal)
{
    proc_metrics *m = proc_metrics_new();
    proc_metrics_batch_seconds(m, 0.1);
    proc_metrics_batch_seconds(m, 0.2);
    char *got = proc_metrics_render(m);
    char line[256];
    mc_line(got, "alertfilter_batch_seconds_sum", line, sizeof line);
    /* 0.1 + 0.2 is not 0.3 in binary; the text must say so exactly. */
    cr_assert_str_eq(line, "alertfilter_batch_seconds_sum 0.30000000000000004");
    free(got);
    proc_metrics_free(m);
}

Test(metrics, many_rules_and_partitions_keep_their_order)
{
    proc_metrics *m = proc_metrics_new();
    char name[32], series[96], line[160];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 40; i++) {
            snprintf(name, sizeof name, "rule%02d", i);
            proc_metrics_rule_matches(m, name, (uint64_t)i);
            proc_metrics_lag(m, "alerts", i, 1000 - i - round);
        }
    char *got = proc_metrics_render(m);
    for (int i = 0; i < 40; i++) {
        snprintf(series, sizeof series, "alertfilter_rule_matches_total{rule=\"rule%02d\"}", i);
        mc_line(got, series, line, sizeof line);
        char want[160];
        snprintf(want, sizeof want, "%s %d", series, 2 * i);
        cr_assert_str_eq(line, want);
        snprintf(series, sizeof series, "alertfilter_consumer_lag{topic=\"alerts\",partition=\"%d\"}", i);
        mc_line(got, series, line, sizeof line);
        snprintf(want, sizeof want, "%s %d", series, 999 - i);
        cr_assert_str_eq(line, want);
    }
    const char *first = strstr(got, "{rule=\"rule00\"}"), *last = strstr(got, "{rule=\"rule39\"}");
    cr_assert(first && last && first < last, "rules are rendered in the order they first matched");
    free(got);
    proc_metrics_free(m);
}

#define WRITERS 4
#define UPDATES 20000

/* A run loop's worth of updates, under names that come and go like reloaded rules. */
static void *writer(void *arg)
{
    proc_metrics *m = arg;
    char name[32];
    for (int i = 0; i < UPDATES; i++) {
        proc_metrics_consumed(m, 1);
        snprintf(name, sizeof name, "rule%d", i % 50);
        proc_metrics_rule_matches(m, name, 1);
        proc_metrics_lag(m, "alerts", i % 7, i % 3 ? i : -1);
        proc_metrics_batch_seconds(m, 0.0625);
        proc_metrics_heartbeat(m);
    }
    return NULL;
}

Test(metrics, concurrent_updates_are_all_counted_while_rendering, .timeout = 30)
{
    proc_metrics *m = proc_metrics_new();
    pthread_t th[WRITERS];
    for (int i = 0; i < WRITERS; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, writer, m), 0);
    for (int i = 0; i < 200; i++)
        free(proc_metrics_render(m));
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    char *got = proc_metrics_render(m);
    char line[160], want[160];
    mc_line(got, "alertfilter_messages_consumed_total ", line, sizeof line);
    snprintf(want, sizeof want, "alertfilter_messages_consumed_total %d", WRITERS * UPDATES);
    cr_assert_str_eq(line, want);
    mc_line(got, "alertfilter_rule_matches_total{rule=\"rule7\"}", line, sizeof line);
    snprintf(want, sizeof want, "alertfilter_rule_matches_total{rule=\"rule7\"} %d", WRITERS * UPDATES / 50);
    cr_assert_str_eq(line, want);
    mc_line(got, "alertfilter_batch_seconds_count", line, sizeof line);
    snprintf(want, sizeof want, "alertfilter_batch_seconds_count %d", WRITERS * UPDATES);
    cr_assert_str_eq(line, want);
    mc_line(got, "alertfilter_batch_seconds_sum", line, sizeof line);
    snprintf(want, sizeof want, "alertfilter_batch_seconds_sum %d", WRITERS * UPDATES / 16);
    cr_assert_str_eq(line, want);
    free(got);
    proc_metrics_free(m);
}

/* One batch's updates between hold and release, as the run loop reports them. */
static void *batch_writer(void *arg)
{
    proc_metrics *m = arg;
    for (int i = 0; i < UPDATES; i++) {
        proc_metrics_hold(m);
        proc_metrics_batch_seconds(m, 0.5);
        proc_metrics_transaction(m, true);
        proc_metrics_consumed(m, 3);
        proc_metrics_rule_matches(m, "all", 3);
        proc_metrics_release(m);
    }
    return NULL;
}

Test(metrics, a_scrape_sees_held_updates_together_or_not_at_all, .timeout = 30)
{
    proc_metrics *m = proc_metrics_new();
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, batch_writer, m), 0);
    for (int i = 0; i < 500; i++) {
        char *got = proc_metrics_render(m);
        long long batches = mc_sample(got, "alertfilter_batch_seconds_count");
        cr_assert_eq(mc_sample(got, "alertfilter_transactions_total{outcome=\"committed\"}"), batches, "%s", got);
        cr_assert_eq(mc_sample(got, "alertfilter_messages_consumed_total"), 3 * batches, "%s", got);
        if (batches)
            cr_assert_eq(mc_sample(got, "alertfilter_rule_matches_total{rule=\"all\"}"), 3 * batches, "%s", got);
        free(got);
    }
    pthread_join(th, NULL);
    char *got = proc_metrics_render(m);
    cr_assert_eq(mc_sample(got, "alertfilter_messages_consumed_total"), 3 * UPDATES);
    free(got);
    proc_metrics_free(m);
}

/* ---- the HTTP server, scraped with a plain socket client ---- */

static proc_metrics *serving(void)
{
    proc_metrics *m = proc_metrics_new();
    char err[256] = "";
    cr_assert_eq(proc_metrics_serve(m, "127.0.0.1", 0, err, sizeof err), 0, "%s", err);
    cr_assert_gt(proc_metrics_port(m), 1023);
    return m;
}

Test(metrics_http, metrics_endpoint_serves_the_render, .timeout = 10)
{
    proc_metrics *m = serving();
    apply_known_sequence(m);
    mc_reply r;
    mc_request(proc_metrics_port(m), "GET", "/metrics", &r);
    char *want = proc_metrics_render(m);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    cr_assert_str_eq(r.body, want);
    free(want);

    proc_metrics_consumed(m, 1);
    mc_request(proc_metrics_port(m), "GET", "/metrics", &r);
    char line[256];
    mc_line(r.body, "alertfilter_messages_consumed_total ", line, sizeof line);
    cr_assert_str_eq(line, "alertfilter_messages_consumed_total 1251");
    proc_metrics_free(m);
}

/* Asserts what the server answers to METHOD PATH: the status and, unless NULL, the body. */
static void expect_reply(proc_metrics *m, const char *method, const char *path, int status, const char *body)
{
    mc_reply r;
    mc_request(proc_metrics_port(m), method, path, &r);
    cr_assert_eq(r.status, status, "%s %s: %d %s", method, path, r.status, r.body);
    if (body)
        cr_assert_str_eq(r.body, body, "%s %s", method, path);
}

Test(metrics_http, healthz_ok_while_heartbeating, .timeout = 10)
{
    proc_metrics *m = serving();
    expect_reply(m, "GET", "/healthz", 200, "ok\n");
    proc_metrics_heartbeat(m);
    expect_reply(m, "GET", "/healthz", 200, "ok\n");
    proc_metrics_free(m);
}

Test(metrics_http, healthz_503_when_stalled_then_ok_on_heartbeat, .timeout = 10)
{
    proc_metrics *m = serving();
    proc_metrics_set_stall_seconds(m, 0.05);
    proc_metrics_heartbeat(m);
    nanosleep(&(struct timespec){.tv_nsec = 150 * 1000 * 1000}, NULL);
    expect_reply(m, "GET", "/healthz", 503, "stalled: no heartbeat from the run loop in the last 0.05 s\n");
    proc_metrics_set_stall_seconds(m, 30);
    proc_metrics_heartbeat(m);
    expect_reply(m, "GET", "/healthz", 200, "ok\n");
    proc_metrics_free(m);
}

Test(metrics_http, healthz_503_after_failing_even_with_heartbeats, .timeout = 10)
{
    proc_metrics *m = serving();
    proc_metrics_failing(m);
    proc_metrics_heartbeat(m);
    expect_reply(m, "GET", "/healthz", 503, "failing: the run loop reported a fatal error\n");
    proc_metrics_free(m);
}

Test(metrics_http, readyz_follows_ready, .timeout = 10)
{
    proc_metrics *m = serving();
    expect_reply(m, "GET", "/readyz", 503, "not ready: no partitions assigned yet\n");
    proc_metrics_ready(m, true);
    expect_reply(m, "GET", "/readyz", 200, "ready\n");
    proc_metrics_ready(m, false);
    expect_reply(m, "GET", "/readyz", 503, NULL);
    proc_metrics_free(m);
}

Test(metrics_http, unknown_path_and_method, .timeout = 10)
{
    proc_metrics *m = serving();
    expect_reply(m, "GET", "/", 404, "not found: try /metrics, /healthz or /readyz\n");
    expect_reply(m, "POST", "/metrics", 405, "method not allowed: use GET\n");
    proc_metrics_free(m);
}

Test(metrics_http, port_in_use_is_a_clear_error, .timeout = 10)
{
    proc_metrics *first = serving();
    int port = proc_metrics_port(first);
    proc_metrics *second = proc_metrics_new();
    char err[256] = "";
    cr_assert_eq(proc_metrics_serve(second, "127.0.0.1", port, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "metrics: cannot listen on 127.0.0.1:%d: Address already in use", port);
    cr_assert_str_eq(err, want);
    cr_assert_eq(proc_metrics_port(second), -1);
    proc_metrics_free(second);
    proc_metrics_free(first);
}

Test(metrics_http, bad_address_and_port_are_clear_errors, .timeout = 10)
{
    proc_metrics *m = proc_metrics_new();
    char err[256] = "";
    cr_assert_eq(proc_metrics_serve(m, "metrics.example", 9464, err, sizeof err), -1);
    cr_assert_str_eq(err, "metrics: bad address 'metrics.example': not a numeric IPv4 or IPv6 address "
                          "(e.g. 0.0.0.0 or ::)");
    cr_assert_eq(proc_metrics_serve(m, "127.0.0.1", 70000, err, sizeof err), -1);
    cr_assert_str_eq(err, "metrics: port 70000 is out of range (0-65535)");
    cr_assert_eq(proc_metrics_serve(m, "192.0.2.1", 9464, err, sizeof err), -1);
    cr_assert_str_eq(err, "metrics: cannot listen on 192.0.2.1:9464: Cannot assign requested address");
    proc_metrics_free(m);
}

Test(metrics_http, serves_on_ipv6_loopback, .timeout = 10)
{
    proc_metrics *m = proc_metrics_new();
    char err[256] = "";
    int rc = proc_metrics_serve(m, "::1", 0, err, sizeof err);
    if (rc && strstr(err, "Cannot assign requested address")) {
        proc_metrics_free(m);
        cr_skip_test("no IPv6 loopback here: %s", err);
    }
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_gt(proc_metrics_port(m), 1023);
    proc_metrics_free(m);
}

Test(metrics_http, serving_twice_is_an_error, .timeout = 10)
{
    proc_metrics *m = serving();
    char err[256] = "";
    cr_assert_eq(proc_metrics_serve(m, "127.0.0.1", 0, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "metrics: already serving on port %d", proc_metrics_port(m));
    cr_assert_str_eq(err, want);
    proc_metrics_free(m);
}

/* Issue 13: /readyz said "ready" while /healthz said "stalled". */
Test(metrics_http, readyz_not_ready_while_unhealthy, .timeout = 10)
{
    proc_metrics *m = serving();
    proc_metrics_ready(m, true);
    proc_metrics_set_stall_seconds(m, 0.05);
    proc_metrics_heartbeat(m);
    nanosleep(&(struct timespec){.tv_nsec = 150 * 1000 * 1000}, NULL);
    expect_reply(m, "GET", "/healthz", 503, "stalled: no heartbeat from the run loop in the last 0.05 s\n");
    expect_reply(m, "GET", "/readyz", 503, "not ready: stalled: no heartbeat from the run loop in the last 0.05 s\n");
    proc_metrics_set_stall_seconds(m, 30);
    proc_metrics_heartbeat(m);
    proc_metrics_unreachable(m, 12.4);
    expect_reply(m, "GET", "/healthz", 503, "unreachable: no answer from the Kafka cluster for 12 s\n");
    expect_reply(m, "GET", "/readyz", 503, "not ready: unreachable: no answer from the Kafka cluster for 12 s\n");
    proc_metrics_unreachable(m, -1);
    expect_reply(m, "GET", "/healthz", 200, "ok\n");
    expect_reply(m, "GET", "/readyz", 200, "ready\n");
    proc_metrics_free(m);
}

/* Issue 13: a rule that never matched had no series; every known rule starts at 0. */
Test(metrics, known_rules_start_at_zero)
{
    proc_metrics *m = proc_metrics_new();
    proc_metrics_rule_matches(m, "b", 3);
    proc_metrics_rules_known(m, (const char *const[]){"a", "b", "never"}, 3);
    char *text = proc_metrics_render(m);
    cr_assert_eq(mc_sample(text, "alertfilter_rule_matches_total{rule=\"never\"}"), 0);
    cr_assert_eq(mc_sample(text, "alertfilter_rule_matches_total{rule=\"a\"}"), 0);
    cr_assert_eq(mc_sample(text, "alertfilter_rule_matches_total{rule=\"b\"}"), 3);
    free(text);
    /* 100,000 rules (a large config) are known at once, each once. */
    enum { N = 100000 };
    char **names = malloc(N * sizeof *names);
    for (int i = 0; i < N; i++)
        cr_assert(asprintf(&names[i], "r%d", i) > 0);
    proc_metrics_rules_known(m, (const char *const *)names, N);
    proc_metrics_rules_known(m, (const char *const *)names, N);
    proc_metrics_rule_matches(m, "r99999", 2);
    text = proc_metrics_render(m);
    cr_assert_eq(mc_sample(text, "alertfilter_rule_matches_total{rule=\"r99999\"}"), 2);
    cr_assert_eq(mc_sample(text, "alertfilter_rule_matches_total{rule=\"r0\"}"), 0);
    size_t series = 0;
    for (const char *p = text; (p = strstr(p, "\nalertfilter_rule_matches_total{")); p++)
        series++;
    cr_assert_eq(series, N + 3);
    free(text);
    for (int i = 0; i < N; i++)
        free(names[i]);
    free(names);
    proc_metrics_free(m);
}
