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

/* ---- definitions ---- */

static const char BAD_DEFS[] = "definitions = {\n"
                               "  a = \"$b and candidate.rb > 0.5\";\n"
                               "  b = \"$a\";\n"
                               "  c = \"$nosuch or x > > 1\";\n"
                               "  bad-name = \"1\";\n"
                               "  d = 5;\n"
                               "};\n"
                               "rules = (\n"
                               "  { name = \"r\"; topic = \"t\"; where = \"$a or $c or $zz\"; }\n"
                               ");\n";

Test(definitions, every_error_with_file_line_column, .timeout = 10)
{
    char *cfg = temp_text(BAD_DEFS);
    char *want = NULL;
    cr_assert(asprintf(&want,
                       "%1$s:5: 'definitions.bad-name': a definition's name has only letters, digits and _ (rules "
                       "read it as $NAME)\n"
                       "%1$s:6: 'definitions.d' must be a string, not an integer\n"
                       "%1$s:2:8: definition 'a': '$b' has errors\n"
                       "    a = \"$b and candidate.rb > 0.5\"\n"
                       "         ^~\n"
                       "%1$s:3:8: definition 'b': definitions in a cycle: $a -> $b -> $a\n"
                       "    b = \"$a\"\n"
                       "         ^~\n"
                       "%1$s:4:8: definition 'c': unknown definition '$nosuch'\n"
                       "    c = \"$nosuch or x > > 1\"\n"
                       "         ^~~~~~~\n"
                       "%1$s:4:23: definition 'c': expected an expression, found '>'\n"
                       "    c = \"$nosuch or x > > 1\"\n"
                       "                        ^\n"
                       "%1$s:9:39: rule 'r': '$a' has errors\n"
                       "    where = \"$a or $c or $zz\"\n"
                       "             ^~\n"
                       "%1$s:9:45: rule 'r': '$c' has errors\n"
                       "    where = \"$a or $c or $zz\"\n"
                       "                   ^~\n"
                       "%1$s:9:51: rule 'r': unknown definition '$zz'\n"
                       "    where = \"$a or $c or $zz\"\n"
                       "                         ^~~\n"
                       "%1$s: 9 errors\n",
                       cfg) > 0);
    expect_run(RUN(NULL, "check", "-c", cfg), 1, "", want);
    free(want);
    drop_file(cfg);
}

Test(definitions, run_refuses_them, .timeout = 10)
{
    char *cfg = temp_text("input = { topics = [ \"in\" ]; };\n"
                          "kafka = { bootstrap_servers = \"127.0.0.1:1\"; };\n"
                          "definitions = { a = \"$a\"; };\n"
                          "rules = ( { name = \"r\"; topic = \"t\"; where = \"$a\"; } );\n");
    char *want = NULL;
    cr_assert(asprintf(&want,
                       "%1$s:3:22: definition 'a': definitions in a cycle: $a -> $a\n"
                       "    a = \"$a\"\n"
                       "         ^~\n"
                       "%1$s:4:47: rule 'r': '$a' has errors\n"
                       "    where = \"$a\"\n"
                       "             ^~\n",
                       cfg) > 0);
    expect_run(RUN(NULL, "run", "-c", cfg), 1, "", want);
    free(want);
    drop_file(cfg);
}

static const char DEFS[] = "definitions = {\n"
                           "  quality = \"candidate.rb >= 0.65 and candidate.nbad == 0\";\n"
                           "  span = \"max(prv_candidates, @.jd) - min(prv_candidates, @.jd)\";\n"
                           "  spare = \"candidate.fid == 1\";\n"
                           "};\n"
                           "rules = (\n"
                           "  { name = \"young\"; topic = \"t\"; where = \"$quality and ($span < 10 or "
                           "candidate.isdiffpos in ('t', '1')) and abs(candidate.magdiff) <= 0.1 and "
                           "candidate.objectId != 'x'\"; }\n"
                           ");\n";

Test(definitions, unused_ones_are_a_warning_and_disasm_shows_them, .timeout = 10)
{
    char *cfg = temp_text(DEFS);
    char *err = NULL, *out = NULL;
    cr_assert(asprintf(&err, "%s:4:12: warning: definition 'spare' is not used by any rule\n", cfg) > 0);
    cr_assert(asprintf(&out, "%1$s: ok, 1 rule\n%1$s: note: no input.topics: 'eval' can use it, 'run' cannot\n",
                       cfg) > 0);
    expect_run(RUN(NULL, "check", "-c", cfg), 0, out, err);
    result r = RUN(NULL, "check", "-c", cfg, "--disasm");
    cr_expect_eq(r.status, 0);
    cr_expect_str_eq(r.err, err);
    const char *want_start = "definition quality: candidate.rb >= 0.65 and candidate.nbad == 0\n"
                             "main:\n"
                             "   0  PATHK      1 0  ; candidate.rb, 0.65\n"
                             "   1  JF_GE      6\n"
                             "   2  PATHK      2 1  ; candidate.nbad, 0\n"
                             "   3  JF_EQ      6\n"
                             "   4  CONST      2  ; true\n"
                             "   5  JUMP       7\n"
                             "   6  CONST      3  ; false\n"
                             "   7  YIELD\n"
                             "\n"
                             "definition span: max(prv_candidates, @.jd) - min(prv_candidates, @.jd)\n";
    cr_expect_eq(strncmp(r.out, want_start, strlen(want_start)), 0, "got:\n%s", r.out);
    cr_expect(strstr(r.out, "\nrule young: $quality and ($span < 10 or candidate.isdiffpos in ('t', '1')) and "
                            "abs(candidate.magdiff) <= 0.1 and candidate.objectId != 'x'\n"
                            "main:\n"
                            "   0  DEF        0  ; $quality\n"),
              "got:\n%s", r.out);
    result_free(&r);
    free(err);
    free(out);
    drop_file(cfg);
}

