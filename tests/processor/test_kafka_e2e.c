/* tests/processor/test_kafka_e2e.c — `alertfilter run` end to end on an
 * in-process mock cluster: rule topics, dead letters, keys and headers,
 * chaining, signals, rule reload, and clear failures on bad clusters. */
#include "tests/processor/kafka_harness.h"

#define N_ALERTS 2000
#define RULES_3                                                                                                  \
    "{ name = \"bright\"; topic = \"out-bright\"; where = \"diaSource.snr > 5\"; },"                             \
    "{ name = \"gr\"; topic = \"out-gr\"; where = \"diaSource.filterName in ('g', 'r')\"; },"                    \
    "{ name = \"history\"; topic = \"out-history\"; where = \"len(prv_diaSources) >= 2 and diaSource.isDipole\"; }"

static bool is_bright(const kh_alert *a) { return a->snr > 5; }
static bool is_gr(const kh_alert *a) { return a->band == 'g' || a->band == 'r'; }
static bool is_history(const kh_alert *a) { return a->id % 3 == 2 && a->id % 2 == 1; }

/* The JSON of alerts [from, to) that pred selects (caller frees each and the array). */
static char **expected_json(int from, int to, bool (*pred)(const kh_alert *), size_t *n)
{
    char **out = calloc((size_t)(to - from) + 1, sizeof *out);
    *n = 0;
    for (int id = from; id < to; id++) {
        kh_alert a = kh_alert_make(id);
        if (pred(&a)) {
            out[(*n)++] = a.json;
            a.json = NULL;
        }
        kh_alert_free(&a);
    }
    return out;
}

