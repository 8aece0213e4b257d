/* tests/processor/test_cli_check_eval.c — `alertfilter check` and `alertfilter eval`,
 * the usage errors of `alertfilter run`, and every --help as docs/commands.md quotes
 * it, through the real binary ($ALERTFILTER_BIN): exact stdout, stderr and exit status. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rules/rules.h"

#define DIR "tests/processor/configs/"

#include "tests/processor/cli_run.h"

/* Runs `eval -c minimal.cfg FILE` with stderr on a terminal (a pseudo-terminal
 * whose other end is read back), and stdout on a terminal too or in a file.
 * Returns what the terminal received on stderr. */
static char *eval_on_terminal(const char *file, bool stdout_on_terminal)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(master, 0);
    cr_assert_eq(grantpt(master), 0);
    cr_assert_eq(unlockpt(master), 0);
    const char *bin = getenv("ALERTFILTER_BIN");
    cr_assert_not_null(bin);
    const char *argv[] = {bin, "eval", "-c", DIR "minimal.cfg", file, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, ptsname(master), O_RDWR | O_NOCTTY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, stdout_on_terminal ? ptsname(master) : "/dev/null",
                                     O_WRONLY | O_NOCTTY, 0);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    /* Everything the child wrote is buffered in the terminal; read it without blocking. */
    fcntl(master, F_SETFL, O_NONBLOCK);
    char *text = calloc(1 << 16, 1);
    size_t len = 0;
    ssize_t got;
    while ((got = read(master, text + len, (1 << 16) - 1 - len)) > 0)
        len += (size_t)got;
    close(master);
    return text;
}

/* ---- check ---- */

Test(check, issue_2_minimal_config, .timeout = 10)
{
    result r = RUN(NULL, "check", "-c", DIR "minimal.cfg");
    cr_assert_str_eq(r.out, DIR "minimal.cfg: ok, 1 rule\n" DIR
                                "minimal.cfg: note: no input.topics: 'eval' can use it, 'run' cannot\n");
    cr_assert_str_eq(r.err, "");
    cr_assert_eq(r.status, 0);
    result_free(&r);
}

Test(check, full_config, .timeout = 10)
{
    result r = RUN(NULL, "check", "--config", DIR "full.cfg");
    cr_assert_str_eq(r.out, DIR "full.cfg: ok, 2 rules\n");
    cr_assert_str_eq(r.err, "");
    cr_assert_eq(r.status, 0);
    result_free(&r);
}

Test(check, config_errors_all_reported, .timeout = 10)
{
    result r = RUN(NULL, "check", "-c", DIR "typo.cfg");
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err, DIR "typo.cfg:2: unknown setting 'input.toipcs' (did you mean 'input.topics'?)\n"
                            DIR "typo.cfg:3: unknown setting 'input.grop' (did you mean 'input.group'?)\n"
                            DIR "typo.cfg:5: unknown setting 'outptu' (did you mean 'output'?)\n"
                            DIR "typo.cfg:6: unknown setting 'rules[0].wehre' (did you mean 'rules[0].where'?)\n"
                            DIR "typo.cfg: 4 errors\n");
    cr_assert_eq(r.status, 1);
    result_free(&r);
}

Test(check, rule_compile_error_points_at_file_line_col, .timeout = 10)
{
    rule_set *rs = rule_set_new();
    rule_error e[4];
    size_t n = 0;
    cr_assert_eq(rule_set_add(rs, "x", "exists(diaSource.snr) and nosuch(diaSource.ra)", e, 4, &n), -1);
    rule_set_free(rs);
    cr_assert_eq(n, 1);
    cr_assert_eq(e[0].offset, 26);
    cr_assert_eq(e[0].len, 6);
    char expected[600];
    snprintf(expected, sizeof expected,
             DIR "rule_error.cfg:4:67: rule 'bad': %s\n"
                 "    where = \"exists(diaSource.snr) and nosuch(diaSource.ra)\"\n"
                 "                                       ^~~~~~\n" DIR "rule_error.cfg: 1 error\n",
             e[0].msg);
    result r = RUN(NULL, "check", "-c", DIR "rule_error.cfg");
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 1);
    result_free(&r);
}

