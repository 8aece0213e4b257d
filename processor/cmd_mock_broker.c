/* processor/cmd_mock_broker.c — `alertfilter mock-broker`: librdkafka's mock
 * Kafka cluster on loopback, with topics created up front, until SIGINT/SIGTERM. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "processor/cli.h"
#include "processor/commands.h"
#include "processor/log.h"
#include "processor/run_kafka.h"

#define MOCK_MAX_BROKERS 16
#define MOCK_MAX_PARTITIONS 1024

static void mock_usage(FILE *out)
{
    fprintf(out, "usage: alertfilter mock-broker [--brokers N] [--topic NAME:PARTITIONS]...\n\n"
                 "Runs librdkafka's mock Kafka cluster on loopback (for demos, tests and benchmarks),\n"
                 "prints its bootstrap servers as the first line of stdout, and runs until SIGINT/SIGTERM.\n\n"
                 "  --brokers N              number of brokers, 1..%d (default 1)\n"
                 "  --topic NAME:PARTITIONS  create topic NAME with PARTITIONS partitions (repeatable);\n"
                 "                           other topics are created on first use with 4 partitions\n"
                 "  -h, --help               this help\n",
                 MOCK_MAX_BROKERS);
}

/* Parses a decimal integer in [lo, hi]. Returns 0 or -1. */
static int parse_bounded(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* A topic of --topic NAME:PARTITIONS. */
typedef struct {
    char name[256];
    int parts;
} mock_topic;

/* Reads "NAME:PARTITIONS" into t. Returns 0, or -1 with a message on stderr. */
static int parse_topic(const char *spec, mock_topic *t)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || parse_bounded(colon + 1, 1, MOCK_MAX_PARTITIONS, &t->parts)) {
        fprintf(stderr, "alertfilter mock-broker: --topic wants NAME:PARTITIONS with 1..%d partitions, got '%s'\n",
                MOCK_MAX_PARTITIONS, spec);
        return -1;
    }
    snprintf(t->name, sizeof t->name, "%.*s", (int)(colon - spec), spec);
    return 0;
}

/* Creates t on the cluster. Returns 0, or -1 with a message on stderr. */
static int create_topic(rd_kafka_mock_cluster_t *mc, const mock_topic *t)
{
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, t->name, t->parts, 1);
    if (e) {
        fprintf(stderr, "alertfilter mock-broker: cannot create topic '%s': %s\n", t->name, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Reads the options into brokers and topics (room for argc), each --topic
 * checked before the cluster starts. Returns -1 to go on, or the exit status:
 * 0 after --help, 2 after a usage error. */
static int parse_opts(int argc, char **argv, int *brokers, mock_topic *topics, size_t *n_topics)
{
    enum { OPT_BROKERS = 256, OPT_TOPIC }; /* long only: past every char value */
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"topic", required_argument, NULL, OPT_TOPIC},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    optind = 0;
    while ((opt = proc_cli_getopt(argc, argv, "+:h", longopts)) != -1) {
        if (opt == OPT_TOPIC) {
            if (parse_topic(optarg, &topics[*n_topics]))
                return 2;
            (*n_topics)++;
        } else if (opt == OPT_BROKERS) {
            if (parse_bounded(optarg, 1, MOCK_MAX_BROKERS, brokers)) {
                fprintf(stderr, "alertfilter mock-broker: --brokers wants 1..%d, got '%s'\n", MOCK_MAX_BROKERS, optarg);
                return 2;
            }
        } else if (opt == 'h') {
            mock_usage(stdout);
            return 0;
        } else {
            return proc_cli_bad_option("mock-broker", opt, argv, mock_usage);
        }
    }
    return proc_cli_no_operands("mock-broker", argc, argv, mock_usage) ? 2 : -1;
}

int proc_cmd_mock_broker(int argc, char **argv)
{
    int brokers = 1;
    mock_topic *topics = calloc((size_t)argc, sizeof *topics);
    size_t n_topics = 0;
    if (!topics)
        return 1;
    int parsed = parse_opts(argc, argv, &brokers, topics, &n_topics);
    if (parsed >= 0) {
        free(topics);
        return parsed;
    }

    /* Blocked before librdkafka starts its threads, so that they inherit the
     * mask and only sigwait below sees the signal; a shell starts background
     * jobs with SIGINT ignored, which would make `kill -INT` a no-op. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    /* test.mock.num.brokers makes librdkafka start the cluster and point the
     * handle at it (a handle without bootstrap servers would warn). The mock's
     * sockets take their options from this handle: Nagle off, as a real broker
     * runs, or every small reply waits out the client's delayed ACK (~40 ms). */
    char err[512], n[16];
    snprintf(n, sizeof n, "%d", brokers);
    rd_kafka_conf_t *conf = proc_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    if (proc_kafka_set(conf, "test.mock.num.brokers", n, err, sizeof err) == 0 &&
        proc_kafka_set(conf, "socket.nagle.disable", "true", err, sizeof err) == 0)
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    else
        rd_kafka_conf_destroy(conf);
    if (!rk) {
        fprintf(stderr, "alertfilter mock-broker: %s\n", err);
        free(topics);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(rk);
    int status = mc ? 0 : 1;
    if (!mc)
        fprintf(stderr, "alertfilter mock-broker: cannot start the mock cluster\n");
    for (size_t i = 0; status == 0 && i < n_topics; i++)
        if (create_topic(mc, &topics[i]))
            status = 2;
    if (status == 0) {
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        proc_log(PROC_LOG_INFO, "mock cluster up", "brokers=%d topics=%zu bootstrap=%s", brokers, n_topics,
                 rd_kafka_mock_cluster_bootstraps(mc));
        int sig;
        sigwait(&stop, &sig);
        proc_log(PROC_LOG_INFO, "mock cluster stopping", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    rd_kafka_destroy(rk); /* and the cluster it owns */
    free(topics);
    return status;
}
