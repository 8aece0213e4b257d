/* alert/avro_schema.c — Avro schemas (JSON text, read by alert's own JSON
 * reader) compiled into the flat plan avro_read.c follows: named types across
 * sources, namespaces, references resolved once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/avro_internal.h"

static const char *const primitive_names[AVRO_N_PRIMITIVES] = {"null",  "boolean", "int",   "long",
                                                               "float", "double",  "bytes", "string"};

typedef struct {
    alert_avro_schema *s;
    alert_doc doc; /* the current source's JSON */
    const char *source_name;
    const alert_avro_source *sources;
    uint32_t source; /* the index of the source being compiled */
    alert_error *err;
} compiler;

static __attribute__((format(printf, 3, 4), cold)) int fail(compiler *c, size_t offset, const char *fmt, ...)
{
    c->err->offset = offset;
    int n = snprintf(c->err->msg, sizeof c->err->msg, "%s: offset %zu: ", c->source_name, offset);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->msg + n, sizeof c->err->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t node_offset(const compiler *c, uint32_t node)
{
    const alert_node *n = alert_at(&c->doc, node);
    return n->type == ALERT_STR ? n->start - 1 : n->start; /* a str's span starts after its quote */
}

static int grow(void **p, uint32_t *cap, size_t size)
{
    uint32_t n = *cap ? *cap * 2 : 64;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int new_type(compiler *c, avro_type t, uint32_t *out)
{
    alert_avro_schema *s = c->s;
    if (s->n_types == s->cap_types && grow((void **)&s->types, &s->cap_types, sizeof *s->types) != 0)
        return fail(c, 0, "out of memory");
    s->types[s->n_types] = t;
    *out = s->n_types++;
    return 0;
}

/* Appends n bytes (and a NUL when nul) to a text of the schema; returns its offset or UINT32_MAX. */
static uint32_t put_text(char **text, size_t *len, size_t *cap, const char *p, size_t n, bool nul)
{
    size_t need = *len + n + 1;
    if (need > UINT32_MAX)
        return UINT32_MAX;
    if (need > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < need)
            c *= 2;
        char *t = realloc(*text, c);
        if (!t)
            return UINT32_MAX;
        *text = t;
        *cap = c;
    }
    uint32_t at = (uint32_t)*len;
    memcpy(*text + at, p, n);
    (*text)[at + n] = '\0';
    *len += n + nul;
    return at;
}

static int reserve_members(compiler *c, uint32_t n, uint32_t *first)
{
    alert_avro_schema *s = c->s;
    while (s->cap_members - s->n_members < n)
        if (grow((void **)&s->members, &s->cap_members, sizeof *s->members) != 0)
            return fail(c, 0, "out of memory");
    *first = s->n_members;
    s->n_members += n;
    return 0;
}

/* The value of key in dict node, or ALERT_ABSENT. */
static uint32_t get(compiler *c, uint32_t node, const char *key)
{
    alert_step step = {.key = key, .key_len = (uint32_t)strlen(key), .index = -1};
    return alert_lookup(&c->doc, node, &step, 1);
}

/* The str at node (which must be one: else an error naming what). */
static int get_str(compiler *c, uint32_t node, const char *what, const char **s, size_t *n)
{
    if (node == ALERT_ABSENT || alert_string(&c->doc, node, s, n) != 0 || alert_at(&c->doc, node)->type != ALERT_STR)
        return fail(c, node == ALERT_ABSENT ? 0 : node_offset(c, node), "%s must be a string", what);
    return 0;
}

/* Avro's names: [A-Za-z_][A-Za-z0-9_]*, full names those joined by dots. */
static bool valid_name(const char *s, size_t n, bool dotted)
{
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
        if (ch == '.' && dotted && !start && i + 1 < n) {
            start = true;
            continue;
        }
        if (!letter && (start || ch < '0' || ch > '9'))
            return false;
        start = false;
    }
    return n > 0;
}

/* The full name of a named type (its "name" in namespace ns, or in its own
 * "namespace"), and the namespace of the names inside it. */
