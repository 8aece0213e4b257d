/* tests/processor/test_sample.c — the sample alert generator (processor/cmd_send_sample.c)
 * and `alertfilter send`: exact text, determinism, parsing, spread, delivery. */
#include "tests/processor/kafka_harness.h"

#include "alert/alert.h"
#include "processor/cmd_send_sample.h"

static char buf[PROC_SAMPLE_MAX_BYTES], buf2[PROC_SAMPLE_MAX_BYTES];

/* ---- helpers ---- */

/* Runs a shell command; returns its exit status and its stdout (malloc'd, NUL-terminated). */
static int run(const char *cmd, char **out, size_t *len)
{
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen %s", cmd);
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t got;
    while ((got = fread(s + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n - 1 == 0)
            s = realloc(s, cap *= 2);
    }
    s[n] = '\0';
    int st = pclose(p);
    *out = s;
    if (len)
        *len = n;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static uint32_t lookup(alert_doc *d, const char *path)
{
    alert_path p;
    alert_error err;
    cr_assert_eq(alert_path_parse(path, strlen(path), &p, &err), 0, "path %s", path);
    uint32_t node = alert_lookup(d, 0, p.steps, p.n);
    alert_path_free(&p);
    return node;
}

static double number_at(alert_doc *d, const char *path)
{
    uint32_t n = lookup(d, path);
    cr_assert_neq(n, ALERT_ABSENT, "%s is absent", path);
    return alert_double(d, n);
}

static int64_t int_at(alert_doc *d, const char *path)
{
    uint32_t n = lookup(d, path);
    int64_t v;
    cr_assert_neq(n, ALERT_ABSENT, "%s is absent", path);
    cr_assert_eq(alert_int(d, n, &v), 0, "%s is not an int64", path);
    return v;
}

/* ---- numbers as Python's repr writes them ---- */

Test(sample, decimal_matches_python_repr)
{
    static const struct {
        int64_t mant;
        int scale;
        const char *repr;
    } cases[] = {
        {1, 5, "1e-05"},
        {1, 4, "0.0001"},
        {12, 5, "0.00012"},
        {12410, 1, "1241.0"},
        {123, 0, "123.0"},
        {10, 1, "1.0"},
        {0, 3, "0.0"},
        {-5, 0, "-5.0"},
        {-2453, 9, "-2.453e-06"},
        {351570546978, 9, "351.570546978"},
        {126243049656, 12, "0.126243049656"},
        {15, -15, "1.5e+16"},
        {1, -16, "1e+16"},
        {1, -15, "1000000000000000.0"},
        {999999999999999, 0, "999999999999999.0"},
        {12345, 20, "1.2345e-16"},
        {40398100, 0, "40398100.0"},
        {3631, 8, "3.631e-05"},
        {123456, -100, "1.23456e+105"},
        {7, 300, "7e-300"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        size_t n = proc_sample_decimal(cases[i].mant, cases[i].scale, out);
        out[n] = '\0';
        cr_assert_str_eq(out, cases[i].repr, "%" PRId64 "e-%d", cases[i].mant, cases[i].scale);
    }
}

Test(sample, format_names)
{
    proc_sample_format f = PROC_SAMPLE_JSON;
    cr_assert_eq(proc_sample_format_parse("python", &f), 0);
    cr_assert_eq(f, PROC_SAMPLE_PYTHON);
    cr_assert_eq(proc_sample_format_parse("json", &f), 0);
    cr_assert_eq(f, PROC_SAMPLE_JSON);
    cr_assert_eq(proc_sample_format_parse("avro", &f), -1);
    cr_assert_eq(f, PROC_SAMPLE_JSON);
}

/* ---- the generator ---- */

Test(sample, first_alert_starts_like_the_sample_alert)
{
    proc_sample g;
    proc_sample_init(&g, 1);
    size_t n = proc_sample_alert(&g, PROC_SAMPLE_PYTHON, false, buf, sizeof buf);
    const char *head = "{'alertId': 1231321321, 'l1dbId': ";
    cr_assert_eq(strncmp(buf, head, strlen(head)), 0, "%.60s", buf);
    cr_assert_eq(buf[n - 1], '}');
    cr_assert_eq(g.alert_id, 1231321321u);
    cr_assert_eq(g.index, 1u);
    const char *keys[] = {"'diaSource': {'diaSourceId': 281323062375219200, 'ccdVisitId': ",
                          "'prv_diaSources': [", "'diaObject': {'diaObjectId': ", "'ssObject': {'ssObjectId': ",
                          "'diaObjectL2': {'diaObjectId': ", "'diaSourcesL2': ["};
    const char *at = buf;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *k = strstr(at, keys[i]);
        cr_assert_not_null(k, "%s missing or out of order", keys[i]);
        at = k;
    }
    cr_assert_null(strstr(buf, "cutout"));
}

Test(sample, same_seed_same_bytes_other_seed_other_bytes)
{
    proc_sample a, b, c;
    proc_sample_init(&a, 42);
    proc_sample_init(&b, 42);
    proc_sample_init(&c, 43);
    for (int i = 0; i < 1000; i++) {
        bool stamps = i % 7 == 0;
        proc_sample_format f = i % 2 ? PROC_SAMPLE_JSON : PROC_SAMPLE_PYTHON;
        size_t na = proc_sample_alert(&a, f, stamps, buf, sizeof buf);
        size_t nb = proc_sample_alert(&b, f, stamps, buf2, sizeof buf2);
        cr_assert_eq(na, nb, "alert %d", i);
        cr_assert_eq(memcmp(buf, buf2, na), 0, "alert %d differs", i);
        size_t nc = proc_sample_alert(&c, f, stamps, buf2, sizeof buf2);
        cr_assert(nc != na || memcmp(buf, buf2, na) != 0, "seeds 42 and 43 gave the same alert %d", i);
    }
}

Test(sample, too_small_buffer_writes_nothing_and_keeps_the_state)
{
    proc_sample g, fresh;
    proc_sample_init(&g, 5);
    proc_sample_init(&fresh, 5);
    cr_assert_eq(proc_sample_alert(&g, PROC_SAMPLE_PYTHON, true, buf, 1000), 0);
    cr_assert_eq(g.index, 0u);
    size_t n = proc_sample_alert(&g, PROC_SAMPLE_PYTHON, true, buf, sizeof buf);
    size_t m = proc_sample_alert(&fresh, PROC_SAMPLE_PYTHON, true, buf2, sizeof buf2);
    cr_assert_eq(n, m);
    cr_assert_eq(memcmp(buf, buf2, n), 0);
    cr_assert_eq(proc_sample_alert(&g, PROC_SAMPLE_JSON, false, buf, n / 2), 0);
    cr_assert_eq(g.index, 1u);
}

/* Both texts of alert i parse, and the Python one written as JSON is the JSON one,
 * byte for byte (stamps: bytes become base64 on both sides). */
static void check_formats_agree(bool stamps)
{
    proc_sample py, js;
    proc_sample_init(&py, 9);
    proc_sample_init(&js, 9);
    alert_doc dp, dj;
    alert_doc_init(&dp);
    alert_doc_init(&dj);
    alert_buf jp = {0}, jj = {0};
    for (int i = 0; i < 500; i++) {
        size_t np = proc_sample_alert(&py, PROC_SAMPLE_PYTHON, stamps, buf, sizeof buf);
        size_t nj = proc_sample_alert(&js, PROC_SAMPLE_JSON, stamps, buf2, sizeof buf2);
        alert_error err;
        cr_assert_eq(alert_parse(&dp, buf, np, ALERT_FORMAT_PYTHON, &err), 0, "alert %d: %zu: %s", i, err.offset,
                     err.msg);
        cr_assert_eq(alert_parse(&dj, buf2, nj, ALERT_FORMAT_JSON, &err), 0, "alert %d: %zu: %s", i, err.offset,
                     err.msg);
        jp.len = jj.len = 0;
        cr_assert_eq(alert_write_json(&dp, 0, &jp), 0);
        cr_assert_eq(alert_write_json(&dj, 0, &jj), 0);
        cr_assert_eq(jp.len, nj, "alert %d: JSON of the Python text has %zu bytes, the JSON text %zu", i, jp.len, nj);
        cr_assert_eq(memcmp(jp.data, buf2, nj), 0, "alert %d: JSON of the Python text differs", i);
        cr_assert_eq(jj.len, nj);
        cr_assert_eq(memcmp(jj.data, buf2, nj), 0, "alert %d: JSON rewritten differs", i);
        cr_assert_eq(alert_parse(&dp, buf, np, ALERT_FORMAT_AUTO, &err), 0);
        cr_assert_eq(dp.format, ALERT_FORMAT_PYTHON);
        cr_assert_eq(alert_parse(&dj, buf2, nj, ALERT_FORMAT_AUTO, &err), 0);
        cr_assert_eq(dj.format, ALERT_FORMAT_JSON);
    }
    alert_buf_free(&jp);
    alert_buf_free(&jj);
    alert_doc_free(&dp);
    alert_doc_free(&dj);
}

Test(sample, python_and_json_parse_and_agree) { check_formats_agree(false); }
Test(sample, python_and_json_agree_with_stamps) { check_formats_agree(true); }

Test(sample, stamps_are_python_bytes_and_leave_the_rest_unchanged)
{
    proc_sample a, b;
    proc_sample_init(&a, 3);
    proc_sample_init(&b, 3);
    size_t plain = proc_sample_alert(&a, PROC_SAMPLE_PYTHON, false, buf, sizeof buf);
    size_t full = proc_sample_alert(&b, PROC_SAMPLE_PYTHON, true, buf2, sizeof buf2);
    cr_assert_gt(full, plain);
    cr_assert_eq(memcmp(buf, buf2, plain - 1), 0, "the values before the cutouts differ");
    const char *diff = ", 'cutoutDifference': {'fileName': 'stamp-1231321321-diff.fits', 'stampData': b";
    cr_assert_eq(strncmp(buf2 + plain - 1, diff, strlen(diff)), 0, "%.90s", buf2 + plain - 1);
    cr_assert_not_null(strstr(buf2, "'cutoutTemplate': {'fileName': 'stamp-1231321321-template.fits', "
                                    "'stampData': b"));
    cr_assert_not_null(strstr(buf2, "SIMPLE  =                    T"));
    cr_assert_not_null(strstr(buf2, "\\x"));
}

/* Fixed seed, so exact counts; each also lies where its distribution puts it. */
Test(sample, values_spread_so_rules_select_real_subsets, .timeout = 60)
{
    enum { N = 10000 };
    proc_sample g;
    proc_sample_init(&g, 1);
    alert_doc d;
    alert_doc_init(&d);
    int ra350 = 0, snr5 = 0, neg_flux = 0, south = 0, bands[6] = {0}, prv[6] = {0}, total_bytes = 0;
    int64_t last_id = 0, last_source = 0, last_tai = 0;
    int64_t *objects = malloc(N * sizeof *objects);
    for (int i = 0; i < N; i++) {
        size_t n = proc_sample_alert(&g, PROC_SAMPLE_PYTHON, false, buf, sizeof buf);
        total_bytes += (int)n;
        alert_error err;
        cr_assert_eq(alert_parse(&d, buf, n, ALERT_FORMAT_PYTHON, &err), 0, "alert %d: %s", i, err.msg);
        double ra = number_at(&d, "diaSource.ra"), decl = number_at(&d, "diaSource.decl");
        cr_assert(ra >= 0 && ra < 360 && decl >= -90 && decl <= 90, "alert %d at %g %g", i, ra, decl);
        ra350 += ra > 350;
        south += decl < 0;
        snr5 += number_at(&d, "diaSource.snr") > 5;
        neg_flux += number_at(&d, "diaSource.psFlux") < 0;
        const char *band;
        size_t band_len;
        cr_assert_eq(alert_string(&d, lookup(&d, "diaSource.filterName"), &band, &band_len), 0);
        cr_assert_eq(band_len, 1u);
        cr_assert_not_null(strchr("ugrizy", band[0]));
        bands[strchr("ugrizy", band[0]) - "ugrizy"]++;
        uint32_t hist = lookup(&d, "prv_diaSources");
        uint32_t count = alert_at(&d, hist)->count;
        cr_assert_leq(count, 5u);
        prv[count]++;
        if (count > 0)
            cr_assert_lt(int_at(&d, "prv_diaSources[0].diaSourceId"), int_at(&d, "diaSource.diaSourceId"));
        int64_t id = int_at(&d, "alertId"), source = int_at(&d, "diaSource.diaSourceId"),
                tai = int_at(&d, "diaSource.midPointTai");
        cr_assert(i == 0 || (id > last_id && source > last_source && tai > last_tai), "alert %d not increasing", i);
        last_id = id, last_source = source, last_tai = tai;
        objects[i] = int_at(&d, "diaObject.diaObjectId");
        cr_assert_eq(objects[i], int_at(&d, "diaObjectL2.diaObjectId"));
    }
    /* Distinct objects: fewer than alerts, as an object has several alerts. */
    int distinct = 0;
    for (int i = 0; i < N; i++) {
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = objects[j] == objects[i];
        distinct += !seen;
    }
    free(objects);
    alert_doc_free(&d);

    cr_assert_eq(ra350, 227);
    cr_assert(ra350 > 180 && ra350 < 380, "ra > 350: %d of %d, expected about 2.8%%", ra350, N);
    cr_assert_eq(snr5, 6481);
    cr_assert(snr5 > 6200 && snr5 < 6800, "snr > 5: %d, expected about 65%% (log-uniform 1..100)", snr5);
    cr_assert_eq(south, 5016);
    cr_assert(south > 4700 && south < 5300, "decl < 0: %d", south);
    cr_assert_eq(neg_flux, 1034);
    cr_assert(neg_flux > 850 && neg_flux < 1150, "psFlux < 0: %d, expected about 10%%", neg_flux);
    for (int b = 0; b < 6; b++) {
        cr_assert(bands[b] > 1500 && bands[b] < 1830, "band %c: %d", "ugrizy"[b], bands[b]);
        cr_assert(prv[b] > 1500 && prv[b] < 1830, "%d previous sources: %d", b, prv[b]);
    }
    cr_assert_eq(bands[2], 1706);
    cr_assert_eq(prv[0], 1654);
    cr_assert_eq(distinct, 3751);
    cr_assert(distinct > 3000 && distinct < 4097, "%d distinct objects", distinct);
    cr_assert(total_bytes / N > 3000 && total_bytes / N < 3800, "mean size %d bytes", total_bytes / N);
}

Test(sample, python_reads_the_text_back_exactly, .timeout = 60)
{
    char path[] = "/tmp/af-sample-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    proc_sample g;
    proc_sample_init(&g, 11);
    for (int i = 0; i < 300; i++) {
        size_t n = proc_sample_alert(&g, PROC_SAMPLE_PYTHON, i % 3 == 0, buf, sizeof buf);
        fwrite(buf, 1, n, f);
        fputc('\n', f);
    }
    fclose(f);
    /* str() of what literal_eval reads is the line itself: every float is
     * written as repr writes it, every bytes literal as repr writes it. */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import ast, sys\n"
             "n = 0\n"
             "for line in open(sys.argv[1]):\n"
             "    line = line.rstrip(\"\\n\")\n"
             "    if str(ast.literal_eval(line)) != line: print(\"differs:\", line[:80]); break\n"
             "    n += 1\n"
             "print(n, \"alerts read back\")' %s 2>&1",
             path);
    char *out;
    int rc = run(cmd, &out, NULL);
    unlink(path);
    cr_assert_eq(rc, 0, "%s", out);
    cr_assert_str_eq(out, "300 alerts read back\n");
    free(out);
}

/* ---- alertfilter send ---- */

Test(send, output_to_stdout_is_the_generator_text, .timeout = 60)
{
    char cmd[512], *out;
    size_t len;
    snprintf(cmd, sizeof cmd, "%s send -o - -n 250 --seed 7 2>/tmp/af-send-err-%d", kh_bin(), (int)getpid());
    cr_assert_eq(run(cmd, &out, &len), 0);
    cr_assert_eq(count_lines(out), 250u);
    proc_sample g;
    proc_sample_init(&g, 7);
    const char *line = out;
    for (int i = 0; i < 250; i++) {
        size_t n = proc_sample_alert(&g, PROC_SAMPLE_PYTHON, false, buf, sizeof buf);
        cr_assert_eq(memcmp(line, buf, n), 0, "line %d", i + 1);
        cr_assert_eq(line[n], '\n');
        line += n + 1;
    }
    free(out);
    snprintf(cmd, sizeof cmd, "/tmp/af-send-err-%d", (int)getpid());
    char *err = kh_slurp(cmd);
    unlink(cmd);
    cr_assert_str_eq(err, "wrote 250 alerts to stdout\n");
    free(err);
}

Test(send, output_file_json_with_stamps, .timeout = 60)
{
    char path[] = "/tmp/af-send-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s send -o %s -n 20 --format json --stamps --seed 3 2>&1", kh_bin(), path);
    cr_assert_eq(run(cmd, &out, NULL), 0, "%s", out);
    char want[600];
    snprintf(want, sizeof want, "wrote 20 alerts to %s\n", path);
    cr_assert_str_eq(out, want);
    free(out);
    char *text = kh_slurp(path);
    unlink(path);
    proc_sample g;
    proc_sample_init(&g, 3);
    const char *line = text;
    for (int i = 0; i < 20; i++) {
        size_t n = proc_sample_alert(&g, PROC_SAMPLE_JSON, true, buf, sizeof buf);
        cr_assert_eq(memcmp(line, buf, n), 0, "line %d", i + 1);
        line += n + 1;
    }
    cr_assert_eq(*line, '\0');
    free(text);
}

