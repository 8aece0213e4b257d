/* tests/processor/test_eval_avro.c — `alertfilter eval` on Avro object container
 * files ($ALERTFILTER_BIN): thousands of ZTF-shaped files, errors named by
 * file, record and offset, stdin, and the differential test against fastavro
 * on Rubin's schemas and samples (tests/tools/avrogen.py). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/alert/avro_build.h"
#include "tests/processor/cli_run.h"

#define ZTF_SCHEMA                                                                                                     \
    "{\"type\":\"record\",\"name\":\"alert\",\"namespace\":\"ztf\",\"fields\":[{\"name\":\"objectId\",\"type\":\"string\"}," \
    "{\"name\":\"candidate\",\"type\":{\"type\":\"record\",\"name\":\"candidate\",\"fields\":["                           \
    "{\"name\":\"jd\",\"type\":\"double\"},{\"name\":\"magpsf\",\"type\":\"float\"},"                                      \
    "{\"name\":\"drb\",\"type\":[\"float\",\"null\"]}]}},"                                                                  \
    "{\"name\":\"cutoutScience\",\"type\":[\"null\",\"bytes\"]}]}"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/af-eval-avro-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(eval_avro, .init = make_dir, .fini = remove_dir);

/* Runs `eval ARGS` through the shell (globs and redirections allowed) in dir;
 * returns the exit status, stdout and stderr in *out and *err. */
