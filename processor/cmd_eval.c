/* processor/cmd_eval.c — `alertfilter eval`: the rules applied to alerts read one
 * per line from files or stdin; each match written as TOPIC<TAB>JSON. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "alert/avro.h"
#include "processor/cli.h"
#include "processor/commands.h"
#include "processor/drop.h"
#include "processor/ruleset.h"

enum {
    READ_CHUNK = 1 << 20,   /* bytes asked of read() at a time */
    FLUSH_AT = 1 << 20,     /* stdout is written once this much JSON is pending */
    MAX_PIECES = 1 << 14,   /* ... or this many pieces */
};
#define PROGRESS_INTERVAL 0.1 /* seconds between two redraws of the progress bar */

/* A piece of output: `len` bytes at `ptr`, or, when ptr is NULL, at offset
 * `at` of the JSON buffer (which may move as it grows). */
typedef struct {
    const char *ptr;
    size_t at, len;
} piece;

typedef struct {
    const proc_config *cfg;
    rule_set *rs;
    alert_format format;
    alert_doc doc;
    alert_avro_file avro; /* object container files: one reader, its schema reused from file to file */
    /* Pending output: each match is three pieces, the rule's "TOPIC\t", the
     * alert's JSON and "\n", encoded once into `json` however many rules match
     * (once per `drop` list for the rules that drop keys);
     * writev sends the pieces without copying them together. */
    alert_buf json;
    char **prefix; /* per rule: "TOPIC\t" */
    size_t *prefix_len;
    piece *pieces;
    size_t n_pieces;
    unsigned char *match;
    proc_drops drops;  /* the rules' `drop` lists */
    rule_explainer *explain; /* --explain RULE: each alert's explanation instead of the matches */
    uint64_t *matches; /* per rule */
    uint64_t lines, rejected;
    bool failed;       /* exit status 1: an input, stdout or memory failed */
    bool stdout_lost;  /* stdout cannot be written: stop trying */
    /* progress bar: only for a regular file, with stderr (not stdout) on a terminal */
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
    fprintf(out, "usage: alertfilter eval -c CONFIG [--format auto|python|json|avro] [--stats]\n"
                 "                        [--explain RULE] [FILE...]\n"
                 "\n"
                 "Applies CONFIG's rules to alerts read one per line from FILEs, or stdin\n"
                 "when there are none or FILE is '-'; a FILE that starts with Obj\\x01 is an\n"
                 "Avro object container file, each of its records one alert. Writes one line\n"
                 "per (alert, matching rule), in input order then rule order: TOPIC<TAB>the\n"
                 "alert as compact JSON. A malformed line is reported on stderr as FILE:LINE:\n"
                 "offset N: reason, a bad record as FILE: record N: offset N: reason (the\n"
                 "rest of that file skipped), and the run goes on. While a file is read, a\n"
                 "progress bar with the rate shows on stderr if it is a terminal (and stdout\n"
                 "is not).\n"
                 "\n"
                 "  -c, --config FILE  the libconfig file; only `rules` is required\n"
                 "  -f, --format FMT   auto, python, json or avro (default: input.format, else\n"
                 "                     auto); avro reads container files only\n"
                 "  -s, --stats        print per-rule match counts on stderr at the end\n"
                 "  -e, --explain RULE for each alert, print RULE's parts with their values\n"
                 "                     (why it matches or not) instead of the matches\n"
                 "  -h, --help         this help\n\n"
                 "Exit status: 0 all input read, 1 config or I/O error, 2 usage error.\n");
}

/* ---- output ---- */

static void out_piece(evaluator *ev, const char *ptr, size_t at, size_t len)
{
    ev->pieces[ev->n_pieces++] = (piece){ptr, at, len};
}

