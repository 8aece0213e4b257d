/* processor/run.c — the run loop: batches bounded by count and time, one
 * transaction per batch (or flush + commit in at_least_once), abort and
 * rewind, cooperative rebalance, drain detection, rule reload, bounded shutdown. */
#include "processor/run.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "processor/config.h"
#include "processor/input.h"
#include "processor/log.h"
#include "processor/metrics.h"
#include "processor/run_drain.h"
#include "processor/run_kafka.h"
#include "processor/run_output.h"
#include "processor/run_positions.h"
#include "processor/run_rules.h"
#include "processor/run_teardown.h"
#include "processor/run_watch.h"
#include "processor/ruleset.h"

#define STARTUP_TIMEOUT_MS 10000 /* reaching the cluster, checking topics, init_transactions */
#define TXN_TIMEOUT_MS 30000     /* one commit or abort, including flushing the batch */
#define COMMIT_TIMEOUT_MS 10000  /* at_least_once: one offset commit (a missed one is covered by the next) */
#define TXN_COMMIT_TRIES 3       /* retriable commit errors before giving up and aborting */
#define SHUTDOWN_TIMEOUT_MS 5000 /* consumer close + destroy, before we stop waiting for librdkafka */
#define SHUTDOWN_LOST_MS 1000    /* the same with the cluster silent: nothing to wait for */
#define IDLE_POLL_MS 100         /* longest poll timeout: how fast signals are seen */
#define CLOCK_EVERY 64           /* messages between two looks at the clock in a burst */
#define MAX_ABORTS 10            /* batches aborted in a row before giving up: the cause is not transient */
#define STOP_GRACE_S 3.0         /* after SIGINT/SIGTERM, how long a commit may still take */
#define UNHEALTHY_SILENT_S 10.0  /* /healthz says "unreachable" once the cluster is silent this long */

/* One input partition of the open batch. */
typedef struct {
    char *topic;
    int32_t partition;
    int64_t first; /* first offset of the batch: where an abort rewinds to */
    int64_t next;  /* offset after the last one processed: what a commit stores */
} batch_part;

typedef struct {
    batch_part *parts;
    size_t n, cap, last;
    size_t msgs;
    bool open;   /* a transaction has begun (at_least_once: records are in flight) */
    bool doomed; /* a produce failed: abort instead of committing */
    bool unsaved; /* at_least_once: delivered, but the commit of its offsets failed */
    int quiet_ms; /* open: the polls' time since the input last gave anything */
    struct timespec start;
} batch;

typedef struct {
    proc_run_opts opts;
    proc_config cfg;
    bool transactional;
    rd_kafka_t *consumer, *producer;
    proc_rules *rules;
    proc_output out;
    proc_metrics *metrics;
    batch b;
    proc_positions pos; /* drops records fetched twice (librdkafka #4637) */
    rd_kafka_topic_partition_list_t *drained; /* assigned partitions at EOF with nothing consumed since */
    uint64_t delivery_failures;               /* at_least_once: failed deliveries in the open batch */
    int aborts;                               /* batches aborted in a row */
    bool failed;                              /* fatal: leave the loop, exit 1 */
    bool abandoned;                           /* a transactional call still runs on its own thread */
    proc_watch *watch;                        /* how long the cluster has been silent */
    double stop_seen;                         /* monotonic seconds when a stop was first seen, 0 before */
    char last_commit_error[256];              /* the last commit that failed, for the end of a drain */
    bool closing;                             /* teardown: the rebalance callback only unassigns */
    bool assigned_once;                       /* the group has handed us an assignment (maybe empty) */
    int64_t offset_reset;                     /* auto.offset.reset as a logical offset (--until-eof start) */
} run_state;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- the open batch's partitions ---- */

static batch_part *batch_track(batch *b, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    if (b->last < b->n && b->parts[b->last].partition == m->partition && !strcmp(b->parts[b->last].topic, topic))
        return &b->parts[b->last];
    for (size_t i = 0; i < b->n; i++)
        if (b->parts[i].partition == m->partition && !strcmp(b->parts[i].topic, topic))
            return &b->parts[b->last = i];
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        batch_part *p = realloc(b->parts, cap * sizeof *p);
        if (!p)
            return NULL;
        b->parts = p;
        b->cap = cap;
    }
    char *name = strdup(topic);
    if (!name)
        return NULL;
    b->parts[b->n] = (batch_part){name, m->partition, m->offset, m->offset};
    return &b->parts[b->last = b->n++];
}

/* The batch's partitions with offset = first (rewind) or next (commit). */
static rd_kafka_topic_partition_list_t *batch_offsets(const batch *b, bool rewind)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)b->n);
    for (size_t i = 0; i < b->n; i++)
        rd_kafka_topic_partition_list_add(l, b->parts[i].topic, b->parts[i].partition)->offset =
            rewind ? b->parts[i].first : b->parts[i].next;
    return l;
}

