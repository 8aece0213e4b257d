/* tests/alert/test_write_drop.c — alert_write_json_dropping: the JSON of an
 * alert without the dict entries of given nodes, from Python and JSON input,
 * compact or not: exact text. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"

/* The JSON of text without the entries at the paths of drops (comma-separated). */
static char *dropped(const char *text, const char *drops)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error err;
    cr_assert_eq(alert_parse(&doc, text, strlen(text), ALERT_FORMAT_AUTO, &err), 0, "%s", err.msg);
    uint32_t nodes[8];
    size_t n = 0;
    char *list = strdup(drops);
    for (char *p = strtok(list, ","); p; p = strtok(NULL, ",")) {
        alert_path path;
        cr_assert_eq(alert_path_parse(p, strlen(p), &path, &err), 0);
        nodes[n++] = alert_lookup(&doc, 0, path.steps, path.n);
        alert_path_free(&path);
    }
    free(list);
    alert_buf out = {0};
    cr_assert_eq(alert_write_json_dropping(&doc, 0, nodes, n, &out), 0);
    char *s = strndup(out.data, out.len);
    alert_buf_free(&out);
    alert_doc_free(&doc);
    return s;
}

static void expect(const char *text, const char *drops, const char *want)
{
    char *got = dropped(text, drops);
    cr_expect_str_eq(got, want, "%s without %s", text, drops);
    free(got);
}

Test(write_drop, top_level_keys_and_dotted_paths)
{
    const char *py = "{'a': 1, 'cutoutScience': {'stampData': b'xx'}, 'candidate': {'rb': 0.7, 'magzpsci': 26.1, "
                     "'x': {'y': 1, 'z': [1, 2]}}, 'cutoutTemplate': None, 'prv': [{'a': 1}, None]}";
    expect(py, "cutoutScience,cutoutTemplate",
           "{\"a\":1,\"candidate\":{\"rb\":0.7,\"magzpsci\":26.1,\"x\":{\"y\":1,\"z\":[1,2]}},\"prv\":[{\"a\":1},null]}");
    expect(py, "candidate.magzpsci,candidate.x.y",
           "{\"a\":1,\"cutoutScience\":{\"stampData\":\"eHg=\"},\"candidate\":{\"rb\":0.7,\"x\":{\"z\":[1,2]}},"
           "\"cutoutTemplate\":null,\"prv\":[{\"a\":1},null]}");
    /* an entry inside a list's element, and every entry of a dict */
    expect(py, "prv[0].a,candidate", "{\"a\":1,\"cutoutScience\":{\"stampData\":\"eHg=\"},\"cutoutTemplate\":null,"
                                     "\"prv\":[{},null]}");
    expect(py, "a,cutoutScience,candidate,cutoutTemplate,prv", "{}");
}

Test(write_drop, missing_paths_drop_nothing)
{
    const char *json = "{\"a\": 1, \"b\": {\"c\": [1, 2]}}";
    expect(json, "nosuch,b.c.d,a.b", "{\"a\":1,\"b\":{\"c\":[1,2]}}");
    expect(json, "b.c", "{\"a\":1,\"b\":{}}");
    /* compact JSON (copied as it is when nothing is dropped) */
    expect("{\"a\":1,\"b\":{\"c\":\"x\\u00e9\",\"d\":2}}", "b.d", "{\"a\":1,\"b\":{\"c\":\"x\\u00e9\"}}");
}

Test(write_drop, keys_that_are_not_strings)
{
    expect("{1: 'one', 'k': {2.5: True, None: 0, 'z': 1}}", "k.z", "{\"1\":\"one\",\"k\":{\"2.5\":true,\"null\":0}}");
}
