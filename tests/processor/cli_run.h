/* tests/processor/cli_run.h — runs the real binary ($ALERTFILTER_BIN) with
 * arguments and stdin from a file, and returns its exit status, stdout and stderr. */
#ifndef TESTS_PROCESSOR_CLI_RUN_H
#define TESTS_PROCESSOR_CLI_RUN_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct {
    int status; /* exit status */
    char *out, *err;
} result;

static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, mem);
    fclose(mem);
    fclose(f);
    return text;
}

static inline char *temp_file(const char *text, size_t len)
{
    char *path = strdup("/tmp/af-test-cli-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fd, text + done, len - done);
        cr_assert_gt(w, 0);
        done += (size_t)w;
    }
    close(fd);
    return path;
}

/* Runs the binary with args (NULL-terminated) and stdin from the file `in`
 * (NULL: /dev/null); stdout and stderr go to files, so nothing can block. */
static inline result run(const char *in, const char *const *args)
{
    const char *bin = getenv("ALERTFILTER_BIN");
    cr_assert_not_null(bin, "ALERTFILTER_BIN is not set (run through make test)");
    char out_path[] = "/tmp/af-test-out-XXXXXX", err_path[] = "/tmp/af-test-err-XXXXXX";
    close(mkstemp(out_path));
    close(mkstemp(err_path));
    const char *argv[32] = {bin};
    size_t n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, in ? in : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_TRUNC, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path, O_WRONLY | O_TRUNC, 0);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(WIFEXITED(ws), "the binary did not exit normally");
    result r = {.status = WEXITSTATUS(ws), .out = slurp(out_path), .err = slurp(err_path)};
    unlink(out_path);
    unlink(err_path);
    return r;
}

#define RUN(in, ...) run(in, (const char *const[]){__VA_ARGS__, NULL})

static inline void result_free(result *r)
{
    free(r->out);
    free(r->err);
}

#endif