static int eval(const char *args, char **out, char **err)
{
    const char *bin = getenv("ALERTFILTER_BIN");
    cr_assert_not_null(bin, "ALERTFILTER_BIN is not set (run through make test)");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && %s eval %s >stdout 2>stderr", dir, bin, args);
    int status = system(cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/stdout", dir);
    *out = slurp(path);
    snprintf(path, sizeof path, "%s/stderr", dir);
    *err = slurp(path);
    return WEXITSTATUS(status);
}

static void write_file(const char *name, const abuf *b)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

static void ztf_record(abuf *r, int i, const char *id)
{
    ab_str(r, id);
    ab_double(r, 2459000.5 + i);
    ab_float(r, 15.0f + (float)(i % 10) * 0.5f);
    if (i % 3) {
        ab_long(r, 0);
        ab_float(r, 0.75f);
    } else {
        ab_long(r, 1);
    }
    ab_long(r, 1);
    ab_bytes(r, "FITS", 4);
}

static void config(const char *where)
{
    char text[256];
    snprintf(text, sizeof text, "rules = ( { name = \"r\"; topic = \"faint\"; where = \"%s\"; } );\n", where);
    abuf b = {0};
    ab_raw(&b, text, strlen(text));
    write_file("rules.cfg", &b);
    free(b.data);
}

Test(eval_avro, thousands_of_ztf_files_one_alert_each, .timeout = 60)
{
    config("candidate.magpsf > 17.25 and candidate.drb == null");
    abuf b = {0}, r = {0};
    for (int i = 0; i < 3000; i++) {
        char id[16], name[32];
        snprintf(id, sizeof id, "ZTF%05d", i);
        snprintf(name, sizeof name, "%05d.avro", i);
        b.len = r.len = 0;
        ab_ocf_header(&b, ZTF_SCHEMA, i % 2 ? "deflate" : "null");
        ztf_record(&r, i, id);
        ab_ocf_block(&b, 1, r.data, r.len, i % 2);
        write_file(name, &b);
    }
    free(b.data);
    free(r.data);
    char *out, *err;
    cr_assert_eq(eval("-c rules.cfg --stats *.avro", &out, &err), 0);
    /* magpsf 17.5 to 19.5 (i % 10 >= 5) and no drb (i % 3 == 0): i % 30 in {6, 9, 15, 18, 27} */
    size_t lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    cr_assert_eq(lines, 500, "%s", err);
    const char *first = "faint\t{\"objectId\":\"ZTF00006\",\"candidate\":{\"jd\":2459006.5,\"magpsf\":18.0,\"drb\":null},"
                        "\"cutoutScience\":\"RklUUw==\"}\n"
                        "faint\t{\"objectId\":\"ZTF00009\",\"candidate\":{\"jd\":2459009.5,\"magpsf\":19.5,\"drb\":null},";
    cr_assert_eq(strncmp(out, first, strlen(first)), 0, "%.300s", out);
    cr_assert(strstr(err, "r     faint           500   16.67%\n(lines)                 3000\n"), "%s", err);
    free(out);
    free(err);
}

Test(eval_avro, a_bad_record_names_file_record_and_offset, .timeout = 20)
{
    config("true");
    abuf b = {0}, r = {0};
    ab_ocf_header(&b, ZTF_SCHEMA, NULL);
    size_t header = b.len;
    ztf_record(&r, 0, "a");
    size_t second = r.len;
    ztf_record(&r, 1, "b\xff");
    ztf_record(&r, 2, "c");
    ab_ocf_block(&b, 3, r.data, r.len, 0);
    write_file("1bad.avro", &b);
    b.len = r.len = 0;
    ab_ocf_header(&b, ZTF_SCHEMA, "deflate");
    ztf_record(&r, 3, "d");
    ab_ocf_block(&b, 1, r.data, r.len, 1);
    write_file("2good.avro", &b);
    char *out, *err, want[256];
    cr_assert_eq(eval("-c rules.cfg 1bad.avro 2good.avro", &out, &err), 0);
    snprintf(want, sizeof want,
             "1bad.avro: record 2: offset %zu: string is not UTF-8 (byte 0xff)\neval: 1 of 3 lines rejected\n",
             header + 3 + second + 2); /* the block's count (1 byte) and size (2) */
    cr_assert_str_eq(err, want);
    cr_assert_str_eq(out, "faint\t{\"objectId\":\"a\",\"candidate\":{\"jd\":2459000.5,\"magpsf\":15.0,\"drb\":null},"
                          "\"cutoutScience\":\"RklUUw==\"}\n"
                          "faint\t{\"objectId\":\"d\",\"candidate\":{\"jd\":2459003.5,\"magpsf\":16.5,\"drb\":null},"
                          "\"cutoutScience\":\"RklUUw==\"}\n");
    free(out);
    free(err);
    /* a header that is not Avro's, then the same file from stdin */
    b.len = 0;
    ab_raw(&b, "Obj\x01\x02", 5);
    write_file("3header.avro", &b);
    cr_assert_eq(eval("-c rules.cfg 3header.avro - < 2good.avro", &out, &err), 0);
    cr_assert_str_eq(err, "3header.avro: offset 5: file ends inside a metadata key\neval: 1 of 1 lines rejected\n");
    cr_assert_str_eq(out, "faint\t{\"objectId\":\"d\",\"candidate\":{\"jd\":2459003.5,\"magpsf\":16.5,\"drb\":null},"
                          "\"cutoutScience\":\"RklUUw==\"}\n");
    free(out);
    free(err);
    free(b.data);
    free(r.data);
}

Test(eval_avro, format_avro_reads_only_container_files, .timeout = 10)
{
    config("true");
    abuf b = {0};
    ab_raw(&b, "{\"a\": 1}\n", 9);
    write_file("text.json", &b);
    char *out, *err;
    cr_assert_eq(eval("-c rules.cfg --format avro text.json", &out, &err), 0);
    cr_assert_str_eq(out, "");
    cr_assert_str_eq(err, "text.json:1: offset 0: not an Avro object container file (--format avro reads only those)\n"
                          "eval: 1 of 1 lines rejected\n");
    free(out);
    free(err);
    free(b.data);
}

/* eval's JSON against fastavro's reading, normalised as alertfilter writes
 * Avro: every schema version lsst-alert-packet ships (15), its sample alert
 * and 200 random records each, and 200 each of ZTF-shaped and every-type records. */
Test(eval_avro, differential_against_fastavro, .timeout = 240)
{
    const char *bin = getenv("ALERTFILTER_BIN");
    cr_assert_not_null(bin);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "python3 tests/tools/avrogen.py diff %s 1 200 %s", bin, dir);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char report[8192] = "", line[4096];
    unsigned compared = 0, mismatched = 1;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "compared %u mismatched %u", &compared, &mismatched) != 2)
            strncat(report, line, sizeof report - strlen(report) - 1);
    cr_assert_eq(pclose(p), 0, "%s\n%s", cmd, report);
    cr_assert_eq(compared, 15 * (1 + 200) + 2 * 200, "%s", report);
    cr_assert_eq(mismatched, 0, "%u of %u differ:\n%s", mismatched, compared, report);
    cr_assert_str_eq(report, "");
}
