/* processor/run_output.c — read each alert of a message, evaluate every rule
 * once, produce matches as compact JSON (or the message unchanged) and
 * unreadable input, unchanged, as dead letters. */
#include "processor/run_output.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "processor/log.h"

int proc_output_init(proc_output *o, const proc_config *cfg, rd_kafka_t *producer, proc_input *input, char *err,
                     size_t errcap)
{
    memset(o, 0, sizeof *o);
    o->producer = producer;
    o->input = input;
    alert_doc_init(&o->doc);
    o->doc.max_depth = cfg->max_depth;
    o->doc.max_bytes = cfg->max_bytes;
    if (cfg->key_path) {
        alert_error e;
        if (alert_path_parse(cfg->key_path, strlen(cfg->key_path), &o->key, &e)) {
            snprintf(err, errcap, "output.key '%s': %s", cfg->key_path, e.msg);
            return -1;
        }
    }
    if (cfg->dead_letter_topic && !(o->dlq = rd_kafka_topic_new(producer, cfg->dead_letter_topic, NULL))) {
        snprintf(err, errcap, "output.dead_letter_topic '%s': %s", cfg->dead_letter_topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    return 0;
}

void proc_output_free(proc_output *o)
{
    if (o->dlq)
        rd_kafka_topic_destroy(o->dlq);
    alert_path_free(&o->key);
    alert_doc_free(&o->doc);
    alert_buf_free(&o->json);
    proc_input_free(o->input);
    free(o->sent);
    memset(o, 0, sizeof *o);
}

/* Produces one record, copying value and key; takes ownership of hdrs. A full
 * queue is waited out by serving delivery reports: the queue bound is what
 * keeps memory flat. */
static rd_kafka_resp_err_t produce(proc_output *o, rd_kafka_topic_t *topic, const void *val, size_t len,
                                   const void *key, size_t klen, rd_kafka_headers_t *hdrs)
{
    for (int tries = 0;; tries++) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            o->producer, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        /* A queue that stays full may be a broker gone: asked every 100 ms. */
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || (tries % 10 == 9 && o->give_up && o->give_up(o->give_up_ctx))) {
            if (e)
                rd_kafka_headers_destroy(hdrs);
            return e;
        }
        rd_kafka_poll(o->producer, 10);
    }
}

