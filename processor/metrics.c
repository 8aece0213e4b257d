/* processor/metrics.c — the run loop's counters and their HTTP face: Prometheus
 * text format 0.0.4 on /metrics, liveness on /healthz, readiness on /readyz. */
#include "processor/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ALERTFILTER_VERSION
#define ALERTFILTER_VERSION "unknown"
#endif

/* Upper bounds of alertfilter_batch_seconds: a batch is cut every 100 ms by
 * default, so the buckets are dense around it and reach a stalled commit. */
static const double batch_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof batch_buckets / sizeof batch_buckets[0])

#define DEFAULT_STALL_SECONDS 30.0

typedef struct {
    char *name;
    uint64_t matches;
} rule_count;

typedef struct {
    char *topic;
    int32_t partition;
    int64_t lag;
} partition_lag;

struct proc_metrics {
    /* One lock for everything: the HTTP thread reads a consistent snapshot
     * while the main loop updates, and rule names come and go with reloads. */
    pthread_mutex_t lock;
    uint64_t consumed, rejected, refetched, committed, aborted;
    rule_count *rules;
    size_t n_rules, cap_rules;
    size_t *rule_slots; /* open addressing over rules: index + 1, 0 free; a config may hold 100,000 rules */
    size_t n_slots;     /* a power of two, at least twice n_rules */
    partition_lag *lags;
    size_t n_lags, cap_lags;
    uint64_t bucket_counts[N_BUCKETS]; /* not cumulative; summed when rendered */
    uint64_t batch_count;
    double batch_sum;
    struct timespec last_heartbeat;
    double stall_seconds;
    bool failing;
    bool ready;
    double unreachable_seconds; /* < 0: the cluster answers */
    struct MHD_Daemon *daemon;
    int port;
};

/* A growable string for rendering; on allocation failure it stays failed and
 * the render returns NULL. */
typedef struct {
    char *s;
    size_t len, cap;
    bool failed;
} text;

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    if (!t->s) {
        t->cap = 4096;
        t->s = malloc(t->cap);
        t->failed = !t->s;
        if (t->failed)
            return;
    }
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

/* Label values escape backslash, double quote and newline (format 0.0.4). */
static void text_label_value(text *t, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            text_printf(t, "\\\\");
        else if (*v == '"')
            text_printf(t, "\\\"");
        else if (*v == '\n')
            text_printf(t, "\\n");
        else
            text_printf(t, "%c", *v);
    }
}

/* The shortest decimal that reads back as the same double, so sums stay
 * exact without printing 0.10000000000000001. */
