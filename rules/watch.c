/* rules/watch.c — the set's watchlists and watchmaps, by name: what
 * watchlist('NAME', ra, dec) and watchmap('NAME', ra, dec) resolve NAME to,
 * and what the VM runs for them. */
#include <stdio.h>
#include <stdlib.h>

#include "rules/internal.h"

static const char *const kind_names[] = {"watchlist", "watchmap"};

static int kind_of(rule_opcode op) { return op == RULE_OP_WATCHMAP; }

int rule_watch_add(rule_watch *w, rule_opcode op, const char *name, void *obj)
{
    rule_watch_kind *k = &w->kinds[kind_of(op)];
    if (rule_watch_find(w, op, name, strlen(name)) >= 0)
        return -1;
    char **names = realloc(k->names, (k->n + 1) * sizeof *names);
    if (names)
        k->names = names;
    void **objs = names ? realloc(k->objs, (k->n + 1) * sizeof *objs) : NULL;
    if (objs)
        k->objs = objs;
    char *copy = objs ? strdup(name) : NULL;
    if (!copy)
        return -1;
    k->names[k->n] = copy;
    k->objs[k->n++] = obj;
    return 0;
}

int32_t rule_watch_find(const rule_watch *w, rule_opcode op, const char *name, size_t len)
{
    const rule_watch_kind *k = &w->kinds[kind_of(op)];
    for (uint32_t i = 0; i < k->n; i++)
        if (strlen(k->names[i]) == len && memcmp(k->names[i], name, len) == 0)
            return (int32_t)i;
    return -1;
}

uint32_t rule_watch_count(const rule_watch *w, rule_opcode op) { return w ? w->kinds[kind_of(op)].n : 0; }

const char *rule_watch_name(const rule_watch *w, rule_opcode op, int32_t i) { return w->kinds[kind_of(op)].names[i]; }

void rule_watch_free(rule_watch *w)
{
    for (int kind = 0; kind < 2; kind++) {
        rule_watch_kind *k = &w->kinds[kind];
        for (uint32_t i = 0; i < k->n; i++) {
            free(k->names[i]);
            if (kind == 0)
                sky_watchlist_free(k->objs[i]);
            else
                sky_moc_free(k->objs[i]);
        }
        free(k->names);
        free(k->objs);
    }
    *w = (rule_watch){0};
}

/* "a, b, c" of kind's names, into buf. */
static const char *list_names(const rule_watch_kind *k, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < k->n && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", k->names[i]);
    return buf;
}

size_t rule_watch_check(const rule_watch *w, const rule_tree *t, rule_diags *d)
{
    size_t before = d->n;
    for (uint32_t n = 0; n < t->n; n++) {
        const rule_ast *a = &t->nodes[n];
        if (a->kind != AST_CALL || (a->op != RULE_OP_WATCHLIST && a->op != RULE_OP_WATCHMAP))
            continue;
        const char *what = kind_names[kind_of(a->op)];
        const rule_ast *name = &t->nodes[t->kids[a->a]];
        if (name->kind != AST_LIT || name->lit.t != RV_STR) {
            rule_diag(d, name->offset, name->len, "%s()'s first argument is the name of a %s, a string such as 'wd'",
                      what, what);
            continue;
        }
        if (rule_watch_find(w, a->op, name->lit.u.s, name->lit.n) >= 0)
            continue;
        const rule_watch_kind *k = &w->kinds[kind_of(a->op)];
        char names[160];
        if (k->n == 0)
            rule_diag(d, name->offset, name->len, "unknown %s '%.*s': the configuration has no %ss", what,
                      (int)name->lit.n, name->lit.u.s, what);
        else
            rule_diag(d, name->offset, name->len, "unknown %s '%.*s' (the configuration's %ss: %s)", what,
                      (int)name->lit.n, name->lit.u.s, what, list_names(k, names, sizeof names));
    }
    return d->n - before;
}

bool rule_watch_test(const rule_watch *w, rule_watch_hit *hit, uint32_t epoch, rule_opcode op, int32_t i,
                     const rule_value *ra, const rule_value *dec)
{
    if (!rule_is_num(ra) || !rule_is_num(dec))
        return false;
    const void *obj = w->kinds[kind_of(op)].objs[i];
    if (op == RULE_OP_WATCHMAP)
        return sky_moc_contains(obj, rule_as_double(ra), rule_as_double(dec));
    int64_t entry = sky_watchlist_match(obj, rule_as_double(ra), rule_as_double(dec));
    if (entry < 0)
        return false;
    *hit = (rule_watch_hit){.epoch = epoch, .list = (uint32_t)i, .entry = (uint64_t)entry};
    return true;
}

const char *rule_watch_hit_name(const rule_watch *w, const rule_watch_hit *hit, uint32_t epoch, char buf[24])
{
    if (hit->epoch != epoch || hit->list >= w->kinds[0].n)
        return NULL;
    return sky_watchlist_name(w->kinds[0].objs[hit->list], hit->entry, buf);
}