static void free_strs(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Asserts topic holds exactly the alerts of [from, to) that pred selects,
 * once each, with rule header `rule`; returns the records for more checks. */
static kh_recs expect_rule_topic(const kh_cluster *c, const char *topic, const char *rule, int from, int to,
                                 bool (*pred)(const kh_alert *))
{
    size_t n;
    char **exp = expected_json(from, to, pred, &n);
    kh_recs rs = kh_read_topic(c, topic);
    cr_assert_gt(n, 0, "the generator must give %s some alerts", rule);
    cr_assert_eq(kh_expect_values(&rs, exp, n, topic), 0, "%s: duplicates without any fault", topic);
    for (size_t i = 0; i < rs.n; i++) {
        cr_assert_str_eq(rs.r[i].rule, rule);
        cr_assert(rs.r[i].source && !strncmp(rs.r[i].source, "in/", 3), "source header %s", rs.r[i].source);
        cr_assert_null(rs.r[i].error);
    }
    free_strs(exp, n);
    return rs;
}

/* The alertId at the start of a Python literal or of our JSON, -1 when none. */
static int alert_id_of(const char *value)
{
    int id;
    return sscanf(value, "{'alertId': %d", &id) == 1 || sscanf(value, "{\"alertId\":%d", &id) == 1 ? id : -1;
}

/* Asserts each record of rs carries, byte for byte, the alertfilter-source
 * "in/PARTITION/OFFSET" of the input record it came from in `in` (the same
 * alertId, or for a dead letter the same bytes). */
static void expect_sources(const kh_recs *rs, const kh_recs *in)
{
    for (size_t i = 0; i < rs->n; i++) {
        const kh_rec *r = &rs->r[i], *from = NULL;
        int id = r->error ? -1 : alert_id_of(r->value);
        for (size_t k = 0; k < in->n && !from; k++)
            if (r->error ? !strcmp(in->r[k].value, r->value) : alert_id_of(in->r[k].value) == id)
                from = &in->r[k];
        cr_assert_not_null(from, "no input record for output %s", r->value);
        char want[64];
        snprintf(want, sizeof want, "in/%" PRId32 "/%" PRId64, from->partition, from->offset);
        cr_assert_str_eq(r->source, want);
    }
}

static const char *const malformed[] = {
    "{'alertId': 7, 'diaSource': {'ra': 1.5", /* truncated */
    "not an alert at all",                    /* a name */
    "{'alertId' 8}",                          /* missing colon */
    "{'alertId': __import__('os')}",          /* a call */
};
/* The reader's error for each, as the alertfilter-error header carries it. */
static const char *const malformed_why[] = {
    "offset 38: expected ',' or '}' after dict value, found end of input",
    "offset 0: unknown name 'not'",
    "offset 11: expected ':' after dict key, found '8'",
    "offset 12: unknown name '__import__'",
};
#define N_MALFORMED (sizeof malformed / sizeof malformed[0])

Test(kafka_e2e, rule_topics_and_dead_letters, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 3);
    kh_produce_alerts(&c, "in", 0, N_ALERTS / 2);
    kh_msg bad[N_MALFORMED];
    for (size_t i = 0; i < N_MALFORMED; i++)
        bad[i] = (kh_msg){malformed[i], i % 2 ? NULL : "bad-key"};
    kh_produce(&c, "in", bad, N_MALFORMED);
    kh_produce_alerts(&c, "in", N_ALERTS / 2, N_ALERTS);
    char *cfg = kh_run_config(&c, "", "in", "e2e", "auto",
                              "dead_letter_topic = \"dlq\"; key = \"diaObject.diaObjectId\"; "
                              "transaction_max_messages = 300;",
                              RULES_3);
    kh_run_until_eof(cfg, 45000);

    kh_recs bright = expect_rule_topic(&c, "out-bright", "bright", 0, N_ALERTS, is_bright);
    for (size_t i = 0; i < bright.n; i++) { /* key: output.key's value, an int, as JSON text */
        int id;
        cr_assert_eq(sscanf(bright.r[i].value, "{\"alertId\":%d", &id), 1);
        char key[32];
        snprintf(key, sizeof key, "%d", 1000 + id / 2);
        cr_assert_str_eq(bright.r[i].key, key);
    }
    kh_recs gr = expect_rule_topic(&c, "out-gr", "gr", 0, N_ALERTS, is_gr);
    kh_recs hist = expect_rule_topic(&c, "out-history", "history", 0, N_ALERTS, is_history);

    kh_recs dlq = kh_read_topic(&c, "dlq");
    char *exp[N_MALFORMED];
    for (size_t i = 0; i < N_MALFORMED; i++)
        exp[i] = (char *)malformed[i];
    cr_assert_eq(kh_expect_values(&dlq, exp, N_MALFORMED, "dlq"), 0);
    for (size_t i = 0; i < dlq.n; i++) {
        const kh_rec *r = &dlq.r[i];
        size_t k = 0;
        while (strcmp(malformed[k], r->value))
            k++;
        if (k % 2)
            cr_assert_null(r->key, "a dead letter keeps the input's (absent) key");
        else
            cr_assert_str_eq(r->key, "bad-key");
        cr_assert_str_eq(r->error, malformed_why[k]);
        cr_assert(r->source && !strncmp(r->source, "in/", 3), "source header: %s", r->source);
        cr_assert_null(r->rule);
    }
    kh_recs in = kh_read_topic(&c, "in");
    cr_assert_eq(in.n, N_ALERTS + N_MALFORMED);
    expect_sources(&bright, &in), expect_sources(&gr, &in), expect_sources(&hist, &in), expect_sources(&dlq, &in);
    kh_recs_free(&bright), kh_recs_free(&gr), kh_recs_free(&hist), kh_recs_free(&dlq), kh_recs_free(&in);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

static bool is_bright_g(const kh_alert *a) { return is_bright(a) && a->band == 'g'; }

Test(kafka_e2e, chained_processors, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    kh_topic(&c, "stage1", 2);
    kh_produce_alerts(&c, "in", 0, 1000);
    char *first = kh_run_config(&c, "", "in", "first", "python", "",
                                "{ name = \"bright\"; topic = \"stage1\"; where = \"diaSource.snr > 5\"; }");
    char *second = kh_run_config(&c, "", "stage1", "second", "json", "",
                                 "{ name = \"g\"; topic = \"stage2\"; where = \"diaSource.filterName == 'g'\"; }");
    kh_run_until_eof(first, 30000);
    kh_run_until_eof(second, 30000);
    size_t n;
    char **exp = expected_json(0, 1000, is_bright_g, &n);
    kh_recs rs = kh_read_topic(&c, "stage2");
    cr_assert_eq(kh_expect_values(&rs, exp, n, "stage2"), 0);
    for (size_t i = 0; i < rs.n; i++)
        cr_assert(!strncmp(rs.r[i].source, "stage1/", 7), "source header: %s", rs.r[i].source);
    kh_recs_free(&rs);
    free_strs(exp, n);
    unlink(first), unlink(second);
    free(first), free(second);
    kh_cluster_free(&c);
}

/* Runs a config that must fail; returns its log after asserting exit 1 within limit_s. */
static char *run_failing(const char *cfg, double limit_s)
{
    char *errp;
    double t0 = kh_now();
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, "--until-eof", NULL);
    int st = kh_wait(pid, 30000);
    double took = kh_now() - t0;
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 1, "exit %d; log:\n%s", st, kh_tail(log));
    cr_assert_lt(took, limit_s, "took %.1f s", took);
    unlink(errp);
    free(errp);
    return log;
}

