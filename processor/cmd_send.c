/* processor/cmd_send.c — `alertfilter send`: the sample alert stream, produced to
 * a topic keyed by alertId (like alert_stream's sendAlertStream.py) or written
 * one alert per line to a file. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "processor/cli.h"
#include "processor/commands.h"
#include "processor/run_kafka.h"
#include "processor/cmd_send_sample.h"

/* Bounds the wait on an unreachable or failing broker; flush waits a little
 * longer so that every message has its verdict. */
#define SEND_MESSAGE_TIMEOUT_MS 10000
#define SEND_FLUSH_TIMEOUT_MS (SEND_MESSAGE_TIMEOUT_MS + 5000)

typedef struct {
    const char *brokers, *topic, *output;
    uint64_t count, seed;
    double rate; /* alerts per second; 0: as fast as possible */
    proc_sample_format format;
    bool stamps;
} send_opts;

typedef struct {
    char msg[512];
} send_error;

/* What the delivery and error callbacks learn, read by the main loop. */
typedef struct {
    uint64_t delivered, failed;
    char first_failure[256];
    char broker_down[256]; /* set when no broker can be reached */
} send_state;

static void send_usage(FILE *out)
{
    fprintf(out,
            "usage: alertfilter send -b BROKERS -t TOPIC [-n N] [--format python|json] [--stamps]\n"
            "                        [--rate PER_SEC] [--seed S]\n"
            "       alertfilter send -o FILE [-n N] [--format python|json] [--stamps] [--rate PER_SEC] [--seed S]\n\n"
            "Sends a sample alert stream shaped like alert_stream's sample alert (as sendAlertStream.py\n"
            "--encode-off does), with varied positions, fluxes, bands, histories and ids. The same seed\n"
            "gives the same alerts. Messages are keyed by alertId.\n\n"
            "  -b, --brokers BROKERS  bootstrap servers (host:port,...)\n"
            "  -t, --topic TOPIC      topic to produce to\n"
            "  -n, --count N          number of alerts (default 1000)\n"
            "      --format F         python (str(dict), the default) or json\n"
            "      --stamps           add cutoutDifference/cutoutTemplate with bytes stamp data\n"
            "      --rate PER_SEC     pace the stream (default: as fast as possible)\n"
            "      --seed S           random seed (default 1)\n"
            "  -o, --output FILE      write one alert per line to FILE ('-': stdout) instead of producing\n"
            "  -h, --help             this help\n\n"
            "Exits 0 once every alert is delivered, 1 when the broker cannot be reached or a delivery\n"
            "fails (within %d s), 2 on a usage error.\n",
            SEND_FLUSH_TIMEOUT_MS / 1000);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0))
        return -1;
    *out = v;
    return 0;
}

/* Reads the options into o. Returns -1 to go on, or the exit status: 0 after
 * --help, 2 after a usage error. */
static int parse_opts(int argc, char **argv, send_opts *o)
{
    enum { OPT_FORMAT = 256, OPT_STAMPS, OPT_RATE, OPT_SEED }; /* long only: past every char value */
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"stamps", no_argument, NULL, OPT_STAMPS},
        {"rate", required_argument, NULL, OPT_RATE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (send_opts){.count = 1000, .seed = 1, .format = PROC_SAMPLE_PYTHON};
    int opt;
    optind = 0;
    while ((opt = proc_cli_getopt(argc, argv, "+:b:t:n:o:h", longopts)) != -1) {
        int bad = 0;
        if (opt == 'b')
            o->brokers = optarg;
        else if (opt == 't')
            o->topic = optarg;
        else if (opt == 'o')
            o->output = optarg;
        else if (opt == 'n')
            bad = parse_u64(optarg, &o->count);
        else if (opt == OPT_SEED)
            bad = parse_u64(optarg, &o->seed);
        else if (opt == OPT_RATE)
            bad = parse_rate(optarg, &o->rate);
        else if (opt == OPT_FORMAT)
            bad = proc_sample_format_parse(optarg, &o->format);
        else if (opt == OPT_STAMPS)
            o->stamps = true;
        else if (opt == 'h') {
            send_usage(stdout);
            return 0;
        } else
            return proc_cli_bad_option("send", opt, argv, send_usage);
        if (bad)
            return proc_cli_usage_error("send", send_usage, "bad value '%s' for %s", optarg,
                                        proc_cli_option_name(argv, opt));
    }
    if (proc_cli_no_operands("send", argc, argv, send_usage))
        return 2;
    if (!o->output && (!o->brokers || !o->topic))
        return proc_cli_usage_error("send", send_usage, "-b BROKERS and -t TOPIC are required (or -o FILE)");
    return -1;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* With a rate, sleeps until alert i is due (alert 0 at start). */
static void pace(const send_opts *o, double start, uint64_t i)
{
    if (o->rate <= 0)
        return;
    double wait = start + (double)i / o->rate - now_seconds();
    if (wait <= 0)
        return;
    struct timespec t = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
    nanosleep(&t, NULL);
}

static int write_alerts(const send_opts *o, send_error *err)
{
    bool to_stdout = !strcmp(o->output, "-");
    FILE *f = to_stdout ? stdout : fopen(o->output, "w");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "cannot open '%s': %s", o->output, strerror(errno));
        return -1;
    }
    static char buf[PROC_SAMPLE_MAX_BYTES + 1];
    proc_sample g;
    proc_sample_init(&g, o->seed);
    double start = now_seconds();
    for (uint64_t i = 0; i < o->count && !ferror(f); i++) {
        pace(o, start, i);
        size_t n = proc_sample_alert(&g, o->format, o->stamps, buf, PROC_SAMPLE_MAX_BYTES);
        buf[n] = '\n';
        fwrite(buf, 1, n + 1, f);
    }
    int failed = fflush(f) != 0 || ferror(f);
    if (!to_stdout)
        failed |= fclose(f) != 0;
    if (failed) {
        snprintf(err->msg, sizeof err->msg, "cannot write '%s': %s", o->output, strerror(errno));
        return -1;
    }
    fprintf(stderr, "wrote %" PRIu64 " alerts to %s\n", o->count, to_stdout ? "stdout" : o->output);
    return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    send_state *s = opaque;
    if (!m->err) {
        s->delivered++;
        return;
    }
    if (s->failed++ == 0)
        snprintf(s->first_failure, sizeof s->first_failure, "%s", rd_kafka_err2str(m->err));
}

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    send_state *s = opaque;
    if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || rd_kafka_fatal_error(rk, NULL, 0))
        snprintf(s->broker_down, sizeof s->broker_down, "%s", reason);
}