static void batch_reset(batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->parts[i].topic);
    b->n = b->last = b->msgs = 0;
    b->open = b->doomed = b->unsaved = false;
}

/* ---- a cluster that does not answer ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Looks at the cluster's silence: /healthz says so after UNHEALTHY_SILENT_S,
 * and past kafka_unreachable_timeout_ms the run fails. Returns whether it failed. */
static bool cluster_lost(run_state *r)
{
    double silent = proc_watch_silent(r->watch), limit = r->cfg.unreachable_timeout_ms / 1000.0;
    proc_metrics_unreachable(r->metrics, silent >= UNHEALTHY_SILENT_S || silent >= limit ? silent : -1);
    if (silent < limit || r->failed)
        return silent >= limit;
    proc_log(PROC_LOG_ERROR, "the Kafka cluster is unreachable, giving up",
             "silent_s=%.1f kafka_unreachable_timeout_ms=%d", silent, r->cfg.unreachable_timeout_ms);
    r->failed = true;
    return true;
}

/* Whether a wait on Kafka must end now: the cluster is lost, or a stop was
 * asked for STOP_GRACE_S ago. Called every 100 ms during such waits. */
static bool must_give_up(void *ctx)
{
    run_state *r = ctx;
    proc_metrics_heartbeat(r->metrics);
    if (*r->opts.stop && r->stop_seen == 0)
        r->stop_seen = now_s();
    return cluster_lost(r) || (r->stop_seen > 0 && now_s() - r->stop_seen > STOP_GRACE_S);
}

/* ---- drain detection (--until-eof) ---- */

static void drained_forget(run_state *r, const char *topic, int32_t partition)
{
    if (r->drained->cnt)
        rd_kafka_topic_partition_list_del(r->drained, topic, partition);
}

static bool all_drained(run_state *r)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(r->consumer, &a))
        return false;
    bool all = a->cnt > 0;
    for (int i = 0; all && i < a->cnt; i++)
        all = rd_kafka_topic_partition_list_find(r->drained, a->elems[i].topic, a->elems[i].partition) != NULL;
    rd_kafka_topic_partition_list_destroy(a);
    return all;
}

/* Every rule's match counter, at 0 until it matches. */
static void announce_rules(run_state *r)
{
    const char **names = malloc(r->rules->n * sizeof *names + 1);
    if (!names)
        return;
    for (size_t i = 0; i < r->rules->n; i++)
        names[i] = rule_set_name(r->rules->rs, i);
    proc_metrics_rules_known(r->metrics, names, r->rules->n);
    free(names);
}

/* ---- ending a batch ---- */

static void log_kafka_error(proc_log_level level, const char *msg, const char *what, const char *why)
{
    char q[512];
    proc_log(level, msg, "step=%s error=%s", what, proc_log_quote(why, q, sizeof q));
}

/* Seeks the batch's partitions back to where the batch began, so that the
 * retry reads exactly what the aborted batch had read: input is never skipped. */
