/* processor/run_kafka.c — librdkafka configuration and logging helpers shared
 * by the run loop and the mock broker. */
#include "processor/run_kafka.h"

#include <stdio.h>

#include "processor/log.h"

void proc_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug. */
    proc_log_level l = level <= 3 ? PROC_LOG_ERROR : level == 4 ? PROC_LOG_WARN : level <= 6 ? PROC_LOG_INFO : PROC_LOG_DEBUG;
    char qfac[64], qmsg[1024];
    proc_log(l, "librdkafka", "client=%s facility=%s detail=%s", rk ? rd_kafka_name(rk) : "-",
             proc_log_quote(fac, qfac, sizeof qfac), proc_log_quote(buf, qmsg, sizeof qmsg));
}

int proc_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t errcap)
{
    char why[256];
    if (rd_kafka_conf_set(conf, name, value, why, sizeof why) != RD_KAFKA_CONF_OK) {
        snprintf(err, errcap, "kafka property %s: %s", name, why);
        return -1;
    }
    return 0;
}

int proc_kafka_apply(rd_kafka_conf_t *conf, const proc_kvs *kvs, char *err, size_t errcap)
{
    for (size_t i = 0; i < kvs->n; i++)
        if (proc_kafka_set(conf, kvs->items[i].name, kvs->items[i].value, err, errcap))
            return -1;
    return 0;
}

rd_kafka_conf_t *proc_kafka_conf_new(void)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, proc_kafka_log_cb);
    return conf;
}