/* Writes every iovec, resuming after short writes. Returns 0 or -1 (errno set). */
static int write_all(struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(STDOUT_FILENO, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
            w -= (ssize_t)iov->iov_len;
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

static void out_flush(evaluator *ev)
{
    struct iovec iov[IOV_MAX];
    for (size_t i = 0; i < ev->n_pieces && !ev->stdout_lost;) {
        int n = 0;
        for (; n < IOV_MAX && i < ev->n_pieces; n++, i++) {
            const piece *p = &ev->pieces[i];
            iov[n].iov_base = (void *)(p->ptr ? p->ptr : ev->json.data + p->at);
            iov[n].iov_len = p->len;
        }
        if (write_all(iov, n) < 0) {
            fprintf(stderr, "eval: writing stdout: %s\n", strerror(errno));
            ev->failed = ev->stdout_lost = true;
        }
    }
    ev->n_pieces = 0;
    ev->json.len = 0;
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

static void eval_doc(evaluator *ev, const char *name, uint64_t n, bool record);

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
    if (ev->format == ALERT_FORMAT_AVRO) {
        reject(ev, name, lineno, "offset 0: not an Avro object container file (--format avro reads only those)");
        return;
    }
    if (alert_parse(&ev->doc, line, len, ev->format, &err) < 0) {
        reject(ev, name, lineno, err.msg);
        return;
    }
    eval_doc(ev, name, lineno, false);
}

/* The rules on the alert in ev->doc (line or OCF record `n` of file `name`):
 * with --explain, the explanation; else its matches, the JSON written once. */
static void eval_doc(evaluator *ev, const char *name, uint64_t n, bool record)
{
    if (ev->explain) {
        char label[300];
        snprintf(label, sizeof label, record ? "%s: record %llu" : "%s:%llu", name, (unsigned long long)n);
        if (rule_explainer_run(ev->explain, &ev->doc, label, stdout) != 0) {
            fprintf(stderr, "eval: out of memory\n");
            ev->failed = true;
        }
        return;
    }
    if (rule_set_eval(ev->rs, &ev->doc, ev->match) == 0)
        return;
    /* The whole alert's JSON once, if a rule that drops nothing matched; each drop list's once. */
    size_t json_at = SIZE_MAX, json_len = 0;
    proc_drops_reset(&ev->drops);
    for (size_t i = 0; i < ev->cfg->n_rules; i++) {
        if (!ev->match[i])
            continue;
        size_t at = json_at, len = json_len;
        int rc = 0;
        if (proc_drops_any(&ev->drops, i))
            rc = proc_drops_json(&ev->drops, i, &ev->doc, &ev->json, &at, &len);
        else if (json_at == SIZE_MAX) {
            at = json_at = ev->json.len;
            rc = alert_write_json(&ev->doc, 0, &ev->json);
            len = json_len = ev->json.len - json_at;
        }
        if (rc < 0) {
            fprintf(stderr, "eval: out of memory\n");
            ev->failed = true;
            return;
        }
        ev->matches[i]++;
        out_piece(ev, ev->prefix[i], 0, ev->prefix_len[i]);
        out_piece(ev, NULL, at, len);
        out_piece(ev, "\n", 0, 1);
    }
    if (ev->json.len >= FLUSH_AT || ev->n_pieces + 3 * ev->cfg->n_rules > MAX_PIECES)
        out_flush(ev);
}

/* ---- object container files ---- */

/* Each record of the OCF data[0..len) is one alert. An error (reported as
 * FILE: record N: offset B: reason) ends the file: its blocks cannot be told
 * apart after it. */
static void eval_ocf(evaluator *ev, const char *name, const char *data, size_t len, bool mapped)
{
    size_t dropped = 0, page = (size_t)sysconf(_SC_PAGESIZE);
    alert_error err;
    if (alert_avro_file_open(&ev->avro, data, len, name, &err) != 0) {
        progress_clear(ev);
        fprintf(stderr, "%s: %s\n", name, err.msg);
        ev->rejected++;
        return;
    }
    int rc;
    while ((rc = alert_avro_file_next(&ev->avro, &ev->doc, &err)) == 1) {
        ev->lines++;
        ev->file_lines++;
        eval_doc(ev, name, ev->avro.record, true);
        /* A mapped file's pages before the current block are read: handed back,
         * so that a file of millions of alerts takes no more memory than one. */
        size_t done = ev->avro.block_offset / page * page;
        if (mapped && done - dropped >= (8u << 20)) {
            madvise((char *)data + dropped, done - dropped, MADV_DONTNEED);
            dropped = done;
        }
    }
    if (rc < 0) {
        progress_clear(ev);
        ev->lines++;
        fprintf(stderr, "%s: record %llu: %s\n", name, (unsigned long long)ev->avro.record, err.msg);
        ev->rejected++;
    }
}

/* A regular file that is an OCF, mapped rather than read. Returns false, having read nothing, when it is none. */
static bool eval_mapped_ocf(evaluator *ev, int fd, const char *name)
{
    char magic[4];
    struct stat st;
    if (pread(fd, magic, 4, 0) != 4 || !alert_avro_is_container(magic, 4) || fstat(fd, &st) != 0 ||
        !S_ISREG(st.st_mode))
        return false;
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return false;
    eval_ocf(ev, name, map, (size_t)st.st_size, true);
    munmap(map, (size_t)st.st_size);
    return true;
}

/* ---- one input ---- */

typedef struct {
    char *data;
    size_t len, cap;
} inbuf;

/* An OCF from a pipe: the rest read after the first chunk in in, then its records. */
static void eval_unmapped_ocf(evaluator *ev, int fd, const char *name, inbuf *in)
{
    for (;;) {
        if (in->cap - in->len < READ_CHUNK) {
            char *grown = realloc(in->data, in->cap * 2);
            if (!grown) {
                fprintf(stderr, "eval: %s: out of memory\n", name);
                ev->failed = true;
                return;
            }
            in->data = grown;
            in->cap *= 2;
        }
        ssize_t got = read(fd, in->data + in->len, READ_CHUNK);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "eval: %s: %s\n", name, strerror(errno));
            ev->failed = true;
            return;
        }
        if (got == 0)
            break;
        in->len += (size_t)got;
    }
    eval_ocf(ev, name, in->data, in->len, false);
}

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
                ev->failed = true;
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
            ev->failed = true;
            return;
        }
        in->len += (size_t)got;
        if (ev->file_pos == 0 && alert_avro_is_container(in->data, in->len)) {
            eval_unmapped_ocf(ev, fd, name, in);
            return;
        }
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
        ev->failed = true;
        return;
    }
    struct stat st;
    /* Not when stdout is the terminal too: the matches would run through the bar. */
    ev->progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    ev->file_size = ev->progress ? st.st_size : 0;
    ev->file_pos = 0;
    ev->file_lines = 0;
    ev->started = now();
    ev->drawn = 0;
    if (is_stdin || !eval_mapped_ocf(ev, fd, name))
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

