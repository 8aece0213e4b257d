/* tests/processor/test_kafka_avro.c — `alertfilter run` on Avro input, on the
 * in-process mock cluster: Confluent-framed records with their schema from a
 * registry (a scripted local server), object container files, encodings
 * json and original, dead letters, a registry that blinks (retried, nothing
 * lost) and one that is down: the run stops, nothing is dead-lettered or
 * committed, and a later run reads it all. */
#include "tests/processor/kafka_harness.h"

#include "avro_bytes.h"
#include "registry_server.h"

#define N 300
#define SCHEMA_AVSC "{\"type\": \"record\", \"name\": \"alert\", \"namespace\": \"t\", \"fields\": ["      \
                    "{\"name\": \"id\", \"type\": \"long\"}, {\"name\": \"band\", \"type\": \"string\"}, " \
                    "{\"name\": \"flux\", \"type\": \"double\"}]}"

static rs_server server;
static void stop_server(void)
{
    if (server.pid)
        rs_stop(&server);
}

/* Alert i: its Avro record and its JSON. flux = i / 4 is exact in binary and in decimal. */
static void alert_record(ab_buf *o, int i)
{
    ab_long(o, i * 1000003LL);
    ab_string(o, i % 3 ? "g" : "r");
    ab_double(o, i / 4.0);
}

static char *alert_json(int i)
{
    char *out = NULL;
    char flux[32];
    snprintf(flux, sizeof flux, "%.2f", i / 4.0);
    size_t n = strlen(flux);
    while (flux[n - 1] == '0' && flux[n - 2] != '.')
        flux[--n] = '\0';
    cr_assert(asprintf(&out, "{\"id\":%lld,\"band\":\"%s\",\"flux\":%s}", i * 1000003LL, i % 3 ? "g" : "r", flux) > 0);
    return out;
}

static bool bright(int i) { return i / 4.0 > 50 && i % 3 != 0; } /* flux > 50 and band == 'g' */