Test(check, disasm_prints_each_rule_then_its_topic, .timeout = 10)
{
    char *expected = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&expected, &len);
    rule_set *rs = rule_set_new();
    rule_error e[4];
    size_t n;
    cr_assert_eq(rule_set_add(rs, "bright", "diaSource.snr > 5", e, 4, &n), 0);
    cr_assert_eq(rule_set_add(rs, "seed_ra", "diaSource.ra > 350", e, 4, &n), 0);
    rule_set_disasm(rs, 0, f);
    fprintf(f, "topic: alerts-bright\n\n");
    rule_set_disasm(rs, 1, f);
    fprintf(f, "topic: alerts-ra350\n\n" DIR "full.cfg: ok, 2 rules\n");
    fclose(f);
    rule_set_free(rs);
    result r = RUN(NULL, "check", "-c", DIR "full.cfg", "--disasm");
    cr_assert_str_eq(r.out, expected);
    cr_assert_str_eq(r.err, "");
    cr_assert_eq(r.status, 0);
    free(expected);
    result_free(&r);
}

Test(check, help_and_usage_errors, .timeout = 10)
{
    result r = RUN(NULL, "check", "--help");
    cr_assert_eq(strncmp(r.out, "usage: alertfilter check -c CONFIG [--disasm]\n", 46), 0);
    cr_assert_str_eq(r.err, "");
    cr_assert_eq(r.status, 0);
    result usage = r;
    r = RUN(NULL, "check", "-c", DIR "minimal.cfg", "--bogus");
    cr_assert_str_eq(r.out, "");
    char expected[4096];
    snprintf(expected, sizeof expected, "alertfilter check: unknown option '--bogus'\n%s", usage.out);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 2);
    result_free(&r);
    r = RUN(NULL, "check");
    snprintf(expected, sizeof expected, "alertfilter check: -c CONFIG is required\n%s", usage.out);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 2);
    result_free(&r);
    r = RUN(NULL, "check", "-c");
    snprintf(expected, sizeof expected, "alertfilter check: missing value for '-c'\n%s", usage.out);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 2);
    result_free(&r);
    /* -x inside a cluster after a long option: named by its letter, not by
     * the argument getopt last stepped over. */
    r = RUN(NULL, "check", "--config", DIR "minimal.cfg", "-xd");
    snprintf(expected, sizeof expected, "alertfilter check: unknown option '-x'\n%s", usage.out);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 2);
    result_free(&r);
    r = RUN(NULL, "check", "-c", DIR "minimal.cfg", "--", "extra");
    snprintf(expected, sizeof expected, "alertfilter check: unexpected argument 'extra'\n%s", usage.out);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 2);
    result_free(&r);
    result_free(&usage);
}

Test(check, config_value_forms, .timeout = 10)
{
    const char *const forms[][3] = {
        {"--config=" DIR "minimal.cfg", "--", NULL},
        {"-c" DIR "minimal.cfg", NULL, NULL},
        {"--conf", DIR "minimal.cfg", NULL},
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        result r = run(NULL, (const char *const[]){"check", forms[i][0], forms[i][1], forms[i][2]});
        cr_assert_str_eq(r.out, DIR "minimal.cfg: ok, 1 rule\n" DIR
                                    "minimal.cfg: note: no input.topics: 'eval' can use it, 'run' cannot\n",
                         "%s", forms[i][0]);
        cr_assert_str_eq(r.err, "");
        cr_assert_eq(r.status, 0);
        result_free(&r);
    }
}

/* ---- run (what needs no broker) ---- */

