/* tests/processor/kafka_harness.h — shared helpers of the broker tests: an
 * in-process mock cluster, producing and reading whole topics, generated
 * alerts with their expected JSON, and the real binary run as a child with a
 * deadline. Included (static functions), so the Makefile does not build it alone. */
#ifndef KAFKA_HARNESS_H
#define KAFKA_HARNESS_H

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/hooks.h>
#include <criterion/options.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define KH_TIMEOUT_MS 20000 /* any one wait of the harness on the cluster */

/* Kafka protocol ApiKeys, for rd_kafka_mock_push_request_errors (librdkafka
 * keeps its own enum private). */
enum { KH_PRODUCE = 0, KH_FETCH = 1, KH_ADD_PARTITIONS_TO_TXN = 24, KH_END_TXN = 26, KH_TXN_OFFSET_COMMIT = 28 };

/* Broker tests run one at a time: each one already runs a cluster, a child
 * and our clients on a 2-core budget, and Criterion's parallel runner leaks
 * (96 bytes, reported by LeakSanitizer under `make asan`) when such long
 * tests overlap. */
ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
    (void)tests;
    criterion_options.jobs = 1;
}

/* ---- time ---- */

static inline double kh_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static inline void kh_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) && errno == EINTR)
        ;
}

/* ---- cluster ---- */

typedef struct {
    rd_kafka_t *host; /* the handle the mock cluster lives on */
    rd_kafka_mock_cluster_t *mc;
    const char *bootstraps;
} kh_cluster;

static inline void kh_quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

static inline rd_kafka_conf_t *kh_conf(const kh_cluster *c)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, kh_quiet_log);
    if (c)
        cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", c->bootstraps, NULL, 0), RD_KAFKA_CONF_OK);
    return conf;
}

static inline void kh_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char err[256];
    cr_assert_eq(rd_kafka_conf_set(conf, name, value, err, sizeof err), RD_KAFKA_CONF_OK, "%s: %s", name, err);
}

static inline kh_cluster kh_cluster_new(int brokers)
{
    kh_cluster c;
    char err[256];
    /* The mock's sockets take their options from the host handle: Nagle off,
     * as alertfilter mock-broker and a real broker run. */
    rd_kafka_conf_t *conf = kh_conf(NULL);
    kh_set(conf, "socket.nagle.disable", "true");
    c.host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cr_assert(c.host, "%s", err);
    c.mc = rd_kafka_mock_cluster_new(c.host, brokers);
    cr_assert(c.mc);
    c.bootstraps = rd_kafka_mock_cluster_bootstraps(c.mc);
    return c;
}

static inline void kh_cluster_free(kh_cluster *c)
{
    rd_kafka_mock_cluster_destroy(c->mc);
    rd_kafka_destroy(c->host);
}

