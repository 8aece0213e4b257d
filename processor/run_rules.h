/* processor/run_rules.h — the compiled rule set of `run` with each rule's
 * output topic handle and its match counters; swapped whole on SIGHUP. */
#ifndef PROC_RUN_RULES_H
#define PROC_RUN_RULES_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "processor/config.h"
#include "processor/drop.h"
#include "rules/rules.h"

typedef struct {
    rule_set *rs;
    size_t n;
    rd_kafka_topic_t **topics; /* topics[i]: rule i's output topic */
    unsigned char *match;      /* rule_set_eval's output, reused */
    uint64_t *matches;         /* matches per rule in the open batch, for metrics at commit */
    unsigned char *original;   /* original[i]: rule i writes the input message's bytes, not JSON (encoding) */
    proc_drops drops;          /* the rules' `drop` lists, reloaded with them */
} proc_rules;

/* Binds rs, the rule set compiled from cfg (proc_ruleset_build), to its rules'
 * output topics on producer. Takes rs: it is freed with the result, or at once
 * on failure. Returns NULL with the error in diags. */
proc_rules *proc_rules_new(const proc_config *cfg, rule_set *rs, rd_kafka_t *producer, proc_diags *diags);
void proc_rules_free(proc_rules *r);

#endif