static void rewind_batch(run_state *r)
{
    rd_kafka_topic_partition_list_t *l = batch_offsets(&r->b, true);
    rd_kafka_error_t *e = rd_kafka_seek_partitions(r->consumer, l, STARTUP_TIMEOUT_MS);
    if (e) {
        log_kafka_error(PROC_LOG_WARN, "rewind failed", "seek", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    for (int i = 0; i < l->cnt; i++) {
        if (l->elems[i].err)
            proc_log(PROC_LOG_WARN, "rewind failed", "topic=%s partition=%" PRId32 " error=\"%s\"", l->elems[i].topic,
                     l->elems[i].partition, rd_kafka_err2str(l->elems[i].err));
        drained_forget(r, l->elems[i].topic, l->elems[i].partition);
    }
    r->failed |= proc_positions_set_list(&r->pos, l) != 0;
    rd_kafka_topic_partition_list_destroy(l);
}

/* Consumes e: logs it and, when fatal, marks the run failed. Returns whether it was fatal. */
static bool txn_error_fatal(run_state *r, rd_kafka_error_t *e, const char *step)
{
    bool fatal = rd_kafka_error_is_fatal(e);
    snprintf(r->last_commit_error, sizeof r->last_commit_error, "%s: %s", step, rd_kafka_error_string(e));
    log_kafka_error(fatal ? PROC_LOG_ERROR : PROC_LOG_WARN, fatal ? "fatal transaction error" : "transaction failed",
                    step, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    r->failed |= fatal;
    return fatal;
}

typedef struct {
    run_state *r;
    rd_kafka_error_t *(*call)(run_state *);
} txn_job;

static void *txn_job_main(void *p)
{
    txn_job *j = p;
    return j->call(j->r);
}

/* call(r), waited on until must_give_up: then the transaction is left open
 * (the call still runs), for the broker to abort after transaction.timeout.ms. */
static bool txn_call(run_state *r, const char *step, rd_kafka_error_t *(*call)(run_state *), rd_kafka_error_t **e)
{
    void *result = NULL;
    if (proc_watch_call(txn_job_main, &(txn_job){r, call}, sizeof(txn_job), &result, must_give_up, r)) {
        *e = result;
        return true;
    }
    char ms[32];
    size_t n = sizeof ms;
    if (rd_kafka_conf_get(rd_kafka_conf(r->producer), "transaction.timeout.ms", ms, &n) != RD_KAFKA_CONF_OK)
        snprintf(ms, sizeof ms, "?");
    proc_log(PROC_LOG_ERROR, "transaction left open: the broker aborts it after transaction.timeout.ms",
             "step=%s transaction_timeout_ms=%s messages=%zu", step, ms, r->b.msgs);
    r->abandoned = r->failed = true;
    return false;
}

/* Calls step until it succeeds, fails for good, or has failed retriably
 * TXN_COMMIT_TRIES times; logs each failure. Returns whether it succeeded. */
static bool txn_step(run_state *r, const char *step, rd_kafka_error_t *(*call)(run_state *))
{
    for (int i = 0; i < TXN_COMMIT_TRIES && !r->abandoned; i++) {
        rd_kafka_error_t *e;
        if (!txn_call(r, step, call, &e))
            return false;
        if (!e) {
            proc_watch_contact(r->watch);
            return true;
        }
        bool retriable = rd_kafka_error_is_retriable(e);
        if (txn_error_fatal(r, e, step) || !retriable)
            return false;
    }
    return false;
}

static rd_kafka_error_t *txn_send_offsets(run_state *r)
{
    rd_kafka_topic_partition_list_t *offsets = batch_offsets(&r->b, false);
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(r->consumer);
    rd_kafka_error_t *e = rd_kafka_send_offsets_to_transaction(r->producer, offsets, gm, TXN_TIMEOUT_MS);
    rd_kafka_consumer_group_metadata_destroy(gm);
    rd_kafka_topic_partition_list_destroy(offsets);
    return e;
}

static rd_kafka_error_t *txn_commit(run_state *r) { return rd_kafka_commit_transaction(r->producer, TXN_TIMEOUT_MS); }
static rd_kafka_error_t *txn_abort(run_state *r) { return rd_kafka_abort_transaction(r->producer, TXN_TIMEOUT_MS); }

/* Sends the batch's offsets and commits. Returns true when committed. */
static bool commit_txn(run_state *r)
{
    return txn_step(r, "send_offsets_to_transaction", txn_send_offsets) &&
           txn_step(r, "commit_transaction", txn_commit);
}

/* Aborts and rewinds; a producer that cannot even abort is beyond repair. */
static void abort_txn(run_state *r)
{
    if (txn_step(r, "abort_transaction", txn_abort)) {
        rewind_batch(r);
    } else if (!r->failed) {
        proc_log(PROC_LOG_ERROR, "cannot abort the transaction", NULL);
        r->failed = true;
    }
}

/* Commits offsets and waits for the answer at most COMMIT_TIMEOUT_MS: a plain
 * synchronous commit has no deadline of its own, and one that waits on a group
 * in the middle of a rebalance must not stop a shutdown. */
static rd_kafka_resp_err_t commit_offsets(run_state *r, const rd_kafka_topic_partition_list_t *offsets)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(r->consumer);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(r->consumer, offsets, q, NULL, NULL);
    if (!e) {
        rd_kafka_event_t *ev = NULL;
        double deadline = now_s() + COMMIT_TIMEOUT_MS / 1000.0;
        while (!(ev = rd_kafka_queue_poll(q, 100)) && now_s() < deadline && !must_give_up(r))
            ;
        e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
        if (ev)
            rd_kafka_event_destroy(ev);
        if (!e)
            proc_watch_contact(r->watch);
    }
    rd_kafka_queue_destroy(q);
    return e;
}

/* Flushes the batch's records and, if every one was delivered, commits its offsets. */
static bool commit_at_least_once(run_state *r)
{
    rd_kafka_resp_err_t fe = RD_KAFKA_RESP_ERR_NO_ERROR;
    double deadline = now_s() + TXN_TIMEOUT_MS / 1000.0;
    while (rd_kafka_outq_len(r->producer) > 0 && !fe)
        if (now_s() > deadline || must_give_up(r))
            fe = RD_KAFKA_RESP_ERR__TIMED_OUT;
        else
            rd_kafka_flush(r->producer, 100);
    if (fe || r->delivery_failures) {
        proc_log(PROC_LOG_WARN, "batch not delivered, retrying it", "failed_records=%" PRIu64 " flush=\"%s\"",
                 r->delivery_failures, rd_kafka_err2str(fe));
        return false;
    }
    rd_kafka_topic_partition_list_t *offsets = batch_offsets(&r->b, false);
    rd_kafka_resp_err_t ce = commit_offsets(r, offsets);
    rd_kafka_topic_partition_list_destroy(offsets);
    /* The records are out; the next commit covers these offsets, unless this batch was the last. */
    r->b.unsaved = ce != RD_KAFKA_RESP_ERR_NO_ERROR;
    if (ce) {
        snprintf(r->last_commit_error, sizeof r->last_commit_error, "%s", rd_kafka_err2str(ce));
        proc_log(PROC_LOG_WARN, "offset commit failed", "error=\"%s\"", rd_kafka_err2str(ce));
    }
    return true;
}

/* secs: from the batch's first message to the end of its commit (or abort),
 * of which commit_secs ending it. */
static void report_batch(run_state *r, bool committed, double secs, double commit_secs)
{
    proc_metrics_hold(r->metrics);
    proc_metrics_batch_seconds(r->metrics, secs);
    if (r->transactional)
        proc_metrics_transaction(r->metrics, committed);
    if (committed) {
        proc_metrics_consumed(r->metrics, r->b.msgs);
        if (r->out.rejected)
            proc_metrics_rejected(r->metrics, r->out.rejected);
        for (size_t i = 0; i < r->rules->n; i++)
            if (r->rules->matches[i])
                proc_metrics_rule_matches(r->metrics, rule_set_name(r->rules->rs, i), r->rules->matches[i]);
        for (size_t i = 0; i < r->b.n; i++) {
            int64_t lo, hi;
            if (!rd_kafka_get_watermark_offsets(r->consumer, r->b.parts[i].topic, r->b.parts[i].partition, &lo, &hi) &&
                hi >= 0)
                proc_metrics_lag(r->metrics, r->b.parts[i].topic, r->b.parts[i].partition, hi - r->b.parts[i].next);
        }
    }
    proc_metrics_release(r->metrics);
    proc_log(PROC_LOG_DEBUG, committed ? "batch committed" : "batch aborted",
             "messages=%zu partitions=%zu seconds=%.4f commit_seconds=%.4f", r->b.msgs, r->b.n, secs, commit_secs);
    r->out.rejected = 0;
    memset(r->rules->matches, 0, r->rules->n * sizeof *r->rules->matches);
}

/* Commits the open batch, or aborts it and rewinds so that it is read again. */
static void end_batch(run_state *r)
{
    if (!r->b.open)
        return;
    double open_secs = seconds_since(&r->b.start);
    bool committed;
    if (r->transactional) {
        committed = !r->b.doomed && commit_txn(r);
        if (!committed && !r->failed)
            abort_txn(r);
    } else {
        committed = !r->b.doomed && commit_at_least_once(r);
        if (!committed)
            rewind_batch(r);
    }
    double secs = seconds_since(&r->b.start);
    report_batch(r, committed, secs, secs - open_secs);
    if ((!committed || r->b.unsaved) && *r->opts.stop && !r->abandoned) {
        proc_log(PROC_LOG_ERROR, "stopping with a batch not committed: its input is read again on restart",
                 "messages=%zu", r->b.msgs);
        r->failed = true;
    }
    batch_reset(&r->b);
    r->aborts = committed ? 0 : r->aborts + 1;
    if (r->aborts >= MAX_ABORTS && !r->failed) {
        proc_log(PROC_LOG_ERROR, "giving up: every batch fails", "aborted_in_a_row=%d", r->aborts);
        r->failed = true;
    }
}

/* ---- the loop ---- */

static void begin_batch(run_state *r)
{
    if (r->transactional) {
        rd_kafka_error_t *e = rd_kafka_begin_transaction(r->producer);
        if (e) {
            log_kafka_error(PROC_LOG_ERROR, "cannot begin a transaction", "begin_transaction", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            r->failed = true;
            return;
        }
    }
    r->delivery_failures = 0;
    r->b.open = true;
    clock_gettime(CLOCK_MONOTONIC, &r->b.start);
}

static void consumer_error(run_state *r, const rd_kafka_message_t *m)
{
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "-";
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (!rd_kafka_topic_partition_list_find(r->drained, topic, m->partition))
            rd_kafka_topic_partition_list_add(r->drained, topic, m->partition);
        return;
    }
    bool fatal = m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                 m->err == RD_KAFKA_RESP_ERR__FATAL;
    char q[512];
    proc_log(fatal ? PROC_LOG_ERROR : PROC_LOG_WARN, "consumer error", "topic=%s error=%s", topic,
             proc_log_quote(rd_kafka_message_errstr(m), q, sizeof q));
    r->failed |= fatal;
}

static void process(run_state *r, const rd_kafka_message_t *m)
{
    if (r->failed || !proc_positions_admit(&r->pos, m, r->metrics)) /* a run that is ending opens no transaction */
        return;
    if (!r->b.open)
        begin_batch(r);
    batch_part *p = r->failed ? NULL : batch_track(&r->b, m);
    if (!p) {
        r->failed = true;
        return;
    }
    p->next = m->offset + 1;
    r->b.msgs++;
    drained_forget(r, p->topic, p->partition);
    rd_kafka_resp_err_t e = proc_output_message(&r->out, r->rules, m);
    if (!e)
        return;
    if (r->out.unavailable) {
        /* Not the message's fault: it is read again after a restart, never dead-lettered. */
        r->b.doomed = true;
        if (!*r->opts.stop) {
            proc_log(PROC_LOG_ERROR, "stopping: an Avro schema cannot be had", "topic=%s partition=%" PRId32
                     " offset=%" PRId64, p->topic, m->partition, m->offset);
            r->failed = true;
        }
        return;
    }
    /* Too large for the output is permanent: retrying the batch cannot help,
     * so that record is logged and counted instead. */
    bool too_large = e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
    char q[256];
    proc_log(too_large ? PROC_LOG_ERROR : PROC_LOG_WARN, too_large ? "record too large for the output, not written" : "produce failed",
             "topic=%s partition=%" PRId32 " offset=%" PRId64 " error=%s", p->topic, m->partition, m->offset,
             proc_log_quote(rd_kafka_err2str(e), q, sizeof q));
    if (too_large) {
        r->out.rejected++;
        return;
    }
    r->failed |= e == RD_KAFKA_RESP_ERR__FATAL;
    r->b.doomed = true;
}

static void reload_rules(run_state *r)
{
    *r->opts.reload = 0;
    proc_config nc;
    proc_diags d = {0};
    proc_rules *nr = NULL;
    rule_set *rs = NULL;
    if ((rs = proc_ruleset_load_run(r->opts.config_path, &nc, &d)))
        nr = proc_rules_new(&nc, rs, r->producer, &d);
    char changed[256];
    if (nr && proc_config_changed(&r->cfg, &nc, changed, sizeof changed))
        proc_log(PROC_LOG_WARN, "a reload changes the rules only: restart for the other settings",
                 "changed=%s", changed);
    proc_config_free(&nc);
    if (!nr) {
        proc_log(PROC_LOG_ERROR, "reload failed, keeping the current rules", "rules=%zu errors=%zu", r->rules->n, d.n);
        proc_diags_log(&d);
    } else {
        proc_rules_free(r->rules);
        r->rules = nr;
        announce_rules(r);
        proc_log(PROC_LOG_INFO, "rules reloaded", "rules=%zu", nr->n);
    }
    proc_diags_free(&d);
}

/* Milliseconds the open batch may still run. */
static int batch_ms_left(run_state *r)
{
    if (!r->b.open)
        return IDLE_POLL_MS;
    int left = r->cfg.txn_interval_ms - (int)(seconds_since(&r->b.start) * 1000);
    return left > 0 ? left : 0;
}

static void run_loop(run_state *r)
{
    bool burst = false; /* the last poll returned a message */
    while (!*r->opts.stop && !r->failed) {
        /* Reading the clock shows in profiles: within a burst of messages,
         * time is only looked at every CLOCK_EVERY of them. */
        int left = 1;
        if (!burst || r->b.msgs % CLOCK_EVERY == 0) {
            proc_metrics_heartbeat(r->metrics);
            if (cluster_lost(r))
                break;
            left = batch_ms_left(r);
        }
        if (left == 0 || (r->b.open && (int)r->b.msgs >= r->cfg.txn_max_messages))
            end_batch(r);
        if (*r->opts.reload && !r->b.open) /* between two batches, even under steady load */
            reload_rules(r);
        /* An open batch also ends once the input has had nothing for
         * txn_idle_ms: at a survey's pace a burst's last alerts are then
         * visible a commit after they came, not up to a whole interval later;
         * under a steady backlog the input is never idle and nothing changes.
         * The quiet time adds up empty polls (each waits its whole timeout),
         * so an idle end longer than one poll is kept too. */
        int wait = r->b.open && left < IDLE_POLL_MS ? left : IDLE_POLL_MS;
        int idle_left = r->cfg.txn_idle_ms - r->b.quiet_ms;
        bool idle_ends = r->b.open && r->cfg.txn_idle_ms > 0 && idle_left <= wait;
        int timeout = idle_ends ? idle_left : wait;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, timeout);
        r->b.quiet_ms = m || !r->b.open ? 0 : r->b.quiet_ms + timeout;
        bool idle = !m || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        /* A record or the end of a partition is a fetch answered (the clock
         * read as rarely as above). */
        if (m && (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) && (!burst || r->b.msgs % CLOCK_EVERY == 0))
            proc_watch_contact(r->watch);
        burst = !idle;
        if (m) {
            if (m->err)
                consumer_error(r, m);
            else
                process(r, m);
            rd_kafka_message_destroy(m);
        }
        if (r->failed)
            break;
        if (!m && idle_ends)
            end_batch(r);
        bool drained = r->opts.until_eof && idle && all_drained(r);
        if (drained)
            end_batch(r);
        if (drained && !r->b.open && all_drained(r)) {
            /* Drained is not done: the group's offsets say what a next run reads.
             * (A committed transaction has committed its offsets: nothing to check.) */
            if (!r->transactional)
                r->failed |= proc_drain_verify(r->consumer, r->last_commit_error[0] ? r->last_commit_error : NULL) != 0;
            if (!r->failed)
                proc_log(PROC_LOG_INFO, "input drained", NULL);
            return;
        }
    }
    if (r->opts.until_eof && !r->transactional && r->failed && !r->abandoned &&
        proc_watch_silent(r->watch) < UNHEALTHY_SILENT_S)
        proc_drain_verify(r->consumer, r->last_commit_error[0] ? r->last_commit_error : NULL);
    if (!r->failed)
        end_batch(r);
    if (r->b.open && !r->abandoned) /* failed with a batch open: say what becomes of it */
        proc_log(PROC_LOG_ERROR,
                 r->transactional ? "transaction left open: the broker aborts it after transaction.timeout.ms"
                                  : "batch not committed: its input is read again on restart",
                 "messages=%zu", r->b.msgs);
}

/* ---- callbacks ---- */

static bool assignment_empty(rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *now = NULL;
    if (rd_kafka_assignment(rk, &now))
        return false;
    bool empty = now->cnt == 0;
    rd_kafka_topic_partition_list_destroy(now);
    return empty;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    run_state *r = opaque;
    bool coop = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t ee = RD_KAFKA_RESP_ERR_NO_ERROR;
    /* The group's coordinator answered (the join, the assignment): contact,
     * as is its answer to the committed offsets, however slow: no statistics
     * are read while this callback waits. */
    if (r->watch)
        proc_watch_contact(r->watch);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        r->assigned_once = true;
        int looked_up = r->closing ? 1 : proc_positions_assign(&r->pos, rk, parts, STARTUP_TIMEOUT_MS);
        r->failed |= looked_up < 0;
        if (looked_up == 0 && r->watch)
            proc_watch_contact(r->watch);
        if (coop)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            ee = rd_kafka_assign(rk, parts);
        if (!r->closing)
            proc_metrics_ready(r->metrics, true);
    } else {
        if (!r->closing) {
            /* The transaction must end while we still own its partitions:
             * lost ones are someone else's already, so it can only be aborted. */
            if (rd_kafka_assignment_lost(rk) && r->b.open)
                r->b.doomed = true;
            end_batch(r);
            for (int i = 0; i < parts->cnt; i++) {
                drained_forget(r, parts->elems[i].topic, parts->elems[i].partition);
                proc_metrics_lag(r->metrics, parts->elems[i].topic, parts->elems[i].partition, -1);
            }
        }
        if (coop)
            e = rd_kafka_incremental_unassign(rk, parts);
        else
            ee = rd_kafka_assign(rk, NULL);
        if (!r->closing)
            proc_metrics_ready(r->metrics, !assignment_empty(rk));
    }
    if (!r->closing)
        proc_log(PROC_LOG_INFO, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "partitions assigned" : "partitions revoked",
                 "count=%d protocol=%s", parts->cnt, rd_kafka_rebalance_protocol(rk));
    if (e) {
        log_kafka_error(PROC_LOG_ERROR, "rebalance failed", "assign", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    if (ee)
        log_kafka_error(PROC_LOG_ERROR, "rebalance failed", "assign", rd_kafka_err2str(ee));
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    run_state *r = opaque;
    if (!m->err) {
        if (r->watch)
            proc_watch_contact(r->watch);
        return;
    }
    if (r->delivery_failures++ == 0)
        proc_log(PROC_LOG_WARN, "delivery failed", "topic=%s error=\"%s\"", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
}

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    run_state *r = opaque;
    if (r->watch)
        proc_watch_stats(r->watch, json, len);
    return 0;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    run_state *r = opaque;
    char q[512], fatal[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        proc_log(PROC_LOG_ERROR, "fatal Kafka error", "client=%s error=%s", rd_kafka_name(rk),
                 proc_log_quote(fatal, q, sizeof q));
        r->failed = true;
        return;
    }
    proc_log(PROC_LOG_WARN, "Kafka error", "client=%s code=%s error=%s", rd_kafka_name(rk),
             rd_kafka_err2name((rd_kafka_resp_err_t)err), proc_log_quote(reason, q, sizeof q));
}

/* ---- startup and teardown ---- */

static int fail(const char *msg, const char *detail)
{
    char q[1024];
    proc_log(PROC_LOG_ERROR, msg, "error=%s", proc_log_quote(detail, q, sizeof q));
    return -1;
}

static int create_clients(run_state *r)
{
    char err[512];
    rd_kafka_conf_t *pc = proc_kafka_producer_conf(&r->cfg, err, sizeof err);
    if (!pc)
        return fail("bad producer configuration", err);
    rd_kafka_conf_set_opaque(pc, r);
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_error_cb(pc, on_error);
    if (!(r->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err)))
        return fail("cannot create the producer", err);
    rd_kafka_conf_t *cc = proc_kafka_consumer_conf(&r->cfg, r->opts.until_eof, err, sizeof err);
    if (!cc)
        return fail("bad consumer configuration", err);
    r->offset_reset = proc_kafka_offset_reset(cc);
    rd_kafka_conf_set_opaque(cc, r);
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    rd_kafka_conf_set_stats_cb(cc, on_stats);
    rd_kafka_conf_set_error_cb(cc, on_error);
    if (!(r->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof err)))
        return fail("cannot create the consumer", err);
    rd_kafka_poll_set_consumer(r->consumer);
    return 0;
}

