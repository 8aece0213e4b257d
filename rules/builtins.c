/* rules/builtins.c — the builtin functions: their names and arities for the
 * parser, and what each computes. */
#include <math.h>
#include <string.h>

#include "rules/internal.h"
#include "sky/sky.h"

static const rule_builtin builtins[] = {
    {"exists", RULE_OP_NOTNULL, 1, RULE_BI_PATH},   {"len", RULE_OP_LEN, 1, RULE_BI_PLAIN},
    {"abs", RULE_OP_ABS, 1, RULE_BI_PLAIN},         {"sqrt", RULE_OP_SQRT, 1, RULE_BI_PLAIN},
    {"log10", RULE_OP_LOG10, 1, RULE_BI_PLAIN},     {"min", RULE_OP_MIN, 2, RULE_BI_MINMAX},
    {"max", RULE_OP_MAX, 2, RULE_BI_MINMAX},        {"startswith", RULE_OP_STARTSWITH, 2, RULE_BI_PLAIN},
    {"angsep", RULE_OP_ANGSEP, 4, RULE_BI_PLAIN},   {"cone", RULE_OP_CONE, 5, RULE_BI_PLAIN},
    {"any", RULE_OP_ANY, 2, RULE_BI_QUANT},         {"all", RULE_OP_ALL, 2, RULE_BI_QUANT},
    {"count", RULE_OP_COUNTIF, 2, RULE_BI_QUANT},   {"sum", RULE_OP_SUMOF, 2, RULE_BI_QUANT},
    {"mean", RULE_OP_MEANOF, 2, RULE_BI_QUANT},
    {"galactic_l", RULE_OP_GALL, 2, RULE_BI_PLAIN}, {"galactic_b", RULE_OP_GALB, 2, RULE_BI_PLAIN},
    {"watchlist", RULE_OP_WATCHLIST, 3, RULE_BI_WATCH}, {"watchmap", RULE_OP_WATCHMAP, 3, RULE_BI_WATCH},
};

const rule_builtin *rule_builtin_find(const char *name, size_t len)
{
    for (size_t k = 0; k < sizeof builtins / sizeof builtins[0]; k++)
        if (strlen(builtins[k].name) == len && memcmp(builtins[k].name, name, len) == 0)
            return &builtins[k];
    return NULL;
}


double rule_angsep(double ra1, double dec1, double ra2, double dec2) { return sky_angsep(ra1, dec1, ra2, dec2); }

/* galactic_l/galactic_b: null unless both are numbers and dec is in [-90, 90]. */
static rule_value builtin_galactic(rule_opcode op, const rule_value *ra, const rule_value *dec)
{
    if (!rule_is_num(ra) || !rule_is_num(dec))
        return rule_null();
    double r = rule_as_double(ra), d = rule_as_double(dec), l, b;
    if (!isfinite(r) || !(fabs(d) <= 90))
        return rule_null();
    sky_galactic(r, d, &l, &b);
    return rule_float(op == RULE_OP_GALL ? l : b);
}

/* Python's min/max: the first argument unless the second is strictly beyond it. */
static rule_value builtin_minmax(const rule_value *a, const rule_value *b, int beyond)
{
    if (!rule_is_num(a) || !rule_is_num(b))
        return rule_null();
    return rule_num_cmp(b, a) == beyond ? *b : *a;
}

static rule_value builtin_startswith(const rule_value *s, const rule_value *prefix)
{
    if (s->t != RV_STR || prefix->t != RV_STR)
        return rule_bool(false);
    return rule_bool(prefix->n <= s->n && (prefix->n == 0 || memcmp(s->u.s, prefix->u.s, prefix->n) == 0));
}

/* angsep/cone: null (cone: false) unless every argument is a number. */
static rule_value builtin_sky(rule_opcode op, const rule_value *args)
{
    int argc = op == RULE_OP_CONE ? 5 : 4;
    for (int k = 0; k < argc; k++)
        if (!rule_is_num(&args[k]))
            return op == RULE_OP_CONE ? rule_bool(false) : rule_null();
    double ra = rule_as_double(&args[0]), dec = rule_as_double(&args[1]), ra0 = rule_as_double(&args[2]), dec0 = rule_as_double(&args[3]);
    if (op == RULE_OP_ANGSEP)
        return rule_float(rule_angsep(ra, dec, ra0, dec0));
    return rule_bool(rule_in_cone(ra, dec, ra0, dec0, rule_as_double(&args[4])));
}

rule_value rule_builtin_call(alert_doc *doc, rule_opcode op, const rule_value *args)
{
    switch (op) {
    case RULE_OP_LEN:
        return rule_len(doc, &args[0]);
    case RULE_OP_ABS:
        return rule_abs(&args[0]);
    case RULE_OP_SQRT:
        return rule_is_num(&args[0]) && rule_as_double(&args[0]) >= 0 ? rule_float(sqrt(rule_as_double(&args[0]))) : rule_null();
    case RULE_OP_LOG10:
        return rule_is_num(&args[0]) && rule_as_double(&args[0]) > 0 ? rule_float(log10(rule_as_double(&args[0]))) : rule_null();
    case RULE_OP_MIN:
        return builtin_minmax(&args[0], &args[1], -1);
    case RULE_OP_MAX:
        return builtin_minmax(&args[0], &args[1], 1);
    case RULE_OP_STARTSWITH:
        return builtin_startswith(&args[0], &args[1]);
    case RULE_OP_GALL:
    case RULE_OP_GALB:
        return builtin_galactic(op, &args[0], &args[1]);
    default:
        return builtin_sky(op, args);
    }
}