Test(run, help_and_usage_errors, .timeout = 10)
{
    result usage = RUN(NULL, "run", "--help");
    const char head[] = "usage: alertfilter run -c CONFIG [--until-eof] [-v|-q]\n";
    cr_assert_eq(strncmp(usage.out, head, sizeof head - 1), 0, "%s", usage.out);
    cr_assert_str_eq(usage.err, "");
    cr_assert_eq(usage.status, 0);
    static const struct {
        const char *args[3], *first_line;
    } cases[] = {
        {{"--bogus"}, "alertfilter run: unknown option '--bogus'\n"},
        {{"-vx"}, "alertfilter run: unknown option '-x'\n"},
        {{"--until-eof=1"}, "alertfilter run: unknown option '--until-eof=1'\n"},
        {{"-c"}, "alertfilter run: missing value for '-c'\n"},
        {{"-q", "--config"}, "alertfilter run: missing value for '--config'\n"},
        {{"--until-eof"}, "alertfilter run: -c CONFIG is required\n"},
        {{"-c", DIR "minimal.cfg", "extra"}, "alertfilter run: unexpected argument 'extra'\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *const *a = cases[i].args;
        result r = run(NULL, (const char *const[]){"run", a[0], a[1], a[2], NULL});
        char expected[4096];
        snprintf(expected, sizeof expected, "%s%s", cases[i].first_line, usage.out);
        cr_assert_str_eq(r.err, expected, "run %s", a[0]);
        cr_assert_str_eq(r.out, "");
        cr_assert_eq(r.status, 2);
        result_free(&r);
    }
    result_free(&usage);
}

/* ---- eval ---- */

/* Python and JSON lines, a CRLF line, a malformed line, a last line without newline. */
static const char input[] = "{'alertId': 1, 'diaSource': {'snr': 3.5, 'ra': 351.0}}\n"
                            "{\"alertId\": 2, \"diaSource\": {\"snr\": 12, \"ra\": 10.25}}\r\n"
                            "{'alertId': 3, 'diaSource': {'snr': 7.0, 'ra': 355.5, 'flag': True, 'x': None}}\n"
                            "{'alertId': 4, 'diaSource': \n"
                            "{'alertId': 5, 'note': 'caf\\xe9', 'cut': b'\\x00\\x01'}";

static const char output_all[] =
    "all\t{\"alertId\":1,\"diaSource\":{\"snr\":3.5,\"ra\":351.0}}\n"
    "all\t{\"alertId\":2,\"diaSource\":{\"snr\":12,\"ra\":10.25}}\n"
    "all\t{\"alertId\":3,\"diaSource\":{\"snr\":7.0,\"ra\":355.5,\"flag\":true,\"x\":null}}\n"
    "all\t{\"alertId\":5,\"note\":\"caf\xc3\xa9\",\"cut\":\"AAE=\"}\n";

/* The reader's own message for the malformed line 4. */
static char *line4_error(void)
{
    alert_doc d;
    alert_doc_init(&d);
    alert_error e;
    const char *bad = "{'alertId': 4, 'diaSource': ";
    cr_assert_eq(alert_parse(&d, bad, strlen(bad), ALERT_FORMAT_AUTO, &e), -1);
    alert_doc_free(&d);
    return strdup(e.msg);
}

Test(eval, issue_2_catch_all_rule_on_a_file, .timeout = 10)
{
    char *in = temp_file(input, sizeof input - 1);
    char *why = line4_error();
    char expected[600];
    snprintf(expected, sizeof expected, "%s:4: %s\neval: 1 of 5 lines rejected\n", in, why);
    result r = RUN(NULL, "eval", "-c", DIR "minimal.cfg", in);
    cr_assert_str_eq(r.out, output_all);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    unlink(in);
    free(in);
    free(why);
}

Test(eval, rules_select_in_rule_order_from_stdin_with_stats, .timeout = 10)
{
    char *in = temp_file(input, sizeof input - 1);
    char *why = line4_error();
    result r = RUN(in, "eval", "-c", DIR "full.cfg", "--stats");
    cr_assert_str_eq(r.out, "alerts-ra350\t{\"alertId\":1,\"diaSource\":{\"snr\":3.5,\"ra\":351.0}}\n"
                            "alerts-bright\t{\"alertId\":2,\"diaSource\":{\"snr\":12,\"ra\":10.25}}\n"
                            "alerts-bright\t{\"alertId\":3,\"diaSource\":{\"snr\":7.0,\"ra\":355.5,\"flag\":true,"
                            "\"x\":null}}\n"
                            "alerts-ra350\t{\"alertId\":3,\"diaSource\":{\"snr\":7.0,\"ra\":355.5,\"flag\":true,"
                            "\"x\":null}}\n");
    char expected[1000];
    snprintf(expected, sizeof expected,
             "<stdin>:4: %s\n"
             "rule     topic               matches    share\n"
             "bright   alerts-bright             2   40.00%%\n"
             "seed_ra  alerts-ra350              2   40.00%%\n"
             "(lines)                            5\n"
             "eval: 1 of 5 lines rejected\n",
             why);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    unlink(in);
    free(in);
    free(why);
}

Test(eval, format_flag_overrides_the_config, .timeout = 10)
{
    /* full.cfg says python: the JSON-only line 2 (true) is rejected; --format json rejects line 1 instead. */
    const char *lines = "{'alertId': 1, 'diaSource': {'snr': 9}}\n{\"alertId\": 2, \"diaSource\": {\"snr\": 9}, \"ok\": true}\n";
    char *in = temp_file(lines, strlen(lines));
    alert_doc d;
    alert_doc_init(&d);
    alert_error as_python, as_json;
    const char *line2 = strchr(lines, '\n') + 1;
    cr_assert_eq(alert_parse(&d, line2, strlen(line2) - 1, ALERT_FORMAT_PYTHON, &as_python), -1);
    cr_assert_eq(alert_parse(&d, lines, (size_t)(line2 - 1 - lines), ALERT_FORMAT_JSON, &as_json), -1);
    alert_doc_free(&d);
    char expected[600];
    result r = RUN(NULL, "eval", "-c", DIR "full.cfg", in);
    cr_assert_str_eq(r.out, "alerts-bright\t{\"alertId\":1,\"diaSource\":{\"snr\":9}}\n");
    snprintf(expected, sizeof expected, "%s:2: %s\neval: 1 of 2 lines rejected\n", in, as_python.msg);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    r = RUN(NULL, "eval", "-c", DIR "full.cfg", "--format", "json", in);
    cr_assert_str_eq(r.out, "alerts-bright\t{\"alertId\":2,\"diaSource\":{\"snr\":9},\"ok\":true}\n");
    snprintf(expected, sizeof expected, "%s:1: %s\neval: 1 of 2 lines rejected\n", in, as_json.msg);
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    r = RUN(NULL, "eval", "-c", DIR "full.cfg", "--format", "xml", in);
    cr_assert_str_eq(r.out, "");
    const char *unknown = "alertfilter eval: unknown format 'xml' (auto, python, json or avro)\nusage: ";
    cr_assert_eq(strncmp(r.err, unknown, strlen(unknown)), 0);
    cr_assert_eq(r.status, 2);
    result_free(&r);
    unlink(in);
    free(in);
}

Test(eval, lines_longer_than_the_limit_are_rejected_with_their_number, .timeout = 20)
{
    /* max_message_bytes = 64. Line 2 is over it; line 4 is 3 MiB, more than
     * one read, so it is rejected while it streams in. */
    size_t big = 3 << 20;
    char *text = malloc(big + 200);
    size_t n = (size_t)sprintf(text, "{'a': 1}\n{'b': '%0100d'}\n{'c': 3}\n", 0);
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)sprintf(text + n, "\n{'d': 4}\r\n");
    char *in = temp_file(text, n);
    free(text);
    char expected[600];
    snprintf(expected, sizeof expected,
             "%s:2: offset 64: line longer than input.max_message_bytes (64)\n"
             "%s:4: offset 64: line longer than input.max_message_bytes (64)\n"
             "eval: 2 of 5 lines rejected\n",
             in, in);
    result r = RUN(NULL, "eval", "-c", DIR "small.cfg", in);
    cr_assert_str_eq(r.out, "all\t{\"a\":1}\nall\t{\"c\":3}\nall\t{\"d\":4}\n");
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    unlink(in);
    free(in);
}

