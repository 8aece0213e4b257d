/* processor/metrics.h — counters of the run loop, served in Prometheus text
 * format with /healthz and /readyz (libmicrohttpd). Safe to update from the
 * main loop while the HTTP thread reads. */
#ifndef PROC_METRICS_H
#define PROC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct proc_metrics proc_metrics;

proc_metrics *proc_metrics_new(void);
void proc_metrics_free(proc_metrics *m); /* stops the server if it runs */

/* Starts serving on address:port. Returns 0, or -1 with a message in err. */
int proc_metrics_serve(proc_metrics *m, const char *address, int port, char *err, size_t errcap);

/* Updates between hold and release reach a scrape together or not at all
 * (one batch's counters, say), never half of them. */
void proc_metrics_hold(proc_metrics *m);
void proc_metrics_release(proc_metrics *m);

void proc_metrics_consumed(proc_metrics *m, uint64_t n);
void proc_metrics_rejected(proc_metrics *m, uint64_t n);
void proc_metrics_refetched(proc_metrics *m, uint64_t n);
void proc_metrics_rule_matches(proc_metrics *m, const char *rule, uint64_t n);
/* Gives each named rule its series at 0 unless it has one: a rule that never
 * matched is still scraped (Prometheus: initialise every known label set). */
void proc_metrics_rules_known(proc_metrics *m, const char *const *names, size_t n);
void proc_metrics_transaction(proc_metrics *m, bool committed);
void proc_metrics_batch_seconds(proc_metrics *m, double seconds);
void proc_metrics_lag(proc_metrics *m, const char *topic, int32_t partition, int64_t lag);
/* The main loop calls this every iteration; /healthz is 503 when it has not
 * been called for stall_seconds, or after proc_metrics_failing. */
void proc_metrics_heartbeat(proc_metrics *m);
void proc_metrics_failing(proc_metrics *m);
void proc_metrics_ready(proc_metrics *m, bool ready);
/* /healthz is 503 "unreachable" while seconds >= 0: how long the Kafka cluster
 * has not answered; < 0 when it answers. /readyz is never 200 while /healthz is not. */
void proc_metrics_unreachable(proc_metrics *m, double seconds);

/* Renders the Prometheus text (also what the server answers on /metrics). Caller frees. */
char *proc_metrics_render(proc_metrics *m);

/* A negative lag (librdkafka's "unknown") removes the partition's series, as
 * when the partition is revoked. */

/* Sets the /healthz stall window (default 30 s); tests make it short. */
void proc_metrics_set_stall_seconds(proc_metrics *m, double seconds);
/* The port actually bound (useful when serving on port 0), or -1 before serve. */
int proc_metrics_port(const proc_metrics *m);

#endif
