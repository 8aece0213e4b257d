/* rules/support.c — the bookkeeping every phase shares: the chunked arena and
 * the diagnostics list. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "rules/internal.h"

struct rule_chunk {
    rule_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

void *rule_arena_alloc(rule_arena *a, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    n = (n + align - 1) / align * align;
    rule_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

void rule_arena_free(rule_arena *a)
{
    rule_chunk *c = a->head;
    while (c) {
        rule_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

void rule_diag(rule_diags *d, size_t offset, size_t len, const char *fmt, ...)
{
    /* Two errors at one spot are one mistake seen twice by recovery. */
    if (d->n > 0 && d->n <= d->max && d->errs[d->n - 1].offset == offset)
        return;
    if (d->n < d->max) {
        rule_error *e = &d->errs[d->n];
        e->offset = offset;
        e->len = len;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    d->n++;
}

rule_arena_mark rule_arena_top(const rule_arena *a)
{
    return (rule_arena_mark){a->head, a->head ? a->head->used : 0};
}

void rule_arena_release(rule_arena *a, rule_arena_mark m)
{
    if (a->head && a->head == m.head)
        a->head->used = m.used;
}
