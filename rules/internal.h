/* rules/internal.h — what the phases of the rule compiler share (tokens, AST,
 * values, programs, the verifier); private to rules/ and its tests. */
#ifndef RULES_INTERNAL_H
#define RULES_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rules/opcodes.h"
#include "rules/rules.h"

/* ---- opcode tables (opcodes.c, generated from opcodes.h) ---- */

extern const char *const rule_op_name[];
extern const uint8_t rule_op_kind[];   /* rule_arg_kind */
extern const uint8_t rule_op_pushes[];
int64_t rule_op_pops(rule_opcode op, int64_t a);

/* ---- arena: bump allocation in chunks, so pointers stay valid as it grows ---- */

typedef struct rule_chunk rule_chunk;
typedef struct {
    rule_chunk *head;
} rule_arena;

void *rule_arena_alloc(rule_arena *a, size_t n);
void rule_arena_free(rule_arena *a);
/* Where the arena stands; rule_arena_release gives back what was allocated
 * after it when that is all in the same chunk (a scratch string), else nothing. */
typedef struct {
    rule_chunk *head;
    size_t used;
} rule_arena_mark;
rule_arena_mark rule_arena_top(const rule_arena *a);
void rule_arena_release(rule_arena *a, rule_arena_mark m);

/* ---- diagnostics ---- */

typedef struct {
    rule_error *errs;
    size_t max;
    size_t n; /* errors found (only the first `max` are stored) */
} rule_diags;