Test(eval, several_files_number_their_own_lines, .timeout = 10)
{
    const char *a = "{'n': 1}\n{'n': \n", *b = "{'n': 2}\n[1,\n";
    char *fa = temp_file(a, strlen(a)), *fb = temp_file(b, strlen(b));
    alert_doc d;
    alert_doc_init(&d);
    alert_error e1, e2;
    cr_assert_eq(alert_parse(&d, "{'n': ", 6, ALERT_FORMAT_AUTO, &e1), -1);
    cr_assert_eq(alert_parse(&d, "[1,", 3, ALERT_FORMAT_AUTO, &e2), -1);
    alert_doc_free(&d);
    char expected[600];
    snprintf(expected, sizeof expected, "%s:2: %s\n%s:2: %s\neval: 2 of 4 lines rejected\n", fa, e1.msg, fb, e2.msg);
    result r = RUN(NULL, "eval", "-c", DIR "minimal.cfg", fa, fb);
    cr_assert_str_eq(r.out, "all\t{\"n\":1}\nall\t{\"n\":2}\n");
    cr_assert_str_eq(r.err, expected);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    unlink(fa);
    unlink(fb);
    free(fa);
    free(fb);
}

Test(eval, unreadable_file_fails_after_reading_the_others, .timeout = 10)
{
    const char *a = "{'n': 1}\n";
    char *fa = temp_file(a, strlen(a));
    result r = RUN(NULL, "eval", "-c", DIR "minimal.cfg", DIR "no-such-input.txt", fa);
    cr_assert_str_eq(r.out, "all\t{\"n\":1}\n");
    cr_assert_str_eq(r.err, "eval: " DIR "no-such-input.txt: No such file or directory\n");
    cr_assert_eq(r.status, 1);
    result_free(&r);
    unlink(fa);
    free(fa);
}

