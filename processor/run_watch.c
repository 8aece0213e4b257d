/* processor/run_watch.c — how long the Kafka cluster has not answered, read
 * from the consumer's statistics, and librdkafka calls waited on with a bound. */
#include "processor/run_watch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct proc_watch {
    _Atomic int64_t last_ns; /* monotonic time of the last answer */
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

proc_watch *proc_watch_new(void)
{
    proc_watch *w = calloc(1, sizeof *w);
    if (w)
        atomic_store(&w->last_ns, now_ns());
    return w;
}

void proc_watch_free(proc_watch *w) { free(w); }

/* Moves the last answer to at_ns, never back (answers are noted from several threads). */
static void contact_at(proc_watch *w, int64_t at_ns)
{
    int64_t last = atomic_load(&w->last_ns);
    while (at_ns > last && !atomic_compare_exchange_weak(&w->last_ns, &last, at_ns))
        ;
}

void proc_watch_contact(proc_watch *w) { contact_at(w, now_ns()); }

/* Each broker's "rxidle" is the microseconds since its connection last
 * received anything (-1: never): fetch answers, which a broker sends at least
 * every fetch.wait.max.ms for an assigned partition, and the group
 * coordinator's heartbeat answers. The freshest is the cluster's last answer. */
void proc_watch_stats(proc_watch *w, const char *json, size_t len)
{
    static const char key[] = "\"rxidle\":";
    int64_t freshest = -1;
    const char *end = json + len;
    for (const char *p = json; (p = memmem(p, (size_t)(end - p), key, sizeof key - 1)); ) {
        p += sizeof key - 1;
        char *after;
        long long us = strtoll(p, &after, 10);
        if (after != p && us >= 0 && (freshest < 0 || us < freshest))
            freshest = us;
    }
    if (freshest >= 0)
        contact_at(w, now_ns() - freshest * 1000);
}

double proc_watch_silent(proc_watch *w) { return (double)(now_ns() - atomic_load(&w->last_ns)) / 1e9; }

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
