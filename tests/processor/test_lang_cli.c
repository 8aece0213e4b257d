/* tests/processor/test_lang_cli.c — the language features seen from the
 * command line ($ALERTFILTER_BIN): a rule's `drop` in what eval writes,
 * definitions reported by check, eval --explain: exact stdout, stderr, status. */
#include "tests/processor/cli_run.h"

/* Writes text to a new temporary file; returns its path (to unlink and free). */
static char *temp_text(const char *text) { return temp_file(text, strlen(text)); }

static void expect_run(result r, int status, const char *out, const char *err)
{
    cr_expect_eq(r.status, status);
    cr_expect_str_eq(r.out, out);
    cr_expect_str_eq(r.err, err);
    result_free(&r);
}

static void drop_file(char *path)
{
    unlink(path);
    free(path);
}

Test(drop, rules_publish_without_their_dropped_keys, .timeout = 10)
{
    char *cfg = temp_text(
        "rules = (\n"
        "  { name = \"light\"; topic = \"t1\"; where = \"candidate.rb > 0.5\";\n"
        "    drop = [ \"cutoutScience\", \"cutoutTemplate\", \"candidate.magzpsci\", \"nosuch\" ]; },\n"
        "  { name = \"full\"; topic = \"t2\"; where = \"candidate.rb > 0.5\"; },\n"
        "  { name = \"alike\"; topic = \"t3\"; where = \"exists(cutoutScience)\";\n"
        "    drop = [ \"cutoutScience\", \"cutoutTemplate\", \"candidate.magzpsci\", \"nosuch\" ]; },\n"
        "  { name = \"other\"; topic = \"t4\"; where = \"true\"; drop = [ \"a\" ]; }\n"
        ");\n");
    char *in = temp_text("{'a': 1, 'cutoutScience': {'stampData': b'xx'}, 'candidate': {'rb': 0.7, 'magzpsci': "
                         "26.1}, 'cutoutTemplate': None}\n"
                         "{\"a\": 2, \"candidate\": {\"rb\": 0.1}}\n");
    /* The rule still sees the whole alert: `alike` reads cutoutScience, which it drops. */
    expect_run(RUN(NULL, "eval", "-c", cfg, in), 0,
               "t1\t{\"a\":1,\"candidate\":{\"rb\":0.7}}\n"
               "t2\t{\"a\":1,\"cutoutScience\":{\"stampData\":\"eHg=\"},\"candidate\":{\"rb\":0.7,\"magzpsci\":26.1},"
               "\"cutoutTemplate\":null}\n"
               "t3\t{\"a\":1,\"candidate\":{\"rb\":0.7}}\n"
               "t4\t{\"cutoutScience\":{\"stampData\":\"eHg=\"},\"candidate\":{\"rb\":0.7,\"magzpsci\":26.1},"
               "\"cutoutTemplate\":null}\n"
               "t4\t{\"candidate\":{\"rb\":0.1}}\n",
               "");
    drop_file(cfg);
    drop_file(in);
}

Test(drop, paths_are_checked, .timeout = 10)
{
    char *cfg = temp_text("rules = ( { name = \"r\"; topic = \"t\"; where = \"true\";\n"
                          "  drop = [ \"a..b\", \"prv_candidates[0]\" ]; },\n"
                          "  { name = \"s\"; topic = \"t\"; where = \"true\"; drop = \"a\"; } );\n");
    char want[1000];
    snprintf(want, sizeof want,
             "%s:2: 'rules[0].drop[0]': \"a..b\" is not a valid path: offset 2: empty key\n"
             "%s:2: 'rules[0].drop[1]': \"prv_candidates[0]\" ends in an index: drop takes keys "
             "(\"cutoutScience\", \"candidate.magzpsci\")\n"
             "%s:3: 'rules[1].drop' must be an array of strings, not a string\n"
             "%s: 3 errors\n",
             cfg, cfg, cfg, cfg);
    result r = RUN(NULL, "check", "-c", cfg);
    cr_expect_eq(r.status, 1);
    cr_expect_str_eq(r.err, want);
    result_free(&r);
    drop_file(cfg);
}