Test(eval, config_errors_fail_before_reading, .timeout = 10)
{
    result r = RUN(NULL, "eval", "-c", DIR "two_clusters.cfg");
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err, DIR "two_clusters.cfg:4: output.kafka.bootstrap_servers \"downstream:9092\" is another "
                            "cluster than kafka.bootstrap_servers \"kafka:9092\", but guarantee \"exactly_once\" "
                            "commits the input offsets and the output in one transaction, and a transaction cannot "
                            "span two Kafka clusters; use guarantee = \"at_least_once\" to chain to a downstream "
                            "cluster\n");
    cr_assert_eq(r.status, 1);
    result_free(&r);
}

Test(eval, empty_input_and_usage, .timeout = 10)
{
    result r = RUN(NULL, "eval", "-c", DIR "minimal.cfg");
    cr_assert_str_eq(r.out, "");
    cr_assert_str_eq(r.err, "");
    cr_assert_eq(r.status, 0);
    result_free(&r);
    r = RUN(NULL, "eval", "--help");
    const char *usage = "usage: alertfilter eval -c CONFIG [--format auto|python|json|avro] [--stats]\n"
                        "                        [--explain RULE] [FILE...]\n";
    cr_assert_eq(strncmp(r.out, usage, strlen(usage)), 0);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    r = RUN(NULL, "eval", "-q");
    cr_assert_eq(strncmp(r.err, "alertfilter eval: unknown option '-q'\nusage: alertfilter eval", 61), 0);
    cr_assert_str_eq(r.out, "");
    cr_assert_eq(r.status, 2);
    result_free(&r);
}

