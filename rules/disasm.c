/* rules/disasm.c — the disassembler: a program printed one instruction per
 * line with its operand explained, like SQLite's EXPLAIN. */
#include <stdlib.h>
#include <string.h>

#include "rules/internal.h"

/* Shortest text that reads back as the same double, Python-style ("5.0", "3.631e-05"). */
static void print_double(FILE *out, double d)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    fputs(buf, out);
    if (!strpbrk(buf, ".eni"))
        fputs(".0", out);
}

void rule_print_string(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

void rule_print_value(FILE *out, const alert_doc *doc, const rule_value *v)
{
    switch ((rule_vtype)v->t) {
    case RV_NULL:
        fputs("null", out);
        break;
    case RV_BOOL:
        fputs(v->u.i ? "true" : "false", out);
        break;
    case RV_INT:
        fprintf(out, "%lld", (long long)v->u.i);
        break;
    case RV_FLOAT:
        print_double(out, v->u.d);
        break;
    case RV_STR:
        rule_print_string(out, v->u.s, v->n);
        break;
    case RV_NODE: {
        if (!doc) {
            fprintf(out, "node %u", v->n);
            break;
        }
        const alert_node *n = alert_at(doc, v->n);
        const char *kind = n->type == ALERT_DICT ? "a dict" : n->type == ALERT_BYTES ? "bytes" : "a list";
        fprintf(out, "%s of %u", kind, n->type == ALERT_BYTES ? n->len : n->count);
        break;
    }
    }
}

static void print_insn(const rule_program *p, const rule_paths *ps, uint32_t pc, const rule_insn *in, FILE *out)
{
    rule_arg_kind kind = rule_op_kind[in->op];
    if (kind == RULE_ARG_NONE || kind == RULE_ARG_YIELD) {
        fprintf(out, "%4u  %s\n", pc, rule_op_name[in->op]);
        return;
    }
    fprintf(out, "%4u  %-10s %d", pc, rule_op_name[in->op], in->arg);
    switch (kind) {
    case RULE_ARG_CONST:
        fputs("  ; ", out);
        rule_print_value(out, NULL, &p->consts[in->arg]);
        break;
    case RULE_ARG_PATH:
        fprintf(out, "  ; %s", ps->items[in->arg].text);
        break;
    case RULE_ARG_ELEM:
        fprintf(out, "  ; %s", p->rels[in->arg].text);
        break;
    case RULE_ARG_PATH_CONST:
    case RULE_ARG_ELEM_CONST:
        fprintf(out, " %u  ; %s, ", in->b,
                kind == RULE_ARG_PATH_CONST ? ps->items[in->arg].text : p->rels[in->arg].text);
        rule_print_value(out, NULL, &p->consts[in->b]);
        break;
    case RULE_ARG_RESULT:
        fprintf(out, "  ; %s", in->arg ? "match" : "no match");
        break;
    case RULE_ARG_DEF:
        fprintf(out, "  ; $%s", p->defs[in->arg].name);
        break;
    case RULE_ARG_SET:
        fprintf(out, "  ; %u constants, hashed", rule_inset_count(p->sets[in->arg]));
        break;
    case RULE_ARG_WATCH: {
        const char *name = rule_watch_name(p->watch, in->op, in->arg);
        fputs("  ; ", out);
        rule_print_string(out, name, strlen(name));
        break;
    }
    default:
        break;
    }
    fputc('\n', out);
}

void rule_program_disasm(const rule_program *p, const rule_paths *ps, FILE *out)
{
    fprintf(out, "%s %s: %s\n", p->value ? "definition" : "rule", p->name, p->where);
    for (uint32_t s = 0; s < p->n_segs; s++) {
        if (s == 0)
            fputs("main:\n", out);
        else
            fprintf(out, "%s %u (for each @):\n", p->segs[s].yields ? "expression" : "predicate", s);
        for (uint32_t pc = 0; pc < p->segs[s].n_code; pc++)
            print_insn(p, ps, pc, &p->segs[s].code[pc], out);
    }
}
