/* rules/parse.c — the rule parser: tokens to an AST by precedence climbing,
 * reporting every error it can find and recovering to look for more. */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

#define MAX_NESTING 200
#define MAX_INDEX 2147483647
#define MAX_HEIGHT 1024 /* the compiler recurses over the tree: bound its depth */
#define MAX_STEPS 64

typedef struct {
    rule_lexer lx;
    rule_token tok;
    rule_tree *t;
    rule_diags *diags;
    const char *src;
    int quant_depth; /* how many any/all/count predicates enclose the parser */
    uint64_t at_used; /* bit d (63: d >= 63): an '@' was read at quant_depth d */
    int depth;
    bool gave_up; /* nesting too deep: the rest of the text is not examined */
    size_t prev_end;
} parser;

typedef struct {
    int32_t *items;
    uint32_t n, cap;
} idx_list;

static void advance(parser *p)
{
    p->prev_end = p->tok.offset + p->tok.len;
    rule_lex_next(&p->lx, &p->tok);
}

static void oom(parser *p) { rule_diag(p->diags, 0, 0, "out of memory"); }

/* Node 0 is the shared error node, so a failed allocation still yields a valid index. */
static int32_t new_node(parser *p, rule_ast_kind kind, size_t offset, size_t len)
{
    rule_tree *t = p->t;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 32;
        rule_ast *nodes = realloc(t->nodes, cap * sizeof *nodes);
        if (!nodes) {
            oom(p);
            return 0;
        }
        t->nodes = nodes;
        t->cap = cap;
    }
    t->nodes[t->n] = (rule_ast){.kind = (uint8_t)kind, .offset = (uint32_t)offset, .len = (uint32_t)len};
    return (int32_t)t->n++;
}

static bool list_push(parser *p, idx_list *l, int32_t v)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        int32_t *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            oom(p);
            return false;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = v;
    return true;
}

/* Moves a list of children into the tree's kids; returns the first's index. */
static int32_t store_kids(parser *p, idx_list *l)
{
    rule_tree *t = p->t;
    int32_t first = (int32_t)t->n_kids;
    for (uint32_t k = 0; k < l->n; k++) {
        if (t->n_kids == t->cap_kids) {
            uint32_t cap = t->cap_kids ? t->cap_kids * 2 : 16;
            int32_t *kids = realloc(t->kids, cap * sizeof *kids);
            if (!kids) {
                oom(p);
                break;
            }
            t->kids = kids;
            t->cap_kids = cap;
        }
        t->kids[t->n_kids++] = l->items[k];
    }
    free(l->items);
    *l = (idx_list){0};
    return first;
}

/* Records n's height from its children's, and reports a tree grown too tall. */
static int32_t set_height(parser *p, int32_t n, const int32_t *kids, uint32_t n_kids)
{
    uint32_t h = 0;
    for (uint32_t k = 0; k < n_kids; k++)
        if (p->t->nodes[kids[k]].height > h)
            h = p->t->nodes[kids[k]].height;
    p->t->nodes[n].height = h + 1;
    if (h + 1 == MAX_HEIGHT + 1)
        rule_diag(p->diags, p->t->nodes[n].offset, p->t->nodes[n].len,
                  "expression too deep: more than %d operators inside one another (a chain of + - * / "
                  "counts one per operator; and/or chains do not)",
                  MAX_HEIGHT);
    return n;
}

static size_t span_end(const parser *p, int32_t n) { return p->t->nodes[n].offset + p->t->nodes[n].len; }

/* Where the last token read ends: spans stop there, not at the next token. */
static size_t prev_end(const parser *p) { return p->prev_end; }

/* Describes the current token for "found ..." messages. */
static void expected(parser *p, const char *what)
{
    if (p->gave_up)
        return;
    if (p->tok.kind == RULE_TOK_EOF)
        rule_diag(p->diags, p->tok.offset, 0, "expected %s, found the end of the rule", what);
    else
        rule_diag(p->diags, p->tok.offset, p->tok.len, "expected %s, found '%.*s'", what, (int)p->tok.len,
                  p->src + p->tok.offset);
}

static bool is_closer(rule_tok_kind k)
{
    return k == RULE_TOK_RPAREN || k == RULE_TOK_RBRACK || k == RULE_TOK_COMMA || k == RULE_TOK_EOF;
}

