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

/* A slot holds a member's kind in its top two bits and its index + 1 (among
 * the numbers or among the strings) in the rest; 0 is a free slot. */
enum { KIND_SHIFT = 30 };
#define INDEX_MASK ((1u << KIND_SHIFT) - 1)

/* A member of 1,000,000-item lists costs 4 bytes (a string: where its bytes
 * end in the pool, as they are stored in turn) or 8 (a number), plus its
 * bytes and 8 bytes of slots: issue 13's 64 MB for the whole `check`. */
struct rule_inset {
    uint64_t *nums;  /* KEY_INT, KEY_FLOAT: the value's bits */
    uint32_t *ends;  /* KEY_STR i: its bytes are pool[ends[i - 1] (0 for the first) .. ends[i]) */
    uint32_t n_nums, cap_nums, n_strs, cap_strs;
    uint32_t *slots; /* a power of two, more than twice the members */
    uint32_t n_slots;
    char *pool;
    uint32_t pool_len, pool_cap;
};

typedef struct {
    uint64_t bits;   /* KEY_INT, KEY_FLOAT */
    const char *str; /* KEY_STR */
    uint32_t len;    /* KEY_STR */
    uint8_t kind;
} key;

/* The key v equals by; false when v equals nothing (null, NaN, a list). */
static bool key_of(const rule_value *v, key *k)
{
    if (v->t == RV_STR) {
        *k = (key){.str = v->n ? v->u.s : "", .len = v->n, .kind = KEY_STR};
        return true;
    }
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
        *k = (key){.kind = KEY_FLOAT};
        memcpy(&k->bits, &d, sizeof d);
        return true;
    }
    return false;
}

/* The member a slot holds, as a key. */
static key key_at(const rule_inset *s, uint32_t slot)
{
    uint32_t i = (slot & INDEX_MASK) - 1;
    uint8_t kind = (uint8_t)(slot >> KIND_SHIFT);
    if (kind != KEY_STR)
        return (key){.bits = s->nums[i], .kind = kind};
    uint32_t from = i ? s->ends[i - 1] : 0;
    return (key){.str = s->pool + from, .len = s->ends[i] - from, .kind = KEY_STR};
}

static uint32_t hash_bytes(const char *s, size_t n, uint64_t h)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}

static uint32_t hash_key(const key *k)
{
    if (k->kind == KEY_STR)
        return hash_bytes(k->str, k->len, 1469598103934665603ull);
    uint64_t h = (k->bits ^ k->kind) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h ^ (h >> 29) ^ (h >> 32));
}

/* The slot holding k, or the free one where it goes. */
static uint32_t *slot_of(const rule_inset *s, const key *k)
{
    uint32_t mask = s->n_slots - 1, h = hash_key(k) & mask;
    for (;; h = (h + 1) & mask) {
        uint32_t at = s->slots[h];
        if (!at)
            return &s->slots[h];
        if (at >> KIND_SHIFT != k->kind)
            continue;
        key o = key_at(s, at);
        if (k->kind == KEY_STR ? o.len == k->len && memcmp(o.str, k->str, k->len) == 0 : o.bits == k->bits)
            return &s->slots[h];
    }
}

rule_inset *rule_inset_new(void) { return calloc(1, sizeof(rule_inset)); }

void rule_inset_free(rule_inset *s)
{
    if (!s)
        return;
    free(s->nums);
    free(s->ends);
    free(s->slots);
    free(s->pool);
    free(s);
}

uint32_t rule_inset_count(const rule_inset *s) { return s->n_nums + s->n_strs; }

static bool rehash(rule_inset *s)
{
    uint32_t n = s->n_slots ? 2 * s->n_slots : 64;
    uint32_t *slots = calloc(n, sizeof *slots), *old = s->slots, n_old = s->n_slots;
    if (!slots)
        return false;
    s->slots = slots;
    s->n_slots = n;
    for (uint32_t h = 0; h < n_old; h++)
        if (old[h]) {
            key k = key_at(s, old[h]);
            *slot_of(s, &k) = old[h];
        }
    free(old);
    return true;
}

/* a (n elements of size sz, room for *cap) with room for one more: a itself,
 * or a grown copy, or NULL (a untouched) when out of memory. */
static void *room_for_one(void *a, uint32_t n, uint32_t *cap, size_t sz)
{
    if (n < *cap)
        return a;
    if (n >= INDEX_MASK)
        return NULL;
    uint32_t c = *cap ? 2 * *cap : 64;
    void *p = realloc(a, (size_t)c * sz);
    if (p)
        *cap = c;
    return p;
}

int rule_inset_add(rule_inset *s, const rule_value *v)
{
    key k;
    if (!key_of(v, &k))
        return 0;
    if (2 * (rule_inset_count(s) + 1) >= s->n_slots && !rehash(s))
        return -1;
    uint32_t *slot = slot_of(s, &k);
    if (*slot)
        return 0; /* already a member */
    uint32_t i;
    if (k.kind != KEY_STR) {
        uint64_t *nums = room_for_one(s->nums, s->n_nums, &s->cap_nums, sizeof *nums);
        if (!nums)
            return -1;
        s->nums = nums;
        i = s->n_nums++;
        s->nums[i] = k.bits;
    } else {
        uint32_t *ends = room_for_one(s->ends, s->n_strs, &s->cap_strs, sizeof *ends);
        if (!ends || k.len > UINT32_MAX / 2 - s->pool_len)
            return -1;
        s->ends = ends;
        /* Allocated even for "", so that key_at never offsets a NULL pool. */
        if (!s->pool || s->pool_len + k.len > s->pool_cap) {
            uint32_t cap = s->pool_cap ? s->pool_cap : 4096;
            while (cap < s->pool_len + k.len)
                cap *= 2;
            char *pool = realloc(s->pool, cap);
            if (!pool)
                return -1;
            s->pool = pool;
            s->pool_cap = cap;
        }
        if (k.len)
            memcpy(s->pool + s->pool_len, k.str, k.len);
        s->pool_len += k.len;
        i = s->n_strs++;
        s->ends[i] = s->pool_len;
    }
    *slot = (uint32_t)k.kind << KIND_SHIFT | (i + 1);
    return 0;
}

bool rule_inset_has(const rule_inset *s, const rule_value *x)
{
    key k;
    if (!rule_inset_count(s) || !key_of(x, &k))
        return false;
    return *slot_of(s, &k) != 0;
}