static rd_kafka_t *new_producer(const send_opts *o, send_state *s, send_error *err)
{
    rd_kafka_conf_t *conf = proc_kafka_conf_new();
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", SEND_MESSAGE_TIMEOUT_MS);
    /* Batches of alerts for throughput; keys spread them over the partitions. */
    const char *props[][2] = {
        {"bootstrap.servers", o->brokers},  {"linger.ms", "20"},
        {"batch.num.messages", "10000"},    {"queue.buffering.max.kbytes", "262144"},
        {"message.timeout.ms", timeout},
    };
    for (size_t i = 0; i < sizeof props / sizeof props[0]; i++)
        if (proc_kafka_set(conf, props[i][0], props[i][1], err->msg, sizeof err->msg)) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_conf_set_opaque(conf, s);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err->msg, sizeof err->msg);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

/* Queues one alert, waiting for room while the local queue is full.
 * Returns 0, or -1 with err (or when the broker went away). */
static int produce_one(rd_kafka_t *rk, const send_opts *o, const send_state *s, const char *key, const char *value,
                       size_t len, send_error *err)
{
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_KEY(key, strlen(key)),
                              RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
        if (!e)
            return 0;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err->msg, sizeof err->msg, "cannot produce to '%s': %s", o->topic, rd_kafka_err2str(e));
            return -1;
        }
        rd_kafka_poll(rk, 10);
        if (s->broker_down[0])
            return -1;
    }
}

/* Waits for every delivery report, at most SEND_FLUSH_TIMEOUT_MS, and no longer
 * once no broker can be reached. Returns 0 when every report is in. */
static int await_delivery(rd_kafka_t *rk, const send_state *s)
{
    double deadline = now_seconds() + SEND_FLUSH_TIMEOUT_MS / 1000.0;
    while (rd_kafka_outq_len(rk) > 0 && !s->broker_down[0] && now_seconds() < deadline)
        rd_kafka_poll(rk, 100);
    if (s->broker_down[0]) {
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(rk, 0);
    }
    return rd_kafka_outq_len(rk) > 0 ? -1 : 0;
}

/* Queues every alert, then waits for each one's delivery report. */
static int produce_alerts(const send_opts *o, send_error *err)
{
    send_state s = {0};
    rd_kafka_t *rk = new_producer(o, &s, err);
    if (!rk)
        return -1;
    static char buf[PROC_SAMPLE_MAX_BYTES];
    proc_sample g;
    proc_sample_init(&g, o->seed);
    double start = now_seconds();
    int status = 0;
    for (uint64_t i = 0; i < o->count && status == 0 && !s.broker_down[0]; i++) {
        pace(o, start, i);
        size_t n = proc_sample_alert(&g, o->format, o->stamps, buf, sizeof buf);
        char key[24];
        snprintf(key, sizeof key, "%" PRIu64, g.alert_id);
        status = produce_one(rk, o, &s, key, buf, n, err);
        rd_kafka_poll(rk, 0);
    }
    int undelivered = await_delivery(rk, &s);
    if (s.broker_down[0])
        snprintf(err->msg, sizeof err->msg, "cannot reach %s: %s", o->brokers, s.broker_down);
    else if (status == 0 && undelivered)
        snprintf(err->msg, sizeof err->msg, "%" PRIu64 " of %" PRIu64 " alerts still undelivered to '%s' after %d s",
                 o->count - s.delivered, o->count, o->topic, SEND_FLUSH_TIMEOUT_MS / 1000);
    else if (status == 0 && s.failed)
        snprintf(err->msg, sizeof err->msg, "%" PRIu64 " of %" PRIu64 " alerts not delivered to '%s': %s", s.failed,
                 o->count, o->topic, s.first_failure);
    else if (status == 0)
        fprintf(stderr, "sent %" PRIu64 " alerts to %s\n", s.delivered, o->topic);
    rd_kafka_destroy(rk);
    return status == 0 && !s.broker_down[0] && !undelivered && !s.failed ? 0 : -1;
}

int proc_cmd_send(int argc, char **argv)
{
    send_opts o;
    int parsed = parse_opts(argc, argv, &o);
    if (parsed >= 0)
        return parsed;
    send_error err = {{0}};
    if ((o.output ? write_alerts(&o, &err) : produce_alerts(&o, &err)) == 0)
        return 0;
    fprintf(stderr, "alertfilter send: %s\n", err.msg);
    return 1;
}
