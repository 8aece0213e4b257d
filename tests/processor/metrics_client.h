/* tests/processor/metrics_client.h — a plain-socket HTTP/1.0 client and
 * Prometheus-text readers for the metrics tests. Included (static functions),
 * so the Makefile does not build it alone. */
#ifndef METRICS_CLIENT_H
#define METRICS_CLIENT_H

#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int status; /* 0: nothing listens on the port (yet) */
    char content_type[128];
    char body[65536];
} mc_reply;

/* A port nobody listens on now: the kernel's choice for port 0, released. */
static inline int mc_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

/* METHOD path on 127.0.0.1:port with HTTP/1.0, so the server closes at the end. */
static inline void mc_request(int port, const char *method, const char *path, mc_reply *r)
{
    r->status = 0;
    r->content_type[0] = r->body[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", method, path);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    static char buf[sizeof r->body + 4096];
    size_t len = 0;
    ssize_t got;
    while (len < sizeof buf - 1 && (got = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)got;
    close(fd);
    buf[len] = '\0';
    cr_assert_eq(sscanf(buf, "HTTP/1.%*d %d", &r->status), 1, "no status line in: %s", buf);
    const char *ct = strcasestr(buf, "\r\nContent-Type: ");
    if (ct)
        snprintf(r->content_type, sizeof r->content_type, "%.*s", (int)strcspn(ct + 16, "\r"), ct + 16);
    const char *body = strstr(buf, "\r\n\r\n");
    cr_assert_not_null(body);
    snprintf(r->body, sizeof r->body, "%s", body + 4);
}

/* The first line of text that starts with prefix, without its newline ("" if none). */
static inline void mc_line(const char *text, const char *prefix, char *out, size_t cap)
{
    out[0] = '\0';
    size_t plen = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, plen)) {
            snprintf(out, cap, "%.*s", (int)strcspn(p, "\n"), p);
            return;
        }
}

/* The value of the sample whose name and labels are exactly series, or -1. */
static inline long long mc_sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return atoll(p + n + 1);
    return -1;
}

#endif
