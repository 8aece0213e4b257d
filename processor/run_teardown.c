/* processor/run_teardown.c — closing and destroying `run`'s clients on a
 * thread of their own, so that a hung librdkafka cannot hold the exit. */
#include "processor/run_teardown.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "processor/log.h"

typedef struct {
    rd_kafka_t *consumer, *producer;
    bool keep_consumer; /* closed but not destroyed: see consumer_destroyable */
    bool keep_producer; /* a call abandoned on it still runs: leave it to the exit */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} teardown;

static void *teardown_main(void *arg)
{
    teardown *t = arg;
    if (t->consumer) {
        rd_kafka_consumer_close(t->consumer);
        if (!t->keep_consumer)
            rd_kafka_destroy(t->consumer);
    }
    if (t->producer && !t->keep_producer)
        rd_kafka_destroy(t->producer);
    pthread_mutex_lock(&t->mu);
    t->done = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

bool proc_teardown(rd_kafka_t *consumer, rd_kafka_t *producer, bool keep_consumer, bool keep_producer,
                   int timeout_ms)
{
    teardown *t = calloc(1, sizeof *t);
    if (!t)
        return false;
    *t = (teardown){.consumer = consumer,
                    .producer = producer,
                    .keep_consumer = keep_consumer,
                    .keep_producer = keep_producer};
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, teardown_main, t)) {
        free(t);
        return false;
    }
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L)
        deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&t->mu);
    while (!t->done && pthread_cond_timedwait(&t->cv, &t->mu, &deadline) == 0)
        ;
    bool done = t->done;
    pthread_mutex_unlock(&t->mu);
    if (!done) {
        pthread_detach(th);
        proc_log(PROC_LOG_WARN, "librdkafka did not shut down in time; exiting anyway", "timeout_ms=%d",
                 timeout_ms);
        return false;
    }
    pthread_join(th, NULL);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    return true;
}

