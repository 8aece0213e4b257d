/* tests/processor/test_kafka_metrics.c — scrapes a live `alertfilter run` on the
 * mock broker and checks its counters against a known stream. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#define N_ALERTS 500
#define SEED "7"

static char dir[] = "/tmp/alertfilter-kmetrics.XXXXXX";
static pid_t broker = -1, runner = -1;
static char brokers[256];

static const char *bin(void)
{
    const char *b = getenv("ALERTFILTER_BIN");
    return b ? b : "bin/alertfilter";
}

static void path_in_dir(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", dir, name); }

/* Starts bin with args; stdout to out_fd (or the log), stderr to the log file `log`. */
static pid_t spawn(char *const argv[], int out_fd, const char *log)
{
    char logpath[512];
    path_in_dir(logpath, sizeof logpath, log);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int lf = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(out_fd >= 0 ? out_fd : lf, 1);
        dup2(lf, 2);
        execv(bin(), argv);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid)
{
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void start_broker(void)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    char *argv[] = {(char *)bin(), "mock-broker", "--topic", "alerts:2", "--topic", "alerts-dlq:1", NULL};
    broker = spawn(argv, fds[1], "broker.log");
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    cr_assert_not_null(fgets(brokers, sizeof brokers, f), "mock-broker printed no bootstrap servers");
    brokers[strcspn(brokers, "\n")] = '\0';
    fclose(f);
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    start_broker();
}

static void teardown(void)
{
    if (runner > 0) {
        kill(runner, SIGKILL);
        waitpid(runner, NULL, 0);
    }
    if (broker > 0) {
        kill(broker, SIGTERM);
        waitpid(broker, NULL, 0);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A port nobody listens on now: the kernel's choice for port 0, released. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

/* One message that is not an alert, so that the rejected counter moves. */
static void produce_malformed(void)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    const char *bad = "{'alertId': 1, 'diaSource': {'ra': nan}}";
    cr_assert_eq(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("alerts"), RD_KAFKA_V_PARTITION(0),
                                   RD_KAFKA_V_VALUE((void *)bad, strlen(bad)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                   RD_KAFKA_V_END),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    cr_assert_eq(rd_kafka_flush(p, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
}

static void write_config(int port)
{
    char path[512];
    path_in_dir(path, sizeof path, "run.cfg");
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "kafka = { bootstrap_servers = \"%s\"; };\n"
            "input = { topics = [ \"alerts\" ]; group = \"kmetrics\"; };\n"
            "output = { guarantee = \"exactly_once\"; dead_letter_topic = \"alerts-dlq\"; };\n"
            "metrics = { address = \"127.0.0.1\"; port = %d; };\n"
            "rules = (\n"
            "  { name = \"all\"; topic = \"alerts-all\"; where = \"true\"; },\n"
            "  { name = \"seed_ra\"; topic = \"alerts-ra350\"; where = \"diaSource.ra > 350\"; }\n"
            ");\n",
            brokers, port);
    fclose(f);
}

/* How many of the N_ALERTS sample alerts `eval` sends to topic: the expected
 * count comes from the same generator and rules, without Kafka. */
static long eval_count(const char *topic)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' send -o - -n %d --seed %s 2>/dev/null | '%s' eval -c '%s/run.cfg' | cut -f 1 | grep -cx '%s'",
             bin(), N_ALERTS, SEED, bin(), dir, topic);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    long n = -1;
    cr_assert_eq(fscanf(p, "%ld", &n), 1);
    pclose(p);
    return n;
}

typedef struct {
    int status;
    char body[65536];
} http_reply;

/* GET path over HTTP/1.0; status 0 when nothing listens yet. */
static void http_get(int port, const char *path, http_reply *r)
{
    r->status = 0;
    r->body[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\n\r\n", path);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    static char buf[sizeof r->body + 1024];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof buf - 1 && (got = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)got;
    close(fd);
    buf[len] = '\0';
    if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        r->status = 0;
    const char *body = strstr(buf, "\r\n\r\n");
    snprintf(r->body, sizeof r->body, "%s", body ? body + 4 : "");
}

/* The value of the sample whose name and labels are exactly `series`, or -1. */
static long long sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return atoll(p + n + 1);
    return -1;
}

static void sleep_ms(long ms) { nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000}, NULL); }