Test(eval, progress_bar_only_on_a_terminal_for_a_file, .timeout = 10)
{
    const char *lines = "{'n': 1}\n{'n': 2}\n";
    char *in = temp_file(lines, strlen(lines));
    char *seen = eval_on_terminal(in, false);
    /* One drawing after the one read that holds the whole file, erased at the end. */
    char head[200];
    snprintf(head, sizeof head, "\r\033[K%s [##############################] 100%% ", in);
    const char *tail = " alerts/s\r\033[K";
    cr_assert_eq(strncmp(seen, head, strlen(head)), 0, "%s", seen);
    cr_assert(strlen(seen) > strlen(head) + strlen(tail));
    cr_assert_str_eq(seen + strlen(seen) - strlen(tail), tail);
    cr_assert_eq(strchr(seen, '\n'), NULL);
    free(seen);
    /* With the matches on the terminal as well, no bar runs through them. */
    seen = eval_on_terminal(in, true);
    cr_assert_str_eq(seen, "all\t{\"n\":1}\r\nall\t{\"n\":2}\r\n");
    free(seen);
    unlink(in);
    free(in);
}

/* docs/commands.md quotes every --help verbatim: the two must not drift apart. */
Test(docs, every_help_text_is_quoted_in_the_commands_doc, .timeout = 20)
{
    char *readme = slurp("docs/commands.md");
    const char *commands[] = {"--help", "run", "check", "eval", "send", "mock-broker"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        result r = i == 0 ? RUN(NULL, "--help") : RUN(NULL, commands[i], "--help");
        cr_assert_eq(r.status, 0, "%s --help exits %d", commands[i], r.status);
        size_t n = strlen(r.out);
        while (n > 0 && r.out[n - 1] == '\n')
            r.out[--n] = '\0';
        cr_assert(n > 0 && strstr(readme, r.out), "docs/commands.md does not quote `alertfilter %s` as it prints it:\n%s",
                  i == 0 ? "--help" : commands[i], r.out);
        result_free(&r);
    }
    free(readme);
}

/* ---- eval: where one read of a file ends and the next begins ---- */

/* A file laid out for small.cfg (max_message_bytes = 64) line by line, and
 * the rejections eval must report for it, '@' standing for the input's name. */
typedef struct {
    FILE *text, *err; /* memory streams */
    char *text_buf, *err_buf;
    size_t text_len, err_len, at;
    unsigned lineno, rejected;
} layout;

static void layout_init(layout *l)
{
    *l = (layout){.lineno = 1};
    l->text = open_memstream(&l->text_buf, &l->text_len);
    l->err = open_memstream(&l->err_buf, &l->err_len);
}

/* The line last appended is rejected as too long. */
static void layout_reject(layout *l)
{
    fprintf(l->err, "@:%u: offset 64: line longer than input.max_message_bytes (64)\n", l->lineno - 1);
    l->rejected++;
}

/* Appends a line of n bytes (its '\n' included) too long for small.cfg. */
static void layout_too_long(layout *l, size_t n)
{
    cr_assert_gt(n, 66);
    for (size_t i = 0; i + 1 < n; i++)
        fputc('x', l->text);
    fputc('\n', l->text);
    l->at += n;
    l->lineno++;
    layout_reject(l);
}

/* Appends `line` (with its end of line) at offset `at` of the file, after a
 * line too long to fill the gap, if any. */
static void layout_put(layout *l, size_t at, const char *line)
{
    cr_assert_geq(at, l->at);
    if (at > l->at)
        layout_too_long(l, at - l->at);
    fputs(line, l->text);
    l->at += strlen(line);
    l->lineno++;
}

/* The stderr expected for the layout read as `name`. */
static char *layout_err(const layout *l, const char *name)
{
    char *err = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&err, &len);
    for (const char *p = l->err_buf; *p; p++)
        *p == '@' ? fputs(name, f) : fputc(*p, f);
    fprintf(f, "eval: %u of %u lines rejected\n", l->rejected, l->lineno - 1);
    fclose(f);
    return err;
}

