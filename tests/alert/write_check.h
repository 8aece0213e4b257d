/* tests/alert/write_check.h — what the writer's tests share: one doc and one
 * output buffer per test, and exact checks of the JSON written for a node.
 * Included (static functions), so the Makefile does not build it alone; each
 * test file names its suite with .init = setup, .fini = teardown. */
#ifndef WRITE_CHECK_H
#define WRITE_CHECK_H

#include <criterion/criterion.h>
#include <string.h>

#include "alert/alert.h"

static alert_doc doc;
static alert_buf out;

static void setup(void) { alert_doc_init(&doc); }
static void teardown(void)
{
    alert_buf_free(&out);
    alert_doc_free(&doc);
}

static void parse_n(const char *text, size_t n, alert_format fmt)
{
    alert_error err = {0};
    cr_assert_eq(alert_parse(&doc, text, n, fmt, &err), 0, "%.*s: %s", (int)n, text, err.msg);
}

static void expect_written(uint32_t node, const char *json)
{
    out.len = 0;
    cr_assert_eq(alert_write_json(&doc, node, &out), 0);
    cr_assert(out.len == strlen(json) && memcmp(out.data, json, out.len) == 0,
              "node %u of %.*s%s: got %.*s, want %s", node, (int)doc.len, doc.src,
              doc.canonical ? " (canonical)" : "", (int)out.len, out.data, json);
}

/* Writes node of the doc read last and checks the JSON exactly; for a
 * canonical doc (see alert_doc), both from its source and node by node. */
static void expect_node(uint32_t node, const char *json)
{
    expect_written(node, json);
    if (doc.canonical) {
        doc.canonical = false;
        expect_written(node, json);
        doc.canonical = true;
    }
}

/* The tokens joined into text, with extra before token gap (after the last
 * when gap == n) and sep after each ',' and ':' token. Inline: not every test uses it. */
static inline void join_tokens(char *text, const char *const *tokens, size_t n, size_t gap, const char *extra,
                               const char *sep)
{
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i == gap)
            strcat(text, extra);
        strcat(text, tokens[i]);
        if (strcmp(tokens[i], ",") == 0 || strcmp(tokens[i], ":") == 0)
            strcat(text, sep);
    }
    if (gap == n)
        strcat(text, extra);
}

/* Reads text as fmt and checks the JSON written for its root. */
static void expect_json(const char *text, alert_format fmt, const char *json)
{
    parse_n(text, strlen(text), fmt);
    expect_node(0, json);
}

#endif