static int full_name(compiler *c, uint32_t node, const char *ns, char full[512], char inner_ns[512])
{
    const char *name, *space = ns;
    size_t n, space_n = strlen(ns);
    uint32_t name_node = get(c, node, "name");
    if (name_node == ALERT_ABSENT)
        return fail(c, node_offset(c, node), "a named type needs a \"name\"");
    if (get_str(c, name_node, "\"name\"", &name, &n) != 0)
        return -1;
    if (!valid_name(name, n, true))
        return fail(c, node_offset(c, name_node), "\"%.*s\" is not a valid Avro name", (int)(n < 64 ? n : 64), name);
    uint32_t ns_node = get(c, node, "namespace");
    if (ns_node != ALERT_ABSENT && alert_at(&c->doc, ns_node)->type != ALERT_NULL) {
        if (get_str(c, ns_node, "\"namespace\"", &space, &space_n) != 0)
            return -1;
        if (space_n > 0 && !valid_name(space, space_n, true))
            return fail(c, node_offset(c, ns_node), "\"%.*s\" is not a valid namespace",
                        (int)(space_n < 64 ? space_n : 64), space);
    }
    if (memchr(name, '.', n))
        space_n = 0; /* a dotted name is a full name: the namespace is ignored */
    if (space_n + 1 + n + 1 > 512)
        return fail(c, node_offset(c, name_node), "name too long");
    if (space_n > 0)
        snprintf(full, 512, "%.*s.%.*s", (int)space_n, space, (int)n, name);
    else
        snprintf(full, 512, "%.*s", (int)n, name);
    const char *dot = strrchr(full, '.');
    snprintf(inner_ns, 512, "%.*s", dot ? (int)(dot - full) : 0, full);
    return 0;
}

static uint32_t find_named(const alert_avro_schema *s, const char *name)
{
    for (uint32_t i = AVRO_N_PRIMITIVES; i < s->n_types; i++) {
        const avro_type *t = &s->types[i];
        if ((t->kind == AVRO_RECORD || t->kind == AVRO_ENUM || t->kind == AVRO_FIXED) &&
            strcmp(s->full_names + t->name, name) == 0)
            return i;
    }
    return UINT32_MAX;
}

static int compile(compiler *c, uint32_t node, const char *ns, uint32_t *out);

/* A reference to a named type: resolved at the end, when every source has been read. */
static int compile_reference(compiler *c, uint32_t node, const char *name, size_t n, const char *ns, uint32_t *out)
{
    alert_avro_schema *s = c->s;
    char full[512];
    bool dotted = memchr(name, '.', n) != NULL;
    size_t ns_n = dotted ? 0 : strlen(ns);
    if (!valid_name(name, n, true))
        return fail(c, node_offset(c, node), "unknown type \"%.*s\"", (int)(n < 64 ? n : 64), name);
    if (ns_n + 1 + n + 1 > sizeof full)
        return fail(c, node_offset(c, node), "name too long");
    int len = ns_n ? snprintf(full, sizeof full, "%s.%.*s", ns, (int)n, name) : snprintf(full, sizeof full, "%.*s", (int)n, name);
    uint32_t at = put_text(&s->full_names, &s->full_len, &s->full_cap, full, (size_t)len, true);
    uint32_t alt = ns_n ? put_text(&s->full_names, &s->full_len, &s->full_cap, name, n, true) : UINT32_MAX;
    if (at == UINT32_MAX || (ns_n && alt == UINT32_MAX))
        return fail(c, 0, "out of memory");
    /* Where it is (source, offset), for the message should it not resolve, kept in first and min_size. */
    return new_type(c, (avro_type){.kind = AVRO_REF, .name = at, .alt = alt, .first = c->source,
                                   .min_size = (uint32_t)node_offset(c, node)},
                    out);
}

static int compile_name(compiler *c, uint32_t node, const char *ns, uint32_t *out)
{
    const char *name;
    size_t n;
    alert_string(&c->doc, node, &name, &n);
    for (uint32_t i = 0; i < AVRO_N_PRIMITIVES; i++) {
        if (strlen(primitive_names[i]) == n && memcmp(primitive_names[i], name, n) == 0) {
            *out = i;
            return 0;
        }
    }
    return compile_reference(c, node, name, n, ns, out);
}

static int compile_union(compiler *c, uint32_t node, const char *ns, uint32_t *out)
{
    const alert_node *u = alert_at(&c->doc, node);
    uint32_t n = u->count, first, t;
    if (n == 0)
        return fail(c, node_offset(c, node), "a union needs at least one branch");
    if (reserve_members(c, n, &first) != 0)
        return -1;
    uint32_t e = node + 1;
    for (uint32_t i = 0; i < n; i++, e = alert_at(&c->doc, e)->next) {
        if (alert_at(&c->doc, e)->type == ALERT_LIST)
            return fail(c, node_offset(c, e), "a union cannot hold a union");
        if (compile(c, e, ns, &t) != 0)
            return -1;
        c->s->members[first + i] = (avro_member){.type = t};
        /* Unnamed types may appear once each (named ones are checked once resolved: see check_union). */
        uint8_t kind = c->s->types[t].kind;
        for (uint32_t j = 0; j < i && kind != AVRO_REF && kind != AVRO_RECORD && kind != AVRO_ENUM && kind != AVRO_FIXED; j++)
            if (c->s->types[c->s->members[first + j].type].kind == kind)
                return fail(c, node_offset(c, e), "a union holds two branches of type %s",
                            kind < AVRO_N_PRIMITIVES ? primitive_names[kind] : kind == AVRO_ARRAY ? "array" : "map");
    }
    return new_type(c, (avro_type){.kind = AVRO_UNION, .n = n, .first = first}, out);
}

