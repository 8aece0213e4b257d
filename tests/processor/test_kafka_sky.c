/* tests/processor/test_kafka_sky.c — watchlists and watchmaps in `run` and
 * `check`: the alertfilter-watchlist header on a mock cluster, SIGHUP
 * re-reading the files (a bad one keeps the old set, its error logged), and
 * the exact `check` error of each bad file. */
#include "tests/processor/kafka_harness.h"

/* A watchlist CSV of the generated alerts' positions (kh_alert_make: RA
 * (id * 37) % 360 + 0.25, Dec -(id % 80) - 0.5), entry "wd-ID" for each id,
 * and for the first a second entry 1" north of it, "wd-ID-near". */
static void write_list(const char *path, const int *ids, size_t n)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("# generated alerts' positions\nname,ra,dec\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "wd-%d,%d.25,-%d.5\n", ids[i], (ids[i] * 37) % 360, ids[i] % 80);
    fprintf(f, "wd-%d-near,%d.25,%.6f\n", ids[0], (ids[0] * 37) % 360, -(ids[0] % 80) - 0.5 + 1 / 3600.0);
    fclose(f);
}

static char *sky_config(const kh_cluster *c, const char *list)
{
    return kh_config("kafka = { bootstrap_servers = \"%s\"; };\n"
                     "input = { topics = [ \"in\" ]; group = \"sky\"; };\n"
                     "watchlists = ( { name = \"wd\"; file = \"%s\"; radius_arcsec = 2.0; } );\n"
                     "rules = ( { name = \"wd\"; topic = \"out\"; where = \"watchlist('wd', diaSource.ra, diaSource.decl)\"; },\n"
                     "          { name = \"far\"; topic = \"far\"; where = \"diaSource.snr > 20 and not watchlist('wd', diaSource.ra, diaSource.decl)\"; } );\n",
                     c->bootstraps, list);
}

/* The out topic holds exactly the alerts ids[0..n), each with its entry's name. */
static void expect_out(const kh_cluster *c, const int *ids, const char *const *names, size_t n)
{
    kh_recs rs = kh_read_topic(c, "out");
    cr_assert_eq(rs.n, n, "%zu records in out, want %zu", rs.n, n);
    for (size_t k = 0; k < n; k++) {
        size_t i = 0;
        int id = -1;
        for (; i < rs.n; i++)
            if (sscanf(rs.r[i].value, "{\"alertId\":%d", &id) == 1 && id == ids[k])
                break;
        cr_assert_lt(i, rs.n, "alert %d is not in out", ids[k]);
        cr_expect_str_eq(rs.r[i].rule, "wd");
        cr_expect(rs.r[i].watchlist && !strcmp(rs.r[i].watchlist, names[k]), "alert %d: watchlist header %s, want %s",
                  ids[k], rs.r[i].watchlist ? rs.r[i].watchlist : "(none)", names[k]);
    }
    kh_recs_free(&rs);
    /* A rule that matched without a true watchlist() carries no such header. */
    rs = kh_read_topic(c, "far");
    cr_assert_gt(rs.n, 0);
    for (size_t i = 0; i < rs.n; i++)
        cr_expect_null(rs.r[i].watchlist, "far: %s", rs.r[i].watchlist);
    kh_recs_free(&rs);
}

Test(kafka_sky, watchlist_header_and_sighup_rereads_the_file, .timeout = 90)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "in", 2);
    char list[] = "/tmp/kh-wd-XXXXXX";
    close(mkstemp(list));
    const int first[] = {3, 10, 210};
    write_list(list, first, 3);
    char *cfg = sky_config(&c, list);
    char *errp;
    pid_t pid = kh_spawn(&errp, "run", "-c", cfg, NULL);
    kh_produce_alerts(&c, "in", 0, 200);
    cr_assert_eq(kh_wait_topic_size(&c, "out", 2, 30000), 2);

    /* A bad file: the reload fails, the old list stays. */
    FILE *f = fopen(list, "w");
    fputs("name,ra,dec\nwd-250,400,1\n", f);
    fclose(f);
    kill(pid, SIGHUP);
    char want[300];
    snprintf(want, sizeof want, "watchlist 'wd': %s:2: ra 400 is outside [0, 360)", list);
    cr_assert(kh_wait_log(errp, want, 10000), "log:\n%s", kh_tail(kh_slurp(errp)));
    cr_assert(kh_wait_log(errp, "msg=\"reload failed, keeping the current rules\" rules=2", 1000));
    kh_produce_alerts(&c, "in", 200, 300);
    cr_assert_eq(kh_wait_topic_size(&c, "out", 3, 30000), 3);

    /* A good one replaces it. */
    const int second[] = {350, 250};
    write_list(list, second, 2);
    kill(pid, SIGHUP);
    cr_assert(kh_wait_log(errp, "msg=\"rules reloaded\" rules=2", 10000), "log:\n%s", kh_tail(kh_slurp(errp)));
    kh_produce_alerts(&c, "in", 300, 400);
    cr_assert_eq(kh_wait_topic_size(&c, "out", 4, 30000), 4);
    kill(pid, SIGTERM);
    cr_assert_eq(kh_wait(pid, 20000), 0);

    /* Alert 3 is 1" from wd-3-near and on wd-3: the nearest is named. */
    const int ids[] = {3, 10, 210, 350};
    const char *const names[] = {"wd-3", "wd-10", "wd-210", "wd-350"};
    expect_out(&c, ids, names, 4);
    unlink(list), unlink(errp), unlink(cfg);
    free(errp), free(cfg);
    kh_cluster_free(&c);
}