static void expect_close(parser *p, rule_tok_kind closer, size_t open_offset)
{
    if (p->tok.kind == closer) {
        advance(p);
        return;
    }
    if (p->gave_up)
        return;
    const char *c = rule_tok_name(closer), *o = closer == RULE_TOK_RPAREN ? "(" : "[";
    rule_diag(p->diags, open_offset, 1, "expected '%s' to close '%s'", c, o);
}

static int32_t parse_expr(parser *p, int min_bp);
static int32_t parse_operators(parser *p, int32_t left, int min_bp);

/* Tokens that can begin an operand (besides the prefix operators, which are
 * also infix ones and so never left over after an expression). */
static bool starts_operand(rule_tok_kind k)
{
    return k == RULE_TOK_INT || k == RULE_TOK_FLOAT || k == RULE_TOK_STR || k == RULE_TOK_IDENT ||
           k == RULE_TOK_AT || k == RULE_TOK_LPAREN || k == RULE_TOK_TRUE || k == RULE_TOK_FALSE ||
           k == RULE_TOK_NULL || k == RULE_TOK_DEF;
}

/* Recovery from text that cannot follow an expression: skips to the next
 * `and`/`or` outside brackets, or to what ends the context (`closer`, and ','
 * in a list), so that the clauses after a slip are still checked. */
static void skip_to_sync(parser *p, rule_tok_kind closer, bool list)
{
    int depth = 0;
    for (;; advance(p)) {
        rule_tok_kind k = p->tok.kind;
        if (k == RULE_TOK_EOF)
            return;
        if (depth == 0 && (k == RULE_TOK_AND || k == RULE_TOK_OR || k == closer || (list && k == RULE_TOK_COMMA)))
            return;
        if (k == RULE_TOK_LPAREN || k == RULE_TOK_LBRACK)
            depth++;
        else if ((k == RULE_TOK_RPAREN || k == RULE_TOK_RBRACK) && depth > 0)
            depth--;
    }
}

/* An expression up to what may follow it in its context: `closer`, or also
 * ',' in a list. Anything else is reported once (`follow` says what was
 * expected), skipped, and the rest read on as if an erroneous operand stood
 * before it. In a list, the start of an operand is taken as the next item
 * after a missing ',' and left for the caller. Sets *slipped when it reported. */
static int32_t parse_until(parser *p, rule_tok_kind closer, bool list, const char *follow, bool *slipped)
{
    int32_t x = parse_expr(p, 0);
    for (;;) {
        rule_tok_kind k = p->tok.kind;
        if (k == RULE_TOK_EOF || k == closer || (list && k == RULE_TOK_COMMA))
            return x;
        expected(p, follow);
        *slipped = true;
        x = 0;
        if (list && starts_operand(k))
            return x;
        skip_to_sync(p, closer, list);
        parse_operators(p, 0, 0);
    }
}

static bool is_word(rule_tok_kind k)
{
    return k == RULE_TOK_IDENT || k == RULE_TOK_AND || k == RULE_TOK_OR || k == RULE_TOK_NOT ||
           k == RULE_TOK_IN || k == RULE_TOK_TRUE || k == RULE_TOK_FALSE || k == RULE_TOK_NULL;
}

/* Recovery from a bad index: skip to the ']' that closes it, if there is one. */
static void skip_index(parser *p)
{
    while (p->tok.kind != RULE_TOK_RBRACK && p->tok.kind != RULE_TOK_EOF)
        advance(p);
    if (p->tok.kind == RULE_TOK_RBRACK)
        advance(p);
}

/* One `[...]` step; returns false when it could not be read. */
static bool parse_index(parser *p, alert_step *st)
{
    size_t open = p->tok.offset;
    advance(p);
    if (p->tok.kind == RULE_TOK_STR) {
        *st = (alert_step){.key = p->tok.s, .key_len = (uint32_t)p->tok.slen, .index = -1};
    } else if (p->tok.kind == RULE_TOK_INT && p->tok.i >= 0 && p->tok.i <= MAX_INDEX) {
        *st = (alert_step){.index = (int32_t)p->tok.i};
    } else {
        if (p->tok.kind == RULE_TOK_INT || p->tok.kind == RULE_TOK_FLOAT || p->tok.kind == RULE_TOK_MINUS)
            rule_diag(p->diags, p->tok.offset, p->tok.len, "an index must be an integer from 0 to %d", MAX_INDEX);
        else
            expected(p, "an index or a quoted key inside '[]'");
        skip_index(p);
        return false;
    }
    advance(p);
    expect_close(p, RULE_TOK_RBRACK, open);
    return true;
}

