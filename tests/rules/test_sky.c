/* tests/rules/test_sky.c — the rule language's sky functions: galactic_l and
 * galactic_b, watchlist() and watchmap() (values, nulls, names, the entry a
 * match names, errors, disassembly, verification). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "rules/internal.h"
#include "tests/rules/match.h"

static const char ALERT[] = "{'diaSource': {'ra': 351.570546978, 'decl': 0.126243049656, 'name': 'x'}, "
                            "'pole': {'ra': 0, 'decl': 90}, 'bad': {'decl': 90.5}, 'nothing': None}";

/* Whether `where` matches ALERT (the rule must compile). */
static int match(const char *where)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, ALERT, strlen(ALERT), ALERT_FORMAT_AUTO, &aerr), 0, "alert: %s", aerr.msg);
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "t", where, errs, 4, &n), 0, "'%s' does not compile: %s", where, n ? errs[0].msg : "?");
    unsigned char m = 2;
    rule_set_eval(rs, &doc, &m);
    rule_set_free(rs);
    alert_doc_free(&doc);
    return m;
}

#define YES(rule) cr_expect_eq(match(rule), 1, "expected a match: %s", rule)
#define NO(rule) cr_expect_eq(match(rule), 0, "expected no match: %s", rule)

/* astropy 8.0.2: SkyCoord(351.570546978, 0.126243049656, unit='deg').galactic is
 * l 82.54662538909058, b -55.91936871183501. */
Test(sky, galactic_of_fields_as_astropy)
{
    YES("abs(galactic_l(diaSource.ra, diaSource.decl) - 82.54662538909058) < 1e-9");
    YES("abs(galactic_b(diaSource.ra, diaSource.decl) - -55.91936871183501) < 1e-9");
    YES("abs(galactic_b(diaSource.ra, diaSource.decl)) >= 7");
    NO("abs(galactic_b(diaSource.ra, diaSource.decl)) < 10");
    YES("abs(galactic_l(pole.ra, pole.decl) - 122.93192525541662) < 1e-9");
    YES("abs(galactic_b(pole.ra, pole.decl) - 27.128252414968) < 1e-9");
}

Test(sky, galactic_is_null_unless_two_numbers_and_a_declination)
{
    YES("galactic_b(missing, 0) == null");
    YES("galactic_l(0, nothing) == null");
    YES("galactic_b(diaSource.name, 0) == null");
    YES("galactic_b(0, bad.decl) == null");
    YES("galactic_l(0, -90.0001) == null");
    YES("galactic_b(0, 1 / 0) == null");
    YES("galactic_b(0, -90) != null and abs(galactic_l(360, 0) - galactic_l(0, 0)) < 1e-12");
    NO("galactic_b(missing, 0) < 100");
}

Test(sky, galactic_arity_is_checked)
{
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "t", "galactic_b(ra) > 7", errs, 4, &n), -1);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(errs[0].msg, "'galactic_b' takes 2 arguments, got 1");
    rule_set_free(rs);
}

Test(sky, galactic_disassembles_and_folds)
{
    char *got = rule_disasm_of("abs(galactic_b(ra, dec)) > 7 and galactic_l(ra, dec) < 90");
    cr_expect_str_eq(got,
                     "rule r: abs(galactic_b(ra, dec)) > 7 and galactic_l(ra, dec) < 90\n"
                     "main:\n"
                     "   0  PATH       0  ; ra\n"
                     "   1  PATH       1  ; dec\n"
                     "   2  GALB\n"
                     "   3  ABS\n"
                     "   4  CONST      0  ; 7\n"
                     "   5  JF_GT      12\n"
                     "   6  PATH       0  ; ra\n"
                     "   7  PATH       1  ; dec\n"
                     "   8  GALL\n"
                     "   9  CONST      1  ; 90\n"
                     "  10  JF_LT      12\n"
                     "  11  RET        1  ; match\n"
                     "  12  RET        0  ; no match\n",
                     "got:\n%s", got);
    free(got);
    /* Constant arguments fold: the north celestial pole is at b 27.128... */
    got = rule_disasm_of("galactic_b(0, 90) > 27.1282524");
    cr_expect_str_eq(got, "rule r: galactic_b(0, 90) > 27.1282524\nmain:\n   0  RET        1  ; match\n", "got:\n%s", got);
    free(got);
}

/* ---- watchlists and watchmaps ---- */

static const char SKY_ALERT[] = "{'ra': 10.0, 'dec': 20.0, 'pole': {'ra': 0, 'dec': -90}, 'name': 'x', "
                                "'prv': [{'ra': 50.0, 'dec': 0.0}, {'ra': 10.0003, 'dec': 20.0}]}";

