/* processor/log.c — logfmt lines on stderr, one write per line so that
 * lines from librdkafka's threads never interleave. */
#include "processor/log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static proc_log_level log_level = PROC_LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void proc_log_set_level(proc_log_level level) { log_level = level; }
proc_log_level proc_log_get_level(void) { return log_level; }

const char *proc_log_mask_url(const char *url, char *buf, size_t cap)
{
    const char *host = strstr(url, "://");
    const char *at = host ? strchr(host + 3, '@') : NULL;
    if (!at || memchr(host + 3, '/', (size_t)(at - host - 3)))
        return url;
    snprintf(buf, cap, "%.*s***%s", (int)(host + 3 - url), url, at);
    return buf;
}

const char *proc_log_quote(const char *s, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    int plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\')
            plain = 0;
    size_t o = 0;
    if (plain) {
        snprintf(buf, cap, "%s", s);
        return buf;
    }
    buf[o++] = '"';
    for (const char *p = s; *p && o + 3 < cap; p++) {
        char c = *p;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = c;
        } else if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if ((unsigned char)c < ' ') {
            buf[o++] = ' ';
        } else {
            buf[o++] = c;
        }
    }
    if (o + 1 < cap)
        buf[o++] = '"';
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}

void proc_logv(proc_log_level level, const char *msg, const char *fields, va_list ap)
{
    if (level > log_level)
        return;
    char line[4096], quoted[1024];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "time=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s msg=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(tv.tv_usec / 1000), level_names[level], proc_log_quote(msg, quoted, sizeof quoted));
    if (fields && *fields && n > 0 && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fields, ap);
        if (m > 0)
            n += m;
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void proc_log(proc_log_level level, const char *msg, const char *fields, ...)
{
    va_list ap;
    va_start(ap, fields);
    proc_logv(level, msg, fields, ap);
    va_end(ap);
}
