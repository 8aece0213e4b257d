/* tests/processor/test_ops_config.c — configs that `check` must reject because
 * `run` would (issue 13, items 4 and 7): exact messages and exit status of
 * `check`, and `run` reporting every config error before connecting. */
#include "tests/processor/kafka_harness.h"

#include <sys/stat.h>

/* Runs the binary with args (NULL-terminated) within limit_s; returns its
 * exit status and stores its stderr in *err (caller frees). */
static int run_bin(char **err, double limit_s, ...)
{
    char *argv[8];
    int n = 0;
    va_list ap;
    va_start(ap, limit_s);
    while (n < 7 && (argv[n] = va_arg(ap, char *)) != NULL)
        n++;
    va_end(ap);
    argv[n] = NULL;
    char *errp;
    pid_t pid = kh_spawn(&errp, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], NULL);
    double t0 = kh_now();
    int st = kh_wait(pid, (int)(limit_s * 1000) + 5000);
    *err = kh_slurp(errp);
    cr_assert_lt(kh_now() - t0, limit_s, "took %.1f s; stderr:\n%s", kh_now() - t0, *err);
    unlink(errp);
    free(errp);
    return st;
}

/* `check -c` on the config text: its exit status is want_status and its
 * stderr is want (each %s the config's path). */
static void check_says(const char *text, int want_status, const char *want)
{
    char *cfg = kh_config("%s", text);
    char *err;
    int st = run_bin(&err, 10, "check", "-c", cfg, NULL);
    char expected[2048];
    snprintf(expected, sizeof expected, want, cfg, cfg, cfg, cfg);
    cr_assert_str_eq(err, expected);
    cr_assert_eq(st, want_status, "exit %d", st);
    free(err);
    unlink(cfg);
    free(cfg);
}

#define RULE "rules = ( { name = \"all\"; topic = \"out\"; where = \"true\"; } );\n"

Test(ops_config, check_rejects_an_input_topic_named_twice)
{
    check_says("input = { topics = [ \"alerts\", \"other\",\n"
               "                     \"alerts\" ]; };\n" RULE,
               1, "%s:1: 'input.topics' names \"alerts\" twice\n%s: 1 error\n");
}

Test(ops_config, check_rejects_an_empty_group)
{
    check_says("input = { topics = [ \"alerts\" ];\n  group = \"\"; };\n" RULE, 1,
               "%s:2: 'input.group': the consumer group id is empty; Kafka needs a name (default \"alertfilter\")\n"
               "%s: 1 error\n");
}

Test(ops_config, check_of_a_directory_says_it_is_one)
{
    char dir[] = "/tmp/ops-cfg-dir-XXXXXX";
    cr_assert(mkdtemp(dir));
    char *err;
    int st = run_bin(&err, 10, "check", "-c", dir, NULL);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot open: Is a directory\n%s: 1 error\n", dir, dir);
    cr_assert_str_eq(err, want);
    cr_assert_eq(st, 1);
    free(err);
    rmdir(dir);
}

/* `run` reports every config error `check` reports, and what only `run` needs
 * (input.topics), in one go, before connecting: no librdkafka line, exit 1. */
Test(ops_config, run_reports_every_config_error, .timeout = 20)
{
    char *cfg = kh_config("kafka = { bootstrap_servers = \"127.0.0.1:1\"; };\n"
                          "input = { group = \"\"; };\n"
                          "rules = ( { name = \"x\"; topic = \"out\"; where = \"diaSource.snr > > 5\"; } );\n");
    char *err;
    int st = run_bin(&err, 3, "run", "-c", cfg, NULL);
    char want[1024];
    snprintf(want, sizeof want,
             "%s:2: 'input.group': the consumer group id is empty; Kafka needs a name (default \"alertfilter\")\n"
             "%s:3:65: rule 'x': expected an expression, found '>'\n"
             "    where = \"diaSource.snr > > 5\"\n"
             "                             ^\n"
             "%s: 'run' needs input.topics = [ \"TOPIC\", ... ]: the topics to read alerts from\n",
             cfg, cfg, cfg);
    cr_assert_str_eq(err, want);
    cr_assert_eq(st, 1);
    free(err);
    unlink(cfg);
    free(cfg);
}

/* A reload that finds two errors says errors=2 and logs both. */
Test(ops_config, reload_logs_every_error, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 1);
    char *cfg = kh_run_config(&c, "", "in", "reload2", "auto", "", "{ name = \"a\"; topic = \"out\"; where = \"true\"; }");
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    cr_assert(kh_wait_log(errp, "msg=running", 20000));
    char *bad = kh_config("kafka = { bootstrap_servers = \"%s\"; };\n"
                          "input = { topics = [ \"in\", \"in\" ]; group = \"reload2\"; };\n"
                          "rules = ( { name = \"a\"; topic = \"out\"; where = \"x >\"; } );\n",
                          c.bootstraps);
    cr_assert_eq(rename(bad, cfg), 0);
    kill(pid, SIGHUP);
    cr_assert(kh_wait_log(errp, "msg=\"reload failed, keeping the current rules\"", 10000));
    kh_sleep_ms(200);
    kill(pid, SIGTERM);
    int st = kh_wait(pid, 20000);
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 0, "exit %d; log:\n%s", st, kh_tail(log));
    cr_assert(strstr(log, "msg=\"reload failed, keeping the current rules\" rules=1 errors=2\n"), "log:\n%s",
              kh_tail(log));
    char want[512];
    snprintf(want, sizeof want, "msg=\"config error\" error=\"%s:2: 'input.topics' names \\\"in\\\" twice\"\n", cfg);
    cr_assert(strstr(log, want), "no %s in log:\n%s", want, kh_tail(log));
    snprintf(want, sizeof want,
             "msg=\"config error\" error=\"%s:3:52: rule 'a': expected an expression, found the end of the rule\"\n",
             cfg);
    cr_assert(strstr(log, want), "no %s in log:\n%s", want, kh_tail(log));
    free(log);
    unlink(errp), unlink(cfg);
    free(errp), free(cfg), free(bad);
    kh_cluster_free(&c);
}

/* Issue 13: an error in a 1 MB `where` echoed the whole megabyte back. The
 * text is cut to a window around the caret, "..." where it is cut; the
 * column still counts from the start of the line. */
Test(ops_config, a_long_where_is_cut_around_the_error)
{
    enum { N = 100000 };
    size_t cap = (size_t)N * 12 + 256, len = 0;
    char *where = malloc(cap);
    len += (size_t)snprintf(where, cap, "diaSource.filterName in (");
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(where + len, cap - len, "%s'x%d'", i ? ", " : "", i);
    snprintf(where + len, cap - len, ") and > 3");
    const char *head = "rules = ( { name = \"ids\"; topic = \"t\"; where = \"";
    char *cfg = kh_config("%s%s\"; } );\n", head, where);
    char *err;
    int st = run_bin(&err, 20, "check", "-c", cfg, NULL);
    size_t col = strlen(head) + (size_t)(strstr(where, "> 3") - where) + 1;
    char want[1024];
    snprintf(want, sizeof want,
             "%s:1:%zu: rule 'ids': expected an expression, found '>'\n"
             "    where = \"...994', 'x99995', 'x99996', 'x99997', 'x99998', 'x99999') and > 3\"\n"
             "                                                                            ^\n"
             "%s: 1 error\n",
             cfg, col, cfg);
    cr_assert_str_eq(err, want);
    cr_assert_eq(st, 1);
    free(err);
    free(where);
    unlink(cfg);
    free(cfg);
}