/* A record's fields or an enum's symbols: names put in the schema's names text. */
static int put_member_name(compiler *c, uint32_t node, const char *what, avro_member *m)
{
    const char *name;
    size_t n;
    if (get_str(c, node, what, &name, &n) != 0)
        return -1;
    if (!valid_name(name, n, false))
        return fail(c, node_offset(c, node), "\"%.*s\" is not a valid Avro name", (int)(n < 64 ? n : 64), name);
    alert_avro_schema *s = c->s;
    m->name = put_text(&s->names, &s->names_len, &s->names_cap, name, n, false);
    m->name_len = (uint32_t)n;
    if (m->name == UINT32_MAX)
        return fail(c, 0, "out of memory");
    return 0;
}

static bool member_name_taken(const alert_avro_schema *s, uint32_t first, uint32_t i)
{
    const avro_member *m = &s->members[first + i];
    for (uint32_t j = 0; j < i; j++) {
        const avro_member *o = &s->members[first + j];
        if (o->name_len == m->name_len && memcmp(s->names + o->name, s->names + m->name, m->name_len) == 0)
            return true;
    }
    return false;
}

static int compile_named(compiler *c, uint32_t node, const char *kind_name, avro_kind kind, const char *ns, uint32_t *out)
{
    alert_avro_schema *s = c->s;
    char full[512], inner[512];
    if (full_name(c, node, ns, full, inner) != 0)
        return -1;
    if (find_named(s, full) != UINT32_MAX)
        return fail(c, node_offset(c, node), "the name \"%s\" is defined twice", full);
    uint32_t name = put_text(&s->full_names, &s->full_len, &s->full_cap, full, strlen(full), true);
    if (name == UINT32_MAX)
        return fail(c, 0, "out of memory");
    uint32_t t;
    /* Registered before its members are compiled: a record may refer to itself. */
    if (new_type(c, (avro_type){.kind = (uint8_t)kind, .name = name}, &t) != 0)
        return -1;
    *out = t;
    if (kind == AVRO_FIXED) {
        uint32_t size = get(c, node, "size");
        int64_t v;
        if (size == ALERT_ABSENT || alert_int(&c->doc, size, &v) != 0 || v < 0 || v > INT32_MAX)
            return fail(c, node_offset(c, size == ALERT_ABSENT ? node : size), "a fixed needs a \"size\" (a count of bytes)");
        s->types[t].n = (uint32_t)v;
        return 0;
    }
    const char *list_key = kind == AVRO_RECORD ? "fields" : "symbols";
    uint32_t list = get(c, node, list_key);
    if (list == ALERT_ABSENT || alert_at(&c->doc, list)->type != ALERT_LIST)
        return fail(c, node_offset(c, list == ALERT_ABSENT ? node : list), "a%s %s needs a \"%s\" list",
                    kind == AVRO_ENUM ? "n" : "", kind_name, list_key);
    uint32_t n = alert_at(&c->doc, list)->count, first;
    if (reserve_members(c, n, &first) != 0)
        return -1;
    s->types[t].n = n;
    s->types[t].first = first;
    uint32_t e = list + 1;
    for (uint32_t i = 0; i < n; i++, e = alert_at(&c->doc, e)->next) {
        avro_member m = {0};
        if (kind == AVRO_ENUM) {
            if (put_member_name(c, e, "a symbol", &m) != 0)
                return -1;
        } else {
            if (alert_at(&c->doc, e)->type != ALERT_DICT)
                return fail(c, node_offset(c, e), "a field must be an object");
            uint32_t type = get(c, e, "type");
            if (put_member_name(c, get(c, e, "name") == ALERT_ABSENT ? e : get(c, e, "name"), "a field's \"name\"", &m) != 0)
                return -1;
            if (type == ALERT_ABSENT)
                return fail(c, node_offset(c, e), "a field needs a \"type\"");
            if (compile(c, type, inner, &m.type) != 0)
                return -1;
        }
        s->members[first + i] = m;
        if (member_name_taken(s, first, i))
            return fail(c, node_offset(c, e), "%s \"%.*s\" appears twice", kind == AVRO_ENUM ? "the symbol" : "the field",
                        (int)m.name_len, s->names + m.name);
    }
    return 0;
}