/* Writes v in decimal at p; returns the end. */
static char *put_int(char *p, int64_t v)
{
    char tmp[20];
    int n = 0;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    if (v < 0)
        *p++ = '-';
    do
        tmp[n++] = (char)('0' + u % 10);
    while ((u /= 10));
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* The alertfilter-source value of m, "topic/partition/offset", into o->src:
 * written once per message, not per record (snprintf was a third of the
 * cost of a record's headers). */
static void set_source(proc_output *o, const rd_kafka_message_t *m)
{
    const char *topic = rd_kafka_topic_name(m->rkt);
    size_t n = strlen(topic);
    if (n > sizeof o->src - 2 * 21) /* the longest Kafka topic name is 249 bytes */
        n = sizeof o->src - 2 * 21;
    memcpy(o->src, topic, n);
    char *p = o->src + n;
    *p++ = '/';
    p = put_int(p, m->partition);
    *p++ = '/';
    p = put_int(p, m->offset);
    o->src_len = (size_t)(p - o->src);
}

/* The headers every output record carries: NAME=VALUE, and the source
 * coordinates; room for the watchlist entry that a match may add. */
static rd_kafka_headers_t *headers(const proc_output *o, const char *name, const char *value)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(3);
    rd_kafka_header_add(h, name, -1, value, -1);
    rd_kafka_header_add(h, PROC_HDR_SOURCE, sizeof PROC_HDR_SOURCE - 1, o->src, (ssize_t)o->src_len);
    return h;
}

static rd_kafka_resp_err_t dead_letter(proc_output *o, const rd_kafka_message_t *m, const alert_error *e)
{
    const char *why = e->msg; /* "offset N: reason" */
    char qwhy[300], qtopic[300];
    o->rejected++;
    proc_log(o->dlq ? PROC_LOG_DEBUG : PROC_LOG_WARN, "rejected input", "topic=%s partition=%" PRId32 " offset=%" PRId64 " error=%s",
             proc_log_quote(rd_kafka_topic_name(m->rkt), qtopic, sizeof qtopic), m->partition, m->offset,
             proc_log_quote(why, qwhy, sizeof qwhy));
    if (!o->dlq)
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    return produce(o, o->dlq, m->payload, m->len, m->key, m->key_len, headers(o, PROC_HDR_ERROR, why));
}

/* The output key: the string content or the JSON text of the output.key
 * value, or the input key when there is no such path or value. Uses o->json
 * past mark as scratch. Returns 0, or -1 when out of memory. */
static int output_key(proc_output *o, const rd_kafka_message_t *m, size_t mark, const void **key, size_t *klen)
{
    *key = m->key;
    *klen = m->key_len;
    if (o->key.n == 0)
        return 0;
    uint32_t node = alert_lookup(&o->doc, 0, o->key.steps, o->key.n);
    if (node == ALERT_ABSENT || alert_at(&o->doc, node)->type == ALERT_NULL)
        return 0;
    const char *s;
    if (alert_string(&o->doc, node, &s, klen) == 0) {
        *key = s;
        return 0;
    }
    if (alert_write_json(&o->doc, node, &o->json))
        return -1;
    *key = o->json.data + mark;
    *klen = o->json.len - mark;
    return 0;
}

/* Produces the matches of the alert in o->doc. */
static rd_kafka_resp_err_t produce_matches(proc_output *o, proc_rules *rules, const rd_kafka_message_t *m)
{
    if (rule_set_eval(rules->rs, &o->doc, rules->match) == 0)
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    o->json.len = 0;
    const void *key;
    size_t klen;
    /* The whole alert's JSON at 0 when a JSON rule that drops nothing matched,
     * and each matching JSON rule's `drop` list's after it, all before the key,
     * which may point into the buffer. Rules with encoding "original" write the
     * input message's bytes instead. */
    size_t vlen = 0;
    bool whole = false;
    proc_drops_reset(&rules->drops);
    for (size_t i = 0; i < rules->n && !whole; i++)
        whole = rules->match[i] && !rules->original[i] && !proc_drops_any(&rules->drops, i);
    if (whole && alert_write_json(&o->doc, 0, &o->json))
        return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
    vlen = o->json.len;
    for (size_t i = 0, at, len; i < rules->n; i++)
        if (rules->match[i] && !rules->original[i] && proc_drops_any(&rules->drops, i) &&
            proc_drops_json(&rules->drops, i, &o->doc, &o->json, &at, &len))
            return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
    if (output_key(o, m, o->json.len, &key, &klen))
        return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
    for (size_t i = 0; i < rules->n; i++) {
        if (!rules->match[i])
            continue;
        rules->matches[i]++;
        const void *val;
        size_t len;
        if (rules->original[i]) {
            if (o->sent[i]) /* another record of this message matched: its bytes are out already */
                continue;
            o->sent[i] = 1;
            val = m->payload;
            len = m->len;
        } else {
            size_t at = 0;
            len = vlen;
            if (proc_drops_any(&rules->drops, i))
                proc_drops_json(&rules->drops, i, &o->doc, &o->json, &at, &len); /* written above: no failure */
            val = o->json.data + at;
        }
        rd_kafka_headers_t *h = headers(o, PROC_HDR_RULE, rule_set_name(rules->rs, i));
        char buf[24];
        const char *entry = rule_set_watch_entry(rules->rs, i, buf);
        if (entry)
            rd_kafka_header_add(h, PROC_HDR_WATCHLIST, -1, entry, -1);
        rd_kafka_resp_err_t pe = produce(o, rules->topics[i], val, len, key, klen, h);
        if (pe)
            return pe;
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t proc_output_message(proc_output *o, proc_rules *rules, const rd_kafka_message_t *m)
{
    alert_error e;
    const char *text = m->payload ? (const char *)m->payload : "";
    if (o->n_sent < rules->n) {
        unsigned char *grown = realloc(o->sent, rules->n);
        if (!grown)
            return RD_KAFKA_RESP_ERR__CRIT_SYS_RESOURCE;
        o->sent = grown;
        o->n_sent = rules->n;
    }
    memset(o->sent, 0, rules->n);
    o->unavailable = false;
    set_source(o, m);
    proc_input_open(o->input, text, m->len);
    for (;;) {
        proc_input_status st = proc_input_next(o->input, &o->doc, &e);
        if (st == PROC_INPUT_END)
            return RD_KAFKA_RESP_ERR_NO_ERROR;
        if (st == PROC_INPUT_MALFORMED)
            return dead_letter(o, m, &e);
        if (st == PROC_INPUT_UNAVAILABLE) {
            o->unavailable = true;
            return RD_KAFKA_RESP_ERR__TRANSPORT;
        }
        rd_kafka_resp_err_t pe = produce_matches(o, rules, m);
        if (pe)
            return pe;
    }
}