/* A path: the root (a name, or '@') was just read; steps follow. */
static int32_t parse_path(parser *p, bool at)
{
    size_t start = p->tok.offset;
    alert_step *steps = NULL;
    uint32_t n = 0, cap = 0;
    bool ok = true;
    if (at && p->quant_depth == 0) {
        rule_diag(p->diags, p->tok.offset, 1, "'@' is only valid inside any/all/count/min/max/sum/mean");
        ok = false;
    }
    if (at)
        p->at_used |= UINT64_C(1) << (p->quant_depth < 63 ? p->quant_depth : 63);
    alert_step first = {.key = p->src + p->tok.offset, .key_len = (uint32_t)p->tok.len, .index = -1};
    bool have_first = !at;
    advance(p);
    for (;;) {
        alert_step st;
        if (have_first) {
            st = first;
            have_first = false;
        } else if (p->tok.kind == RULE_TOK_DOT) {
            advance(p);
            if (!is_word(p->tok.kind)) {
                expected(p, "a field name after '.'");
                if (p->tok.kind == RULE_TOK_INT || p->tok.kind == RULE_TOK_FLOAT || p->tok.kind == RULE_TOK_STR)
                    advance(p); /* taken as the mistaken name, so what follows still parses */
                ok = false;
                break;
            }
            st = (alert_step){.key = p->src + p->tok.offset, .key_len = (uint32_t)p->tok.len, .index = -1};
            advance(p);
        } else if (p->tok.kind == RULE_TOK_LBRACK) {
            if (!parse_index(p, &st)) {
                ok = false;
                break;
            }
        } else {
            break;
        }
        if (n == MAX_STEPS) {
            rule_diag(p->diags, start, prev_end(p) - start, "path too long (more than %d steps)", MAX_STEPS);
            ok = false;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            alert_step *grown = realloc(steps, cap * sizeof *steps);
            if (!grown) {
                oom(p);
                ok = false;
                break;
            }
            steps = grown;
        }
        steps[n++] = st;
    }
    int32_t node = 0;
    if (ok) {
        alert_step *kept = rule_arena_alloc(&p->t->arena, (n ? n : 1) * sizeof *kept);
        if (kept) {
            node = new_node(p, at ? AST_ELEM : AST_PATH, start, prev_end(p) - start);
            if (n)
                memcpy(kept, steps, n * sizeof *kept);
            p->t->nodes[node].steps = kept;
            p->t->nodes[node].n_steps = n;
        } else {
            oom(p);
        }
    }
    free(steps);
    return node;
}

typedef struct {
    int32_t first; /* the first item's index into the tree's kids */
    uint32_t n;
    bool slipped; /* a syntax error inside: the count may be off, so it is not judged */
} arg_list;

/* Comma-separated expressions up to `closer`, after `lead` when it is not -1;
 * the opener was just read. */
static arg_list parse_args(parser *p, int32_t lead, rule_tok_kind closer, size_t open_offset, bool quant)
{
    const char *follow = closer == RULE_TOK_RPAREN ? "an operator, ',' or ')'" : "an operator, ',' or ']'";
    arg_list a = {0};
    idx_list args = {0};
    if (lead >= 0)
        list_push(p, &args, lead);
    if (p->tok.kind != closer) {
        for (;;) {
            if (quant && args.n == 1)
                p->quant_depth++;
            list_push(p, &args, parse_until(p, closer, true, follow, &a.slipped));
            if (quant && args.n == 2)
                p->quant_depth--;
            if (p->tok.kind == closer || p->tok.kind == RULE_TOK_EOF)
                break;
            if (p->tok.kind == RULE_TOK_COMMA)
                advance(p);
        }
    }
    expect_close(p, closer, open_offset);
    a.n = args.n;
    a.first = store_kids(p, &args);
    return a;
}