void rule_diag(rule_diags *d, size_t offset, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Puts the errors from index `from` on in the order of the text (stable). */
void rule_diags_sort(rule_diags *d, size_t from);

/* ---- values ---- */

/* RV_NODE: a list, tuple, dict or bytes of the alert, by node index. */
typedef enum { RV_NULL, RV_BOOL, RV_INT, RV_FLOAT, RV_STR, RV_NODE } rule_vtype;

typedef struct {
    uint8_t t;
    uint32_t n; /* RV_STR: byte length; RV_NODE: node index */
    union {
        int64_t i; /* RV_INT, RV_BOOL (0 or 1) */
        double d;
        const char *s;
    } u;
} rule_value;

static inline rule_value rule_null(void) { return (rule_value){.t = RV_NULL}; }
static inline rule_value rule_bool(bool b) { return (rule_value){.t = RV_BOOL, .u.i = b}; }
static inline rule_value rule_int(int64_t i) { return (rule_value){.t = RV_INT, .u.i = i}; }
static inline rule_value rule_float(double d) { return (rule_value){.t = RV_FLOAT, .u.d = d}; }

/* The language's semantics, shared by the VM and constant folding; doc may be
 * NULL when no value is an RV_NODE. Truthiness and comparison are here, inline,
 * because the VM runs them for nearly every instruction; the rest is in value.c. */
static inline bool rule_truthy(const alert_doc *doc, const rule_value *v)
{
    switch ((rule_vtype)v->t) {
    case RV_NULL:
        return false;
    case RV_BOOL:
    case RV_INT:
        return v->u.i != 0;
    case RV_FLOAT:
        return v->u.d != 0.0;
    case RV_STR:
        return v->n > 0;
    case RV_NODE: {
        /* Like Python: an empty list, dict or bytes is false. */
        const alert_node *n = alert_at(doc, v->n);
        return n->type == ALERT_BYTES ? n->len > 0 : n->count > 0;
    }
    }
    return false;
}

static inline bool rule_is_int(const rule_value *v) { return v->t == RV_INT || v->t == RV_BOOL; }
static inline bool rule_is_num(const rule_value *v) { return rule_is_int(v) || v->t == RV_FLOAT; }
static inline double rule_as_double(const rule_value *v) { return rule_is_int(v) ? (double)v->u.i : v->u.d; }

/* -1, 0 or 1; 2 when unordered (NaN). Exact, with no rounding of i. */
static inline int rule_cmp_int_float(int64_t i, double d)
{
    if (isnan(d))
        return 2;
    if (d >= 9223372036854775808.0)
        return -1;
    if (d < -9223372036854775808.0)
        return 1;
    int64_t t = (int64_t)d; /* in range, truncated toward zero */
    if (i != t)
        return i < t ? -1 : 1;
    double frac = d - (double)t;
    return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

static inline int rule_num_cmp(const rule_value *a, const rule_value *b)
{
    if (rule_is_int(a) && rule_is_int(b))
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    if (rule_is_int(a)) {
        return rule_cmp_int_float(a->u.i, b->u.d);
    }
    if (rule_is_int(b)) {
        int c = rule_cmp_int_float(b->u.i, a->u.d);
        return c == 2 ? 2 : -c;
    }
    if (isnan(a->u.d) || isnan(b->u.d))
        return 2;
    return (a->u.d > b->u.d) - (a->u.d < b->u.d);
}

static inline int rule_str_cmp(const rule_value *a, const rule_value *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    /* Most strings compared differ in their first byte (filter names, flags): no call then. */
    int c = n ? (unsigned char)a->u.s[0] - (unsigned char)b->u.s[0] : 0;
    if (c == 0 && n > 1)
        c = memcmp(a->u.s + 1, b->u.s + 1, n - 1);
    if (c == 0)
        c = (a->n > b->n) - (a->n < b->n);
    return (c > 0) - (c < 0);
}

/* How a relates to b: RULE_ORD_LT/EQ/GT; RULE_ORD_NONE when they cannot be
 * ordered (NaN, or different kinds); RULE_ORD_NULL when either is null. */
enum { RULE_ORD_LT, RULE_ORD_EQ, RULE_ORD_GT, RULE_ORD_NONE, RULE_ORD_NULL };

/* rule_order for the pairs its inline part leaves (value.c). */
int rule_order_rest(const rule_value *a, const rule_value *b);

#define RULE_EXACT_INT_MAX (INT64_C(1) << 53) /* every int up to here is a double exactly */

/* A number that a double holds exactly: comparing such numbers as doubles is comparing their values. */
static inline bool rule_is_exact_double(const rule_value *v)
{
    return v->t == RV_FLOAT || (rule_is_int(v) && v->u.i >= -RULE_EXACT_INT_MAX && v->u.i <= RULE_EXACT_INT_MAX);
}

/* The commonest pairs are ordered inline: a float field with a float or an int
 * that a double holds exactly (then comparing doubles is comparing values), two
 * ints, two strings. */
static inline int rule_order(const rule_value *a, const rule_value *b)
{
    if (a->t == RV_FLOAT) {
        double x = a->u.d, y;
        if (b->t == RV_FLOAT)
            y = b->u.d;
        else if (b->t == RV_INT && b->u.i >= -RULE_EXACT_INT_MAX && b->u.i <= RULE_EXACT_INT_MAX)
            y = (double)b->u.i;
        else
            return rule_order_rest(a, b);
        return x < y ? RULE_ORD_LT : x > y ? RULE_ORD_GT : x == y ? RULE_ORD_EQ : RULE_ORD_NONE;
    }
    if (a->t == RV_INT && b->t == RV_INT)
        return (a->u.i > b->u.i) - (a->u.i < b->u.i) + RULE_ORD_EQ;
    if (a->t == RV_STR && b->t == RV_STR)
        return rule_str_cmp(a, b) + RULE_ORD_EQ;
    return rule_order_rest(a, b);
}

_Static_assert(RULE_OP_NE == RULE_OP_EQ + 1 && RULE_OP_LT == RULE_OP_EQ + 2 && RULE_OP_LE == RULE_OP_EQ + 3 &&
                   RULE_OP_GT == RULE_OP_EQ + 4 && RULE_OP_GE == RULE_OP_EQ + 5,
               "the comparisons are listed EQ, NE, LT, LE, GT, GE");

/* op (EQ..GE) applied to a and b: null compares false to everything, and
 * things that cannot be ordered are only ever unequal. */
static inline bool rule_compare(rule_opcode op, const rule_value *a, const rule_value *b)
{
    /* One row of 5 bits per comparison, bit k for rule_order's answer k: a shift, no table load. */
#define RULE_TRUTH(lt, eq, gt, none, null) ((lt) | (eq) << 1 | (gt) << 2 | (none) << 3 | (null) << 4)
    static const uint32_t truth = RULE_TRUTH(0, 1, 0, 0, 0) << 0    /* EQ */
                                  | RULE_TRUTH(1, 0, 1, 1, 0) << 5  /* NE */
                                  | RULE_TRUTH(1, 0, 0, 0, 0) << 10 /* LT */
                                  | RULE_TRUTH(1, 1, 0, 0, 0) << 15 /* LE */
                                  | RULE_TRUTH(0, 0, 1, 0, 0) << 20 /* GT */
                                  | RULE_TRUTH(0, 1, 1, 0, 0) << 25 /* GE */;
#undef RULE_TRUTH
    return truth >> ((op - RULE_OP_EQ) * 5 + rule_order(a, b)) & 1;
}

rule_value rule_value_of_node(alert_doc *doc, uint32_t node);
rule_value rule_arith(rule_opcode op, const rule_value *a, const rule_value *b);
rule_value rule_negate(const rule_value *a);
bool rule_in(const rule_value *x, const rule_value *items, uint32_t n);

/* The constants of a long `in` list as a hash set (inset.c): rule_inset_has(s, x)
 * is rule_in(x, the items added) in one probe. */
typedef struct rule_inset rule_inset;
rule_inset *rule_inset_new(void);
/* Adds v (a constant); 0, or -1 when out of memory. */
int rule_inset_add(rule_inset *s, const rule_value *v);
bool rule_inset_has(const rule_inset *s, const rule_value *x);
uint32_t rule_inset_count(const rule_inset *s); /* distinct members that can equal anything */
void rule_inset_free(rule_inset *s);

/* The builtins abs() and len(), inline: the VM runs them without a call. */
static inline rule_value rule_abs(const rule_value *v)
{
    if (v->t == RV_FLOAT)
        return rule_float(fabs(v->u.d));
    if (!rule_is_num(v))
        return rule_null();
    return v->u.i < 0 ? rule_negate(v) : rule_int(v->u.i);
}

/* Python's len(): code points of a str, bytes of a bytes, items of a container. */
static inline rule_value rule_len(alert_doc *doc, const rule_value *v)
{
    if (v->t == RV_STR) {
        int64_t n = 0;
        for (uint32_t k = 0; k < v->n; k++)
            n += ((unsigned char)v->u.s[k] & 0xC0) != 0x80;
        return rule_int(n);
    }
    if (v->t != RV_NODE)
        return rule_null();
    const alert_node *n = alert_at(doc, v->n);
    if (n->type != ALERT_BYTES)
        return rule_int(n->count);
    const char *s;
    size_t len;
    return alert_string(doc, v->n, &s, &len) == 0 ? rule_int((int64_t)len) : rule_null();
}

/* builtins.c */
/* RULE_BI_QUANT: the second argument is a predicate or EXPR over '@', the
 * first's elements; RULE_BI_MINMAX: min/max, two numbers, or the aggregate
 * (MINOF, MAXOF) when the second argument mentions '@'. */
typedef enum { RULE_BI_PLAIN, RULE_BI_PATH, RULE_BI_QUANT, RULE_BI_MINMAX, RULE_BI_WATCH } rule_bi_kind;
typedef struct {
    const char *name;
    rule_opcode op;
    uint8_t argc;
    uint8_t kind;
} rule_builtin;

const rule_builtin *rule_builtin_find(const char *name, size_t len);
/* Applies a PLAIN builtin's opcode to its arguments (args[0..argc)). */
rule_value rule_builtin_call(alert_doc *doc, rule_opcode op, const rule_value *args);
double rule_angsep(double ra1, double dec1, double ra2, double dec2);

/* cone(): within radius degrees. On the sphere the separation is at least the
 * difference in declination: most alerts are outside a small cone, and this
 * needs no trigonometry. Inline, as the VM runs it for constant cones. */
static inline bool rule_in_cone(double ra, double dec, double ra0, double dec0, double radius)
{
    if (fabs(dec) <= 90 && fabs(dec0) <= 90 && fabs(dec - dec0) > radius)
        return false;
    return rule_angsep(ra, dec, ra0, dec0) <= radius;
}

/* A cone() with a constant centre and radius, as the set's code runs it (CONEK). */
typedef struct {
    double ra0, dec0, radius;
} rule_cone;

/* ---- lexer ---- */

#define RULE_TOKENS(T)                                                                             \
    T(EOF, "end of rule") T(INT, "integer") T(FLOAT, "number") T(STR, "string") T(IDENT, "name")   \
    T(AT, "@") T(DOT, ".") T(LPAREN, "(") T(RPAREN, ")") T(LBRACK, "[") T(RBRACK, "]")           \
    T(COMMA, ",") T(EQ, "==") T(NE, "!=") T(LT, "<") T(LE, "<=") T(GT, ">") T(GE, ">=")            \
    T(PLUS, "+") T(MINUS, "-") T(STAR, "*") T(SLASH, "/") T(PERCENT, "%") T(AND, "and")           \
    T(OR, "or") T(NOT, "not") T(IN, "in") T(TRUE, "true") T(FALSE, "false") T(NULL, "null")   \
    T(DEF, "definition")

typedef enum {
#define RULE_TOK_ENUM(name, text) RULE_TOK_##name,
    RULE_TOKENS(RULE_TOK_ENUM)
#undef RULE_TOK_ENUM
} rule_tok_kind;

typedef struct {
    rule_tok_kind kind;
    size_t offset, len; /* the token's text in the rule */
    int64_t i;
    double d;
    const char *s; /* RULE_TOK_STR: decoded content (in the lexer's arena) */
    size_t slen;
} rule_token;

typedef struct {
    const char *src;
    size_t len, pos;
    rule_arena *arena;
    rule_diags *diags;
} rule_lexer;

void rule_lex_init(rule_lexer *lx, const char *src, size_t len, rule_arena *arena, rule_diags *diags);
/* Reads the next token. Bad input is reported in diags and skipped, so the
 * parser only ever sees well-formed tokens. */
void rule_lex_next(rule_lexer *lx, rule_token *tok);
const char *rule_tok_name(rule_tok_kind k);

/* ---- AST ---- */

/* AST_DEF: $name, its span the name with its '$'; `a` its definition's index once resolved (rule_defs_resolve). */
/* AST_INSET: `a in (constants...)` read straight into a hash set (the tree's
 * sets[b]), its left operand a: a list of 1,000,000 ids makes no node per id. */
typedef enum { AST_LIT, AST_PATH, AST_ELEM, AST_NEG, AST_BIN, AST_AND, AST_OR, AST_NOT, AST_IN, AST_CALL, AST_ERROR, AST_DEF, AST_INSET } rule_ast_kind;

typedef struct {
    uint8_t kind;
    uint8_t op;          /* AST_BIN: the opcode; AST_IN: RULE_OP_IN or RULE_OP_NOTIN; AST_CALL: the builtin's opcode */
    uint32_t offset, len; /* source span */
    int32_t a, b;        /* children; AST_IN/AST_CALL: first kid index into kids, count */
    rule_value lit;      /* AST_LIT */
    alert_step *steps;   /* AST_PATH, AST_ELEM (in the arena) */
    uint32_t n_steps;
    uint32_t height; /* of the subtree: 1 for a leaf */
} rule_ast;

typedef struct {
    rule_ast *nodes;
    uint32_t n, cap;
    int32_t *kids;
    uint32_t n_kids, cap_kids;
    int32_t root;
    rule_arena arena; /* decoded strings, path keys */
    rule_inset **sets; /* AST_INSET's; the compiler takes each it compiles (NULL here then) */
    uint32_t n_sets;
} rule_tree;

/* Parses `where` into t. Returns the number of errors (all in diags). */
size_t rule_parse(rule_tree *t, const char *src, size_t len, rule_diags *diags);
void rule_tree_free(rule_tree *t);

/* ---- programs ---- */

typedef struct {
    uint8_t op;
    uint16_t b; /* the second operand of PATHK and ELEMK: a constant */
    int32_t arg;
} rule_insn;

/* A segment: the rule itself (segment 0) or one any/all/count predicate. */
typedef struct {
    rule_insn *code;
    uint32_t n_code, cap_code;
    uint32_t need; /* stack slots it needs, its predicates' included (set by the verifier) */
    bool rets_empty; /* every RET is reached with an empty stack (set by the verifier) */
    bool yields;     /* it ends by YIELD, a value segment, not by RET (set by the verifier) */
    /* A value segment that is `ELEM rel; YIELD` (elem_rel + 1; 0: another
     * shape), run by its aggregate without the dispatch loop (rule_vm_prepare). */
    uint32_t yield_rel;
    /* Alike across the set for segments that compute alike (rule_paths_number_segments):
     * an aggregate's answer for a list is kept under it for the alert. */
    uint32_t value_id;
    /* A predicate of the commonest shape, `@.path OP constant`, is run by its
     * quantifier without the dispatch loop (set by rule_vm_prepare): the
     * comparison, RULE_OP_EQ..GE (0: another shape), its relative path and constant. */
    uint8_t cmp_op;
    uint16_t cmp_const;
    uint32_t cmp_rel;
    /* The constant is a number a double holds exactly (cmp_d): then its
     * comparison with a column of such numbers is one of doubles. */
    bool cmp_num;
    double cmp_d;
} rule_segment;

/* ---- watchlists and watchmaps by name (watch.c) ---- */

typedef struct {
    char **names;
    void **objs; /* sky_watchlist * or sky_moc *, owned */
    uint32_t n;
} rule_watch_kind;

/* The set's watchlists (kinds[0]) and watchmaps (kinds[1]). */
typedef struct {
    rule_watch_kind kinds[2];
} rule_watch;

/* The last watchlist() that was true in a rule: for the alert of epoch, entry of list. */
typedef struct {
    uint32_t epoch, list;
    uint64_t entry;
} rule_watch_hit;

/* Adds obj (a sky_watchlist for op RULE_OP_WATCHLIST, a sky_moc for
 * RULE_OP_WATCHMAP) as name. Returns 0, or -1 (the name is taken, out of
 * memory): obj is then not w's. */
int rule_watch_add(rule_watch *w, rule_opcode op, const char *name, void *obj);
int32_t rule_watch_find(const rule_watch *w, rule_opcode op, const char *name, size_t len);
uint32_t rule_watch_count(const rule_watch *w, rule_opcode op); /* 0 when w is NULL */
const char *rule_watch_name(const rule_watch *w, rule_opcode op, int32_t i);
void rule_watch_free(rule_watch *w);
/* Reports, in d, each watchlist()/watchmap() of t whose first argument is not
 * a string naming one of w's; returns how many. */
size_t rule_watch_check(const rule_watch *w, const rule_tree *t, rule_diags *d);
/* watchlist()/watchmap() i of (ra, dec): false unless both are numbers; a
 * watchlist's nearest entry goes to hit. */
bool rule_watch_test(const rule_watch *w, rule_watch_hit *hit, uint32_t epoch, rule_opcode op, int32_t i,
                     const rule_value *ra, const rule_value *dec);
/* The name of hit's entry when it was found for the alert of epoch, else NULL. */
const char *rule_watch_hit_name(const rule_watch *w, const rule_watch_hit *hit, uint32_t epoch, char buf[24]);

typedef struct {
    alert_step *steps;
    uint32_t n;
    const char *text;
    uint32_t cache_id; /* the set's number for this path, shared by every rule that spells it alike */
} rule_relpath;

typedef struct rule_program rule_program;
struct rule_program {
    char *name;
    char *where;
    rule_segment *segs;
    uint32_t n_segs;
    rule_value *consts;
    uint32_t n_consts;
    rule_relpath *rels; /* paths relative to '@' */
    uint32_t n_rels;
    bool value; /* its main segment yields a value (a definition), instead of a rule's RET */
    /* The definitions it may read (DEF's operand indexes them): the set's, compiled
     * before it, so that none reads itself, even through others. */
    const rule_program *defs;
    uint32_t n_defs;
    rule_inset **sets; /* INSET's operand indexes them: long `in` lists of constants */
    uint32_t n_sets;
    rule_arena arena; /* strings, steps */
    const rule_watch *watch; /* the set's, which WATCHLIST and WATCHMAP name */
};

/* Keys looked up in one dict, so that one scan of it finds them all: their
 * steps (keys copied, ordered by length) and ids, and a bit per key length
 * (modulo 64) that tells most of the dict's other keys apart at once, and where
 * the keys of each length start. The keys
 * of an interned path's key children, or the set's one-key paths from '@'. */
#define RULE_KID_LENS 64
typedef struct {
    alert_step *steps;
    uint32_t *ids;
    uint32_t n;
    uint64_t len_bits;
    uint32_t from[RULE_KID_LENS]; /* the first step whose key is at least this long (the last: or longer) */
} rule_kids;

/* Adds the key step under id. Returns 0, or -1 when out of memory. */
int rule_kids_add(rule_kids *kids, uint32_t id, const alert_step *step);
void rule_kids_free(rule_kids *kids);

/* ---- paths (paths.c): interned, numbered, cached per alert ---- */

/* An interned path: one step from its parent (-1: the alert's root). */
typedef struct {
    int32_t parent;
    alert_step step;
    char *text;
    rule_kids kids;
} rule_path;

typedef struct {
    rule_path *items;
    uint32_t n, cap;
    rule_kids root_kids;
    char **rel_texts; /* the relative paths (from '@') of the set's rules, by cache id */
    uint32_t n_rels, cap_rels;
    rule_kids elem_kids; /* the one-key relative paths, by cache id */
} rule_paths;

/* Interns the path steps[0..n) and returns its id, or -1 when out of memory. */
int32_t rule_paths_intern(rule_paths *ps, const alert_step *steps, uint32_t n);
void rule_paths_free(rule_paths *ps);
/* Gives each relative path of prog its cache id: one per spelling across the
 * set. Returns 0, or -1 when out of memory. */
int rule_paths_number_rels(rule_paths *ps, rule_program *prog);
/* Gives each predicate or value segment of prog (after number_rels) its
 * value_id: one per code that computes the same for every element of every
 * alert, across the set (its constants, paths and predicates alike). Returns
 * 0, or -1 when out of memory. */
int rule_paths_number_segments(rule_paths *ps, rule_program *prog);
/* Spells a path as the rule language writes it, after `root` ("" or "@");
 * returns the length it needs, like snprintf. */
size_t rule_path_text(char *out, size_t cap, const char *root, const alert_step *steps, uint32_t n);

/* Compiles a parsed tree (constant folding, short-circuit jumps, paths interned
 * in ps) into p. Returns 0, or -1 when out of memory. */
int rule_compile(const rule_tree *t, rule_paths *ps, rule_program *p);
void rule_program_free(rule_program *p);

/* Checks every segment of p: opcodes and operands in range, jump targets
 * inside the segment, no stack underflow, one stack depth at every join, no
 * falling off the end, predicates only referring to later segments; computes
 * each segment's `need`. Returns 0, or -1 with the reason in why. */
int rule_verify(rule_program *p, uint32_t n_paths, char *why, size_t why_len);

void rule_program_disasm(const rule_program *p, const rule_paths *ps, FILE *out);
/* A value as the disassembler and --explain show it: numbers as the shortest
 * text that reads back the same ("5.0", "3.631e-05"), strings quoted and
 * escaped, a node of doc as "a list of N", "a dict of N" or "bytes of N" (with
 * no doc: "node N"). */
void rule_print_value(FILE *out, const alert_doc *doc, const rule_value *v);
void rule_print_string(FILE *out, const char *s, size_t n);

/* Each declared definition's value for doc (null for one with errors), into
 * values (one per definition, valid until the next alert). Returns 0, or -1 out of memory. */
int rule_set_definition_values(rule_set *rs, alert_doc *doc, rule_value *values);

/* ---- definitions (define.c) ---- */

/* The set's definitions: declared names, and the compiled ones in an order
 * where each comes after those it reads. */
typedef struct {
    size_t n;           /* declared */
    char **names;       /* declared order */
    int32_t *compiled;  /* declared index -> index in progs; -1: it has errors */
    bool *used;         /* declared index: read by a rule, directly or through others */
    rule_program *progs; /* compiled (room for n, never moved: programs point at it) */
    uint32_t n_progs;
    struct rule_def_slot *slots; /* per compiled definition: for the VM */
} rule_defs;

/* How the set compiles, verifies and binds one parsed definition (prog has
 * value, defs and n_defs set); returns 0, or -1 with errors in diags. */
typedef struct {
    int (*fn)(void *ctx, const rule_tree *t, rule_program *prog, rule_diags *diags);
    void *ctx;
} rule_defs_builder;

/* Declares and compiles definitions names[i] = texts[i]; errors (parse, unknown
 * names, cycles, those of definitions read) per definition. Returns 0 or -1. */
int rule_defs_declare(rule_defs *d, size_t n, const char *const *names, const char *const *texts,
                      const rule_defs_builder *build, rule_def_error *errs, size_t max_errs, size_t *n_errs);
/* Points each $name of a rule's tree at its compiled definition; returns how many errors it reported. */
size_t rule_defs_resolve(const rule_defs *d, rule_tree *t, const char *src, rule_diags *diags);
/* Marks the definitions p reads, and those they read, used. */
void rule_defs_mark_used(rule_defs *d, const rule_program *p);
void rule_defs_free(rule_defs *d);

/* ---- VM ---- */

/* One entry of the element cache: the value of relative path `rel` from
 * element `node`, valid where epoch is the current alert's. */
typedef struct {
    uint32_t epoch, rel, node;
    rule_value v;
} rule_elem_slot;

#define RULE_ELEM_SLOTS 1024 /* a power of two */

/* One entry of the column cache: the values of relative path `rel` over the
 * elements of list `list`, as doubles, valid where epoch is the current
 * alert's; n is RULE_COL_NONE when some value is no number a double holds exactly. */
#define RULE_COL_MAX 32
#define RULE_COL_NONE UINT32_MAX
typedef struct {
    uint32_t epoch, rel, list, n;
    double v[RULE_COL_MAX];
} rule_column;

#define RULE_COL_SLOTS 64 /* a power of two */

/* The per-alert path cache (paths.c): per interned path its node and value for
 * the current alert, and the element and column caches; every entry carries
 * the epoch (the alert) it was found for, so a new alert forgets them all by
 * counting on. */
typedef struct {
    rule_value *path_val;  /* per path: its value, of type RULE_UNREAD until a rule reads it */
    uint32_t *path_node;   /* per path: its node (ALERT_ABSENT: missing), valid where node_epoch == epoch */
    uint32_t *node_epoch;
    uint32_t cap;
    uint32_t epoch;
    rule_elem_slot *elem; /* RULE_ELEM_SLOTS */
    rule_column *cols;    /* RULE_COL_SLOTS */
} rule_path_cache;

/* Grows c to n_paths paths. Returns 0, or -1 when out of memory. */
int rule_path_cache_fit(rule_path_cache *c, uint32_t n_paths);
void rule_path_cache_free(rule_path_cache *c);

/* An any/all/count over a field's list whose predicate is `@.path OP number`
 * (PQUANT): its column has a slot of its own, shared by every such quantifier
 * of the set over the same field and path, found without a hash. */
typedef struct {
    const rule_relpath *rel; /* the predicate's path */
    double c;                /* its number */
    uint8_t cmp_op;          /* its comparison, RULE_OP_EQ..GE */
    int32_t list;            /* the field's path id */
    uint32_t slot;           /* in rule_vm's quant_cols */
    uint32_t rule;           /* whose program runs the quantifier when the column has no answer */
    uint32_t pred;           /* and its predicate segment */
} rule_quant;

/* Rules that open with one test of one field, the numbers apart (see optimize.c's
 * rule_opening), and are unmatched when it fails, laid out together (PGROUP,
 * PQGROUP): ordered so that a value passing one's test passes the tests of all
 * after it, the group tests from the last back and runs only those that pass. */
typedef struct {
    uint32_t n;
    uint8_t cmp_op;          /* RULE_OP_LT..GE */
    bool abs;                /* PGROUP: the field's abs() is compared */
    uint8_t quant_op;        /* PQGROUP: RULE_OP_ANY, RULE_OP_ALL or RULE_OP_COUNTIF */
    uint8_t count_op;        /* COUNTIF: the count's comparison with k, RULE_OP_LT..GE */
    rule_value k;
    const double *c;         /* the rules' numbers, in layout order */
    const uint16_t *quant;   /* PQGROUP: the rules' quantifiers (rule_quant), in layout order */
    const uint32_t *entry;   /* where each rule's code goes on past its opening test */
    uint32_t end;            /* where the code after the group starts (0: there is none) */
} rule_group;

/* One aggregate's answer for the current alert (valid where epoch is the
 * current alert's): op (MINOF..MEANOF) of the value segment numbered rel
 * (rule_segment's value_id) over list node list. */
typedef struct {
    uint32_t epoch, list, rel;
    uint8_t op;
    rule_value v;
} rule_agg_slot;

#define RULE_AGG_BITS 6
#define RULE_AGG_SLOTS (1u << RULE_AGG_BITS)

/* A definition's value for the current alert (valid where epoch is the current alert's). */
typedef struct rule_def_slot {
    const rule_program *prog;
    uint32_t epoch;
    rule_value v;
} rule_def_slot;

/* The type of a path's cached value before its first read for an alert: no
 * rule_vtype, so a handler's test of the type finds it unread at no extra cost. */
#define RULE_UNREAD 0xFF

/* Forgets every entry of c and starts its epochs again (paths.c). */
void rule_path_cache_forget(rule_path_cache *c);

/* Starts a new alert in c: marks the first n_paths paths' values unread and
 * counts the epoch on, which forgets every entry. Returns whether the epoch
 * wrapped (after 2^32 alerts): the caller then clears its own tables stamped
 * with epochs. Inline, as it runs once per alert. */
static inline bool rule_path_cache_next(rule_path_cache *c, uint32_t n_paths)
{
    for (uint32_t k = 0; k < n_paths; k++)
        c->path_val[k].t = RULE_UNREAD;
    if (++c->epoch != 0)
        return false;
    rule_path_cache_forget(c);
    return true;
}

/* What one evaluation needs besides the program: the alert, the set's path cache and a stack. */
typedef struct {
    alert_doc *doc;
    const rule_paths *paths;
    rule_value *path_val;  /* per path: its value for the current alert, of type RULE_UNREAD until a rule reads it */
    uint32_t *path_node;   /* per path: its node for the current alert (ALERT_ABSENT: missing) */
    uint32_t *node_epoch;  /* per path: the alert its node was found for */
    uint32_t epoch;
    rule_elem_slot *elem; /* RULE_ELEM_SLOTS, direct-mapped: any/all/count over the same list share lookups */
    rule_column *cols;    /* RULE_COL_SLOTS, direct-mapped: and comparisons with numbers share columns */
    const rule_kids *elem_kids; /* the set's one-key paths from '@', by cache id: one scan per element */
    const rule_cone *cones;     /* by CONEK's operand */
    const double *doubles;      /* by PDJF's and PDJT's second operand */
    const rule_value *consts;   /* the set's constant pool: its code reads constants here, but after an ENTER 1 */
    const rule_quant *quants;   /* by PQUANT's second operand */
    const rule_group *groups;   /* by PGROUP's second operand */
    rule_column *quant_cols;    /* by rule_quant's slot */
    rule_value yield;           /* the value of the last value segment run (YIELD) */
    rule_def_slot *defs;        /* by DEF's operand: each definition's program and value, run once per alert */
    uint32_t n_defs;
    uint64_t def_runs;          /* definitions run, all alerts: what memoising saves shows here */
    rule_agg_slot aggs[RULE_AGG_SLOTS]; /* two-way: rules that aggregate the same list share it */
    uint8_t agg_turn;                   /* which way a miss replaces when both are of this alert */
    uint64_t agg_runs;                  /* aggregates computed (not found kept), all alerts */
    const rule_watch *watch;    /* by WATCHLIST's and WATCHMAP's operand */
    rule_watch_hit *watch_hits; /* by rule: its last true watchlist() */
    const rule_program *progs;  /* the rules run (rule_vm_run): a predicate's rule is its program's index */
} rule_vm;

/* Starts vm->epoch's alert: when the epoch wrapped (or at the first), the
 * aggregates and definitions kept for an alert before are forgotten. */
void rule_vm_begin(rule_vm *vm);
/* Definition k's value for the current alert (vm->epoch): run on the stack from
 * sp the first time it is asked for, kept for the rest of the alert. */
rule_value rule_vm_definition(rule_vm *vm, uint32_t k, rule_value *sp);

/* Notes which of a verified program's predicates the VM runs without dispatch. */
void rule_vm_prepare(rule_program *p);

/* Runs n verified programs, each answer to match[i]; returns how many matched.
 * code is their main segments' copies (laid out by rule_optimize, rules/optimize.h) back to back,
 * progs[0]'s first: jump targets count from code, each RET is a RETN whose
 * operand is its answer plus twice where the next rule's code starts (0 after
 * the last rule), and rule_of[pc] is the rule whose code holds pc. stack has
 * room for the largest segs[0].need among them. */
size_t rule_vm_run(rule_vm *vm, const rule_program *progs, const rule_insn *code, const uint32_t *rule_of, size_t n,
                   rule_value *stack, unsigned char *match);

#endif
