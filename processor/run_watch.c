/* processor/run_watch.c — how long the Kafka cluster has not answered, kept
 * honest by a probe, and librdkafka calls waited on with a bound. */
#include "processor/run_watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROBE_TIMEOUT_MS 5000

struct proc_watch {
    rd_kafka_t *rk;
    char *topic;
    rd_kafka_queue_t *q;
    _Atomic int64_t last_ns; /* monotonic time of the last answer */
    int64_t probe_sent_ns;   /* 0: no probe outstanding */
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

proc_watch *proc_watch_new(rd_kafka_t *rk, const char *topic)
{
    proc_watch *w = calloc(1, sizeof *w);
    if (!w || !(w->topic = strdup(topic)) || !(w->q = rd_kafka_queue_new(rk))) {
        if (w)
            free(w->topic);
        free(w);
        return NULL;
    }
    w->rk = rk;
    atomic_store(&w->last_ns, now_ns());
    return w;
}

void proc_watch_free(proc_watch *w)
{
    if (!w)
        return;
    rd_kafka_queue_destroy(w->q);
    free(w->topic);
    free(w);
}

void proc_watch_contact(proc_watch *w) { atomic_store(&w->last_ns, now_ns()); }

/* Not a request to a coordinator: librdkafka 2.0.2 aborts the process when
 * the coordinator of an Admin request dies under it (#4605, "eonce->refcnt > 0"),
 * which a probe meant for a failing cluster would meet. */
static void send_probe(proc_watch *w)
{
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, w->topic);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(w->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    if (res && o) {
        rd_kafka_AdminOptions_set_request_timeout(o, PROBE_TIMEOUT_MS, NULL, 0);
        rd_kafka_DescribeConfigs(w->rk, &res, 1, o, w->q);
        w->probe_sent_ns = now_ns();
    }
    if (res)
        rd_kafka_ConfigResource_destroy(res);
    if (o)
        rd_kafka_AdminOptions_destroy(o);
}

/* Any answer of a broker counts, a refusal (say, not authorised) included:
 * only the transport's failures mean nobody answered. */
static bool answered(rd_kafka_resp_err_t e)
{
    return e != RD_KAFKA_RESP_ERR__TIMED_OUT && e != RD_KAFKA_RESP_ERR__TRANSPORT &&
           e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && e != RD_KAFKA_RESP_ERR__DESTROY &&
           e != RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE && e != RD_KAFKA_RESP_ERR__WAIT_COORD;
}

double proc_watch_silent(proc_watch *w)
{
    rd_kafka_event_t *ev;
    while ((ev = rd_kafka_queue_poll(w->q, 0))) {
        rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
        if (!e && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT) {
            size_t n = 0;
            const rd_kafka_ConfigResource_t **res =
                rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
            e = n ? rd_kafka_ConfigResource_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        if (answered(e))
            proc_watch_contact(w);
        rd_kafka_event_destroy(ev);
        w->probe_sent_ns = 0;
    }
    int64_t now = now_ns(), last = atomic_load(&w->last_ns);
    /* A lost answer (never delivered) must not stop the probing. */
    bool outstanding = w->probe_sent_ns && now - w->probe_sent_ns < 2LL * PROBE_TIMEOUT_MS * 1000000;
    if (!outstanding && now - last >= (int64_t)PROC_WATCH_PROBE_MS * 1000000)
        send_probe(w);
    return (double)(now - last) / 1e9;
}

/* ---- bounded calls ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* the caller and the thread: the last one out frees */
    bool done;
    void *(*call)(void *);
    void *result;
    max_align_t arg[]; /* the copy of arg */
} job;

static void job_release(job *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (last) {
        pthread_mutex_destroy(&j->mu);
        pthread_cond_destroy(&j->cv);
        free(j);
    }
}

static void *job_main(void *p)
{
    job *j = p;
    void *result = j->call(j->arg);
    pthread_mutex_lock(&j->mu);
    j->result = result;
    j->done = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_release(j);
    return NULL;
}

bool proc_watch_call(void *(*call)(void *), const void *arg, size_t size, void **result, bool (*give_up)(void *),
                     void *ctx)
{
    job *j = calloc(1, sizeof *j + size);
    pthread_t th;
    if (!j)
        return false;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->refs = 2;
    j->call = call;
    memcpy(j->arg, arg, size);
    if (pthread_create(&th, NULL, job_main, j)) {
        /* No thread: the call is made here, unbounded, rather than not at all. */
        *result = call(j->arg);
        j->refs = 1;
        job_release(j);
        return true;
    }
    pthread_detach(th);
    bool done = false;
    for (;;) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_mutex_lock(&j->mu);
        while (!j->done && pthread_cond_timedwait(&j->cv, &j->mu, &until) == 0)
            ;
        done = j->done;
        if (done)
            *result = j->result;
        pthread_mutex_unlock(&j->mu);
        if (done || give_up(ctx))
            break;
    }
    job_release(j);
    return done;
}
