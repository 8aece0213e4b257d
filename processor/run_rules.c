/* processor/run_rules.c — a rule set of `run` bound to its output topics. */
#include "processor/run_rules.h"

#include <stdlib.h>

proc_rules *proc_rules_new(const proc_config *cfg, rule_set *rs, rd_kafka_t *producer, proc_diags *diags)
{
    proc_rules *r = calloc(1, sizeof *r);
    size_t n = rule_set_count(rs);
    if (!r || !(r->topics = calloc(n + 1, sizeof *r->topics)) ||
        !(r->match = calloc(n + 1, 1)) || !(r->matches = calloc(n + 1, sizeof *r->matches)) ||
        !(r->original = calloc(n + 1, 1)) || proc_drops_init(&r->drops, cfg)) {
        proc_diags_add(diags, "%s: cannot set up %zu rules: out of memory", cfg->file, n);
        rule_set_free(rs);
        proc_rules_free(r);
        return NULL;
    }
    r->rs = rs;
    r->n = n;
    for (size_t i = 0; i < n; i++)
        r->original[i] = cfg->rules[i].encoding == PROC_ENCODING_ORIGINAL;
    for (size_t i = 0; i < n; i++)
        if (!(r->topics[i] = rd_kafka_topic_new(producer, cfg->rules[i].topic, NULL))) {
            proc_diags_add(diags, "%s: rule %s: cannot open topic '%s': %s", cfg->file, cfg->rules[i].name,
                           cfg->rules[i].topic, rd_kafka_err2str(rd_kafka_last_error()));
            proc_rules_free(r);
            return NULL;
        }
    return r;
}

void proc_rules_free(proc_rules *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->topics && i < r->n; i++)
        if (r->topics[i])
            rd_kafka_topic_destroy(r->topics[i]);
    if (r->rs)
        rule_set_free(r->rs);
    free(r->topics);
    free(r->match);
    free(r->matches);
    free(r->original);
    proc_drops_free(&r->drops);
    free(r);
}