Test(send, usage_errors_exit_2, .timeout = 30)
{
    static const struct {
        const char *args, *first_line;
    } cases[] = {
        {"-n 5", "alertfilter send: -b BROKERS and -t TOPIC are required (or -o FILE)\n"},
        {"-o - --format xml", "alertfilter send: bad value 'xml' for --format\n"},
        {"-o - -n -3", "alertfilter send: bad value '-3' for -n\n"},
        {"-o - --rate 0", "alertfilter send: bad value '0' for --rate\n"},
        {"-o - --count=5x", "alertfilter send: bad value '5x' for --count\n"},
        {"-o - --bogus 1", "alertfilter send: unknown option '--bogus'\n"},
        {"-o - -x", "alertfilter send: unknown option '-x'\n"},
        {"-o", "alertfilter send: missing value for '-o'\n"},
        {"-o - --seed", "alertfilter send: missing value for '--seed'\n"},
        {"-o - extra", "alertfilter send: unexpected argument 'extra'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[512], *out;
        snprintf(cmd, sizeof cmd, "%s send %s 2>&1 >/dev/null | head -n 1", kh_bin(), cases[i].args);
        cr_assert_eq(run(cmd, &out, NULL), 0);
        cr_assert_str_eq(out, cases[i].first_line, "send %s", cases[i].args);
        free(out);
        snprintf(cmd, sizeof cmd, "%s send %s >/dev/null 2>&1", kh_bin(), cases[i].args);
        cr_assert_eq(run(cmd, &out, NULL), 2, "send %s", cases[i].args);
        free(out);
    }
}

Test(send, unreachable_broker_fails_fast_and_clearly, .timeout = 30)
{
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s send -b 127.0.0.1:1 -t alerts -n 10 2>&1 | grep '^alertfilter send'", kh_bin());
    int rc = run(cmd, &out, NULL);
    cr_assert_eq(rc, 0, "no 'alertfilter send' line");
    const char *want = "alertfilter send: cannot reach 127.0.0.1:1: ";
    cr_assert_eq(strncmp(out, want, strlen(want)), 0, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s send -b 127.0.0.1:1 -t alerts -n 10 >/dev/null 2>&1", kh_bin());
    double t0 = kh_now();
    cr_assert_eq(run(cmd, &out, NULL), 1);
    /* A refused connection is final: no waiting out the 10 s message timeout. */
    cr_assert_lt(kh_now() - t0, 9.0);
    free(out);
}

/* Checks that topic holds exactly the first n alerts of seed, each once, keyed by its alertId. */
static void expect_alerts(const kh_cluster *c, const char *topic, uint64_t seed, size_t n)
{
    kh_recs rs = kh_read_topic(c, topic);
    cr_assert_eq(rs.n, n, "%s holds %zu messages", topic, rs.n);
    bool *seen = calloc(n, 1);
    proc_sample g;
    proc_sample_init(&g, seed);
    for (size_t i = 0; i < rs.n; i++) {
        cr_assert_not_null(rs.r[i].key, "message %zu has no key", i);
        g.index = strtoull(rs.r[i].key, NULL, 10) - 1231321321u;
        cr_assert_lt(g.index, n, "key %s", rs.r[i].key);
        cr_assert(!seen[g.index], "key %s twice", rs.r[i].key);
        seen[g.index] = true;
        size_t len = proc_sample_alert(&g, PROC_SAMPLE_PYTHON, false, buf, sizeof buf);
        buf[len] = '\0';
        cr_assert_str_eq(rs.r[i].value, buf, "message %s", rs.r[i].key);
    }
    free(seen);
    kh_recs_free(&rs);
}

Test(send, produces_every_alert_keyed_by_alert_id, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "sample", 4);
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s send -b %s -t sample -n 600 --seed 5 2>&1", kh_bin(), c.bootstraps);
    cr_assert_eq(run(cmd, &out, NULL), 0, "%s", out);
    cr_assert_str_eq(out, "sent 600 alerts to sample\n");
    free(out);
    expect_alerts(&c, "sample", 5, 600);
    kh_cluster_free(&c);
}

Test(send, failed_delivery_exits_1_with_the_reason, .timeout = 60)
{
    kh_cluster c = kh_cluster_new(1);
    kh_topic(&c, "sample", 1);
    /* Not retriable, so every produce request fails at once. */
    rd_kafka_resp_err_t errs[64];
    for (size_t i = 0; i < 64; i++)
        errs[i] = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED;
    rd_kafka_mock_push_request_errors_array(c.mc, KH_PRODUCE, 64, errs);
    char cmd[512], *out, err_path[64];
    snprintf(err_path, sizeof err_path, "/tmp/af-send-err-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "%s send -b %s -t sample -n 10 2>%s", kh_bin(), c.bootstraps, err_path);
    cr_assert_eq(run(cmd, &out, NULL), 1);
    free(out);
    char *err = kh_slurp(err_path);
    unlink(err_path);
    /* librdkafka's own log lines may come first; ours is the last line. */
    const char *last = strstr(err, "alertfilter send: ");
    cr_assert_not_null(last, "%s", err);
    cr_assert_str_eq(last, "alertfilter send: 10 of 10 alerts not delivered to 'sample': "
                           "Broker: Topic authorization failed\n");
    free(err);
    kh_cluster_free(&c);
}

Test(send, rate_paces_the_stream, .timeout = 30)
{
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s send -o - -n 21 --rate 100 2>/dev/null", kh_bin());
    double t0 = kh_now();
    cr_assert_eq(run(cmd, &out, NULL), 0);
    double took = kh_now() - t0;
    cr_assert_eq(count_lines(out), 21u);
    /* The 21st alert is due 0.2 s after the first. */
    cr_assert(took >= 0.19 && took < 5, "21 alerts at 100/s took %.3f s", took);
    free(out);
}

Test(send, help_exits_0, .timeout = 30)
{
    char cmd[512], *out;
    snprintf(cmd, sizeof cmd, "%s send --help | head -n 1", kh_bin());
    cr_assert_eq(run(cmd, &out, NULL), 0);
    cr_assert_str_eq(out, "usage: alertfilter send -b BROKERS -t TOPIC [-n N] [--format python|json] [--stamps]\n");
    free(out);
    snprintf(cmd, sizeof cmd, "%s send --help >/dev/null", kh_bin());
    cr_assert_eq(run(cmd, &out, NULL), 0);
    free(out);
}