static int32_t parse_call(parser *p)
{
    rule_token name = p->tok;
    const rule_builtin *bi = rule_builtin_find(p->src + name.offset, name.len);
    advance(p);
    size_t open = p->tok.offset;
    advance(p);
    /* min/max are the aggregates when their second argument reads '@' at its own depth. */
    int d = p->quant_depth + 1;
    uint64_t bit = UINT64_C(1) << (d < 63 ? d : 63), outer = p->at_used & bit;
    p->at_used &= ~bit;
    arg_list args = parse_args(p, -1, RULE_TOK_RPAREN, open, bi && bi->kind >= RULE_BI_QUANT);
    bool aggregate = bi && bi->kind == RULE_BI_MINMAX && (p->at_used & bit);
    p->at_used = (p->at_used & ~bit) | outer;
    int32_t first = args.first;
    uint32_t argc = args.n;
    int nl = (int)name.len;
    const char *ns = p->src + name.offset;
    if (!bi) {
        rule_diag(p->diags, name.offset, name.len, "unknown function '%.*s'", nl, ns);
        return 0;
    }
    if (args.slipped || p->gave_up) /* the real error is told already: no knock-on */
        return 0;
    if (argc != bi->argc) {
        rule_diag(p->diags, name.offset, name.len, "'%.*s' takes %u argument%s, got %u", nl, ns, bi->argc,
                  bi->argc == 1 ? "" : "s", argc);
        return 0;
    }
    if (bi->kind == RULE_BI_PATH) {
        const rule_ast *arg = &p->t->nodes[p->t->kids[first]];
        if (arg->kind != AST_PATH && arg->kind != AST_ELEM) {
            if (p->t->kids[first] != 0)
                rule_diag(p->diags, arg->offset, arg->len, "'%.*s' takes a path, like %.*s(diaSource.snr)", nl, ns,
                          nl, ns);
            return 0;
        }
    }
    int32_t node = new_node(p, AST_CALL, name.offset, prev_end(p) - name.offset);
    p->t->nodes[node].op = (uint8_t)(aggregate ? (bi->op == RULE_OP_MIN ? RULE_OP_MINOF : RULE_OP_MAXOF) : bi->op);
    p->t->nodes[node].a = first;
    p->t->nodes[node].b = (int32_t)argc;
    return set_height(p, node, p->t->kids + first, argc);
}

static int32_t literal(parser *p, rule_value v)
{
    int32_t node = new_node(p, AST_LIT, p->tok.offset, p->tok.len);
    p->t->nodes[node].lit = v;
    advance(p);
    return node;
}

/* Binding power of an infix operator (0: not one). `and`/`or` have no opcode:
 * they compile to jumps. */
static int infix_bp(rule_tok_kind k, rule_ast_kind *kind, rule_opcode *op)
{
    static const struct {
        rule_tok_kind tok;
        int bp;
        rule_ast_kind kind;
        rule_opcode op;
    } table[] = {
        {RULE_TOK_OR, 1, AST_OR, RULE_OP_JUMPT},    {RULE_TOK_AND, 2, AST_AND, RULE_OP_JUMPF},
        {RULE_TOK_EQ, 4, AST_BIN, RULE_OP_EQ},      {RULE_TOK_NE, 4, AST_BIN, RULE_OP_NE},
        {RULE_TOK_LT, 4, AST_BIN, RULE_OP_LT},      {RULE_TOK_LE, 4, AST_BIN, RULE_OP_LE},
        {RULE_TOK_GT, 4, AST_BIN, RULE_OP_GT},      {RULE_TOK_GE, 4, AST_BIN, RULE_OP_GE},
        {RULE_TOK_IN, 4, AST_IN, RULE_OP_IN},       {RULE_TOK_NOT, 4, AST_IN, RULE_OP_NOTIN},
        {RULE_TOK_PLUS, 5, AST_BIN, RULE_OP_ADD},   {RULE_TOK_MINUS, 5, AST_BIN, RULE_OP_SUB},
        {RULE_TOK_STAR, 6, AST_BIN, RULE_OP_MUL},   {RULE_TOK_SLASH, 6, AST_BIN, RULE_OP_DIV},
        {RULE_TOK_PERCENT, 6, AST_BIN, RULE_OP_MOD},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].tok == k) {
            *kind = table[i].kind;
            *op = table[i].op;
            return table[i].bp;
        }
    return 0;
}

