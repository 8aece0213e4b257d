/* tests/sky/test_moc.c — watchmaps (IVOA MOC): a cell at every order 0..29,
 * each bad file's exact error, and membership against mocpy (moc_mocpy.py) in
 * the FITS NUNIQ, FITS RANGE and ASCII forms. */
#include <chealpix.h>
#include <fitsio.h>
#include <math.h>

#include "sky/sky.h"
#include "tests/sky/sky_test.h"

static char dir[64];
static void setup(void) { scratch_dir(dir); }
static void teardown(void) { remove_dir(dir); }
TestSuite(moc, .init = setup, .fini = teardown);

/* The centre of a NESTED cell, in degrees. */
static void centre(int order, int64_t ipix, double *ra, double *dec)
{
    double theta, phi;
    pix2ang_nest64((int64_t)1 << order, ipix, &theta, &phi);
    *ra = phi * 180 / M_PI;
    *dec = 90 - theta * 180 / M_PI;
}

Test(moc, a_cell_at_every_order)
{
    for (int order = 0; order <= 29; order++) {
        int64_t cells = (int64_t)12 << (2 * order);
        int64_t picks[] = {0, cells - 1, (cells / 3 + 5 * order) % cells};
        for (size_t k = 0; k < 3; k++) {
            char text[64];
            snprintf(text, sizeof text, "%d/%lld\n", order, (long long)picks[k]);
            sky_error err;
            sky_moc *m = sky_moc_parse(text, "t.txt", &err);
            cr_assert_not_null(m, "%s: %s", text, err.msg);
            cr_expect_eq(sky_moc_order(m), order);
            double ra, dec;
            centre(order, picks[k], &ra, &dec);
            cr_expect(sky_moc_contains(m, ra, dec), "order %d cell %lld: its centre is outside", order,
                      (long long)picks[k]);
            centre(order, picks[k] ^ 1, &ra, &dec); /* a sibling */
            cr_expect(!sky_moc_contains(m, ra, dec), "order %d cell %lld: its sibling's centre is inside", order,
                      (long long)picks[k]);
            sky_moc_free(m);
        }
        /* One past the last cell is out of range. */
        char text[64], want[200];
        snprintf(text, sizeof text, "%d/%lld", order, (long long)cells);
        sky_error err;
        cr_expect_null(sky_moc_parse(text, "t.txt", &err));
        snprintf(want, sizeof want, "t.txt:1: cell '%lld' is out of range at order %d (0..%lld)", (long long)cells,
                 order, (long long)cells - 1);
        cr_expect_str_eq(err.msg, want);
    }
}

Test(moc, ascii_ranges_orders_and_coarser_cells)
{
    sky_error err;
    /* A range at order 2 holding whole order-1 cells, and a deeper cell in "29/". */
    sky_moc *m = sky_moc_parse("s1/0\n2/ 4-11, 40\n 29/\n", "t.txt", &err);
    cr_assert_not_null(m, "%s", err.msg);
    cr_expect_eq(sky_moc_order(m), 29);
    cr_expect_eq(sky_moc_ranges(m), 2); /* 1/0 and 2/4-11 are 2/0-11 */
    double ra, dec;
    for (int64_t c = 0; c < 12; c++) {
        centre(2, c, &ra, &dec);
        cr_expect(sky_moc_contains(m, ra, dec), "2/%lld", (long long)c);
    }
    centre(2, 12, &ra, &dec);
    cr_expect(!sky_moc_contains(m, ra, dec));
    centre(2, 40, &ra, &dec);
    cr_expect(sky_moc_contains(m, ra, dec));
    cr_expect(sky_moc_contains(m, ra + 360, dec) && sky_moc_contains(m, ra - 720, dec));
    cr_expect(!sky_moc_contains(m, ra, 91) && !sky_moc_contains(m, NAN, 0));
    sky_moc_free(m);
}

static void rejects_text(const char *text, const char *want)
{
    sky_error err;
    cr_expect_null(sky_moc_parse(text, "t.txt", &err), "parsed: %s", text);
    cr_expect_str_eq(err.msg, want);
}

Test(moc, bad_ascii_is_an_error_with_its_line)
{
    rejects_text("3/1\n30/5", "t.txt:2: order 30 is above 29");
    rejects_text("3/1 768", "t.txt:1: cell '768' is out of range at order 3 (0..767)");
    rejects_text("0/5-12", "t.txt:1: cell '5-12' is out of range at order 0 (0..11)");
    rejects_text("0/7-5", "t.txt:1: cell '7-5' is out of range at order 0 (0..11)");
    rejects_text("5", "t.txt:1: cell '5' before any order ('ORDER/')");
    rejects_text("1/2\n\n1/x", "t.txt:3: 'x' is neither ORDER/ nor a cell IPIX or IPIX-IPIX");
    rejects_text("1/2-", "t.txt:1: '2-' is neither ORDER/ nor a cell IPIX or IPIX-IPIX");
    rejects_text("1/2a", "t.txt:1: '2a' is neither ORDER/ nor a cell IPIX or IPIX-IPIX");
    rejects_text("3/", "t.txt: the MOC holds no cells");
    rejects_text("  \n", "t.txt: the MOC holds no cells");
}

/* Writes a FITS file: an empty primary HDU, then (unless ordering is NULL) a
 * binary table of one 64-bit column `col` holding v[0..n), with ORDERING. */
