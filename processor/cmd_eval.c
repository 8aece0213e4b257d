/* processor/cmd_eval.c — `alertfilter eval`: the rules applied to alerts read one
 * per line from files or stdin; each match written as TOPIC<TAB>JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "processor/commands.h"
#include "processor/ruleset.h"

enum {
    READ_CHUNK = 1 << 20,   /* bytes asked of read() at a time */
    FLUSH_AT = 1 << 20,     /* stdout is written once this much output is pending */
};
#define PROGRESS_INTERVAL 0.1 /* seconds between two redraws of the progress bar */

typedef struct {
    const proc_config *cfg;
    rule_set *rs;
    alert_format format;
    alert_doc doc;
    alert_buf out; /* pending stdout bytes */
    unsigned char *match;
    uint64_t *matches; /* per rule */
    uint64_t lines, rejected;
    bool io_error;
    /* progress bar: only for a regular file read with stderr on a terminal */
    bool progress;
    off_t file_size, file_pos;
    uint64_t file_lines;
    double started, drawn;
} evaluator;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: alertfilter eval -c CONFIG [--format auto|python|json] [--stats] [FILE...]\n\n"
                 "Applies CONFIG's rules to alerts read one per line from FILEs, or stdin\n"
                 "when there are none or FILE is '-'. Writes one line per (alert, matching\n"
                 "rule), in input order then rule order: TOPIC<TAB>the alert as compact JSON.\n"
                 "A malformed line is reported on stderr as FILE:LINE: offset N: reason,\n"
                 "and the run goes on.\n\n"
                 "  -c, --config FILE  the libconfig file; only `rules` is required\n"
                 "  -f, --format FMT   auto, python or json (default: input.format, else auto)\n"
                 "  -s, --stats        print per-rule match counts on stderr at the end\n"
                 "  -h, --help         this help\n\n"
                 "Exit status: 0 all input read, 1 config or I/O error, 2 usage error.\n");
}

/* ---- output ---- */

static int out_reserve(alert_buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : FLUSH_AT * 2;
    while (cap < b->len + more)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown)
        return -1;
    b->data = grown;
    b->cap = cap;
    return 0;
}

static void out_put(evaluator *ev, const char *s, size_t n)
{
    if (out_reserve(&ev->out, n) < 0) {
        ev->io_error = true;
        return;
    }
    memcpy(ev->out.data + ev->out.len, s, n);
    ev->out.len += n;
}

static void out_flush(evaluator *ev)
{
    size_t done = 0;
    while (done < ev->out.len) {
        ssize_t w = write(STDOUT_FILENO, ev->out.data + done, ev->out.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            if (!ev->io_error)
                fprintf(stderr, "eval: writing stdout: %s\n", strerror(errno));
            ev->io_error = true;
            break;
        }
        done += (size_t)w;
    }
    ev->out.len = 0;
}

/* ---- progress ---- */

static void progress_clear(evaluator *ev)
{
    if (ev->progress && ev->drawn > 0)
        fputs("\r\033[K", stderr);
}

static void progress_draw(evaluator *ev, const char *name)
{
    double t = now();
    if (t - ev->drawn < PROGRESS_INTERVAL)
        return;
    ev->drawn = t;
    double secs = t - ev->started > 1e-6 ? t - ev->started : 1e-6;
    double frac = ev->file_size > 0 ? (double)ev->file_pos / (double)ev->file_size : 1.0;
    char bar[31];
    int full = (int)(frac * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < full ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %.1f MB/s %.0f alerts/s", name, bar, frac * 100,
            (double)ev->file_pos / secs / 1e6, (double)ev->file_lines / secs);
}

/* ---- one line ---- */

/* why is alert/'s error text: "offset N: reason". */
static void reject(evaluator *ev, const char *name, uint64_t lineno, const char *why)
{
    progress_clear(ev);
    fprintf(stderr, "%s:%llu: %s\n", name, (unsigned long long)lineno, why);
    ev->rejected++;
}

static void reject_long(evaluator *ev, const char *name, uint64_t lineno)
{
    char why[100];
    snprintf(why, sizeof why, "offset %zu: line longer than input.max_message_bytes (%zu)", ev->cfg->max_bytes,
             ev->cfg->max_bytes);
    reject(ev, name, lineno, why);
}

