/* processor/config_log.c — the effective configuration: its lines in the log
 * (secrets masked) and which top-level settings differ between two of them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "processor/config_internal.h"
#include "processor/log.h"

static bool is_secret(const char *name)
{
    static const char *const marks[] = {"password", "secret", ".pem", "oauthbearer.config", "credentials"};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(name, marks[i]))
            return true;
    size_t n = strlen(name);
    return n >= 3 && !strcmp(name + n - 3, "key");
}

static void append_field(char *buf, size_t cap, const char *key, const char *value)
{
    char quoted[1024];
    size_t len = strlen(buf);
    snprintf(buf + len, cap - len, "%s%s=%s", len ? " " : "", key, proc_log_quote(value, quoted, sizeof quoted));
}

/* Appends members' settings to buf as key=value; secret values as *** when masked. */
static void format_members(const spec *members, const void *base, char *buf, size_t cap, bool masked,
                           const char *prefix)
{
    for (const spec *sp = members; sp->name; sp++) {
        char name[128];
        snprintf(name, sizeof name, "%s%s", prefix, sp->name);
        const char *field = (const char *)base + sp->off;
        char num[64] = "";
        switch (sp->kind) {
        case K_STRING: {
            char url[1024];
            const char *v = *(char *const *)field ? *(char *const *)field : "";
            append_field(buf, cap, name, masked ? proc_log_mask_url(v, url, sizeof url) : v);
            break;
        }
        case K_ENUM:
        case K_INT: {
            int64_t v = 0;
            if (sp->width == sizeof(int32_t)) {
                int32_t x;
                memcpy(&x, field, sizeof x);
                v = x;
            } else {
                memcpy(&v, field, sizeof v);
            }
            if (sp->kind == K_ENUM)
                append_field(buf, cap, name, sp->choices[v]);
            else {
                snprintf(num, sizeof num, "%lld", (long long)v);
                append_field(buf, cap, name, num);
            }
            break;
        }
        case K_STRINGS: {
            char joined[1024] = "";
            char *const *items = *(char **const *)field;
            size_t n = *(const size_t *)((const char *)base + sp->off2);
            for (size_t i = 0; i < n; i++)
                snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", i ? "," : "", items[i]);
            append_field(buf, cap, name, joined);
            break;
        }
        case K_PROPS: {
            const proc_kvs *kvs = (const proc_kvs *)field;
            for (size_t i = 0; i < kvs->n; i++) {
                char key[300];
                snprintf(key, sizeof key, "%s.%s", name, kvs->items[i].name);
                append_field(buf, cap, key, masked && is_secret(kvs->items[i].name) ? "***" : kvs->items[i].value);
            }
            break;
        }
        case K_FLOAT:
            snprintf(num, sizeof num, "%.17g", *(const double *)field);
            append_field(buf, cap, sp->name, num);
            break;
        case K_LIST:
        case K_NAMED: /* definitions: only when there are some */
            snprintf(num, sizeof num, "%zu", *(const size_t *)((const char *)base + sp->off2));
            if (sp->kind == K_LIST || strcmp(num, "0"))
                append_field(buf, cap, name, num);
            break;
        case K_GROUP: /* nested, as input.avro: NAME.KEY=VALUE on the enclosing group's line, when present */
            if (sp->off2 == NO_OFF || *(const bool *)((const char *)base + sp->off2)) {
                char nested[160];
                snprintf(nested, sizeof nested, "%s.", name);
                format_members(sp->members, base, buf, cap, masked, nested);
            }
            break;
        }
    }
}

/* One line per group, so that a long list of properties never overflows a line. */
void proc_config_log(const proc_config *cfg)
{
    char buf[3500] = "";
    append_field(buf, sizeof buf, "file", cfg->file);
    for (const spec *sp = proc_config_settings; sp->name; sp++)
        if (sp->kind != K_GROUP)
            format_members((const spec[]){*sp, {0}}, cfg, buf, sizeof buf, true, "");
    proc_log(PROC_LOG_INFO, "config", "%s", buf);
    for (const spec *sp = proc_config_settings; sp->name; sp++) {
        if (sp->kind != K_GROUP || (sp->off2 != NO_OFF && !*(const bool *)((const char *)cfg + sp->off2)))
            continue;
        snprintf(buf, sizeof buf, "section=%s", sp->name);
        format_members(sp->members, cfg, buf, sizeof buf, true, "");
        proc_log(PROC_LOG_INFO, "config", "%s", buf);
    }
}

/* A top-level setting of cfg (a group's members) as key=value text, secrets
 * included; an absent optional group as "". */
static void format_setting(const spec *sp, const proc_config *cfg, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (sp->kind != K_GROUP)
        format_members((const spec[]){*sp, {0}}, cfg, buf, cap, false, "");
    else if (sp->off2 == NO_OFF || *(const bool *)((const char *)cfg + sp->off2))
        format_members(sp->members, cfg, buf, cap, false, "");
}

size_t proc_config_changed(const proc_config *a, const proc_config *b, char *names, size_t cap)
{
    size_t n = 0;
    if (cap)
        names[0] = '\0';
    for (const spec *sp = proc_config_settings; sp->name; sp++) {
        char x[3500], y[3500];
        if (sp->kind == K_LIST || sp->kind == K_NAMED) /* the rules and their definitions */
            continue;
        format_setting(sp, a, x, sizeof x);
        format_setting(sp, b, y, sizeof y);
        if (strcmp(x, y) == 0)
            continue;
        if (cap)
            snprintf(names + strlen(names), cap - strlen(names), "%s%s", n ? "," : "", sp->name);
        n++;
    }
    return n;
}