static void write_fits(const char *path, const char *ordering, const char *col, const long long *v, long n)
{
    fitsfile *f;
    int status = 0;
    char name[140];
    snprintf(name, sizeof name, "!%s", path);
    cr_assert_eq(fits_create_file(&f, name, &status), 0);
    cr_assert_eq(fits_create_img(f, 8, 0, NULL, &status), 0);
    if (ordering) {
        char *ttype[] = {(char *)col}, *tform[] = {"1K"};
        cr_assert_eq(fits_create_tbl(f, BINARY_TBL, 0, 1, ttype, tform, NULL, "MOC", &status), 0);
        if (*ordering)
            cr_assert_eq(fits_update_key(f, TSTRING, "ORDERING", (void *)ordering, NULL, &status), 0);
        cr_assert_eq(fits_write_col(f, TLONGLONG, 1, 1, 1, n, (void *)v, &status), 0);
    }
    cr_assert_eq(fits_close_file(f, &status), 0);
}

static void rejects_fits(const char *ordering, const char *col, const long long *v, long n, const char *want)
{
    char path[128], expected[300];
    snprintf(path, sizeof path, "%s/m.fits", dir);
    write_fits(path, ordering, col, v, n);
    sky_error err;
    cr_expect_null(sky_moc_load(path, &err));
    snprintf(expected, sizeof expected, want, path);
    cr_expect_str_eq(err.msg, expected);
}

Test(moc, fits_cells_and_bad_fits)
{
    /* 4 * 4^order + ipix: 0/3, 29/last. */
    long long last29 = (4LL << 58) + (12LL << 58) - 1;
    long long good[] = {4 + 3, last29};
    char path[128];
    snprintf(path, sizeof path, "%s/m.fits", dir);
    write_fits(path, "NUNIQ", "UNIQ", good, 2);
    sky_error err;
    sky_moc *m = sky_moc_load(path, &err);
    cr_assert_not_null(m, "%s", err.msg);
    cr_expect_eq(sky_moc_order(m), 29);
    double ra, dec;
    centre(0, 3, &ra, &dec);
    cr_expect(sky_moc_contains(m, ra, dec));
    centre(29, (12LL << 58) - 1, &ra, &dec);
    cr_expect(sky_moc_contains(m, ra, dec));
    centre(29, (12LL << 58) - 2, &ra, &dec);
    cr_expect(!sky_moc_contains(m, ra, dec));
    sky_moc_free(m);

    long long below[] = {7, 2}, deep[] = {4LL << 60};
    rejects_fits("NUNIQ", "UNIQ", below, 2, "%s: cell 2: NUNIQ 2 is below 4, no HEALPix cell");
    rejects_fits("NUNIQ", "UNIQ", deep, 1, "%s: cell 1: NUNIQ 4611686018427387904 is at order 30, above 29");
    rejects_fits("NUNIQ", "UNIQ", below, 0, "%s: the MOC holds no cells");
    rejects_fits(NULL, NULL, NULL, 0, "%s: not a MOC: no binary table after the primary HDU");
    rejects_fits("", "UNIQ", good, 2, "%s: not a MOC: ORDERING is missing, a MOC's is 'NUNIQ' (or MOC 2.0's 'RANGE')");
    rejects_fits("RING", "UNIQ", good, 2, "%s: not a MOC: ORDERING is 'RING', a MOC's is 'NUNIQ' (or MOC 2.0's 'RANGE')");
    rejects_fits("NUNIQ", "PIX", good, 2, "%s: not a MOC: the table has no UNIQ column");
    long long odd[] = {0, 4, 8}, backwards[] = {8, 4};
    rejects_fits("RANGE", "RANGE", odd, 3, "%s: cell 3: a RANGE table has an even number of rows (start, end), this one 3");
    rejects_fits("RANGE", "RANGE", backwards, 2, "%s: cell 1: range 8-4 is empty or out of range at order 29 (0..3458764513820540928)");

    /* Neither FITS nor ASCII, missing, empty. */
    write_file(dir, "m.fits", "SIMPLE  = nonsense", 18, path);
    cr_expect_null(sky_moc_load(path, &err));
    cr_expect(strstr(err.msg, ": not a FITS file cfitsio reads: ") != NULL, "%s", err.msg);
    write_file(dir, "e.txt", "", 0, path);
    cr_expect_null(sky_moc_load(path, &err));
    char want[200];
    snprintf(want, sizeof want, "%s: empty: no cells", path);
    cr_expect_str_eq(err.msg, want);
    snprintf(path, sizeof path, "%s/none.fits", dir);
    cr_expect_null(sky_moc_load(path, &err));
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    cr_expect_str_eq(err.msg, want);
}

Test(moc, membership_as_mocpy_says)
{
    run_script("moc_mocpy.py", dir);
    const char *forms[] = {"map_nuniq.fits", "map_range.fits", "map.txt"};
    sky_moc *maps[3];
    for (int k = 0; k < 3; k++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", dir, forms[k]);
        sky_error err;
        maps[k] = sky_moc_load(path, &err);
        cr_assert_not_null(maps[k], "%s", err.msg);
        cr_expect_eq(sky_moc_order(maps[k]), 29, "%s", forms[k]);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/points.csv", dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    double ra, dec;
    int in;
    size_t n = 0, inside = 0, wrong = 0;
    while (fscanf(f, "%lf,%lf,%d\n", &ra, &dec, &in) == 3) {
        for (int k = 0; k < 3; k++)
            if (sky_moc_contains(maps[k], ra, dec) != (in == 1) && wrong++ < 10)
                cr_log_error("%s: %.17g, %.17g: mocpy says %d", forms[k], ra, dec, in);
        inside += in == 1;
        n++;
    }
    fclose(f);
    cr_expect_eq(n, 40000);
    cr_expect_eq(wrong, 0);
    cr_expect_gt(inside, 8000, "too few points inside to mean much: %zu", inside);
    for (int k = 0; k < 3; k++)
        sky_moc_free(maps[k]);
}