/* A set with watchlist 'wd' (three entries) and watchmap 'plane' (cell 0/4
 * and the ones of order 1 in base cell 5), then the rules. */
static rule_set *sky_set(const char *const *rules, size_t n)
{
    char path[] = "/tmp/alertfilter-wl-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char csv[] = "name,ra,dec,radius_arcsec\nnear,10.0001,20,\nfar,10.0004,20,10\nsouth,0,-90,\n";
    cr_assert_eq(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    sky_error err;
    sky_watchlist *wl = sky_watchlist_load(path, 2.0, &err);
    unlink(path);
    cr_assert_not_null(wl, "%s", err.msg);
    sky_moc *moc = sky_moc_parse("0/4 1/20-23", "plane.txt", &err);
    cr_assert_not_null(moc, "%s", err.msg);
    rule_set *rs = rule_set_new();
    cr_assert_eq(rule_set_add_watchlist(rs, "wd", wl), 0);
    cr_assert_eq(rule_set_add_watchmap(rs, "plane", moc), 0);
    cr_assert_eq(rule_set_add_watchlist(rs, "wd", wl), -1, "a name is taken once");
    for (size_t i = 0; i < n; i++) {
        rule_error errs[4];
        size_t ne = 0;
        cr_assert_eq(rule_set_add(rs, "r", rules[i], errs, 4, &ne), 0, "%s: %s", rules[i], ne ? errs[0].msg : "?");
    }
    return rs;
}

/* Evaluates the rules on SKY_ALERT: the matches into m, each matching rule's watchlist entry into names. */
static void sky_eval(const char *const *rules, size_t n, unsigned char *m, const char **names)
{
    alert_doc doc;
    alert_doc_init(&doc);
    alert_error aerr;
    cr_assert_eq(alert_parse(&doc, SKY_ALERT, strlen(SKY_ALERT), ALERT_FORMAT_AUTO, &aerr), 0, "%s", aerr.msg);
    rule_set *rs = sky_set(rules, n);
    rule_set_eval(rs, &doc, m);
    char buf[24];
    for (size_t i = 0; i < n; i++) {
        const char *name = m[i] ? rule_set_watch_entry(rs, i, buf) : NULL;
        names[i] = name ? strdup(name) : NULL;
    }
    rule_set_free(rs);
    alert_doc_free(&doc);
}

Test(sky, watchlist_matches_and_names_the_nearest_entry)
{
    const char *rules[] = {
        "watchlist('wd', ra, dec)",                         /* near: 0.34"; far: 1.35", within its 10" */
        "watchlist('wd', ra + 0.0003, dec)",                /* far: 0.34"; near: 0.68" */
        "watchlist('wd', pole.ra + 123, pole.dec + 0.0004)",  /* south: 1.44" at any RA */
        "watchlist('wd', ra + 0.01, dec)",                  /* none */
        "watchlist('wd', name, dec)",                       /* not a number */
        "watchlist('wd', ra, missing)",                     /* null */
        "not watchlist('wd', ra + 0.01, dec)",              /* matches with no entry */
        "any(prv, watchlist('wd', @.ra, @.dec))",           /* in a predicate: the second element, far */
        "watchlist('wd', ra, dec) and watchlist('wd', 0, -90)", /* the last true one */
        "watchlist('wd', ra, 90.5)",
    };
    size_t n = sizeof rules / sizeof rules[0];
    unsigned char m[16];
    const char *names[16];
    sky_eval(rules, n, m, names);
    const unsigned char want[] = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0};
    const char *want_names[] = {"near", "far", "south", NULL, NULL, NULL, NULL, "far", "south", NULL};
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(m[i], want[i], "%s", rules[i]);
        if (want_names[i])
            cr_expect(names[i] && !strcmp(names[i], want_names[i]), "%s: entry %s, not %s", rules[i],
                      names[i] ? names[i] : "(none)", want_names[i]);
        else
            cr_expect_null(names[i], "%s: entry %s", rules[i], names[i]);
        free((void *)names[i]);
    }
}

Test(sky, watchmap_membership)
{
    /* Base cells 4 and 5 are centred on the equator at RA 0 and 90 (chealpix's pix2ang_nest). */
    const char *rules[] = {
        "watchmap('plane', 10, 0)",  "watchmap('plane', 90, 0)", "watchmap('plane', 180, 0)",
        "watchmap('plane', 370, 0)", "watchmap('plane', name, 0)", "watchmap('plane', 10, missing)",
        "watchmap('plane', 10, -91)",
    };
    size_t n = sizeof rules / sizeof rules[0];
    unsigned char m[16];
    const char *names[16];
    sky_eval(rules, n, m, names);
    const unsigned char want[] = {1, 1, 0, 1, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(m[i], want[i], "%s", rules[i]);
        cr_expect_null(names[i], "a watchmap names no entry: %s", rules[i]);
    }
}