static int32_t parse_prefix(parser *p)
{
    rule_token tok = p->tok;
    switch (tok.kind) {
    case RULE_TOK_NOT:
    case RULE_TOK_MINUS: {
        advance(p);
        int32_t x = parse_expr(p, tok.kind == RULE_TOK_NOT ? 3 : 7);
        int32_t node = new_node(p, tok.kind == RULE_TOK_NOT ? AST_NOT : AST_NEG, tok.offset, span_end(p, x) - tok.offset);
        p->t->nodes[node].a = x;
        return x ? set_height(p, node, &x, 1) : 0;
    }
    case RULE_TOK_INT:
        return literal(p, rule_int(tok.i));
    case RULE_TOK_FLOAT:
        return literal(p, rule_float(tok.d));
    case RULE_TOK_STR:
        return literal(p, (rule_value){.t = RV_STR, .n = (uint32_t)tok.slen, .u.s = tok.s});
    case RULE_TOK_TRUE:
    case RULE_TOK_FALSE:
        return literal(p, rule_bool(tok.kind == RULE_TOK_TRUE));
    case RULE_TOK_NULL:
        return literal(p, rule_null());
    case RULE_TOK_LPAREN: {
        advance(p);
        bool slipped = false;
        int32_t x = parse_until(p, RULE_TOK_RPAREN, false, "an operator or ')'", &slipped);
        expect_close(p, RULE_TOK_RPAREN, tok.offset);
        return x;
    }
    case RULE_TOK_IDENT: {
        rule_lexer saved = p->lx;
        rule_token after;
        rule_lex_next(&saved, &after);
        if (after.kind == RULE_TOK_LPAREN)
            return parse_call(p);
        return parse_path(p, false);
    }
    case RULE_TOK_AT:
        return parse_path(p, true);
    case RULE_TOK_DEF: {
        int32_t node = new_node(p, AST_DEF, tok.offset, tok.len);
        p->t->nodes[node].a = -1;
        p->t->nodes[node].height = 1;
        advance(p);
        return node;
    }
    default: {
        expected(p, "an expression");
        rule_ast_kind kind;
        rule_opcode op;
        int bp = infix_bp(tok.kind, &kind, &op);
        /* A missing operand: the stray operator is read with an erroneous
         * operand on its left, so what follows it is still checked. */
        if (bp)
            parse_operators(p, 0, bp);
        else if (!is_closer(tok.kind))
            advance(p);
        return 0;
    }
    }
}

/* The literal at the parser (a string, a number, -number, true, false,
 * null) into *v, the parser past it; false, the parser unmoved, for anything else. */
static bool read_constant(parser *p, rule_value *v)
{
    rule_token t = p->tok;
    bool neg = t.kind == RULE_TOK_MINUS;
    if (neg) {
        rule_lexer lx = p->lx;
        rule_lex_next(&lx, &t);
        if (t.kind != RULE_TOK_INT && t.kind != RULE_TOK_FLOAT)
            return false;
        advance(p);
    }
    switch (t.kind) {
    case RULE_TOK_INT:
        *v = rule_int(t.i);
        break;
    case RULE_TOK_FLOAT:
        *v = rule_float(t.d);
        break;
    case RULE_TOK_STR:
        *v = (rule_value){.t = RV_STR, .n = (uint32_t)t.slen, .u.s = t.s};
        break;
    case RULE_TOK_TRUE:
    case RULE_TOK_FALSE:
        *v = rule_bool(t.kind == RULE_TOK_TRUE);
        break;
    case RULE_TOK_NULL:
        *v = rule_null();
        break;
    default:
        return false;
    }
    if (neg)
        *v = rule_negate(v);
    advance(p);
    return true;
}

/* `left in (c1, c2, ...)` of INSET_MIN constants or more, each read straight
 * into a hash set: no node per item (a pasted list of 1,000,000 ids), and the
 * string's scratch copy given back at once. Returns the AST_INSET node, or -1
 * with the parser where it was when an item is not a constant or the list is
 * short (then the list is parsed as any other). */