static int compile_object(compiler *c, uint32_t node, const char *ns, uint32_t *out)
{
    uint32_t type = get(c, node, "type");
    if (type == ALERT_ABSENT)
        return fail(c, node_offset(c, node), "a type object needs a \"type\"");
    uint8_t tt = alert_at(&c->doc, type)->type;
    if (tt != ALERT_STR)
        return compile(c, type, ns, out); /* {"type": {...}} or {"type": [...]} */
    const char *name;
    size_t n;
    alert_string(&c->doc, type, &name, &n);
#define IS(lit) (n == sizeof lit - 1 && memcmp(name, lit, n) == 0)
    if (IS("record") || IS("error"))
        return compile_named(c, node, "record", AVRO_RECORD, ns, out);
    if (IS("enum"))
        return compile_named(c, node, "enum", AVRO_ENUM, ns, out);
    if (IS("fixed"))
        return compile_named(c, node, "fixed", AVRO_FIXED, ns, out);
    if (IS("array") || IS("map")) {
        bool array = IS("array");
        uint32_t item = get(c, node, array ? "items" : "values"), t;
        if (item == ALERT_ABSENT)
            return fail(c, node_offset(c, node), array ? "an array needs \"items\"" : "a map needs \"values\"");
        if (compile(c, item, ns, &t) != 0)
            return -1;
        return new_type(c, (avro_type){.kind = array ? AVRO_ARRAY : AVRO_MAP, .item = t}, out);
    }
#undef IS
    return compile_name(c, type, ns, out); /* a primitive with attributes (a logical type), or a reference */
}

static int compile(compiler *c, uint32_t node, const char *ns, uint32_t *out)
{
    switch (alert_at(&c->doc, node)->type) {
    case ALERT_STR:
        return compile_name(c, node, ns, out);
    case ALERT_LIST:
        return compile_union(c, node, ns, out);
    case ALERT_DICT:
        return compile_object(c, node, ns, out);
    default:
        return fail(c, node_offset(c, node), "a type must be a name, an object or a union (a list), found %s",
                    alert_type_name(alert_at(&c->doc, node)->type));
    }
}

/* The type a REF names, following REF chains; UINT32_MAX when nothing has the name. */
static uint32_t resolve(const alert_avro_schema *s, uint32_t t)
{
    const avro_type *r = &s->types[t];
    if (r->kind != AVRO_REF)
        return t;
    uint32_t found = find_named(s, s->full_names + r->name);
    if (found == UINT32_MAX && r->alt != UINT32_MAX)
        found = find_named(s, s->full_names + r->alt);
    return found;
}

static int resolve_all(compiler *c)
{
    alert_avro_schema *s = c->s;
    for (uint32_t i = 0; i < s->n_types; i++) {
        avro_type *t = &s->types[i];
        if (t->kind == AVRO_REF && resolve(s, i) == UINT32_MAX) {
            c->source_name = c->sources[t->first].name ? c->sources[t->first].name : "schema";
            return fail(c, t->min_size, "unknown type \"%s\"", s->full_names + t->name);
        }
    }
    for (uint32_t i = 0; i < s->n_types; i++) {
        avro_type *t = &s->types[i];
        if (t->kind == AVRO_ARRAY || t->kind == AVRO_MAP)
            t->item = resolve(s, t->item);
        if (t->kind == AVRO_RECORD || t->kind == AVRO_UNION)
            for (uint32_t j = 0; j < t->n; j++)
                s->members[t->first + j].type = resolve(s, s->members[t->first + j].type);
    }
    s->root = resolve(s, s->root);
    return 0;
}

/* Two branches of one union naming the same type, found once references are resolved. */
static int check_unions(compiler *c)
{
    alert_avro_schema *s = c->s;
    for (uint32_t i = 0; i < s->n_types; i++) {
        const avro_type *t = &s->types[i];
        if (t->kind != AVRO_UNION)
            continue;
        for (uint32_t j = 0; j < t->n; j++) {
            uint32_t a = s->members[t->first + j].type;
            if (s->types[a].kind == AVRO_UNION) {
                c->source_name = "schema";
                return fail(c, 0, "a union cannot hold a union");
            }
            for (uint32_t k = 0; k < j; k++) {
                if (s->members[t->first + k].type == a && a >= AVRO_N_PRIMITIVES) {
                    c->source_name = "schema";
                    return fail(c, 0, "a union holds \"%s\" twice", s->full_names + s->types[a].name);
                }
            }
        }
    }
    return 0;
}