static void eval_line(evaluator *ev, const char *name, uint64_t lineno, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    ev->lines++;
    ev->file_lines++;
    if (len > ev->cfg->max_bytes) {
        reject_long(ev, name, lineno);
        return;
    }
    alert_error err;
    if (alert_parse(&ev->doc, line, len, ev->format, &err) < 0) {
        reject(ev, name, lineno, err.msg);
        return;
    }
    if (rule_set_eval(ev->rs, &ev->doc, ev->match) == 0)
        return;
    /* The JSON is encoded once, then copied for every further matching rule. */
    size_t json_at = 0, json_len = 0;
    for (size_t i = 0; i < ev->cfg->n_rules; i++) {
        if (!ev->match[i])
            continue;
        ev->matches[i]++;
        const char *topic = ev->cfg->rules[i].topic;
        out_put(ev, topic, strlen(topic));
        out_put(ev, "\t", 1);
        if (json_len == 0) {
            json_at = ev->out.len;
            if (alert_write_json(&ev->doc, 0, &ev->out) < 0) {
                fprintf(stderr, "eval: out of memory\n");
                ev->io_error = true;
                return;
            }
            json_len = ev->out.len - json_at;
        } else if (out_reserve(&ev->out, json_len) == 0) {
            memcpy(ev->out.data + ev->out.len, ev->out.data + json_at, json_len);
            ev->out.len += json_len;
        }
        out_put(ev, "\n", 1);
    }
    if (ev->out.len >= FLUSH_AT)
        out_flush(ev);
}

/* ---- one input ---- */

typedef struct {
    char *data;
    size_t len, cap;
} inbuf;

/* Reads fd to its end, one line at a time. A line longer than the message
 * limit is reported and skipped without ever being held whole. */
static void eval_fd(evaluator *ev, int fd, const char *name, inbuf *in)
{
    size_t limit = ev->cfg->max_bytes;
    uint64_t lineno = 1;
    bool skipping = false; /* inside a line over the limit */
    in->len = 0;
    for (;;) {
        if (in->cap - in->len < READ_CHUNK / 2) {
            size_t cap = in->cap * 2 > READ_CHUNK * 4 ? in->cap * 2 : READ_CHUNK * 4;
            char *grown = realloc(in->data, cap);
            if (!grown) {
                fprintf(stderr, "eval: %s: out of memory\n", name);
                ev->io_error = true;
                return;
            }
            in->data = grown;
            in->cap = cap;
        }
        size_t want = in->cap - in->len;
        ssize_t got = read(fd, in->data + in->len, want < READ_CHUNK ? want : READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            progress_clear(ev);
            fprintf(stderr, "eval: %s: %s\n", name, strerror(errno));
            ev->io_error = true;
            return;
        }
        in->len += (size_t)got;
        ev->file_pos += got;
        size_t pos = 0;
        char *nl;
        for (; (nl = memchr(in->data + pos, '\n', in->len - pos)); lineno++) {
            if (!skipping)
                eval_line(ev, name, lineno, in->data + pos, (size_t)(nl - (in->data + pos)));
            skipping = false;
            pos = (size_t)(nl - in->data) + 1;
        }
        if (got == 0) {
            if (pos < in->len && !skipping)
                eval_line(ev, name, lineno, in->data + pos, in->len - pos);
            break;
        }
        /* The partial line waits for its end; past the limit it is rejected
         * at once and the rest of it dropped as it arrives. */
        in->len -= pos;
        memmove(in->data, in->data + pos, in->len);
        if (!skipping && in->len > limit + 1) {
            ev->lines++;
            reject_long(ev, name, lineno);
            skipping = true;
        }
        if (skipping)
            in->len = 0;
        if (ev->progress)
            progress_draw(ev, name);
    }
    progress_clear(ev);
}