static int32_t parse_in_constants(parser *p, int32_t left, rule_opcode op, rule_tok_kind closer, size_t start)
{
    enum { INSET_MIN = 16 }; /* as compile.c: below, comparing in turn costs no more */
    parser saved = *p;
    size_t n_diags = p->diags->n;
    rule_arena_mark mark = rule_arena_top(&p->t->arena);
    rule_inset *set = rule_inset_new();
    rule_inset **sets = set ? realloc(p->t->sets, (p->t->n_sets + 1) * sizeof *sets) : NULL;
    uint32_t n = 0;
    bool ok = sets != NULL;
    if (sets)
        p->t->sets = sets;
    rule_value v;
    while (ok && read_constant(p, &v)) {
        ok = rule_inset_add(set, &v) == 0;
        rule_arena_release(&p->t->arena, mark);
        n++;
        if (p->tok.kind == closer)
            break;
        if (p->tok.kind != RULE_TOK_COMMA)
            ok = false;
        else
            advance(p);
    }
    if (!ok || n < INSET_MIN || p->tok.kind != closer || p->diags->n != n_diags) {
        rule_inset_free(set);
        *p = saved;
        p->diags->n = n_diags;
        return -1;
    }
    advance(p);
    size_t from = p->t->nodes[left].offset;
    int32_t node = new_node(p, AST_INSET, from, prev_end(p) - from);
    (void)start;
    p->t->sets[p->t->n_sets] = set;
    p->t->nodes[node].op = (uint8_t)op;
    p->t->nodes[node].a = left;
    p->t->nodes[node].b = (int32_t)p->t->n_sets++;
    return left ? set_height(p, node, &left, 1) : 0;
}

/* `x in (...)` / `x not in (...)`: the operator was just read. */
static int32_t parse_in(parser *p, int32_t left, rule_opcode op)
{
    if (op == RULE_OP_NOTIN) {
        if (p->tok.kind != RULE_TOK_IN) {
            expected(p, "'in' after 'not'");
            return 0;
        }
        advance(p);
    }
    if (p->tok.kind != RULE_TOK_LPAREN && p->tok.kind != RULE_TOK_LBRACK) {
        expected(p, "a list in '(...)' after 'in'");
        return 0;
    }
    rule_tok_kind closer = p->tok.kind == RULE_TOK_LPAREN ? RULE_TOK_RPAREN : RULE_TOK_RBRACK;
    size_t open = p->tok.offset;
    advance(p);
    int32_t hashed = left ? parse_in_constants(p, left, op, closer, open) : -1;
    if (hashed >= 0)
        return hashed;
    arg_list items = parse_args(p, left, closer, open, false);
    int32_t first = items.first;
    uint32_t n = items.n;
    if (n == 1) {
        rule_diag(p->diags, open, 1, "the list after 'in' is empty");
        return 0;
    }
    size_t start = p->t->nodes[left].offset;
    int32_t node = new_node(p, AST_IN, start, prev_end(p) - start);
    p->t->nodes[node].op = (uint8_t)op;
    p->t->nodes[node].a = first;
    p->t->nodes[node].b = (int32_t)n;
    return left ? set_height(p, node, p->t->kids + first, n) : 0;
}

static int32_t parse_expr(parser *p, int min_bp)
{
    if (++p->depth > MAX_NESTING) {
        rule_diag(p->diags, p->tok.offset, p->tok.len, "expression nested too deeply (more than %d levels)",
                  MAX_NESTING);
        p->gave_up = true;
        p->lx.pos = p->lx.len;
        p->tok = (rule_token){.kind = RULE_TOK_EOF, .offset = p->lx.len};
        p->depth--;
        return 0;
    }
    int32_t left = parse_operators(p, parse_prefix(p), min_bp);
    p->depth--;
    return left;
}

/* terms[lo..hi) joined by `kind` (and/or) as a balanced tree: evaluation still
 * goes left to right and stops at the first deciding term, but a pasted list of
 * 10,000 `or` terms is 14 levels deep, not 10,000. */
static int32_t join_balanced(parser *p, rule_ast_kind kind, const int32_t *terms, size_t lo, size_t hi)
{
    if (hi - lo == 1)
        return terms[lo];
    size_t mid = lo + (hi - lo) / 2;
    int32_t a = join_balanced(p, kind, terms, lo, mid), b = join_balanced(p, kind, terms, mid, hi);
    size_t start = p->t->nodes[a].offset;
    int32_t node = new_node(p, kind, start, span_end(p, b) - start);
    p->t->nodes[node].op = (uint8_t)(kind == AST_OR ? RULE_OP_JUMPT : RULE_OP_JUMPF); /* as infix_bp's table */
    p->t->nodes[node].a = a;
    p->t->nodes[node].b = b;
    int32_t pair[2] = {a, b};
    return set_height(p, node, pair, 2);
}

