/* tests/sky/test_watchlist.c — watchlists: every bad file's exact error, RA
 * 0/360 and the poles, and the index against a brute-force check
 * (watchlist_brute.py) query for query. */
#include <math.h>

#include "sky/sky.h"
#include "tests/sky/sky_test.h"

static char dir[64];
static void setup(void) { scratch_dir(dir); }
static void teardown(void) { remove_dir(dir); }
TestSuite(watchlist, .init = setup, .fini = teardown);

static sky_watchlist *load(const char *text, double radius, sky_error *err, char path[128])
{
    write_file(dir, "wl.csv", text, strlen(text), path);
    return sky_watchlist_load(path, radius, err);
}

/* The file text fails to load with message want, "%s" standing for the file's path. */
static void rejects(const char *text, double radius, const char *want)
{
    char path[128], expected[600];
    sky_error err;
    cr_expect_null(load(text, radius, &err, path), "loaded: %s", text);
    snprintf(expected, sizeof expected, want, path);
    cr_expect_str_eq(err.msg, expected);
}

Test(watchlist, bad_files_are_errors_with_their_line)
{
    sky_error err;
    char path[128];
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    cr_expect_null(sky_watchlist_load(path, 2, &err));
    char want[300];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    cr_expect_str_eq(err.msg, want);
    rejects("", 2, "%s: empty: no header line and no entries");
    rejects("# only a comment\n\n", 2, "%s: empty: no header line and no entries");
    rejects("ra,dec\n# nothing\n", 2, "%s: no entries after the header");
    rejects("name,ra\nx,1\n", 2, "%s:1: the header has no 'dec' column (a watchlist needs ra and dec, in degrees)");
    rejects("ra,dec,RA\n", 2, "%s:1: the header names column 'RA' twice");
    rejects("ra,dec\n1,2\n3\n", 2, "%s:3: 1 field, the header names 2");
    rejects("ra,dec\n1,2,3\n", 2, "%s:2: 3 fields, the header names 2");
    rejects("ra,dec\n1,2\n\n# c\nx1,2\n", 2, "%s:5: ra 'x1' is not a number");
    rejects("ra,dec\n1,nan\n", 2, "%s:2: dec 'nan' is not a number");
    rejects("ra,dec\n1,\n", 2, "%s:2: dec '' is not a number");
    rejects("ra,dec\n360,0\n", 2, "%s:2: ra 360 is outside [0, 360)");
    rejects("ra,dec\n-0.5,0\n", 2, "%s:2: ra -0.5 is outside [0, 360)");
    rejects("ra,dec\n10,90.0001\n", 2, "%s:2: dec 90.0001 is outside [-90, 90]");
    rejects("ra,dec\n10,-91\n", 2, "%s:2: dec -91 is outside [-90, 90]");
    rejects("ra,dec,radius_arcsec\n1,2,0\n", 2, "%s:2: radius_arcsec 0 is not above 0");
    rejects("ra,dec,radius_arcsec\n1,2,-1\n", 2, "%s:2: radius_arcsec -1 is not above 0");
    rejects("ra,dec,radius_arcsec\n1,2,3600.5\n", 2,
            "%s:2: radius_arcsec 3600.5 is above 3600 (1 degree): cone matching beyond a degree is not a watchlist");
    rejects("ra,dec,radius_arcsec\n1,2,big\n", 2, "%s:2: radius_arcsec 'big' is not a number");
    rejects("ra,dec\n1,2\n", 0, "%s: radius_arcsec 0 is not above 0");
    rejects("ra,dec\n1,2\n", 7200, "%s: radius_arcsec 7200 is above 3600 (1 degree): cone matching beyond a degree is not a watchlist");
    rejects("ra,dec,radius_arcsec\n1,2,\n", NAN, "%s:2: no radius: the row has no radius_arcsec and the watchlist sets none");
    rejects("name,ra,dec\na,1,2\nb,3,4\n\"a\",5,6\n", 2, "%s:4: duplicate name 'a' (first on line 2)");
    rejects("name,ra,dec\n,1,2\n", 2, "%s:2: empty name");
    rejects("name,ra,dec\n\"a,1,2\n", 2, "%s:2: unterminated quote");
    write_file(dir, "nul.csv", "ra,dec\n1,2\0\n", 11, path);
    cr_expect_null(sky_watchlist_load(path, 2, &err));
    snprintf(want, sizeof want, "%s:2: a NUL byte in the line (not a CSV text file?)", path);
    cr_expect_str_eq(err.msg, want);
}

