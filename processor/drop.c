/* processor/drop.c — the rules' `drop` lists: alike lists shared, each one's
 * nodes found per alert and its JSON written at most once per alert. */
#include "processor/drop.h"

#include <stdlib.h>
#include <string.h>

static bool same_list(const proc_rule_cfg *a, const proc_rule_cfg *b)
{
    if (a->n_drop != b->n_drop)
        return false;
    for (size_t k = 0; k < a->n_drop; k++)
        if (strcmp(a->drop[k], b->drop[k]))
            return false;
    return true;
}

int proc_drops_init(proc_drops *d, const proc_config *cfg)
{
    *d = (proc_drops){.n_rules = cfg->n_rules};
    size_t longest = 1;
    if (!(d->list_of = calloc(cfg->n_rules + 1, sizeof *d->list_of)) ||
        !(d->lists = calloc(cfg->n_rules + 1, sizeof *d->lists)))
        return -1;
    for (size_t i = 0; i < cfg->n_rules; i++) {
        const proc_rule_cfg *r = &cfg->rules[i];
        if (r->n_drop == 0)
            continue;
        for (size_t j = 0; j < i && !d->list_of[i]; j++)
            if (d->list_of[j] && same_list(&cfg->rules[j], r))
                d->list_of[i] = d->list_of[j];
        if (d->list_of[i])
            continue;
        proc_drop_list *l = &d->lists[d->n_lists];
        if (!(l->paths = calloc(r->n_drop, sizeof *l->paths)))
            return -1;
        for (size_t k = 0; k < r->n_drop; k++) {
            alert_error err;
            if (alert_path_parse(r->drop[k], strlen(r->drop[k]), &l->paths[l->n], &err) == 0)
                l->n++;
        }
        longest = l->n > longest ? l->n : longest;
        d->list_of[i] = ++d->n_lists;
    }
    return (d->nodes = calloc(longest, sizeof *d->nodes)) ? 0 : -1;
}

void proc_drops_free(proc_drops *d)
{
    for (size_t k = 0; d->lists && k < d->n_lists; k++) {
        for (size_t j = 0; j < d->lists[k].n; j++)
            alert_path_free(&d->lists[k].paths[j]);
        free(d->lists[k].paths);
    }
    free(d->lists);
    free(d->list_of);
    free(d->nodes);
    *d = (proc_drops){0};
}

void proc_drops_reset(proc_drops *d)
{
    for (size_t k = 0; k < d->n_lists; k++)
        d->lists[k].written = false;
}

int proc_drops_json(proc_drops *d, size_t i, const alert_doc *doc, alert_buf *out, size_t *at, size_t *len)
{
    proc_drop_list *l = &d->lists[d->list_of[i] - 1];
    if (!l->written) {
        for (size_t k = 0; k < l->n; k++)
            d->nodes[k] = alert_lookup(doc, 0, l->paths[k].steps, l->paths[k].n);
        l->at = out->len;
        if (alert_write_json_dropping(doc, 0, d->nodes, l->n, out))
            return -1;
        l->len = out->len - l->at;
        l->written = true;
    }
    *at = l->at;
    *len = l->len;
    return 0;
}
