/* tests/processor/registry_server.h — tests/tools/registry_server.py run as a
 * child on a free port: start it with routes, count the requests it saw, stop it.
 * Included (static functions), so the Makefile does not build it alone. */
#ifndef REGISTRY_SERVER_H
#define REGISTRY_SERVER_H

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    int port;
    char url[64];
    char dir[64];  /* the routes and the request log */
    char log[128];
} rs_server;

/* Starts the server with routes (a JSON object: path -> {status, body, delay, fail_first}). */
static inline void rs_start(rs_server *s, const char *routes)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/af-registry-XXXXXX");
    cr_assert_not_null(mkdtemp(s->dir));
    char routes_path[128];
    snprintf(routes_path, sizeof routes_path, "%s/routes.json", s->dir);
    snprintf(s->log, sizeof s->log, "%s/requests.log", s->dir);
    FILE *f = fopen(routes_path, "w");
    cr_assert_not_null(f);
    fputs(routes, f);
    fclose(f);
    int out[2];
    cr_assert_eq(pipe(out), 0);
    s->pid = fork();
    cr_assert_geq(s->pid, 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execlp("python3", "python3", "tests/tools/registry_server.py", routes_path, s->log, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *in = fdopen(out[0], "r");
    cr_assert(fscanf(in, "%d", &s->port) == 1, "registry_server.py printed no port");
    fclose(in);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
}

static inline void rs_stop(rs_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    cr_assert_eq(system(cmd), 0);
}

/* How many requests the server saw for path (all paths: NULL). */
static inline int rs_requests(const rs_server *s, const char *path)
{
    FILE *f = fopen(s->log, "r");
    if (!f)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        n += !path || !strcmp(line, path);
    }
    fclose(f);
    return n;
}

/* A port on 127.0.0.1 that nothing listens on: bound, then closed. */
static inline int rs_dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

#endif
