/* processor/run_kafka.h — librdkafka plumbing shared by `run` and `mock-broker`:
 * logging through processor/log.h and configuration objects built from proc_kvs. */
#ifndef PROC_RUN_KAFKA_H
#define PROC_RUN_KAFKA_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "processor/config.h"

/* librdkafka's log_cb: one logfmt line through proc_log, syslog level mapped. */
void proc_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/* Sets name=value on conf. Returns 0, or -1 with "NAME: reason" in err. */
int proc_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errcap);

/* Applies every property of kvs on conf, in order (later ones win). Returns 0 or -1 with err. */
int proc_kafka_apply(rd_kafka_conf_t *conf, const proc_kvs *kvs, char *err, size_t errcap);

/* A new conf whose log goes through proc_kafka_log_cb. */
rd_kafka_conf_t *proc_kafka_conf_new(void);

/* Whether kvs sets property name. */
int proc_kafka_has(const proc_kvs *kvs, const char *name);

/* The consumer conf of `run`: our defaults (earliest, read_committed,
 * cooperative-sticky, bounded prefetch), then cfg->kafka, then what
 * correctness needs (group.id, no auto commit, no auto offset store).
 * eof: report partition EOF (for --until-eof). NULL with err on a bad property. */
rd_kafka_conf_t *proc_kafka_consumer_conf(const proc_config *cfg, int eof, char *err, size_t errcap);

/* The producer conf of `run`: our batching defaults, then cfg->kafka, then
 * cfg->output_kafka; for exactly_once a transactional.id unless the file sets one.
 * The default transactional.id is "alertfilter-GROUP-HOST-PID": unique per
 * process, which KIP-447 makes safe (a zombie is fenced by the consumer group
 * generation sent with its offsets, not by reusing its transactional.id); the
 * cost is that a crashed instance's open transaction is only aborted by the
 * broker after transaction.timeout.ms. NULL with err on a bad property. */
rd_kafka_conf_t *proc_kafka_producer_conf(const proc_config *cfg, char *err, size_t errcap);

/* Adds every partition of cfg's input topics to all, asking the cluster at
 * most timeout_ms per topic. Returns NULL, or what failed ("cannot reach the
 * Kafka cluster", "cannot read an input topic") with the detail in err. */
const char *proc_kafka_input_partitions(rd_kafka_t *consumer, const proc_config *cfg,
                                        rd_kafka_topic_partition_list_t *all, int timeout_ms, char *err, size_t errcap);

/* The logical offset auto.offset.reset names in conf, or INVALID ("error":
 * leave it to librdkafka). */
int64_t proc_kafka_offset_reset(const rd_kafka_conf_t *conf);

#endif
