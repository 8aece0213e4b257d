/* processor/run_kafka.c — librdkafka configuration and logging helpers shared
 * by the run loop and the mock broker. */
#include "processor/run_kafka.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "processor/log.h"
#include "processor/run_watch.h"

void proc_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug. */
    proc_log_level l = level <= 3 ? PROC_LOG_ERROR : level == 4 ? PROC_LOG_WARN : level <= 6 ? PROC_LOG_INFO : PROC_LOG_DEBUG;
    /* One `kafka` group configures both clients, so each is told about the
     * other's properties: expected, not worth a warning. */
    if (strstr(buf, "property and will be ignored by this"))
        l = PROC_LOG_DEBUG;
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

int proc_kafka_has(const proc_kvs *kvs, const char *name)
{
    for (size_t i = 0; i < kvs->n; i++)
        if (!strcmp(kvs->items[i].name, name))
            return 1;
    return 0;
}

/* Sets each NULL-terminated name, value pair. Returns 0 or -1 with err. */
static int set_pairs(rd_kafka_conf_t *conf, const char *const *pairs, char *err, size_t errcap)
{
    for (size_t i = 0; pairs[i]; i += 2)
        if (proc_kafka_set(conf, pairs[i], pairs[i + 1], err, errcap))
            return -1;
    return 0;
}

rd_kafka_conf_t *proc_kafka_consumer_conf(const proc_config *cfg, int eof, char *err, size_t errcap)
{
    /* Prefetch bounded to 64 MiB so that resident memory does not depend on
     * how far behind the group is. librdkafka 2.0 stops fetching a partition
     * once the queue is over queued.max.messages.kbytes and looks again only
     * when its broker thread wakes (up to a second later): at 32 or 48 MiB a
     * 100-rule drain ran at 0.6-0.7x. Partition fetches of 512 KiB instead of
     * 1 MiB keep the rate and about halve the peak RSS of a one-rule drain,
     * fewer large fetch buffers being held by a few queued messages
     * (docs/configuration.md). */
    static const char *const defaults[] = {"auto.offset.reset", "earliest", "isolation.level", "read_committed",
                                           "partition.assignment.strategy", "cooperative-sticky",
                                           "queued.max.messages.kbytes", "65536", "max.partition.fetch.bytes",
                                           "524288", "fetch.wait.max.ms", "100", NULL};
    rd_kafka_conf_t *conf = proc_kafka_conf_new();
    /* The statistics say when a broker last answered (run_watch.c). */
    char stats_ms[16];
    snprintf(stats_ms, sizeof stats_ms, "%d", PROC_WATCH_STATS_MS);
    const char *const forced[] = {"group.id", cfg->group, "enable.auto.commit", "false",
                                  "enable.auto.offset.store", "false", "enable.partition.eof", eof ? "true" : "false",
                                  "statistics.interval.ms", stats_ms, NULL};
    if (set_pairs(conf, defaults, err, errcap) || proc_kafka_apply(conf, &cfg->kafka, err, errcap) ||
        set_pairs(conf, forced, err, errcap)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

rd_kafka_conf_t *proc_kafka_producer_conf(const proc_config *cfg, char *err, size_t errcap)
{
    /* linger 5 ms and large batches: throughput; the 32 MiB queue bounds
     * memory (64 MiB held 25 MiB more with 100 rules at the same rate:
     * docs/configuration.md). */
    static const char *const defaults[] = {"linger.ms", "5", "batch.num.messages", "10000",
                                           "queue.buffering.max.kbytes", "32768", "enable.idempotence", "true",
                                           NULL};
    rd_kafka_conf_t *conf = proc_kafka_conf_new();
    if (set_pairs(conf, defaults, err, errcap) || proc_kafka_apply(conf, &cfg->kafka, err, errcap) ||
        proc_kafka_apply(conf, &cfg->output_kafka, err, errcap))
        goto fail;
    if (cfg->guarantee == PROC_EXACTLY_ONCE && !proc_kafka_has(&cfg->kafka, "transactional.id") &&
        !proc_kafka_has(&cfg->output_kafka, "transactional.id")) {
        char host[128] = "localhost", id[512];
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(id, sizeof id, "alertfilter-%s-%s-%ld", cfg->group, host, (long)getpid());
        if (proc_kafka_set(conf, "transactional.id", id, err, errcap))
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int64_t proc_kafka_offset_reset(const rd_kafka_conf_t *conf)
{
    char v[32];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, "auto.offset.reset", v, &n) != RD_KAFKA_CONF_OK)
        return RD_KAFKA_OFFSET_INVALID;
    if (!strcmp(v, "smallest") || !strcmp(v, "earliest") || !strcmp(v, "beginning"))
        return RD_KAFKA_OFFSET_BEGINNING;
    if (!strcmp(v, "largest") || !strcmp(v, "latest") || !strcmp(v, "end"))
        return RD_KAFKA_OFFSET_END;
    return RD_KAFKA_OFFSET_INVALID;
}

const char *proc_kafka_input_partitions(rd_kafka_t *consumer, const proc_config *cfg,
                                        rd_kafka_topic_partition_list_t *all, int timeout_ms, char *err, size_t errcap)
{
    for (size_t i = 0; i < cfg->n_input_topics; i++) {
        const char *name = cfg->input_topics[i];
        rd_kafka_topic_t *t = rd_kafka_topic_new(consumer, name, NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e = t ? rd_kafka_metadata(consumer, 0, t, &md, timeout_ms) : rd_kafka_last_error();
        if (!e && md->topic_cnt == 1)
            e = md->topics[0].err;
        for (int p = 0; !e && p < md->topics[0].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(all, name, md->topics[0].partitions[p].id)->offset = RD_KAFKA_OFFSET_INVALID;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (t)
            rd_kafka_topic_destroy(t);
        if (e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT) {
            snprintf(err, errcap, "no answer within %d s: %s", timeout_ms / 1000, rd_kafka_err2str(e));
            return "cannot reach the Kafka cluster";
        }
        if (e) {
            snprintf(err, errcap, "input topic '%s': %s", name, rd_kafka_err2str(e));
            return "cannot read an input topic";
        }
    }
    return NULL;
}