/* Fails, in bounded time, when the cluster cannot be reached or an input
 * topic does not exist; adds every partition of the input topics to all. */
static int check_input_topics(run_state *r, rd_kafka_topic_partition_list_t *all)
{
    char err[512];
    const char *what = proc_kafka_input_partitions(r->consumer, &r->cfg, all, STARTUP_TIMEOUT_MS, err, sizeof err);
    return what ? fail(what, err) : 0;
}

/* Subscribes in the group, or, for --until-eof, takes every partition: a
 * drain is a batch job, and joining the group would cost a rebalance (seconds)
 * for nothing. Either way reading starts at the group's committed offsets. */
static int consume_from(run_state *r, rd_kafka_topic_partition_list_t *all)
{
    rd_kafka_resp_err_t e;
    if (r->opts.until_eof) {
        proc_drain_start_offsets(r->consumer, all, r->offset_reset, STARTUP_TIMEOUT_MS);
        if (proc_drain_precheck(r->consumer, all, r->cfg.group, r->opts.stop))
            return -1;
        r->failed |= proc_positions_set_list(&r->pos, all) != 0;
        e = rd_kafka_assign(r->consumer, all);
        proc_metrics_ready(r->metrics, !e);
        proc_log(PROC_LOG_INFO, "partitions assigned", "count=%d protocol=none", all->cnt);
    } else {
        rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new((int)r->cfg.n_input_topics);
        for (size_t i = 0; i < r->cfg.n_input_topics; i++)
            rd_kafka_topic_partition_list_add(subs, r->cfg.input_topics[i], RD_KAFKA_PARTITION_UA);
        e = rd_kafka_subscribe(r->consumer, subs);
        rd_kafka_topic_partition_list_destroy(subs);
    }
    if (e)
        return fail(r->opts.until_eof ? "cannot assign the input partitions" : "cannot subscribe", rd_kafka_err2str(e));
    return 0;
}