Test(kafka_e2e, unreachable_cluster_fails_in_bounded_time, .timeout = 40)
{
    char *cfg = kh_config("kafka = { bootstrap_servers = \"127.0.0.1:1\"; };\n"
                          "input = { topics = [ \"in\" ]; };\n"
                          "rules = ( { name = \"all\"; topic = \"all\"; where = \"true\"; } );\n");
    char *log = run_failing(cfg, 20);
    cr_assert(strstr(log, "level=error msg=\"cannot reach the Kafka cluster\""), "log:\n%s", kh_tail(log));
    free(log);
    unlink(cfg);
    free(cfg);
}

/* run with the config text (an unreachable cluster) exits 1 within 2 s, before
 * any connection is tried: its whole log is want, each %s the config's path. */
static void fails_before_connecting(const char *text, const char *want)
{
    char *cfg = kh_config("%s", text);
    char *log = run_failing(cfg, 2);
    char expected[512];
    snprintf(expected, sizeof expected, want, cfg, cfg);
    cr_assert_str_eq(log, expected);
    free(log);
    unlink(cfg);
    free(cfg);
}

Test(kafka_e2e, bad_config_fails_before_connecting, .timeout = 20)
{
    fails_before_connecting("kafka = { bootstrap_servers = \"127.0.0.1:1\"; };\n"
                            "inptu = { topics = [ \"in\" ]; };\n"
                            "rules = ( { name = \"all\"; topic = \"all\"; where = \"true\"; } );\n",
                            "%s:2: unknown setting 'inptu' (did you mean 'input'?)\n"
                            "%s: 'run' needs input.topics = [ \"TOPIC\", ... ]: the topics to read alerts from\n");
}

/* A rule that does not compile is a config error like any other: told with
 * its caret, before any connection is tried (no librdkafka line in the log). */
Test(kafka_e2e, bad_rule_fails_before_connecting, .timeout = 20)
{
    fails_before_connecting("kafka = { bootstrap_servers = \"127.0.0.1:1\"; };\n"
                            "input = { topics = [ \"in\" ]; };\n"
                            "rules = ( { name = \"x\"; topic = \"out\"; where = \"diaSource.snr > > 5\"; } );\n",
                            "%s:3:65: rule 'x': expected an expression, found '>'\n"
                            "    where = \"diaSource.snr > > 5\"\n"
                            "                             ^\n");
}

/* `check` and `eval` take a file with only rules; `run` must say what it lacks. */
Test(kafka_e2e, config_without_input_topics_fails_before_connecting, .timeout = 20)
{
    fails_before_connecting("kafka = { bootstrap_servers = \"127.0.0.1:1\"; };\n"
                            "rules = ( { name = \"all\"; topic = \"all\"; where = \"true\"; } );\n",
                            "%s: 'run' needs input.topics = [ \"TOPIC\", ... ]: the topics to read alerts from\n");
}

Test(kafka_e2e, unknown_input_topic_fails, .timeout = 40)
{
    kh_cluster c = kh_cluster_new(1);
    /* The mock creates any topic it is asked about; a real broker answers this. */
    rd_kafka_mock_topic_set_error(c.mc, "nope", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    char *cfg = kh_run_config(&c, "", "nope", "g", "auto", "",
                              "{ name = \"all\"; topic = \"all\"; where = \"true\"; }");
    char *log = run_failing(cfg, 20);
    cr_assert(strstr(log, "msg=\"cannot read an input topic\" error=\"input topic 'nope': Broker: Unknown topic or partition\""),
              "log:\n%s", kh_tail(log));
    free(log);
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&c);
}