static void sky_rejects(const char *rule, const char *msg, size_t offset, size_t len)
{
    rule_set *rs = sky_set(NULL, 0);
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "r", rule, errs, 4, &n), -1, "%s", rule);
    cr_assert_eq(n, 1, "%s", rule);
    cr_expect_str_eq(errs[0].msg, msg);
    cr_expect_eq(errs[0].offset, offset, "%s", rule);
    cr_expect_eq(errs[0].len, len, "%s", rule);
    cr_expect_eq(rule_set_count(rs), 0);
    rule_set_free(rs);
}

Test(sky, unknown_names_and_bad_first_arguments_are_errors)
{
    sky_rejects("watchlist('gal', ra, dec)", "unknown watchlist 'gal' (the configuration's watchlists: wd)", 10, 5);
    sky_rejects("x > 1 and watchmap('wd', ra, dec)", "unknown watchmap 'wd' (the configuration's watchmaps: plane)", 19, 4);
    sky_rejects("watchlist(name, ra, dec)", "watchlist()'s first argument is the name of a watchlist, a string such as 'wd'", 10, 4);
    sky_rejects("watchmap(1, ra, dec)", "watchmap()'s first argument is the name of a watchmap, a string such as 'wd'", 9, 1);
    sky_rejects("watchlist('wd', ra)", "'watchlist' takes 3 arguments, got 2", 0, 9);
    /* A set without any. */
    rule_set *rs = rule_set_new();
    rule_error errs[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "r", "watchlist('wd', ra, dec)", errs, 4, &n), -1);
    cr_expect_str_eq(errs[0].msg, "unknown watchlist 'wd': the configuration has no watchlists");
    rule_set_free(rs);
}

Test(sky, watch_instructions_disassemble_and_verify)
{
    const char *rule = "watchlist('wd', ra, dec) or watchmap(\"plane\", ra, dec)";
    rule_set *rs = sky_set(&rule, 1);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    rule_set_disasm(rs, 0, out);
    fclose(out);
    cr_expect_str_eq(text,
                     "rule r: watchlist('wd', ra, dec) or watchmap(\"plane\", ra, dec)\n"
                     "main:\n"
                     "   0  PATH       0  ; ra\n"
                     "   1  PATH       1  ; dec\n"
                     "   2  WATCHLIST  0  ; \"wd\"\n"
                     "   3  JUMPT      8\n"
                     "   4  PATH       0  ; ra\n"
                     "   5  PATH       1  ; dec\n"
                     "   6  WATCHMAP   0  ; \"plane\"\n"
                     "   7  JUMPF      9\n"
                     "   8  RET        1  ; match\n"
                     "   9  RET        0  ; no match\n",
                     "got:\n%s", text);
    free(text);
    rule_set_free(rs);

    /* The verifier checks the operand against the set's lists and maps. */
    rule_watch w = {0};
    rule_insn code[] = {{.op = RULE_OP_CONST, .arg = 0}, {.op = RULE_OP_CONST, .arg = 0},
                        {.op = RULE_OP_WATCHLIST, .arg = 0}, {.op = RULE_OP_RET, .arg = 1}};
    rule_segment seg = {.code = code, .n_code = 4};
    rule_value consts[] = {rule_int(1)};
    rule_program p = {.segs = &seg, .n_segs = 1, .consts = consts, .n_consts = 1, .watch = &w};
    char why[160];
    cr_expect_eq(rule_verify(&p, 0, why, sizeof why), -1);
    cr_expect_str_eq(why, "segment 0, pc 2: operand 0 out of range");
    char *name = "wd";
    void *obj = NULL;
    w.kinds[0] = (rule_watch_kind){.names = &name, .objs = &obj, .n = 1};
    cr_expect_eq(rule_verify(&p, 0, why, sizeof why), 0, "%s", why);
    code[2] = (rule_insn){.op = RULE_OP_WATCHMAP, .arg = 0};
    cr_expect_eq(rule_verify(&p, 0, why, sizeof why), -1);
    code[2] = (rule_insn){.op = RULE_OP_WATCHLIST, .arg = -1};
    cr_expect_eq(rule_verify(&p, 0, why, sizeof why), -1);
    p.watch = NULL;
    code[2].arg = 0;
    cr_expect_eq(rule_verify(&p, 0, why, sizeof why), -1);
}