TestSuite(kafka_metrics, .init = setup, .fini = teardown, .timeout = 60);

Test(kafka_metrics, live_run_counts_a_known_stream)
{
    char *send_argv[] = {(char *)bin(), "send", "-b", brokers, "-t", "alerts", "-n", "500", "--seed", SEED, NULL};
    cr_assert_eq(wait_exit(spawn(send_argv, -1, "send.log")), 0);
    produce_malformed();
    int port = free_port();
    write_config(port);
    long want_ra = eval_count("alerts-ra350");
    cr_assert_gt(want_ra, 0, "the sample stream should hold alerts with ra > 350");

    char cfg[512];
    path_in_dir(cfg, sizeof cfg, "run.cfg");
    char *run_argv[] = {(char *)bin(), "run", "-c", cfg, NULL};
    runner = spawn(run_argv, -1, "run.log");

    http_reply r;
    long long consumed = -1;
    for (int i = 0; i < 400 && consumed != N_ALERTS + 1; i++) {
        sleep_ms(100);
        cr_assert_eq(waitpid(runner, NULL, WNOHANG), 0, "run exited early (see %s/run.log)", dir);
        http_get(port, "/metrics", &r);
        consumed = r.status == 200 ? sample(r.body, "alertfilter_messages_consumed_total") : -1;
    }
    cr_assert_eq(consumed, N_ALERTS + 1, "consumed %lld of %d messages in 40 s", consumed, N_ALERTS + 1);
    cr_assert_eq(sample(r.body, "alertfilter_messages_rejected_total"), 1);
    cr_assert_eq(sample(r.body, "alertfilter_rule_matches_total{rule=\"all\"}"), N_ALERTS);
    cr_assert_eq(sample(r.body, "alertfilter_rule_matches_total{rule=\"seed_ra\"}"), want_ra);
    long long committed = sample(r.body, "alertfilter_transactions_total{outcome=\"committed\"}");
    long long aborted = sample(r.body, "alertfilter_transactions_total{outcome=\"aborted\"}");
    cr_assert_geq(committed, 1);
    cr_assert_eq(aborted, 0);
    cr_assert_eq(sample(r.body, "alertfilter_batch_seconds_count"), committed + aborted);
    cr_assert_eq(sample(r.body, "alertfilter_consumer_lag{topic=\"alerts\",partition=\"0\"}"), 0);
    cr_assert_eq(sample(r.body, "alertfilter_consumer_lag{topic=\"alerts\",partition=\"1\"}"), 0);

    http_get(port, "/healthz", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "ok\n");
    http_get(port, "/readyz", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "ready\n");

    kill(runner, SIGTERM);
    int rc = wait_exit(runner);
    runner = -1;
    cr_assert_eq(rc, 0, "run exited %d on SIGTERM", rc);
}

Test(kafka_metrics, port_in_use_stops_run_with_a_clear_error)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(fd, 1), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    int port = ntohs(sa.sin_port);
    write_config(port);

    char cfg[512];
    path_in_dir(cfg, sizeof cfg, "run.cfg");
    char *run_argv[] = {(char *)bin(), "run", "-c", cfg, NULL};
    int rc = wait_exit(spawn(run_argv, -1, "run.log"));
    close(fd);
    cr_assert_eq(rc, 1);

    char cmd[700], want[200];
    snprintf(want, sizeof want, "metrics: cannot listen on 127.0.0.1:%d: Address already in use", port);
    snprintf(cmd, sizeof cmd, "grep -cF '%s' '%s/run.log'", want, dir);
    FILE *p = popen(cmd, "r");
    int hits = 0;
    cr_assert_eq(fscanf(p, "%d", &hits), 1);
    pclose(p);
    cr_assert_eq(hits, 1, "run.log should hold the line: %s", want);
}