static void eval_path(evaluator *ev, const char *path, inbuf *in)
{
    bool is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "eval: %s: %s\n", path, strerror(errno));
        ev->io_error = true;
        return;
    }
    struct stat st;
    ev->progress = isatty(STDERR_FILENO) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    ev->file_size = ev->progress ? st.st_size : 0;
    ev->file_pos = 0;
    ev->file_lines = 0;
    ev->started = now();
    ev->drawn = 0;
    eval_fd(ev, fd, name, in);
    if (!is_stdin)
        close(fd);
}

static void print_stats(const evaluator *ev)
{
    int wn = (int)strlen("rule"), wt = (int)strlen("topic");
    for (size_t i = 0; i < ev->cfg->n_rules; i++) {
        int n = (int)strlen(ev->cfg->rules[i].name), t = (int)strlen(ev->cfg->rules[i].topic);
        wn = n > wn ? n : wn;
        wt = t > wt ? t : wt;
    }
    fprintf(stderr, "%-*s  %-*s  %12s  %7s\n", wn, "rule", wt, "topic", "matches", "share");
    for (size_t i = 0; i < ev->cfg->n_rules; i++)
        fprintf(stderr, "%-*s  %-*s  %12llu  %6.2f%%\n", wn, ev->cfg->rules[i].name, wt, ev->cfg->rules[i].topic,
                (unsigned long long)ev->matches[i],
                ev->lines ? 100.0 * (double)ev->matches[i] / (double)ev->lines : 0.0);
    fprintf(stderr, "%-*s  %-*s  %12llu\n", wn, "(lines)", wt, "", (unsigned long long)ev->lines);
}

static int run_eval(const char *config, const char *format, bool stats, char **files, int n_files)
{
    proc_config cfg;
    proc_diags diags = {0};
    rule_set *rs = proc_ruleset_load(config, &cfg, &diags);
    if (!rs) {
        proc_diags_print(&diags, stderr);
        proc_diags_free(&diags);
        proc_config_free(&cfg);
        return 1;
    }
    proc_diags_free(&diags);
    evaluator ev = {.cfg = &cfg, .rs = rs, .format = cfg.format};
    if (format)
        alert_format_parse(format, &ev.format);
    alert_doc_init(&ev.doc);
    ev.doc.max_depth = cfg.max_depth;
    ev.doc.max_bytes = cfg.max_bytes;
    ev.match = calloc(cfg.n_rules, 1);
    ev.matches = calloc(cfg.n_rules, sizeof *ev.matches);
    inbuf in = {0};
    char *stdin_only[] = {"-"};
    if (n_files == 0) {
        files = stdin_only;
        n_files = 1;
    }
    if (!ev.match || !ev.matches) {
        fprintf(stderr, "eval: out of memory\n");
        ev.io_error = true;
        n_files = 0;
    }
    /* A file that cannot be read fails the run, after the others are read. */
    for (int i = 0; i < n_files; i++)
        eval_path(&ev, files[i], &in);
    out_flush(&ev);
    if (stats)
        print_stats(&ev);
    if (ev.rejected)
        fprintf(stderr, "eval: %llu of %llu lines rejected\n", (unsigned long long)ev.rejected,
                (unsigned long long)ev.lines);
    int status = ev.io_error ? 1 : 0;
    free(in.data);
    free(ev.match);
    free(ev.matches);
    alert_buf_free(&ev.out);
    alert_doc_free(&ev.doc);
    rule_set_free(rs);
    proc_config_free(&cfg);
    return status;
}

int proc_cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'},
        {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *format = NULL;
    bool stats = false;
    int opt;
    alert_format unused;
    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "+:c:f:sh", longopts, NULL)) != -1) {
        if (opt == 'c') {
            config = optarg;
        } else if (opt == 'f' && alert_format_parse(optarg, &unused) == 0) {
            format = optarg;
        } else if (opt == 'f') {
            fprintf(stderr, "alertfilter eval: unknown format '%s' (auto, python or json)\n", optarg);
            usage(stderr);
            return 2;
        } else if (opt == 's') {
            stats = true;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "alertfilter eval: %s '%s'\n", opt == ':' ? "missing value for" : "unknown option",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "alertfilter eval: -c CONFIG is required\n");
        usage(stderr);
        return 2;
    }
    return run_eval(config, format, stats, argv + optind, argc - optind);
}
