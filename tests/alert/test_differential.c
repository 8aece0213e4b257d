/* tests/alert/test_differential.c — our reading against Python's: thousands of
 * random values from tests/tools/pyvalues.py, read and written as JSON by us,
 * compared by Python with ast.literal_eval / json.loads of the same text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert/alert.h"

#define GENERATOR "tests/tools/pyvalues.py"

/* Reads each line of in as fmt and writes our JSON (or the error) as a line of out. */
static void translate(const char *in, const char *out, alert_format fmt)
{
    FILE *fi = fopen(in, "rb"), *fo = fopen(out, "wb");
    cr_assert(fi && fo);
    alert_doc d;
    alert_doc_init(&d);
    alert_buf json = {0};
    alert_error err;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, fi)) > 0) {
        json.len = 0;
        if (alert_parse(&d, line, (size_t)n - 1, fmt, &err) != 0)
            fprintf(fo, "ERROR %s\n", err.msg);
        else if (alert_write_json(&d, 0, &json) == 0)
            fprintf(fo, "%.*s\n", (int)json.len, json.data);
    }
    free(line);
    alert_buf_free(&json);
    alert_doc_free(&d);
    fclose(fi);
    fclose(fo);
}

static void differential(const char *fmt_name, alert_format fmt, unsigned seed, unsigned count)
{
    char dir[] = "/tmp/alert-diff-XXXXXX", cmd[512], in[64], out[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(cmd, sizeof cmd, "python3 " GENERATOR " gen %s %u %u %s", fmt_name, seed, count, in);
    cr_assert_eq(system(cmd), 0, "%s", cmd);

    translate(in, out, fmt);

    snprintf(cmd, sizeof cmd, "python3 " GENERATOR " check %s %s %s", fmt_name, in, out);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char report[4096] = "", line[1024];
    unsigned compared = 0, mismatched = 1;
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, "compared %u mismatched %u", &compared, &mismatched) != 2)
            strncat(report, line, sizeof report - strlen(report) - 1);
    }
    cr_assert_eq(pclose(p), 0, "%s", cmd);
    cr_assert_eq(compared, count);
    cr_assert_eq(mismatched, 0, "%u of %u differ:\n%s", mismatched, count, report);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

Test(differential, python_repr, .timeout = 60)
{
    differential("python", ALERT_FORMAT_PYTHON, 20261123, 3000);
}

Test(differential, python_repr_auto, .timeout = 60)
{
    differential("python", ALERT_FORMAT_AUTO, 42, 2000);
}

Test(differential, json, .timeout = 60)
{
    differential("json", ALERT_FORMAT_JSON, 7, 2000);
}

Test(differential, json_auto, .timeout = 60)
{
    differential("json", ALERT_FORMAT_AUTO, 8, 2000);
}