/* Produces binary messages. */
static void produce_bytes(const kh_cluster *c, const char *topic, ab_buf *msgs, size_t n)
{
    rd_kafka_t *p = kh_producer(c);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_VALUE(msgs[i].b, msgs[i].n), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
        cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "%s", rd_kafka_err2str(e));
    }
    cr_assert_eq(rd_kafka_flush(p, KH_TIMEOUT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
}

/* Asserts topic holds exactly the JSON of the alerts pred selects, each once. */
static void expect_json(const kh_cluster *c, const char *topic, bool (*pred)(int))
{
    char *exp[N];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        if (pred(i))
            exp[n++] = alert_json(i);
    kh_recs rs = kh_read_topic(c, topic);
    cr_assert_gt(n, 10);
    cr_assert_eq(kh_expect_values(&rs, exp, n, topic), 0, "%s: duplicates", topic);
    kh_recs_free(&rs);
    for (size_t i = 0; i < n; i++)
        free(exp[i]);
}

/* The registry's routes: id 9 is SCHEMA_AVSC; its first fail_first requests answer 503. */
static const char *route_9(int fail_first)
{
    static char routes[2048];
    size_t n = (size_t)snprintf(routes, sizeof routes,
                                "{\"/schemas/ids/9\": {\"status\": 200, \"fail_first\": %d, \"body\": \"{\\\"schema\\\": \\\"",
                                fail_first);
    for (const char *p = SCHEMA_AVSC; *p; p++)
        n += (size_t)snprintf(routes + n, sizeof routes - n, *p == '"' ? "\\\\\\\"" : "%c", *p);
    snprintf(routes + n, sizeof routes - n, "\\\"}\"}}");
    return routes;
}

static char *avro_config(const kh_cluster *c, const char *registry, const char *extra)
{
    return kh_config("kafka = { bootstrap_servers = \"%s\"; };\n"
                     "input = { topics = [ \"in\" ]; group = \"g\"; format = \"avro\";\n"
                     "          avro = { registry = \"%s\"; registry_timeout_ms = 1000; %s }; };\n"
                     "output = { dead_letter_topic = \"dlq\"; };\n"
                     "rules = ( { name = \"bright\"; topic = \"out-bright\"; where = \"flux > 50 and band == 'g'\"; },\n"
                     "          { name = \"all\"; topic = \"out-all\"; where = \"true\"; encoding = \"original\"; } );\n",
                     c->bootstraps, registry, extra);
}

TestSuite(kafka_avro, .fini = stop_server);

Test(kafka_avro, confluent_records_with_a_registry, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 3);
    static ab_buf msgs[N + 2];
    for (int i = 0; i < N; i++) {
        msgs[i].n = 0;
        ab_confluent(&msgs[i], 9);
        alert_record(&msgs[i], i);
    }
    /* Two bad ones: an id the registry does not know, and a record cut short. */
    msgs[N].n = 0;
    ab_confluent(&msgs[N], 404);
    alert_record(&msgs[N], 1);
    msgs[N + 1] = msgs[7];
    msgs[N + 1].n -= 4;
    produce_bytes(&c, "in", msgs, N + 2);
    rs_start(&server, route_9(0));
    char *cfg = avro_config(&c, server.url, "");
    kh_run_until_eof(cfg, 60000);

    expect_json(&c, "out-bright", bright);
    /* encoding original: the input's bytes, unchanged, for every readable message
     * (the records hold NULs: compared over each input's length, each input once). */
    kh_recs all = kh_read_topic(&c, "out-all");
    cr_assert_eq(all.n, N);
    char *seen = calloc(N, 1);
    for (size_t k = 0; k < all.n; k++) {
        cr_assert_str_eq(all.r[k].rule, "all");
        int i = -1;
        for (int j = 0; j < N && i < 0; j++)
            if (!seen[j] && memcmp(all.r[k].value, msgs[j].b, msgs[j].n) == 0)
                i = j;
        cr_assert_geq(i, 0, "record %zu of out-all is no input message", k);
        seen[i] = 1;
    }
    free(seen);
    kh_recs_free(&all);
    kh_recs dlq = kh_read_topic(&c, "dlq");
    cr_assert_eq(dlq.n, 2);
    const char *why[2] = {dlq.r[0].error, dlq.r[1].error};
    if (strncmp(why[0], "offset 1:", 9))
        why[0] = dlq.r[1].error, why[1] = dlq.r[0].error;
    cr_assert_str_eq(why[0], "offset 1: schema id 404 is not in the schema registry");
    cr_assert_eq(strncmp(why[1], "offset ", 7), 0, "%s", why[1]);
    cr_assert_neq(strncmp(why[1], "offset 1:", 9), 0, "%s", why[1]);
    kh_recs_free(&dlq);
    cr_assert_eq(rs_requests(&server, "/schemas/ids/9"), 1);
    cr_assert_eq(rs_requests(&server, "/schemas/ids/404"), 1);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_avro, container_files_one_per_message, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    static ab_buf msgs[N];
    for (int i = 0; i < N; i++) {
        ab_buf body = {0};
        alert_record(&body, i);
        msgs[i].n = 0;
        ab_container(&msgs[i], SCHEMA_AVSC, &body, 1, "ZTF-sync-marker!");
    }
    produce_bytes(&c, "in", msgs, N);
    char *cfg = kh_config("kafka = { bootstrap_servers = \"%s\"; };\n"
                          "input = { topics = [ \"in\" ]; group = \"g\"; };\n"
                          "output = { dead_letter_topic = \"dlq\"; encoding = \"original\"; };\n"
                          "rules = ( { name = \"bright\"; topic = \"out-bright\"; where = \"flux > 50 and band == 'g'\"; "
                          "encoding = \"json\"; },\n"
                          "          { name = \"r\"; topic = \"out-r\"; where = \"band == 'r'\"; } );\n",
                          c.bootstraps);
    kh_run_until_eof(cfg, 60000);
    expect_json(&c, "out-bright", bright);
    kh_recs r = kh_read_topic(&c, "out-r");
    cr_assert_eq(r.n, N / 3);
    for (size_t k = 0; k < r.n; k++)
        cr_assert_eq(memcmp(r.r[k].value, "Obj\x01", 4), 0);
    kh_recs_free(&r);
    cr_assert_eq(kh_topic_size(&c, "dlq"), 0);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_avro, a_registry_down_stops_the_run_and_loses_nothing, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 1);
    static ab_buf msgs[N];
    for (int i = 0; i < N; i++) {
        msgs[i].n = 0;
        ab_confluent(&msgs[i], 9);
        alert_record(&msgs[i], i);
    }
    produce_bytes(&c, "in", msgs, N);
    char down[64];
    snprintf(down, sizeof down, "http://127.0.0.1:%d", rs_dead_port());
    char *cfg = avro_config(&c, down, "registry_retry_seconds = 2;");
    char *errp;
    double t0 = kh_now();
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, "--until-eof", NULL);
    int st = kh_wait(pid, 30000);
    double took = kh_now() - t0;
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 1, "run exited %d; its log ends:\n%s", st, kh_tail(log));
    cr_assert(took >= 1.5 && took < 15, "took %.1f s", took);
    cr_assert_not_null(strstr(log, "level=warn msg=\"schema registry unavailable, retrying\" id=9 attempt=1 "
                                   "retry_in_ms=500"),
                       "%s", kh_tail(log));
    cr_assert_not_null(strstr(log, "level=error msg=\"schema registry unavailable\" id=9 retried_for_s=2 "),
                       "%s", kh_tail(log));
    cr_assert_not_null(strstr(log, "level=error msg=\"stopping: an Avro schema cannot be had\" topic=in partition=0 "
                                   "offset=0"),
                       "%s", kh_tail(log));
    free(log);
    unlink(errp);
    free(errp);
    cr_assert_eq(kh_topic_size(&c, "dlq"), 0);
    unlink(cfg);
    free(cfg);
    /* The registry is back: the same group reads every alert, none was committed. */
    rs_start(&server, route_9(0));
    cfg = avro_config(&c, server.url, "");
    kh_run_until_eof(cfg, 60000);
    expect_json(&c, "out-bright", bright);
    kh_recs all = kh_read_topic(&c, "out-all");
    cr_assert_eq(all.n, N);
    kh_recs_free(&all);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_avro, a_registry_that_blinks_costs_nothing, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    static ab_buf msgs[N];
    for (int i = 0; i < N; i++) {
        msgs[i].n = 0;
        ab_confluent(&msgs[i], 9);
        alert_record(&msgs[i], i);
    }
    produce_bytes(&c, "in", msgs, N);
    rs_start(&server, route_9(3)); /* 503, 503, 503, then the schema: tries at 0, 0.5, 1.5 and 3.5 s */
    char *cfg = avro_config(&c, server.url, "registry_retry_seconds = 10;");
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, "--until-eof", NULL);
    int st = kh_wait(pid, 60000);
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 0, "run exited %d; its log ends:\n%s", st, kh_tail(log));
    for (int attempt = 1; attempt <= 3; attempt++) {
        char want[120];
        snprintf(want, sizeof want, "msg=\"schema registry unavailable, retrying\" id=9 attempt=%d ", attempt);
        cr_assert_not_null(strstr(log, want), "%s", kh_tail(log));
    }
    cr_assert_null(strstr(log, "attempt=4"), "%s", kh_tail(log));
    free(log);
    unlink(errp);
    free(errp);
    expect_json(&c, "out-bright", bright);
    kh_recs all = kh_read_topic(&c, "out-all");
    cr_assert_eq(all.n, N);
    kh_recs_free(&all);
    cr_assert_eq(kh_topic_size(&c, "dlq"), 0);
    cr_assert_eq(rs_requests(&server, "/schemas/ids/9"), 4);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_avro, sigterm_while_waiting_for_the_registry_stops_at_once_and_commits_nothing, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 1);
    static ab_buf msgs[10];
    for (int i = 0; i < 10; i++) {
        msgs[i].n = 0;
        ab_confluent(&msgs[i], 9);
        alert_record(&msgs[i], i);
    }
    produce_bytes(&c, "in", msgs, 10);
    char down[64];
    snprintf(down, sizeof down, "http://127.0.0.1:%d", rs_dead_port());
    char *cfg = avro_config(&c, down, "registry_retry_seconds = 60;");
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    cr_assert(kh_wait_log(errp, "attempt=2 ", 30000), "no second try of the registry");
    double t0 = kh_now();
    kill(pid, SIGTERM);
    int st = kh_wait(pid, 30000);
    double took = kh_now() - t0;
    char *log = kh_slurp(errp);
    /* The message was not processed: the batch is not committed, which a stop reports with exit 1. */
    cr_assert_eq(st, 1, "run exited %d; its log ends:\n%s", st, kh_tail(log));
    cr_assert_lt(took, 10, "took %.1f s to stop", took);
    cr_assert_not_null(strstr(log, "level=warn msg=\"stopped while waiting for the schema registry\" id=9 "), "%s",
                       kh_tail(log));
    cr_assert_not_null(strstr(log, "msg=\"stopping with a batch not committed: its input is read again on restart\" "
                                   "messages=1"),
                       "%s", kh_tail(log));
    cr_assert_null(strstr(log, "stopping: an Avro schema cannot be had"), "%s", kh_tail(log));
    cr_assert_null(strstr(log, "msg=\"schema registry unavailable\""), "%s", kh_tail(log));
    free(log);
    unlink(errp);
    free(errp);
    cr_assert_eq(kh_topic_size(&c, "dlq"), 0);
    cr_assert_eq(kh_topic_size(&c, "out-all"), 0);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}