/* Returns 0, or -1 when out of memory (ev is then still freeable). */
static int evaluator_init(evaluator *ev, const proc_config *cfg, rule_set *rs, const char *format)
{
    *ev = (evaluator){.cfg = cfg, .rs = rs, .format = cfg->format};
    if (format)
        alert_format_parse(format, &ev->format);
    alert_doc_init(&ev->doc);
    alert_avro_file_init(&ev->avro);
    ev->doc.max_depth = cfg->max_depth;
    ev->doc.max_bytes = cfg->max_bytes;
    size_t n = cfg->n_rules;
    ev->match = calloc(n, 1);
    ev->matches = calloc(n, sizeof *ev->matches);
    ev->prefix = calloc(n, sizeof *ev->prefix);
    ev->prefix_len = calloc(n, sizeof *ev->prefix_len);
    ev->pieces = calloc(MAX_PIECES + 3 * n, sizeof *ev->pieces);
    if (!ev->match || !ev->matches || !ev->prefix || !ev->prefix_len || !ev->pieces || proc_drops_init(&ev->drops, cfg))
        return -1;
    for (size_t i = 0; i < n; i++) {
        int len = asprintf(&ev->prefix[i], "%s\t", cfg->rules[i].topic);
        if (len < 0) {
            ev->prefix[i] = NULL;
            return -1;
        }
        ev->prefix_len[i] = (size_t)len;
    }
    return 0;
}