/* `check -c cfg` fails with exactly this stderr (DIR: the folder of the files). */
static void check_fails(const char *dir, const char *cfg_text, const char *want_fmt)
{
    char cfg[200], want[2000];
    snprintf(cfg, sizeof cfg, "%s/sky.cfg", dir);
    FILE *f = fopen(cfg, "w");
    fputs(cfg_text, f);
    fclose(f);
    char *errp;
    pid_t pid = kh_spawn(&errp, "check", "-c", cfg, NULL);
    cr_assert_eq(kh_wait(pid, 20000), 1);
    char *log = kh_slurp(errp);
    size_t n = 0;
    for (const char *p = want_fmt; *p && n < sizeof want - 100;)
        if (!strncmp(p, "DIR", 3)) {
            n += (size_t)snprintf(want + n, sizeof want - n, "%s", dir);
            p += 3;
        } else {
            want[n++] = *p++;
        }
    want[n] = '\0';
    cr_expect_str_eq(log, want);
    free(log);
    unlink(errp);
    free(errp);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

Test(kafka_sky, check_reports_each_bad_file_with_its_line)
{
    char dir[] = "/tmp/kh-sky-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    put(dir, "empty.csv", "");
    put(dir, "row.csv", "name,ra,dec\na,1,2\nb,1\n");
    put(dir, "dec.csv", "ra,dec\n1,-90.5\n");
    put(dir, "dup.csv", "name,ra,dec\na,1,2\na,3,4\n");
    put(dir, "ok.csv", "ra,dec\n0,90\n");
    put(dir, "deep.txt", "30/1\n");
    put(dir, "cell.txt", "1/2\n2/192\n");
    put(dir, "notmoc.fits", "SIMPLE  = not really");
    check_fails(dir,
                "watchlists = ( { name = \"a\"; file = \"missing.csv\"; radius_arcsec = 2; },\n"
                "  { name = \"b\"; file = \"empty.csv\"; radius_arcsec = 2; },\n"
                "  { name = \"c\"; file = \"row.csv\"; radius_arcsec = 2; },\n"
                "  { name = \"d\"; file = \"dec.csv\"; radius_arcsec = 2; },\n"
                "  { name = \"e\"; file = \"dup.csv\"; radius_arcsec = 2; },\n"
                "  { name = \"f\"; file = \"ok.csv\"; radius_arcsec = 3601; },\n"
                "  { name = \"a\"; file = \"ok.csv\"; radius_arcsec = 1; } );\n"
                "watchmaps = ( { name = \"m\"; file = \"deep.txt\"; }, { name = \"n\"; file = \"cell.txt\"; },\n"
                "  { name = \"o\"; file = \"notmoc.fits\"; } );\n"
                "rules = ( { name = \"r\"; topic = \"o\"; where = \"watchlist('a', ra, dec) or watchmap('o', ra, dec)\"; } );\n",
                "DIR/sky.cfg:1: watchlist 'a': DIR/missing.csv: cannot open: No such file or directory\n"
                "DIR/sky.cfg:2: watchlist 'b': DIR/empty.csv: empty: no header line and no entries\n"
                "DIR/sky.cfg:3: watchlist 'c': DIR/row.csv:3: 2 fields, the header names 3\n"
                "DIR/sky.cfg:4: watchlist 'd': DIR/dec.csv:2: dec -90.5 is outside [-90, 90]\n"
                "DIR/sky.cfg:5: watchlist 'e': DIR/dup.csv:3: duplicate name 'a' (first on line 2)\n"
                "DIR/sky.cfg:6: watchlist 'f': DIR/ok.csv: radius_arcsec 3601 is above 3600 (1 degree): cone matching "
                "beyond a degree is not a watchlist\n"
                "DIR/sky.cfg:7: watchlist 'a': the name is taken by another watchlist\n"
                "DIR/sky.cfg:8: watchmap 'm': DIR/deep.txt:1: order 30 is above 29\n"
                "DIR/sky.cfg:8: watchmap 'n': DIR/cell.txt:2: cell '192' is out of range at order 2 (0..191)\n"
                "DIR/sky.cfg:9: watchmap 'o': DIR/notmoc.fits: not a FITS file cfitsio reads: error reading from FITS file\n"
                "DIR/sky.cfg: 10 errors\n");
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