static int init_transactions(run_state *r)
{
    if (!r->transactional)
        return 0;
    rd_kafka_error_t *e = rd_kafka_init_transactions(r->producer, STARTUP_TIMEOUT_MS);
    if (!e)
        return 0;
    char err[512];
    snprintf(err, sizeof err, "%s", rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return fail("cannot initialize transactions on the output cluster", err);
}

/* Connects and starts consuming, with rs, the compiled rules, and in, the input reader (both taken). */
static int start(run_state *r, rule_set *rs, proc_input *in)
{
    proc_diags d = {0};
    char err[512];
    if (create_clients(r)) {
        rule_set_free(rs);
        proc_input_free(in);
        return -1;
    }
    r->rules = proc_rules_new(&r->cfg, rs, r->producer, &d);
    if (!r->rules) {
        proc_input_free(in);
        proc_diags_log(&d);
        proc_diags_free(&d);
        return fail("cannot set up the rules", r->cfg.file);
    }
    proc_log(PROC_LOG_INFO, "rules compiled", "rules=%zu", r->rules->n);
    announce_rules(r);
    if (proc_output_init(&r->out, &r->cfg, r->producer, in, err, sizeof err))
        return fail("bad output configuration", err);
    r->out.give_up = must_give_up;
    r->out.give_up_ctx = r;
    if (!(r->watch = proc_watch_new()))
        return fail("cannot start", "out of memory");
    if (r->cfg.metrics_enabled &&
        proc_metrics_serve(r->metrics, r->cfg.metrics_address, r->cfg.metrics_port, err, sizeof err))
        return fail("cannot serve metrics", err);
    rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(16);
    int failed = check_input_topics(r, all) || init_transactions(r) || consume_from(r, all);
    rd_kafka_topic_partition_list_destroy(all);
    if (failed)
        return -1;
    proc_log(PROC_LOG_INFO, "running", "group=%s topics=%zu guarantee=%s", r->cfg.group, r->cfg.n_input_topics,
             r->transactional ? "exactly_once" : "at_least_once");
    return 0;
}

/* librdkafka before 2.3.0 aborts the process (assertion `assignor_state' in
 * rd_kafka_sticky_assignor_state_destroy, librdkafka issue #4312) when a
 * consumer that joined a cooperative-sticky group is destroyed before its first
 * assignment: a replica stopped while the group rebalances. Such a consumer is
 * closed (it leaves the group) but not destroyed; the process exits next. */
static bool consumer_destroyable(run_state *r)
{
    const char *protocol = rd_kafka_rebalance_protocol(r->consumer);
    return r->assigned_once || rd_kafka_version() >= 0x020300ff || !protocol || strcmp(protocol, "COOPERATIVE") != 0;
}

/* Closes and destroys both clients (proc_teardown), giving up after
 * SHUTDOWN_TIMEOUT_MS, or SHUTDOWN_LOST_MS when the cluster is silent. Returns
 * false when r must stay alive: the clients, whose callbacks use it, were left
 * (it gave up, the consumer had to be kept, a call was abandoned on the producer). */
static bool destroy_clients(run_state *r)
{
    r->closing = true;
    bool keep_consumer = r->consumer && !consumer_destroyable(r);
    /* With the cluster gone, closing waits on it for nothing: a stop must be quick. */
    int timeout_ms = r->abandoned || (r->watch && proc_watch_silent(r->watch) >= 2 * PROC_WATCH_STATS_MS / 1000.0)
                         ? SHUTDOWN_LOST_MS
                         : SHUTDOWN_TIMEOUT_MS;
    if (r->watch && !r->abandoned) {
        proc_watch *w = r->watch;
        r->watch = NULL;
        proc_watch_free(w);
    }
    return proc_teardown(r->consumer, r->producer, keep_consumer, r->abandoned, timeout_ms) && !keep_consumer &&
           !r->abandoned; /* kept clients' callbacks may still use r */
}

int proc_run(const proc_run_opts *opts)
{
    run_state *r = calloc(1, sizeof *r);
    proc_diags d = {0};
    rule_set *rs = NULL;
    proc_input *in = NULL;
    if (!r)
        return 1;
    r->opts = *opts;
    /* Every error in the file, the rules' and schema files' included, before connecting. */
    if (!(rs = proc_ruleset_load_run(opts->config_path, &r->cfg, &d)) || !(in = proc_input_new(&r->cfg, opts->stop, &d))) {
        if (rs)
            rule_set_free(rs);
        proc_diags_print(&d, stderr);
        proc_diags_free(&d);
        proc_config_free(&r->cfg);
        free(r);
        return 1;
    }
    proc_config_log(&r->cfg);
    r->transactional = r->cfg.guarantee == PROC_EXACTLY_ONCE;
    r->metrics = proc_metrics_new();
    r->drained = rd_kafka_topic_partition_list_new(8);
    int started = r->metrics ? start(r, rs, in)
                             : (rule_set_free(rs), proc_input_free(in), fail("cannot start", "out of memory"));
    if (started == 0)
        run_loop(r);
    int status = started || r->failed ? 1 : 0;
    if (r->failed && r->metrics)
        proc_metrics_failing(r->metrics);
    proc_output_free(&r->out);
    proc_rules_free(r->rules);
    r->rules = NULL;
    bool clean = destroy_clients(r);
    proc_metrics_free(r->metrics);
    rd_kafka_topic_partition_list_destroy(r->drained);
    batch_reset(&r->b);
    free(r->b.parts);
    proc_positions_free(&r->pos);
    proc_config_free(&r->cfg);
    if (clean)
        free(r);
    proc_log(status ? PROC_LOG_ERROR : PROC_LOG_INFO, "stopped", "status=%d", status);
    return status;
}