Test(eval, lines_across_the_boundaries_of_reading_a_file, .timeout = 20)
{
    /* A file is read in pieces of 1 MiB: at each k MiB a line meets the end
     * of a piece differently. */
    const size_t mib = 1 << 20;
    char e64[100], f65[100];
    snprintf(e64, sizeof e64, "{'e': '%055d'}\r\n", 5); /* 64 bytes, then "\r\n" */
    snprintf(f65, sizeof f65, "{'f': '%056d'}\n", 6);   /* 65 bytes */
    layout l;
    layout_init(&l);
    layout_put(&l, mib - 9, "{'a': 1}\n");       /* its '\n' ends a piece */
    layout_put(&l, mib, "{'b': 2}\n");           /* it starts one */
    layout_put(&l, 2 * mib - 9, "{'c': 3}\r\n"); /* '\r' ends a piece, '\n' starts the next */
    layout_put(&l, 3 * mib - 4, "{'d': 4}\n");   /* across */
    layout_put(&l, 4 * mib - 65, e64);           /* the limit and a '\r' wait whole for the '\n' */
    layout_put(&l, 5 * mib - 65, f65);           /* over the limit once whole */
    layout_reject(&l);
    layout_too_long(&l, 3 * mib);                /* across two */
    layout_put(&l, l.at, "{'g': 7}");            /* no '\n' at the end */
    fclose(l.text);
    fclose(l.err);
    char *in = temp_file(l.text_buf, l.text_len);
    char *out;
    cr_assert_gt(asprintf(&out,
                          "all\t{\"a\":1}\nall\t{\"b\":2}\nall\t{\"c\":3}\nall\t{\"d\":4}\n"
                          "all\t{\"e\":\"%055d\"}\nall\t{\"g\":7}\n",
                          5),
                 0);
    char *err = layout_err(&l, in), *err_stdin = layout_err(&l, "<stdin>");
    result r = RUN(NULL, "eval", "-c", DIR "small.cfg", in);
    cr_assert_str_eq(r.out, out);
    cr_assert_str_eq(r.err, err);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    /* Through stdin: the same lines, the same rejections. */
    r = RUN(in, "eval", "-c", DIR "small.cfg");
    cr_assert_str_eq(r.out, out);
    cr_assert_str_eq(r.err, err_stdin);
    cr_assert_eq(r.status, 0);
    result_free(&r);
    unlink(in);
    free(in);
    free(out);
    free(err);
    free(err_stdin);
    free(l.text_buf);
    free(l.err_buf);
}

Test(eval, a_line_longer_than_a_piece_and_an_empty_file, .timeout = 20)
{
    /* Under minimal.cfg's limit (16 MiB), a line of 2.5 MiB is held whole
     * over three pieces of 1 MiB; an empty file has no line. */
    size_t n = (5 << 20) / 2;
    char *text = malloc(n + 100), *out = malloc(n + 100);
    size_t len = (size_t)sprintf(text, "{'a': 1}\n{'s': '");
    memset(text + len, 'y', n);
    len += n;
    len += (size_t)sprintf(text + len, "'}\r\n{'b': 2}");
    size_t out_len = (size_t)sprintf(out, "all\t{\"a\":1}\nall\t{\"s\":\"");
    memset(out + out_len, 'y', n);
    sprintf(out + out_len + n, "\"}\nall\t{\"b\":2}\n");
    char *in = temp_file(text, len), *empty = temp_file("", 0);
    result r = RUN(NULL, "eval", "-c", DIR "minimal.cfg", empty, in, empty);
    cr_assert(!strcmp(r.out, out), "%zu bytes out, %zu expected", strlen(r.out), strlen(out));
    cr_assert_str_eq(r.err, "");
    cr_assert_eq(r.status, 0);
    result_free(&r);
    unlink(in);
    unlink(empty);
    free(in);
    free(empty);
    free(text);
    free(out);
}
