/* rules/inset.c — the constants of a long `x in (...)` list as a hash set, so
 * that a member is found in one probe (INSET), whatever the list's length. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

/* Members are kept as keys that equal exactly when rule_compare(EQ) says so:
 * an int (or bool, or a float holding an integer) as KEY_INT, any other
 * number as KEY_FLOAT (its bits), a string as KEY_STR (bytes in the pool).
 * null and NaN equal nothing and are not kept. */
enum { KEY_INT, KEY_FLOAT, KEY_STR };

typedef struct {
    uint64_t bits;   /* KEY_INT, KEY_FLOAT: the value; KEY_STR: offset in the pool */
    uint32_t len;    /* KEY_STR: length */
    uint8_t kind;
} key;

struct rule_inset {
    key *keys;
    uint32_t n, cap_keys;
    uint32_t *slots; /* key index + 1, 0 free; a power of two, more than twice n */
    uint32_t n_slots;
    char *pool;
    size_t pool_len, pool_cap;
};

/* The key v equals by; false when v equals nothing (null, NaN, a list). */
static bool key_of(const rule_value *v, key *k)
{
    if (rule_is_int(v)) {
        *k = (key){.bits = (uint64_t)v->u.i, .kind = KEY_INT};
        return true;
    }
    if (v->t == RV_FLOAT) {
        double d = v->u.d;
        if (isnan(d))
            return false;
        if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
            *k = (key){.bits = (uint64_t)(int64_t)d, .kind = KEY_INT};
            return true;
        }
        memcpy(&k->bits, &d, sizeof d);
        k->kind = KEY_FLOAT;
        k->len = 0;
        return true;
    }
    return false; /* strings are keyed against the pool by the caller */
}

static uint32_t hash_bytes(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

static uint32_t hash_key(const rule_inset *s, const key *k, const char *str)
{
    if (k->kind == KEY_STR) /* the empty string may have no pool to point into */
        return k->len ? hash_bytes(str ? str : s->pool + k->bits, k->len, 1469598103934665603ull) : 0;
    uint64_t h = (k->bits ^ k->kind) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h ^ (h >> 29) ^ (h >> 32));
}

/* The slot holding k (str: a string key's bytes, not yet in the pool), or the free one where it goes. */
static uint32_t *slot_of(const rule_inset *s, const key *k, const char *str)
{
    uint32_t mask = s->n_slots - 1, h = hash_key(s, k, str) & mask;
    for (;; h = (h + 1) & mask) {
        uint32_t at = s->slots[h];
        if (!at)
            return &s->slots[h];
        const key *o = &s->keys[at - 1];
        if (o->kind == k->kind && o->len == k->len &&
            (k->kind == KEY_STR ? k->len == 0 || memcmp(s->pool + o->bits, str ? str : s->pool + k->bits, k->len) == 0
                                : o->bits == k->bits))
            return &s->slots[h];
    }
}

rule_inset *rule_inset_new(void) { return calloc(1, sizeof(rule_inset)); }

void rule_inset_free(rule_inset *s)
{
    if (!s)
        return;
    free(s->keys);
    free(s->slots);
    free(s->pool);
    free(s);
}

uint32_t rule_inset_count(const rule_inset *s) { return s->n; }

static bool rehash(rule_inset *s)
{
    uint32_t n = s->n_slots ? 2 * s->n_slots : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    free(s->slots);
    s->slots = slots;
    s->n_slots = n;
    for (uint32_t i = 0; i < s->n; i++)
        *slot_of(s, &s->keys[i], NULL) = i + 1;
    return true;
}

int rule_inset_add(rule_inset *s, const rule_value *v)
{
    key k = {0};
    const char *str = NULL;
    if (v->t == RV_STR) {
        k = (key){.len = v->n, .kind = KEY_STR};
        str = v->n ? v->u.s : "";
    } else if (!key_of(v, &k)) {
        return 0;
    }
    if (2 * (s->n + 1) >= s->n_slots && !rehash(s))
        return -1;
    uint32_t *slot = slot_of(s, &k, str);
    if (*slot)
        return 0; /* already a member */
    if (s->n == s->cap_keys) {
        uint32_t cap = s->cap_keys ? 2 * s->cap_keys : 64;
        key *keys = realloc(s->keys, cap * sizeof *keys);
        if (!keys)
            return -1;
        s->keys = keys;
        s->cap_keys = cap;
    }
    if (str) {
        if (s->pool_len + k.len > s->pool_cap) {
            size_t cap = s->pool_cap ? 2 * s->pool_cap : 4096;
            while (cap < s->pool_len + k.len)
                cap *= 2;
            char *pool = realloc(s->pool, cap);
            if (!pool)
                return -1;
            s->pool = pool;
            s->pool_cap = cap;
        }
        if (k.len)
            memcpy(s->pool + s->pool_len, str, k.len);
        k.bits = s->pool_len;
        s->pool_len += k.len;
    }
    s->keys[s->n++] = k;
    *slot = s->n;
    return 0;
}

bool rule_inset_has(const rule_inset *s, const rule_value *x)
{
    if (!s->n)
        return false;
    key k = {0};
    const char *str = NULL;
    if (x->t == RV_STR) {
        k = (key){.len = x->n, .kind = KEY_STR};
        str = x->n ? x->u.s : "";
    } else if (!key_of(x, &k)) {
        return false;
    }
    return *slot_of(s, &k, str) != 0;
}
