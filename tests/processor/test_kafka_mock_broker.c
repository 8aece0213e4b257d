/* tests/processor/test_kafka_mock_broker.c — `alertfilter mock-broker`: the
 * bootstrap line, the brokers and topics it creates, a clean exit on signal,
 * and usage errors. */
#include "tests/processor/kafka_harness.h"

/* Starts `alertfilter mock-broker ARGS...` with stdout on a pipe; returns its pid. */
static pid_t spawn_broker(FILE **out, char *const extra[])
{
    char *argv[16] = {(char *)kh_bin(), "mock-broker"};
    int argc = 2;
    for (; extra[argc - 2]; argc++)
        argv[argc] = extra[argc - 2];
    argv[argc] = NULL;
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(fds[1], STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(fds[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    *out = fdopen(fds[0], "r");
    return pid;
}

Test(kafka_mock_broker, serves_brokers_and_topics_until_sigterm, .timeout = 30)
{
    FILE *out;
    pid_t pid = spawn_broker(&out, (char *const[]){"--brokers", "3", "--topic", "alerts:5", "--topic", "dlq:1", NULL});
    char line[512];
    cr_assert(fgets(line, sizeof line, out), "no bootstrap line");
    line[strcspn(line, "\n")] = '\0';
    int commas = 0;
    for (const char *p = line; *p; p++)
        commas += *p == ',';
    cr_assert_eq(commas, 2, "three brokers expected: %s", line);
    cr_assert(!strncmp(line, "127.0.0.1:", 10), "%s", line);

    kh_cluster c = {.bootstraps = line};
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kh_conf(&c), err, sizeof err);
    cr_assert(rk, "%s", err);
    const struct rd_kafka_metadata *md;
    cr_assert_eq(rd_kafka_metadata(rk, 1, NULL, &md, KH_TIMEOUT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(md->broker_cnt, 3);
    rd_kafka_metadata_destroy(md);
    cr_assert_eq(kh_partitions(rk, "alerts"), 5);
    cr_assert_eq(kh_partitions(rk, "dlq"), 1);
    rd_kafka_destroy(rk);

    double t0 = kh_now();
    kill(pid, SIGTERM);
    cr_assert_eq(kh_wait(pid, 10000), 0);
    cr_assert_lt(kh_now() - t0, 5.0, "shutdown took %.1f s", kh_now() - t0);
    fclose(out);
}

Test(kafka_mock_broker, bad_arguments_are_usage_errors, .timeout = 30)
{
    char *errp;
    pid_t pid = kh_spawn(&errp, "mock-broker", "--topic", "alerts:0", NULL);
    cr_assert_eq(kh_wait(pid, 10000), 2);
    char *log = kh_slurp(errp);
    /* Told before the cluster starts: nothing else is logged. */
    cr_assert_str_eq(log, "alertfilter mock-broker: --topic wants NAME:PARTITIONS with 1..1024 partitions, got "
                          "'alerts:0'\n");
    free(log);
    unlink(errp);
    free(errp);
    pid = kh_spawn(&errp, "mock-broker", "--brokers", "0", NULL);
    cr_assert_eq(kh_wait(pid, 10000), 2);
    log = kh_slurp(errp);
    cr_assert(strstr(log, "alertfilter mock-broker: --brokers wants 1..16, got '0'\n"), "%s", kh_tail(log));
    free(log);
    unlink(errp);
    free(errp);
    static const struct {
        const char *arg, *first_line;
    } options[] = {
        {"--bogus", "alertfilter mock-broker: unknown option '--bogus'\n"},
        {"-b", "alertfilter mock-broker: unknown option '-b'\n"},
        {"--brokers", "alertfilter mock-broker: missing value for '--brokers'\n"},
        {"extra", "alertfilter mock-broker: unexpected argument 'extra'\n"},
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        pid = kh_spawn(&errp, "mock-broker", options[i].arg, NULL);
        cr_assert_eq(kh_wait(pid, 10000), 2, "%s", options[i].arg);
        log = kh_slurp(errp);
        size_t n = strlen(options[i].first_line);
        cr_assert_eq(strncmp(log, options[i].first_line, n), 0, "%s", kh_tail(log));
        cr_assert_eq(strncmp(log + n, "usage: alertfilter mock-broker ", 31), 0, "%s", kh_tail(log));
        free(log);
        unlink(errp);
        free(errp);
    }
}