/* ---- eval --explain ---- */

Test(explain, each_part_with_its_value, .timeout = 10)
{
    char *cfg = temp_text(DEFS);
    char *in = temp_text("{'candidate': {'rb': 0.8, 'nbad': 0, 'isdiffpos': 'f', 'magdiff': -0.05}, "
                         "'prv_candidates': [{'jd': 2460001.5}, {'jd': 2460012.25}]}\n"
                         "{\"candidate\": {\"rb\": 0.5, \"nbad\": 2, \"isdiffpos\": \"t\", \"magdiff\": null, "
                         "\"objectId\": \"ZTF1\"}, \"prv_candidates\": null}\n");
    char *out = NULL, *err = NULL;
    cr_assert(asprintf(&out,
                       "%1$s:1: young does not match\n"
                       "  $quality and ($span < 10 or candidate.isdiffpos in ('t', '1')) and "
                       "abs(candidate.magdiff) <= 0.1 and candidate.objectId != 'x'  false\n"
                       "    $quality                                         true\n"
                       "    $span < 10 or candidate.isdiffpos in ('t', '1')  false\n"
                       "      $span < 10                                     false\n"
                       "        $span                                        10.75\n"
                       "      candidate.isdiffpos in ('t', '1')              false\n"
                       "        candidate.isdiffpos                          \"f\"\n"
                       "    abs(candidate.magdiff) <= 0.1                    true\n"
                       "      abs(candidate.magdiff)                         0.05\n"
                       "        candidate.magdiff                            -0.05\n"
                       "    candidate.objectId != 'x'                        false\n"
                       "      candidate.objectId                             null\n"
                       "%1$s:2: young does not match\n"
                       "  $quality and ($span < 10 or candidate.isdiffpos in ('t', '1')) and "
                       "abs(candidate.magdiff) <= 0.1 and candidate.objectId != 'x'  false\n"
                       "    $quality                                         false\n"
                       "    $span < 10 or candidate.isdiffpos in ('t', '1')  true\n"
                       "      $span < 10                                     false\n"
                       "        $span                                        null\n"
                       "      candidate.isdiffpos in ('t', '1')              true\n"
                       "        candidate.isdiffpos                          \"t\"\n"
                       "    abs(candidate.magdiff) <= 0.1                    false\n"
                       "      abs(candidate.magdiff)                         null\n"
                       "        candidate.magdiff                            null\n"
                       "    candidate.objectId != 'x'                        true\n"
                       "      candidate.objectId                             \"ZTF1\"\n",
                       in) > 0);
    cr_assert(asprintf(&err, "%s:4:12: warning: definition 'spare' is not used by any rule\n", cfg) > 0);
    expect_run(RUN(NULL, "eval", "-c", cfg, "--explain", "young", in), 0, out, err);
    free(out);
    cr_assert(asprintf(&out, "%s%s: --explain nosuch: %s has no rule of that name\n", err, "eval", cfg) > 0);
    expect_run(RUN(NULL, "eval", "-c", cfg, "--explain", "nosuch", in), 1, "", out);
    free(out);
    free(err);
    drop_file(cfg);
    drop_file(in);
}

Test(explain, matches_lists_and_matching_alerts, .timeout = 10)
{
    char *cfg = temp_text("rules = ( { name = \"hist\"; topic = \"t\"; where = \"len(prv) >= 2 or any(prv, @.m < 1) "
                          "or -x.y * 2 > 3 or cutout\"; } );\n");
    char *in = temp_text("{'prv': [{'m': 3}, {'m': 0.5}], 'x': {'y': -2}, 'cutout': b'ab'}\n");
    char *out = NULL;
    cr_assert(asprintf(&out,
                       "%1$s:1: hist matches\n"
                       "  len(prv) >= 2 or any(prv, @.m < 1) or -x.y * 2 > 3 or cutout  true\n"
                       "    len(prv) >= 2                                               true\n"
                       "      len(prv)                                                  2\n"
                       "        prv                                                     a list of 2\n"
                       "    any(prv, @.m < 1)                                           true\n"
                       "      prv                                                       a list of 2\n"
                       "    -x.y * 2 > 3                                                true\n"
                       "      -x.y * 2                                                  4\n"
                       "        -x.y                                                    2\n"
                       "          x.y                                                   -2\n"
                       "    cutout                                                      bytes of 2\n",
                       in) > 0);
    expect_run(RUN(NULL, "eval", "-c", cfg, "--explain", "hist", in), 0, out, "");
    free(out);
    drop_file(cfg);
    drop_file(in);
}

/* ---- the brokers' filters against Python ---- */

Test(brokers, twenty_filters_select_as_their_python_does, .timeout = 120)
{
    const char *bin = getenv("ALERTFILTER_BIN");
    cr_assert_not_null(bin);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "python3 tests/tools/brokers_diff.py --bin '%s' --seed 1 --alerts 2000 2>&1", bin);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[2000], last[2000] = "";
    size_t lines = 0;
    while (fgets(line, sizeof line, p)) {
        lines++;
        if (!strstr(line, "differ 0") && strncmp(line, "brokers differential", 20))
            cr_log_error("%s", line);
        snprintf(last, sizeof last, "%s", line);
    }
    cr_expect_eq(pclose(p), 0);
    cr_expect_eq(lines, 41);
    cr_expect_str_eq(last, "brokers differential: 20 filters x 2000 alerts x 2 formats, 0 failures\n");
}
