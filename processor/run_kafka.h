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

#endif