/* The fewest bytes each type's value takes, to a fixed point (records may
 * refer to themselves: a bound that is too low is still a bound). */
static void min_sizes(alert_avro_schema *s)
{
    static const uint32_t primitive[AVRO_N_PRIMITIVES] = {0, 1, 1, 1, 4, 8, 1, 1};
    for (uint32_t i = 0; i < s->n_types; i++) {
        avro_type *t = &s->types[i];
        t->min_size = t->kind < AVRO_N_PRIMITIVES ? primitive[t->kind] : t->kind == AVRO_FIXED ? t->n : 1;
        if (t->kind == AVRO_RECORD)
            t->min_size = 0;
    }
    for (int round = 0; round < 64; round++) {
        bool changed = false;
        for (uint32_t i = 0; i < s->n_types; i++) {
            avro_type *t = &s->types[i];
            uint64_t m = t->min_size;
            if (t->kind == AVRO_RECORD) {
                m = 0;
                for (uint32_t j = 0; j < t->n; j++)
                    m += s->types[s->members[t->first + j].type].min_size;
            } else if (t->kind == AVRO_UNION) {
                uint64_t least = UINT32_MAX;
                for (uint32_t j = 0; j < t->n; j++)
                    if (s->types[s->members[t->first + j].type].min_size < least)
                        least = s->types[s->members[t->first + j].type].min_size;
                m = 1 + least;
            }
            if (m > UINT32_MAX / 2)
                m = UINT32_MAX / 2;
            if (m != t->min_size) {
                t->min_size = (uint32_t)m;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
}

int alert_avro_schema_compile(const alert_avro_source *sources, size_t n, const char *root, alert_avro_schema **out,
                              alert_error *err)
{
    *out = NULL;
    alert_avro_schema *s = calloc(1, sizeof *s);
    compiler c = {.s = s, .err = err, .source_name = "schema", .sources = sources};
    alert_doc_init(&c.doc);
    if (!s)
        return fail(&c, 0, "out of memory");
    int rc = 0;
    for (uint32_t i = 0; i < AVRO_N_PRIMITIVES && rc == 0; i++) {
        uint32_t t;
        rc = new_type(&c, (avro_type){.kind = (uint8_t)i}, &t);
    }
    if (n == 0 && rc == 0)
        rc = fail(&c, 0, "no schema given");
    for (size_t i = 0; i < n && rc == 0; i++) {
        c.source_name = sources[i].name ? sources[i].name : "schema";
        c.source = (uint32_t)i;
        alert_error json_err;
        if (alert_parse(&c.doc, sources[i].text, sources[i].len, ALERT_FORMAT_JSON, &json_err) != 0) {
            const char *why = strstr(json_err.msg, ": "); /* past read.c's own "offset N: " */
            rc = fail(&c, json_err.offset, "not JSON: %s", why ? why + 2 : json_err.msg);
            break;
        }
        rc = compile(&c, 0, "", &s->root);
    }
    if (rc == 0)
        rc = resolve_all(&c);
    if (rc == 0 && root) {
        s->root = find_named(s, root);
        if (s->root == UINT32_MAX) {
            c.source_name = "schema";
            rc = fail(&c, 0, "no type is named \"%s\"", root);
        }
    }
    if (rc == 0)
        rc = check_unions(&c);
    alert_doc_free(&c.doc);
    if (rc != 0) {
        alert_avro_schema_free(s);
        return -1;
    }
    min_sizes(s);
    *out = s;
    return 0;
}

void alert_avro_schema_free(alert_avro_schema *s)
{
    if (!s)
        return;
    free(s->types);
    free(s->members);
    free(s->names);
    free(s->full_names);
    free(s);
}

const char *alert_avro_schema_name(const alert_avro_schema *s)
{
    const avro_type *t = &s->types[s->root];
    if (t->kind == AVRO_RECORD || t->kind == AVRO_ENUM || t->kind == AVRO_FIXED)
        return s->full_names + t->name;
    static const char *const other[] = {[AVRO_ARRAY] = "array", [AVRO_MAP] = "map", [AVRO_UNION] = "union"};
    return t->kind < AVRO_N_PRIMITIVES ? primitive_names[t->kind] : other[t->kind];
}
