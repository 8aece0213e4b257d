/* processor/drop.h — the rules' `drop` lists: resolved against each alert and
 * written as the lighter JSON a rule publishes, once per alert per list. */
#ifndef PROC_DROP_H
#define PROC_DROP_H

#include "alert/alert.h"
#include "processor/config.h"

typedef struct {
    alert_path *paths;
    size_t n;
    size_t at, len; /* its JSON for the current alert, in the caller's buffer */
    bool written;
} proc_drop_list;

typedef struct {
    size_t n_rules;
    size_t *list_of; /* per rule: 0, it drops nothing; k, it drops lists[k - 1] */
    proc_drop_list *lists; /* one per distinct list, so rules that drop alike share one JSON */
    size_t n_lists;
    uint32_t *nodes; /* scratch: room for the longest list */
} proc_drops;

/* Returns 0, or -1 when out of memory (d is then still freeable). cfg's paths were checked by the loader. */
int proc_drops_init(proc_drops *d, const proc_config *cfg);
void proc_drops_free(proc_drops *d);
/* Forgets the JSON written for the previous alert. */
void proc_drops_reset(proc_drops *d);
/* Whether rule i drops anything. */
static inline bool proc_drops_any(const proc_drops *d, size_t i) { return d->list_of[i] != 0; }
/* The JSON rule i publishes for doc, without its dropped keys: appended to out
 * at its first use for this alert, [*at, *at + *len) of out. Returns 0 or -1. */
int proc_drops_json(proc_drops *d, size_t i, const alert_doc *doc, alert_buf *out, size_t *at, size_t *len);

#endif