/* After `left kind right`: the rest of a chain of the same and/or, joined
 * balanced when it is long (short ones stay as written, left to right). */
static int32_t parse_chain(parser *p, rule_ast_kind kind, int bp, int32_t left, int32_t right)
{
    enum { SHORT_CHAIN = 32 };
    int32_t *terms = malloc(64 * sizeof *terms);
    size_t n = 0, cap = 64;
    bool ok = terms != NULL && left && right;
    if (terms) {
        terms[n++] = left;
        terms[n++] = right;
    }
    rule_ast_kind k;
    rule_opcode op;
    while (infix_bp(p->tok.kind, &k, &op) == bp && k == kind) {
        advance(p);
        int32_t t = parse_expr(p, bp + 1);
        ok &= t != 0;
        if (terms && n == cap) {
            int32_t *grown = realloc(terms, (cap *= 2) * sizeof *terms);
            if (!grown)
                free(terms);
            terms = grown;
        }
        if (terms)
            terms[n++] = t;
    }
    int32_t node = 0;
    if (ok && terms && n > SHORT_CHAIN) {
        node = join_balanced(p, kind, terms, 0, n);
    } else if (ok && terms) {
        node = terms[0];
        for (size_t i = 1; i < n; i++)
            node = join_balanced(p, kind, (int32_t[]){node, terms[i]}, 0, 2);
    }
    free(terms);
    return node;
}

/* The infix operators binding at least min_bp that follow the operand `left`. */
static int32_t parse_operators(parser *p, int32_t left, int min_bp)
{
    bool compared = false; /* a comparison was read at this level, outside parentheses */
    for (;;) {
        rule_ast_kind kind;
        rule_opcode op;
        int bp = infix_bp(p->tok.kind, &kind, &op);
        if (bp == 0 || bp < min_bp)
            break;
        rule_token optok = p->tok;
        advance(p);
        if (bp == 4 && compared)
            rule_diag(p->diags, optok.offset, optok.len, "comparisons cannot be chained; combine them with 'and'");
        compared |= bp == 4;
        if (kind == AST_IN) {
            left = parse_in(p, left, op);
            continue;
        }
        int32_t right = parse_expr(p, bp + 1);
        if (kind == AST_AND || kind == AST_OR) {
            left = parse_chain(p, kind, bp, left, right);
            continue;
        }
        if (!left || !right) {
            left = 0;
            continue;
        }
        size_t start = p->t->nodes[left].offset;
        int32_t node = new_node(p, kind, start, span_end(p, right) - start);
        p->t->nodes[node].op = (uint8_t)op;
        p->t->nodes[node].a = left;
        p->t->nodes[node].b = right;
        int32_t pair[2] = {left, right};
        left = set_height(p, node, pair, 2);
    }
    return left;
}

/* The lexer reads ahead and recovery reports late, so errors are put back in
 * the order of the text (stable, so one spot keeps its errors' order). */
void rule_diags_sort(rule_diags *d, size_t from)
{
    size_t n = d->n < d->max ? d->n : d->max;
    for (size_t i = from + 1; i < n; i++) {
        rule_error e = d->errs[i];
        size_t j = i;
        while (j > from && d->errs[j - 1].offset > e.offset) {
            d->errs[j] = d->errs[j - 1];
            j--;
        }
        d->errs[j] = e;
    }
}

size_t rule_parse(rule_tree *t, const char *src, size_t len, rule_diags *diags)
{
    *t = (rule_tree){0};
    parser p = {.t = t, .diags = diags, .src = src};
    size_t before = diags->n;
    new_node(&p, AST_ERROR, 0, 0);
    rule_lex_init(&p.lx, src, len, &t->arena, diags);
    advance(&p);
    bool slipped = false;
    t->root = parse_until(&p, RULE_TOK_EOF, false, "an operator or the end of the rule", &slipped);
    rule_diags_sort(diags, before);
    return diags->n - before;
}

void rule_tree_free(rule_tree *t)
{
    for (uint32_t k = 0; k < t->n_sets; k++)
        rule_inset_free(t->sets[k]);
    free(t->sets);
    free(t->nodes);
    free(t->kids);
    rule_arena_free(&t->arena);
    *t = (rule_tree){0};
}
