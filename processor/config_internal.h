/* processor/config_internal.h — what the files of the configuration share: the
 * table of settings (config_table.c), the loader's state, and what config.c asks of config_source.c. */
#ifndef PROC_CONFIG_INTERNAL_H
#define PROC_CONFIG_INTERNAL_H

#include <libconfig.h>
#include <stddef.h>
#include <stdint.h>

#include "processor/config.h"

/* ---- the table of settings ---- */

typedef enum {
    K_STRING,  /* char * */
    K_ENUM,    /* an enum, written as one of `choices` */
    K_INT,     /* an integer field of `width` bytes, within [min, max] */
    K_FLOAT,   /* a double, written as a float or an integer; NAN when absent */
    K_STRINGS, /* char ** at off, size_t count at off2 */
    K_PROPS,   /* proc_kvs: librdkafka properties */
    K_GROUP,   /* a group of `members`; bool at off2 says it was present */
    K_LIST,    /* a list of groups of `members`: array at off, count at off2, `width` bytes each */
    K_NAMED,   /* a group of NAME = "string" of any names: proc_rule_cfg array at off (name, where), count at off2 */
} kind;

enum { REQUIRED = 1, NONEMPTY = 2 };
#define NO_OFF SIZE_MAX

/* Checks a string value; returns 0, or -1 with the reason in why. */
typedef int (*validator)(const char *value, char *why, size_t cap);

typedef struct spec spec;
struct spec {
    const char *name;
    kind kind;
    size_t off, off2, width;
    long long def, min, max;
    const char *def_str;
    const char *const *choices;
    validator check;
    const spec *members; /* terminated by a NULL name */
    unsigned flags;
};

/* The top-level settings; groups and lists reach theirs through `members`. */
extern const spec proc_config_settings[];

/* ---- the loader ---- */

typedef struct {
    const char *file;
    proc_diags *diags;
    char *text;       /* the bytes of text_file, read when a rule's column is needed */
    const char *text_file;
    size_t *line_at;  /* line_at[i]: offset in text of line i + 1 (100,000 rules: no rescans) */
    size_t n_lines;
    char **kafka_names; /* librdkafka's property names, read on the first misspelt one */
    size_t n_kafka_names;
} loader;

static inline const char *file_of(const loader *L, const config_setting_t *s)
{
    const char *f = config_setting_source_file(s);
    return f ? f : L->file;
}

#define DIAG(L, s, fmt, ...) \
    proc_diags_add((L)->diags, "%s:%d: " fmt, file_of(L, s), config_setting_source_line(s), __VA_ARGS__)

/* prefix.name, or name at the top level (malloc'd; NULL when out of memory). */
char *proc_config_join(const char *prefix, const char *name);

/* ---- where a setting is written (config_source.c) ---- */

/* The integer s as written; LLONG_MIN or LLONG_MAX when out of range. */
long long proc_config_written_int(loader *L, const config_setting_t *s);
/* where: the nth setting of that name on its line. */
void proc_config_locate_where(loader *L, const config_setting_t *where, proc_rule_cfg *rule, int nth);
void proc_config_locate_rules(loader *L, const config_t *lc, proc_config *cfg);
void proc_config_locate_sky(const config_t *lc, const char *name, proc_sky_cfg *items, size_t n);
/* An unknown setting s among members, with the closest known name if any. */
void proc_config_diag_unknown(loader *L, const config_setting_t *s, const spec *members, const char *prefix);
/* A property librdkafka refused, with the closest name it knows when unknown. */
void proc_config_diag_kafka_property(loader *L, const config_setting_t *e, const char *path, const char *name,
                                     const char *errstr, int unknown);
/* Frees what the loader read of the files' text and librdkafka's names. */
void proc_config_loader_free(loader *L);

#endif