static inline void kh_topic(kh_cluster *c, const char *name, int partitions)
{
    cr_assert_eq(rd_kafka_mock_topic_create(c->mc, name, partitions, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* ---- generated alerts ---- */

/* One alert as the Python sender writes it (str of a dict) and as we must
 * write it (compact JSON, keys in order), from the same fields. */
typedef struct {
    char *python, *json, *key;
    int id;
    double snr;
    char band;
} kh_alert;

static const char kh_bands[] = "ugrizy";

static inline kh_alert kh_alert_make(int id)
{
    kh_alert a = {.id = id, .snr = (double)(id % 97) / 4.0, .band = kh_bands[id % 6]};
    int ra = (id * 37) % 360, hist = id % 3;
    char prv_py[128] = "", prv_js[128] = "";
    for (int h = 0; h < hist; h++) {
        char p[48], j[48];
        snprintf(p, sizeof p, "%s{'snr': %d.5}", h ? ", " : "", 10 * (h + 1) + id % 40);
        snprintf(j, sizeof j, "%s{\"snr\":%d.5}", h ? "," : "", 10 * (h + 1) + id % 40);
        strcat(prv_py, p);
        strcat(prv_js, j);
    }
    cr_assert(asprintf(&a.python,
                       "{'alertId': %d, 'diaObject': {'diaObjectId': %d}, 'diaSource': {'diaSourceId': %d, "
                       "'ra': %d.25, 'decl': -%d.5, 'snr': %g, 'filterName': '%c', 'isDipole': %s, "
                       "'note': \"it's\\n\"}, 'prv_diaSources': [%s], 'cutout': None}",
                       id, 1000 + id / 2, 500000 + id, ra, id % 80, a.snr, a.band, id % 2 ? "True" : "False",
                       prv_py) > 0);
    cr_assert(asprintf(&a.json,
                       "{\"alertId\":%d,\"diaObject\":{\"diaObjectId\":%d},\"diaSource\":{\"diaSourceId\":%d,"
                       "\"ra\":%d.25,\"decl\":-%d.5,\"snr\":%g,\"filterName\":\"%c\",\"isDipole\":%s,"
                       "\"note\":\"it's\\n\"},\"prv_diaSources\":[%s],\"cutout\":null}",
                       id, 1000 + id / 2, 500000 + id, ra, id % 80, a.snr, a.band, id % 2 ? "true" : "false",
                       prv_js) > 0);
    cr_assert(asprintf(&a.key, "in-%d", id) > 0);
    return a;
}

static inline void kh_alert_free(kh_alert *a)
{
    free(a->python);
    free(a->json);
    free(a->key);
}

/* ---- producing ---- */

typedef struct {
    const char *value, *key;
} kh_msg;

static inline rd_kafka_t *kh_producer(const kh_cluster *c)
{
    rd_kafka_conf_t *conf = kh_conf(c);
    kh_set(conf, "linger.ms", "5");
    kh_set(conf, "sticky.partitioning.linger.ms", "0");
    char err[256];
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    cr_assert(p, "%s", err);
    return p;
}

/* Produces n messages (keyed, so spread over the partitions) and waits for delivery. */
static inline void kh_produce(const kh_cluster *c, const char *topic, const kh_msg *msgs, size_t n)
{
    rd_kafka_t *p = kh_producer(c);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_VALUE((void *)msgs[i].value, strlen(msgs[i].value)),
                                      RD_KAFKA_V_KEY(msgs[i].key, msgs[i].key ? strlen(msgs[i].key) : 0),
                                      RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(p, 10);
        cr_assert_eq(e, RD_KAFKA_RESP_ERR_NO_ERROR, "%s", rd_kafka_err2str(e));
    }
    cr_assert_eq(rd_kafka_flush(p, KH_TIMEOUT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(p);
}

/* Produces alerts [from, to) of the generator. */
static inline void kh_produce_alerts(const kh_cluster *c, const char *topic, int from, int to)
{
    size_t n = (size_t)(to - from);
    kh_msg *msgs = calloc(n, sizeof *msgs);
    kh_alert *as = calloc(n, sizeof *as);
    for (size_t i = 0; i < n; i++) {
        as[i] = kh_alert_make(from + (int)i);
        msgs[i] = (kh_msg){as[i].python, as[i].key};
    }
    kh_produce(c, topic, msgs, n);
    for (size_t i = 0; i < n; i++)
        kh_alert_free(&as[i]);
    free(as);
    free(msgs);
}

/* ---- reading a whole topic ---- */

typedef struct {
    char *value, *key;
    char *rule, *source, *error; /* our headers, or NULL */
    char *watchlist;             /* alertfilter-watchlist, or NULL */
    int32_t partition;
    int64_t offset;
} kh_rec;

typedef struct {
    kh_rec *r;
    size_t n;
} kh_recs;

static inline char *kh_dup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static inline char *kh_header(const rd_kafka_message_t *m, const char *name)
{
    rd_kafka_headers_t *h;
    const void *v;
    size_t n;
    if (rd_kafka_message_headers(m, &h) || rd_kafka_header_get_last(h, name, &v, &n))
        return NULL;
    return kh_dup(v, n);
}

/* The partition count of topic, 0 when it does not exist. */
static inline int kh_partitions(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md;
    cr_assert_eq(rd_kafka_metadata(rk, 0, t, &md, KH_TIMEOUT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    int n = md->topic_cnt == 1 && !md->topics[0].err ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    return n;
}

/* Every record of topic, aborted and open transactions included (the mock
 * does not hide them), in partition order. */
static inline kh_recs kh_read_topic(const kh_cluster *c, const char *topic)
{
    rd_kafka_conf_t *conf = kh_conf(c);
    kh_set(conf, "group.id", "kh-reader");
    kh_set(conf, "enable.partition.eof", "true");
    kh_set(conf, "enable.auto.commit", "false");
    kh_set(conf, "isolation.level", "read_uncommitted");
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    cr_assert(rk, "%s", err);
    kh_recs out = {0};
    int parts = kh_partitions(rk, topic);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    cr_assert_eq(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
    char *at_eof = calloc((size_t)parts + 1, 1);
    int eofs = 0;
    size_t cap = 0;
    double deadline = kh_now() + KH_TIMEOUT_MS / 1000.0;
    while (eofs < parts) {
        cr_assert_lt(kh_now(), deadline, "reading %s: %d of %d partitions drained", topic, eofs, parts);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs += !at_eof[m->partition];
            at_eof[m->partition] = 1;
        } else {
            cr_assert_eq(m->err, RD_KAFKA_RESP_ERR_NO_ERROR, "%s", rd_kafka_message_errstr(m));
            if (out.n == cap)
                out.r = realloc(out.r, (cap = cap ? 2 * cap : 256) * sizeof *out.r);
            out.r[out.n++] = (kh_rec){kh_dup(m->payload, m->len),    m->key ? kh_dup(m->key, m->key_len) : NULL,
                                      kh_header(m, "alertfilter-rule"), kh_header(m, "alertfilter-source"),
                                      kh_header(m, "alertfilter-error"), kh_header(m, "alertfilter-watchlist"),
                                      m->partition, m->offset};
        }
        rd_kafka_message_destroy(m);
    }
    free(at_eof);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return out;
}

static inline void kh_recs_free(kh_recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        kh_rec *r = &rs->r[i];
        free(r->value), free(r->key), free(r->rule), free(r->source), free(r->error), free(r->watchlist);
    }
    free(rs->r);
    rs->r = NULL;
    rs->n = 0;
}

/* The sum of the high watermarks of topic: how many records it holds. */
static inline int64_t kh_topic_size(const kh_cluster *c, const char *topic)
{
    rd_kafka_conf_t *conf = kh_conf(c);
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    cr_assert(rk, "%s", err);
    int64_t total = 0;
    int parts = kh_partitions(rk, topic);
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        cr_assert_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, KH_TIMEOUT_MS),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
        total += hi;
    }
    rd_kafka_destroy(rk);
    return total;
}

/* Waits until topic holds at least n records; returns how many it holds. */
static inline int64_t kh_wait_topic_size(const kh_cluster *c, const char *topic, int64_t n, int timeout_ms)
{
    double deadline = kh_now() + timeout_ms / 1000.0;
    int64_t size;
    while ((size = kh_topic_size(c, topic)) < n && kh_now() < deadline)
        kh_sleep_ms(50);
    return size;
}

/* Waits until topic holds at least n records and then until nothing more
 * arrives for settle_ms (duplicates can reach n before every record is in);
 * returns how many it holds. */
static inline int64_t kh_wait_topic_settled(const kh_cluster *c, const char *topic, int64_t n, int timeout_ms,
                                            int settle_ms)
{
    double deadline = kh_now() + timeout_ms / 1000.0;
    int64_t size = kh_wait_topic_size(c, topic, n, timeout_ms), last = -1;
    double since = kh_now();
    while (kh_now() < deadline && kh_now() - since < settle_ms / 1000.0) {
        if (size != last)
            last = size, since = kh_now();
        kh_sleep_ms(100);
        size = kh_topic_size(c, topic);
    }
    return size;
}

/* ---- comparing a topic with what it must hold ---- */

static inline int kh_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Checks that every expected value is in rs and nothing else is; returns how
 * many records are extra copies of an expected one (duplicates). */
static inline size_t kh_expect_values(const kh_recs *rs, char **expected, size_t n, const char *what)
{
    char **got = calloc(rs->n + 1, sizeof *got);
    for (size_t i = 0; i < rs->n; i++)
        got[i] = rs->r[i].value;
    qsort(got, rs->n, sizeof *got, kh_cmp_str);
    qsort(expected, n, sizeof *expected, kh_cmp_str);
    size_t g = 0, dups = 0;
    for (size_t e = 0; e < n; e++) {
        int c = g < rs->n ? strcmp(got[g], expected[e]) : 1;
        cr_assert_geq(c, 0, "%s: unexpected record %s", what, got[g]);
        cr_assert_eq(c, 0, "%s: missing %s", what, expected[e]);
        g++;
        while (g < rs->n && !strcmp(got[g], expected[e]))
            g++, dups++;
    }
    cr_assert_eq(g, rs->n, "%s: unexpected record %s", what, g < rs->n ? got[g] : "");
    free(got);
    return dups;
}

/* Asserts topic holds every generated alert of [0, n) at least once; returns the duplicates. */
static inline size_t kh_expect_all_alerts(const kh_cluster *c, const char *topic, int n)
{
    char **exp = calloc((size_t)n, sizeof *exp);
    for (int id = 0; id < n; id++) {
        kh_alert a = kh_alert_make(id);
        exp[id] = a.json;
        a.json = NULL;
        kh_alert_free(&a);
    }
    kh_recs rs = kh_read_topic(c, topic);
    size_t dups = kh_expect_values(&rs, exp, (size_t)n, topic);
    cr_log_info("%s: %zu records, %zu duplicates (read again after an aborted or uncommitted batch)", topic, rs.n, dups);
    for (int id = 0; id < n; id++)
        free(exp[id]);
    free(exp);
    kh_recs_free(&rs);
    return dups;
}

/* ---- the binary ---- */

static inline const char *kh_bin(void)
{
    const char *b = getenv("ALERTFILTER_BIN");
    cr_assert(b && *b, "ALERTFILTER_BIN is not set (run through make test)");
    return b;
}

/* Writes a config file (printf-style) to a fresh temporary path, returned. */
static inline char *kh_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *kh_config(const char *fmt, ...)
{
    char *path = strdup("/tmp/kh-cfg-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
    return path;
}

/* A run config on cluster c: the kafka group gets kafka_extra (libconfig
 * settings, "" for none), the output group output, the rules list rules. */
static inline char *kh_run_config(const kh_cluster *c, const char *kafka_extra, const char *input_topic, const char *group,
                           const char *format, const char *output, const char *rules)
{
    return kh_config("kafka = { bootstrap_servers = \"%s\"; %s };\n"
                     "input = { topics = [ \"%s\" ]; group = \"%s\"; format = \"%s\"; };\n"
                     "output = { %s };\n"
                     "rules = ( %s );\n",
                     c->bootstraps, kafka_extra, input_topic, group, format, output, rules);
}

/* Starts `alertfilter ARGS...` (NULL-terminated) with stderr to a file whose
 * path is stored in *err_path (NULL: discard). */
static inline pid_t kh_spawn(char **err_path, ...)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)kh_bin();
    va_list ap;
    va_start(ap, err_path);
    while ((argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    char tmpl[] = "/tmp/kh-err-XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert_geq(fd, 0);
    if (err_path)
        *err_path = strdup(tmpl);
    else
        unlink(tmpl);
    pid_t parent = getpid();
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        /* A test that fails an assertion dies before it can stop its children:
         * the kernel stops them instead, so no `run` outlives its test. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_RDWR);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd);
    return pid;
}

/* Waits for pid up to timeout_ms; returns its exit status, or -1 after
 * killing it when the deadline passed, or 128+signal when a signal ended it. */
static inline int kh_wait(pid_t pid, int timeout_ms)
{
    double deadline = kh_now() + timeout_ms / 1000.0;
    int st;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (kh_now() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        kh_sleep_ms(20);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The whole content of a file (the child's stderr), for messages in failures. */
static inline char *kh_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    char *s = NULL;
    size_t cap = 0, n = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (n + 2 > cap)
            s = realloc(s, cap = cap ? 2 * cap : 4096);
        s[n++] = (char)ch;
    }
    fclose(f);
    if (!s)
        s = calloc(1, 1);
    s[n] = '\0';
    return s;
}

/* Waits until the file at path holds text; false after timeout_ms. */
static inline bool kh_wait_log(const char *path, const char *text, int timeout_ms)
{
    double deadline = kh_now() + timeout_ms / 1000.0;
    while (kh_now() < deadline) {
        char *log = kh_slurp(path);
        bool found = strstr(log, text) != NULL;
        free(log);
        if (found)
            return true;
        kh_sleep_ms(100);
    }
    return false;
}

/* The end of a log, short enough for an assertion message. */
static inline const char *kh_tail(const char *log)
{
    size_t n = strlen(log);
    return n > 3000 ? log + n - 3000 : log;
}

/* Runs `alertfilter run -c cfg --until-eof` and asserts it exits 0 within timeout_ms. */
static inline void kh_run_until_eof(const char *cfg, int timeout_ms)
{
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, "--until-eof", NULL);
    int st = kh_wait(pid, timeout_ms);
    char *log = kh_slurp(errp);
    cr_assert_eq(st, 0, "run exited %d; its log ends:\n%s", st, kh_tail(log));
    free(log);
    unlink(errp);
    free(errp);
}

#endif