static void evaluator_free(evaluator *ev)
{
    for (size_t i = 0; ev->prefix && i < ev->cfg->n_rules; i++)
        free(ev->prefix[i]);
    free(ev->prefix);
    free(ev->prefix_len);
    free(ev->pieces);
    free(ev->match);
    free(ev->matches);
    proc_drops_free(&ev->drops);
    rule_explainer_free(ev->explain);
    alert_buf_free(&ev->json);
    alert_doc_free(&ev->doc);
    alert_avro_file_free(&ev->avro);
}

/* The explainer of cfg's rule `name` (with cfg's definitions; rs, compiled from
 * cfg, holds the rule's text), or NULL with the reason on stderr. */
static rule_explainer *explainer(const proc_config *cfg, const rule_set *rs, const char *name)
{
    size_t i = 0;
    while (i < cfg->n_rules && strcmp(cfg->rules[i].name, name))
        i++;
    if (i == cfg->n_rules) {
        fprintf(stderr, "eval: --explain %s: %s has no rule of that name\n", name, cfg->file);
        return NULL;
    }
    const char **names = calloc(cfg->n_defs + 1, sizeof *names), **texts = calloc(cfg->n_defs + 1, sizeof *texts);
    rule_explainer *ex = NULL;
    rule_error err = {.msg = "out of memory"};
    for (size_t k = 0; names && texts && k < cfg->n_defs; k++) {
        names[k] = cfg->defs[k].name;
        texts[k] = cfg->defs[k].where;
    }
    if (names && texts)
        ex = rule_explainer_new(name, rule_set_where(rs, i), cfg->n_defs, names, texts, &err);
    if (!ex)
        fprintf(stderr, "eval: --explain %s: %s\n", name, err.msg);
    free(names);
    free(texts);
    return ex;
}

static int run_eval(const char *config, const char *format, bool stats, const char *explain, char **files,
                    int n_files)
{
    proc_config cfg;
    proc_diags diags = {0};
    rule_set *rs = proc_ruleset_load(config, &cfg, &diags);
    proc_diags_print(&diags, stderr);
    proc_diags_free(&diags);
    if (!rs) {
        proc_config_free(&cfg);
        return 1;
    }
    proc_ruleset_warnings(&cfg, rs, &diags);
    proc_diags_print(&diags, stderr);
    proc_diags_free(&diags);
    evaluator ev;
    inbuf in = {0};
    char *stdin_only[] = {"-"};
    if (n_files == 0) {
        files = stdin_only;
        n_files = 1;
    }
    if (evaluator_init(&ev, &cfg, rs, format) < 0) {
        fprintf(stderr, "eval: out of memory\n");
        ev.failed = true;
        n_files = 0;
    } else if (explain && !(ev.explain = explainer(&cfg, rs, explain))) {
        ev.failed = true;
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
    int status = ev.failed ? 1 : 0;
    free(in.data);
    evaluator_free(&ev);
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
        {"explain", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *format = NULL, *explain = NULL;
    bool stats = false;
    int opt;
    alert_format unused;
    optind = 0;
    while ((opt = proc_cli_getopt(argc, argv, "+:c:f:se:h", longopts)) != -1) {
        if (opt == 'c') {
            config = optarg;
        } else if (opt == 'f' && alert_format_parse(optarg, &unused) == 0) {
            format = optarg;
        } else if (opt == 'f') {
            return proc_cli_usage_error("eval", usage, "unknown format '%s' (auto, python, json or avro)", optarg);
        } else if (opt == 's') {
            stats = true;
        } else if (opt == 'e') {
            explain = optarg;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            return proc_cli_bad_option("eval", opt, argv, usage);
        }
    }
    if (!config)
        return proc_cli_usage_error("eval", usage, "-c CONFIG is required");
    return run_eval(config, format, stats, explain, argv + optind, argc - optind);
}