/* Sends sig to pid and asserts a clean exit (0) within limit_ms. */
static void stop_cleanly(pid_t pid, int sig, int limit_ms, const char *errp)
{
    double t0 = kh_now();
    kill(pid, sig);
    int st = kh_wait(pid, 20000);
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 0, "exit %d after signal %d; log:\n%s", st, sig, kh_tail(log));
    cr_assert_lt(kh_now() - t0, limit_ms / 1000.0, "shutdown took %.1f s", kh_now() - t0);
    free(log);
}

static bool always(const kh_alert *a) { return a->id >= 0; }

Test(kafka_e2e, sigterm_commits_and_exits, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    kh_produce_alerts(&c, "in", 0, 500);
    char *cfg = kh_run_config(&c, "", "in", "term", "auto", "", "{ name = \"all\"; topic = \"all\"; where = \"true\"; }");
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    cr_assert_eq(kh_wait_topic_size(&c, "all", 500, 30000), 500);
    stop_cleanly(pid, SIGTERM, 6000, errp);
    size_t n;
    char **exp = expected_json(0, 500, always, &n);
    kh_recs rs = kh_read_topic(&c, "all");
    cr_assert_eq(kh_expect_values(&rs, exp, n, "all"), 0);
    free_strs(exp, n);
    kh_recs_free(&rs);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg);
    kh_cluster_free(&c);
}

Test(kafka_e2e, sighup_swaps_rules_between_transactions, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    const char *rules_a = "{ name = \"bright\"; topic = \"out\"; where = \"diaSource.snr > 5\"; }";
    const char *rules_b = "{ name = \"gr\"; topic = \"out\"; where = \"diaSource.filterName in ('g', 'r')\"; }";
    const char *rules_bad = "{ name = \"gr\"; topic = \"out\"; where = \"diaSource.snr > > 5\"; }";
    char *cfg = kh_run_config(&c, "", "in", "hup", "auto", "", rules_a);
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);

    size_t na, nb;
    char **exp_a = expected_json(0, 600, is_bright, &na);
    char **exp_b = expected_json(600, 1200, is_gr, &nb);
    kh_produce_alerts(&c, "in", 0, 600);
    cr_assert_eq(kh_wait_topic_size(&c, "out", (int64_t)na, 30000), (int64_t)na);

    /* A broken file keeps the old rules... */
    char *bad = kh_run_config(&c, "", "in", "hup", "auto", "", rules_bad);
    cr_assert_eq(rename(bad, cfg), 0);
    kill(pid, SIGHUP);
    kh_sleep_ms(500);
    /* ...and a good one replaces them; its other change (the input format)
     * waits for a restart, and says so. */
    char *good = kh_run_config(&c, "", "in", "hup", "python", "", rules_b);
    cr_assert_eq(rename(good, cfg), 0);
    kill(pid, SIGHUP);
    kh_sleep_ms(500);
    kh_produce_alerts(&c, "in", 600, 1200);
    cr_assert_eq(kh_wait_topic_size(&c, "out", (int64_t)(na + nb), 30000), (int64_t)(na + nb));
    stop_cleanly(pid, SIGTERM, 6000, errp);

    char *log = kh_slurp(errp);
    cr_assert(strstr(log, "msg=\"reload failed, keeping the current rules\" rules=1 errors="), "log:\n%s", kh_tail(log));
    /* One logfmt line per error: its first line, without the rule's text and caret. */
    cr_assert(strstr(log, " level=error msg=\"config error\" error=\""), "log:\n%s", kh_tail(log));
    cr_assert(strstr(log, ": rule 'gr': expected an expression, found '>'\"\n"), "log:\n%s", kh_tail(log));
    for (const char *line = log; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0'))
        cr_assert(strncmp(line, "time=", 5) == 0, "not a logfmt line: %.*s", (int)strcspn(line, "\n"), line);
    cr_assert(strstr(log, "msg=\"rules reloaded\" rules=1"), "log:\n%s", kh_tail(log));
    cr_assert(strstr(log, " level=warn msg=\"a reload changes the rules only: restart for the other settings\" "
                          "changed=input\n"),
              "log:\n%s", kh_tail(log));
    free(log);
    kh_recs rs = kh_read_topic(&c, "out");
    char **all = calloc(na + nb, sizeof *all);
    memcpy(all, exp_a, na * sizeof *all);
    memcpy(all + na, exp_b, nb * sizeof *all);
    cr_assert_eq(kh_expect_values(&rs, all, na + nb, "out"), 0);
    for (size_t i = 0; i < rs.n; i++) {
        int id;
        cr_assert_eq(sscanf(rs.r[i].value, "{\"alertId\":%d", &id), 1);
        cr_assert_str_eq(rs.r[i].rule, id < 600 ? "bright" : "gr", "alert %d", id);
    }
    free(all);
    free_strs(exp_a, na), free_strs(exp_b, nb);
    kh_recs_free(&rs);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg), free(bad), free(good);
    kh_cluster_free(&c);
}