static void text_double(text *t, double v)
{
    char buf[32];
    if (isinf(v)) {
        text_printf(t, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    text_printf(t, "%s", buf);
}

static void text_header(text *t, const char *name, const char *type, const char *help)
{
    text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static double seconds_since(const struct timespec *then)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - then->tv_sec) + (double)(now.tv_nsec - then->tv_nsec) / 1e9;
}

proc_metrics *proc_metrics_new(void)
{
    proc_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    /* Recursive: the updates of a proc_metrics_hold section lock it again. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    /* Starting up counts as a sign of life: the loop has not had a chance
     * to beat yet, and a slow broker connection is not a stall. */
    clock_gettime(CLOCK_MONOTONIC, &m->last_heartbeat);
    m->stall_seconds = DEFAULT_STALL_SECONDS;
    m->unreachable_seconds = -1;
    m->port = -1;
    return m;
}

void proc_metrics_free(proc_metrics *m)
{
    if (!m)
        return;
    if (m->daemon)
        MHD_stop_daemon(m->daemon);
    for (size_t i = 0; i < m->n_rules; i++)
        free(m->rules[i].name);
    free(m->rules);
    free(m->rule_slots);
    for (size_t i = 0; i < m->n_lags; i++)
        free(m->lags[i].topic);
    free(m->lags);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void proc_metrics_hold(proc_metrics *m)
{
    pthread_mutex_lock(&m->lock);
}

void proc_metrics_release(proc_metrics *m)
{
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_consumed(proc_metrics *m, uint64_t n)
{
    pthread_mutex_lock(&m->lock);
    m->consumed += n;
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_rejected(proc_metrics *m, uint64_t n)
{
    pthread_mutex_lock(&m->lock);
    m->rejected += n;
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_refetched(proc_metrics *m, uint64_t n)
{
    pthread_mutex_lock(&m->lock);
    m->refetched += n;
    pthread_mutex_unlock(&m->lock);
}

/* Room for one more of n elements of `size` bytes: the array, moved if it had
 * to grow, or NULL (the old array is then untouched). */
static void *grow(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(items, ncap * size);
    if (p)
        *cap = ncap;
    return p;
}

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Rebuilds the slots for twice the rules; false when out of memory. */
static bool rehash_rules(proc_metrics *m)
{
    size_t n = 16;
    while (n < 2 * (m->n_rules + 1))
        n *= 2;
    size_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < m->n_rules; i++) {
        size_t h = name_hash(m->rules[i].name) & (n - 1);
        while (slots[h])
            h = (h + 1) & (n - 1);
        slots[h] = i + 1;
    }
    free(m->rule_slots);
    m->rule_slots = slots;
    m->n_slots = n;
    return true;
}

/* Called with the lock held. NULL when out of memory: the update is lost,
 * which is better than stopping the stream for a counter. */
static rule_count *find_rule(proc_metrics *m, const char *rule)
{
    if (2 * (m->n_rules + 1) > m->n_slots && !rehash_rules(m))
        return NULL;
    size_t h = name_hash(rule) & (m->n_slots - 1);
    for (; m->rule_slots[h]; h = (h + 1) & (m->n_slots - 1))
        if (!strcmp(m->rules[m->rule_slots[h] - 1].name, rule))
            return &m->rules[m->rule_slots[h] - 1];
    char *name = strdup(rule);
    rule_count *rules = name ? grow(m->rules, m->n_rules, &m->cap_rules, sizeof *m->rules) : NULL;
    if (!rules) {
        free(name);
        return NULL;
    }
    m->rules = rules;
    m->rules[m->n_rules] = (rule_count){.name = name, .matches = 0};
    m->rule_slots[h] = ++m->n_rules;
    return &m->rules[m->n_rules - 1];
}

void proc_metrics_rules_known(proc_metrics *m, const char *const *names, size_t n)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < n; i++)
        find_rule(m, names[i]);
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_rule_matches(proc_metrics *m, const char *rule, uint64_t n)
{
    pthread_mutex_lock(&m->lock);
    rule_count *r = find_rule(m, rule);
    if (r)
        r->matches += n;
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_transaction(proc_metrics *m, bool committed)
{
    pthread_mutex_lock(&m->lock);
    if (committed)
        m->committed++;
    else
        m->aborted++;
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_batch_seconds(proc_metrics *m, double seconds)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (seconds <= batch_buckets[i]) {
            m->bucket_counts[i]++;
            break;
        }
    m->batch_count++;
    m->batch_sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

/* Called with the lock held. */
static void remove_lag(proc_metrics *m, size_t i)
{
    free(m->lags[i].topic);
    memmove(&m->lags[i], &m->lags[i + 1], (m->n_lags - i - 1) * sizeof *m->lags);
    m->n_lags--;
}

void proc_metrics_lag(proc_metrics *m, const char *topic, int32_t partition, int64_t lag)
{
    pthread_mutex_lock(&m->lock);
    size_t i = 0;
    while (i < m->n_lags && !(m->lags[i].partition == partition && !strcmp(m->lags[i].topic, topic)))
        i++;
    if (i < m->n_lags) {
        if (lag < 0)
            remove_lag(m, i);
        else
            m->lags[i].lag = lag;
    } else if (lag >= 0) {
        char *t = strdup(topic);
        partition_lag *lags = t ? grow(m->lags, m->n_lags, &m->cap_lags, sizeof *m->lags) : NULL;
        if (lags) {
            m->lags = lags;
            m->lags[m->n_lags++] = (partition_lag){.topic = t, .partition = partition, .lag = lag};
        } else {
            free(t);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_heartbeat(proc_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    clock_gettime(CLOCK_MONOTONIC, &m->last_heartbeat);
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_failing(proc_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->failing = true;
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_ready(proc_metrics *m, bool ready)
{
    pthread_mutex_lock(&m->lock);
    m->ready = ready;
    pthread_mutex_unlock(&m->lock);
}

void proc_metrics_set_stall_seconds(proc_metrics *m, double seconds)
{
    pthread_mutex_lock(&m->lock);
    m->stall_seconds = seconds;
    pthread_mutex_unlock(&m->lock);
}

int proc_metrics_port(const proc_metrics *m)
{
    return m->port;
}

/* Called with the lock held. */
static void render_locked(proc_metrics *m, text *t)
{
    text_header(t, "alertfilter_messages_consumed_total", "counter", "Messages read from the input topics.");
    text_printf(t, "alertfilter_messages_consumed_total %llu\n", (unsigned long long)m->consumed);
    text_header(t, "alertfilter_messages_rejected_total", "counter",
                "Malformed messages (sent to the dead-letter topic when one is configured).");
    text_printf(t, "alertfilter_messages_rejected_total %llu\n", (unsigned long long)m->rejected);
    text_header(t, "alertfilter_messages_refetched_total", "counter",
                "Messages the client fetched a second time (below the next offset expected of their partition), dropped.");
    text_printf(t, "alertfilter_messages_refetched_total %llu\n", (unsigned long long)m->refetched);

    text_header(t, "alertfilter_rule_matches_total", "counter", "Alerts matched, by rule.");
    for (size_t i = 0; i < m->n_rules; i++) {
        text_printf(t, "alertfilter_rule_matches_total{rule=\"");
        text_label_value(t, m->rules[i].name);
        text_printf(t, "\"} %llu\n", (unsigned long long)m->rules[i].matches);
    }

    text_header(t, "alertfilter_transactions_total", "counter", "Kafka transactions, by outcome.");
    text_printf(t, "alertfilter_transactions_total{outcome=\"committed\"} %llu\n",
                (unsigned long long)m->committed);
    text_printf(t, "alertfilter_transactions_total{outcome=\"aborted\"} %llu\n", (unsigned long long)m->aborted);

    text_header(t, "alertfilter_consumer_lag", "gauge", "Messages between the committed position and the partition end.");
    for (size_t i = 0; i < m->n_lags; i++) {
        text_printf(t, "alertfilter_consumer_lag{topic=\"");
        text_label_value(t, m->lags[i].topic);
        text_printf(t, "\",partition=\"%d\"} %lld\n", (int)m->lags[i].partition, (long long)m->lags[i].lag);
    }

    text_header(t, "alertfilter_batch_seconds", "histogram", "Time to process and commit one batch.");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N_BUCKETS; i++) {
        cumulative += m->bucket_counts[i];
        text_printf(t, "alertfilter_batch_seconds_bucket{le=\"");
        text_double(t, batch_buckets[i]);
        text_printf(t, "\"} %llu\n", (unsigned long long)cumulative);
    }
    text_printf(t, "alertfilter_batch_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)m->batch_count);
    text_printf(t, "alertfilter_batch_seconds_sum ");
    text_double(t, m->batch_sum);
    text_printf(t, "\nalertfilter_batch_seconds_count %llu\n", (unsigned long long)m->batch_count);

    text_header(t, "alertfilter_build_info", "gauge", "The running build; the value is always 1.");
    text_printf(t, "alertfilter_build_info{version=\"");
    text_label_value(t, ALERTFILTER_VERSION);
    text_printf(t, "\"} 1\n");
}

char *proc_metrics_render(proc_metrics *m)
{
    text t = {0};
    pthread_mutex_lock(&m->lock);
    render_locked(m, &t);
    pthread_mutex_unlock(&m->lock);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    return t.s;
}

void proc_metrics_unreachable(proc_metrics *m, double seconds)
{
    pthread_mutex_lock(&m->lock);
    m->unreachable_seconds = seconds;
    pthread_mutex_unlock(&m->lock);
}

/* The /healthz verdict: 200 "ok", or 503 with the reason. */
static int health(proc_metrics *m, char *body, size_t cap)
{
    pthread_mutex_lock(&m->lock);
    bool failing = m->failing;
    double silent = seconds_since(&m->last_heartbeat);
    double stall = m->stall_seconds;
    double unreachable = m->unreachable_seconds;
    pthread_mutex_unlock(&m->lock);
    if (failing) {
        snprintf(body, cap, "failing: the run loop reported a fatal error\n");
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    if (silent > stall) {
        snprintf(body, cap, "stalled: no heartbeat from the run loop in the last %g s\n", stall);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    if (unreachable >= 0) {
        snprintf(body, cap, "unreachable: no answer from the Kafka cluster for %.0f s\n", unreachable);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    snprintf(body, cap, "ok\n");
    return MHD_HTTP_OK;
}

/* The /readyz verdict: 200 once partitions are assigned. */
static int readiness(proc_metrics *m, char *body, size_t cap)
{
    /* Never ready while not healthy: a balancer would send work to a process
     * that cannot do it. */
    static const char prefix[] = "not ready: ";
    if (cap > sizeof prefix && health(m, body + sizeof prefix - 1, cap - sizeof prefix + 1) != MHD_HTTP_OK) {
        memcpy(body, prefix, sizeof prefix - 1);
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    }
    pthread_mutex_lock(&m->lock);
    bool ready = m->ready;
    pthread_mutex_unlock(&m->lock);
    snprintf(body, cap, ready ? "ready\n" : "not ready: no partitions assigned yet\n");
    return ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, enum MHD_ResponseMemoryMode mode,
                             const char *content_type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    proc_metrics *m = cls;
    char body[160];
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        snprintf(body, sizeof body, "method not allowed: use GET\n");
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, body, MHD_RESPMEM_MUST_COPY, "text/plain; charset=utf-8");
    }
    if (!strcmp(url, "/metrics")) {
        char *s = proc_metrics_render(m);
        if (!s) {
            snprintf(body, sizeof body, "out of memory\n");
            return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, body, MHD_RESPMEM_MUST_COPY, "text/plain; charset=utf-8");
        }
        return reply(c, MHD_HTTP_OK, s, MHD_RESPMEM_MUST_FREE, "text/plain; version=0.0.4; charset=utf-8");
    }
    int status;
    if (!strcmp(url, "/healthz"))
        status = health(m, body, sizeof body);
    else if (!strcmp(url, "/readyz"))
        status = readiness(m, body, sizeof body);
    else {
        status = MHD_HTTP_NOT_FOUND;
        snprintf(body, sizeof body, "not found: try /metrics, /healthz or /readyz\n");
    }
    return reply(c, (unsigned)status, body, MHD_RESPMEM_MUST_COPY, "text/plain; charset=utf-8");
}

/* Binds and listens ourselves rather than through MHD, whose failures carry no
 * reason: the user gets the errno, and port 0 gets its real port back. */
static int listen_on(const char *address, int port, int *fd_out, int *port_out, char *err, size_t errcap)
{
    if (port < 0 || port > 65535) {
        snprintf(err, errcap, "metrics: port %d is out of range (0-65535)", port);
        return -1;
    }
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res;
    /* Numeric only: a name would need DNS, which can hang startup. */
    if (getaddrinfo(address, service, &hints, &res)) {
        snprintf(err, errcap, "metrics: bad address '%s': not a numeric IPv4 or IPv6 address (e.g. 0.0.0.0 or ::)",
                 address);
        return -1;
    }
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
        snprintf(err, errcap, "metrics: cannot listen on %s:%d: %s", address, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    getsockname(fd, (struct sockaddr *)&bound, &len);
    *port_out = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    *fd_out = fd;
    return 0;
}

int proc_metrics_serve(proc_metrics *m, const char *address, int port, char *err, size_t errcap)
{
    if (m->daemon) {
        snprintf(err, errcap, "metrics: already serving on port %d", m->port);
        return -1;
    }
    int fd, bound_port;
    if (listen_on(address, port, &fd, &bound_port, err, errcap))
        return -1;
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, m,
                                 MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!m->daemon) {
        /* The socket is left open: MHD may already have closed it on its
         * failure path, and closing twice could hit a reused descriptor. */
        snprintf(err, errcap, "metrics: cannot start the HTTP server on %s:%d", address, port);
        return -1;
    }
    m->port = bound_port;
    return 0;
}