Test(watchlist, names_radii_and_edges)
{
    char path[128];
    sky_error err;
    sky_watchlist *wl = load("# white dwarfs\n name , ra , dec , radius_arcsec, note\n"
                             "\"WD 0000+00, a\",0,0,,\"x\"\"y\"\n"
                             "end,359.9999,0,,\r\n"
                             "north,0,90,,\n"
                             "south,200,-90,10,\n"
                             "wide,100,10,3600,\n",
                             2, &err, path);
    cr_assert_not_null(wl, "%s", err.msg);
    cr_expect_eq(sky_watchlist_count(wl), 5);
    char buf[24];
    /* RA 0 and 360 are one: 0.11" from "WD 0000+00, a" across the wrap, 0.25" from "end". */
    int64_t k = sky_watchlist_match(wl, 359.99997, 0);
    cr_assert_geq(k, 0);
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)k, buf), "WD 0000+00, a");
    k = sky_watchlist_match(wl, 359.99992, 0);
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)k, buf), "end");
    cr_expect_eq(sky_watchlist_match(wl, 360.0002, 0), sky_watchlist_match(wl, 0.0002, 0));
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, -0.0002, 0), buf), "end");
    /* Any RA at the poles. */
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, 123, 89.9995), buf), "north");
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, 300, 90), buf), "north");
    cr_expect_eq(sky_watchlist_match(wl, 300, 89.999), -1); /* 3.6" away: outside 2" */
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, 17, -89.998), buf), "south"); /* 7.2" of 10" */
    /* A one-degree entry's own radius. */
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, 100, 10.999), buf), "wide");
    cr_expect_eq(sky_watchlist_match(wl, 100, 11.001), -1);
    cr_expect_eq(sky_watchlist_match(wl, NAN, 0), -1);
    cr_expect_eq(sky_watchlist_match(wl, 0, 90.5), -1);
    cr_expect_eq(sky_watchlist_match(wl, INFINITY, 0), -1);
    sky_watchlist_free(wl);
    /* Without a name column, an entry is named by its row number among the entries. */
    wl = load("ra,dec\n10,10\n# skip\n20,20\n", 2, &err, path);
    cr_assert_not_null(wl, "%s", err.msg);
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, 20, 20), buf), "2");
    cr_expect_str_eq(sky_watchlist_name(wl, (size_t)sky_watchlist_match(wl, 10, 10), buf), "1");
    sky_watchlist_free(wl);
}

Test(watchlist, matches_a_brute_force_check_query_for_query)
{
    run_script("watchlist_brute.py", dir);
    char path[128];
    snprintf(path, sizeof path, "%s/list.csv", dir);
    sky_error err;
    sky_watchlist *wl = sky_watchlist_load(path, 2.0, &err);
    cr_assert_not_null(wl, "%s", err.msg);
    cr_expect_eq(sky_watchlist_count(wl), 3000);
    snprintf(path, sizeof path, "%s/queries.csv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[256], want[64], buf[24];
    size_t n = 0, hits = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        double ra, dec;
        want[0] = '\0';
        cr_assert_geq(sscanf(line, "%lf,%lf,%63[^\n]", &ra, &dec, want), 2);
        int64_t k = sky_watchlist_match(wl, ra, dec);
        const char *got = k < 0 ? "" : sky_watchlist_name(wl, (size_t)k, buf);
        if (strcmp(got, want) != 0 && wrong++ < 10)
            cr_log_error("%.17g, %.17g: '%s', brute force '%s'", ra, dec, got, want);
        hits += k >= 0;
        n++;
    }
    fclose(f);
    cr_expect_eq(n, 15000);
    cr_expect_eq(wrong, 0);
    cr_expect_gt(hits, 4000, "the test matches too few to mean much: %zu", hits);
    sky_watchlist_free(wl);
}

/* Numbers are read as strtod reads them, bit for bit, the fast path for short decimals included. */
Test(watchlist, numbers_as_strtod_reads_them)
{
    uint64_t state = 15;
    char text[64];
    for (int k = 0; k < 200000; k++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        int digits = 1 + (int)(state % 18), point = (int)((state >> 8) % (unsigned)(digits + 1));
        size_t n = 0;
        if (state >> 20 & 1)
            text[n++] = '-';
        uint64_t r = state;
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                text[n++] = '.';
            r = r * 6364136223846793005u + 1442695040888963407u;
            text[n++] = (char)('0' + (r >> 59) % 10);
        }
        text[n] = '\0';
        double got, want = strtod(text, NULL);
        cr_assert(sky_number(text, &got), "%s", text);
        cr_assert(memcmp(&got, &want, sizeof got) == 0, "%s: %.17g, strtod %.17g", text, got, want);
    }
    const char *bad[] = {"", ".", "-", "1e400", "nan", "inf", "1.5x", "0x", "1 2"};
    double v;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        cr_expect(!sky_number(bad[k], &v), "'%s' read as %g", bad[k], v);
    cr_expect(sky_number("1e-3", &v) && v == 0.001);
    cr_expect(sky_number(".5", &v) && v == 0.5);
    cr_expect(sky_number("+7.", &v) && v == 7);
}