Test(kafka_e2e, at_least_once_to_a_downstream_cluster, .timeout = 60)
{
    kh_cluster up = kh_cluster_new(1), down = kh_cluster_new(1);
    kh_topic(&up, "in", 2);
    kh_topic(&down, "out-bright", 2);
    kh_produce_alerts(&up, "in", 0, 800);
    char output[512];
    snprintf(output, sizeof output, "guarantee = \"at_least_once\"; kafka = { bootstrap_servers = \"%s\"; };",
             down.bootstraps);
    char *cfg = kh_run_config(&up, "", "in", "downstream", "auto", output,
                              "{ name = \"bright\"; topic = \"out-bright\"; where = \"diaSource.snr > 5\"; }");
    kh_run_until_eof(cfg, 30000);
    kh_recs rs = expect_rule_topic(&down, "out-bright", "bright", 0, 800, is_bright);
    kh_recs_free(&rs);
    cr_assert_eq(kh_topic_size(&up, "out-bright"), 0, "nothing goes to the input cluster");
    unlink(cfg);
    free(cfg);
    kh_cluster_free(&up), kh_cluster_free(&down);
}

Test(kafka_e2e, sighup_while_alerts_arrive_loses_and_repeats_nothing, .timeout = 90)
{
    /* Both rule sets select everything, into different topics: across the
     * swap, each alert must be in exactly one of them. */
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 3);
    char *cfg = kh_run_config(&c, "", "in", "swap", "auto", "transaction_max_messages = 50;",
                              "{ name = \"a\"; topic = \"out-a\"; where = \"true\"; }");
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    kh_produce_alerts(&c, "in", 0, 1000);
    cr_assert_eq(kh_wait_topic_size(&c, "out-a", 1000, 30000), 1000);
    char *next = kh_run_config(&c, "", "in", "swap", "auto", "transaction_max_messages = 50;",
                               "{ name = \"b\"; topic = \"out-b\"; where = \"true\"; }");
    cr_assert_eq(rename(next, cfg), 0);
    kill(pid, SIGHUP);
    kh_produce_alerts(&c, "in", 1000, 3000);
    int64_t total = kh_topic_size(&c, "out-a");
    for (double deadline = kh_now() + 30; total < 3000 && kh_now() < deadline; kh_sleep_ms(50))
        total = kh_topic_size(&c, "out-a") + kh_topic_size(&c, "out-b");
    stop_cleanly(pid, SIGTERM, 6000, errp);

    kh_recs ra = kh_read_topic(&c, "out-a"), rb = kh_read_topic(&c, "out-b");
    kh_recs both = {calloc(ra.n + rb.n + 1, sizeof *both.r), ra.n + rb.n};
    memcpy(both.r, ra.r, ra.n * sizeof *both.r);
    memcpy(both.r + ra.n, rb.r, rb.n * sizeof *both.r);
    size_t n;
    char **exp = expected_json(0, 3000, always, &n);
    cr_assert_eq(kh_expect_values(&both, exp, n, "out-a + out-b"), 0);
    cr_assert_geq(ra.n, 1000);
    cr_assert_gt(rb.n, 0, "the new rules never ran");
    free(both.r);
    free_strs(exp, n);
    kh_recs_free(&ra), kh_recs_free(&rb);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg), free(next);
    kh_cluster_free(&c);
}
