/* tests/docs/test_docs.c — the docs cannot drift: the examples of README.md and
 * docs/ (every .md), checked against the binary by tests/docs/check_docs.py (the
 * conventions are in docs/README.md), and the checker itself shown to catch drift. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs the checker on README.md and every .md of docs/ (or on files, when not NULL)
 * with the given --kind options; its output into out, its exit status returned. */
static int check(const char *kinds, const char *files, char *out, size_t cap)
{
    char docs[4096] = "README.md";
    if (!files) {
        glob_t g;
        cr_assert_eq(glob("docs/*.md", 0, NULL, &g), 0, "no docs/*.md (run from the tree's root)");
        for (size_t k = 0; k < g.gl_pathc; k++) {
            strcat(docs, " ");
            cr_assert_lt(strlen(docs) + strlen(g.gl_pathv[k]), sizeof docs - 1);
            strcat(docs, g.gl_pathv[k]);
        }
        globfree(&g);
        files = docs;
    }
    const char *bin = getenv("ALERTFILTER_BIN");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ALERTFILTER_BIN='%s' timeout 120 python3 tests/docs/check_docs.py %s %s 2>&1",
             bin ? bin : "bin/alertfilter", kinds, files);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The checker's closing line's counts. */
static void counts(const char *out, int *blocks, int *items, int *failures)
{
    const char *last = strstr(out, "docs: ");
    cr_assert_not_null(last, "no closing line in:\n%s", out);
    for (const char *q; (q = strstr(last + 1, "docs: "));)
        last = q;
    cr_assert_eq(sscanf(last, "docs: %d blocks checked (%d items), %d failures", blocks, items, failures), 3,
                 "closing line: %s", last);
}

static char out[1 << 16];

Test(docs, where_examples_compile_and_give_their_stated_results, .timeout = 150)
{
    int rc = check("--kind where --kind alert", NULL, out, sizeof out), blocks, items, failures;
    cr_assert_eq(rc, 0, "%s", out);
    counts(out, &blocks, &items, &failures);
    /* docs/rules.md alone has a sample alert and five where blocks of 56 expressions. */
    cr_assert_geq(blocks, 6, "%s", out);
    cr_assert_geq(items, 57, "%s", out);
    cr_assert_eq(failures, 0);
}

Test(docs, config_blocks_pass_check, .timeout = 150)
{
    int rc = check("--kind cfg", NULL, out, sizeof out), blocks, items, failures;
    cr_assert_eq(rc, 0, "%s", out);
    counts(out, &blocks, &items, &failures);
    cr_assert_geq(blocks, 2, "%s", out); /* README's tour, docs/configuration.md */
    cr_assert_eq(items, blocks);
    cr_assert_eq(failures, 0);
}

Test(docs, help_blocks_match_the_binary, .timeout = 150)
{
    int rc = check("--kind help", NULL, out, sizeof out), blocks, items, failures;
    cr_assert_eq(rc, 0, "%s", out);
    counts(out, &blocks, &items, &failures);
    cr_assert_geq(blocks, 6, "%s", out); /* alertfilter and its five commands */
    cr_assert_eq(failures, 0);
    cr_assert_not_null(strstr(out, "help: as `alertfilter --help` prints it"), "%s", out);
    /* Every command that `alertfilter --help` lists, a new one included. */
    const char *bin = getenv("ALERTFILTER_BIN");
    char cmd[4096], line[256];
    snprintf(cmd, sizeof cmd, "'%s' --help", bin ? bin : "bin/alertfilter");
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    int listed = 0;
    bool in_list = false;
    while (fgets(line, sizeof line, p)) {
        char name[64], want[128];
        if (strcmp(line, "commands:\n") == 0)
            in_list = true;
        else if (in_list && line[0] == ' ' && sscanf(line, "%63s", name) == 1) {
            snprintf(want, sizeof want, "help: as `alertfilter %s --help` prints it", name);
            cr_assert_not_null(strstr(out, want), "no block quotes `alertfilter %s --help`:\n%s", name, out);
            listed++;
        } else
            in_list = false;
    }
    pclose(p);
    cr_assert_geq(listed, 5, "alertfilter --help lists %d commands", listed);
}

/* A doc that drifted in every way the checker knows, and one block marked nocheck. */
static const char drifted[] =
    "# drifted\n\n"
    "```alert\n{'a': 1, 'b': 'x'}\n```\n\n"
    "```where\n"
    "a == 1          # => false\n"
    "a == 2          # => false\n"
    "cones(1)\n"
    "0 < a < 2       # => error: something else\n"
    "a == 1          # => error: comparisons cannot be chained\n"
    "```\n\n"
    "```cfg\nrules = ( { name = \"x\"; topic = \"t\"; where = \"a >\"; } );\ntoipcs = 1;\n```\n\n"
    "```cfg nocheck\nrules = ( ... );\n```\n\n"
    "```\nusage: alertfilter check -c CONFIG [--disasm]\n\nValidates CONFIG and compiles every rule.\n```\n\n"
    "```alert\n{'a': \n```\n";

Test(docs, the_checker_finds_drift, .timeout = 150)
{
    char path[] = "/tmp/test_docs.XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(drifted, f);
    fclose(f);
    int rc = check("", path, out, sizeof out), blocks, items, failures;
    remove(path);
    cr_assert_eq(rc, 1, "%s", out);
    counts(out, &blocks, &items, &failures);
    cr_assert_eq(blocks, 5, "%s", out);
    cr_assert_eq(items, 6, "%s", out);
    cr_assert_eq(failures, 7, "%s", out);
    char want[7][256];
    snprintf(want[0], 256, "%s:10: FAILED: 'cones(1)' does not compile: unknown function 'cones'\n", path);
    snprintf(want[1], 256,
             "%s:11: FAILED: '0 < a < 2': the doc says error: something else; check says: comparisons cannot be "
             "chained; combine them with 'and'\n",
             path);
    snprintf(want[2], 256,
             "%s:12: FAILED: 'a == 1' compiles, but the doc says: error: comparisons cannot be chained\n", path);
    snprintf(want[3], 256, "%s:8: FAILED: 'a == 1' is true on the sample alert (line 4), the doc says false\n",
             path);
    snprintf(want[4], 256, "%s:17: unknown setting 'toipcs'\n", path);
    snprintf(want[5], 256,
             "%s:27: FAILED: differs from `alertfilter check --help`: the doc has 'Validates CONFIG and compiles "
             "every rule.', the binary prints 'Validates CONFIG and compiles every rule; prints every error found.'\n",
             path);
    snprintf(want[6], 256, "%s:31: FAILED: the sample alert does not parse: <stdin>:1: offset 5: expected a value, "
             "found end of input\n", path);
    for (int k = 0; k < 7; k++)
        cr_assert_not_null(strstr(out, want[k]), "missing:\n%s\nin:\n%s", want[k], out);
    /* a == 2 is false as stated, and the nocheck block is not checked. */
    cr_assert_null(strstr(out, "'a == 2'"), "%s", out);
    cr_assert_null(strstr(out, ":21:"), "%s", out);
}
