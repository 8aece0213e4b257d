/* processor/log.h — one logfmt line per event on stderr:
 * time=... level=... msg="..." key=value ... */
#ifndef PROC_LOG_H
#define PROC_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum { PROC_LOG_ERROR, PROC_LOG_WARN, PROC_LOG_INFO, PROC_LOG_DEBUG } proc_log_level;

/* Lines above this level are not written. Default PROC_LOG_INFO. */
void proc_log_set_level(proc_log_level level);
proc_log_level proc_log_get_level(void);

/* msg is written quoted. fields, printf-style, are appended as they are: the
 * caller writes them as `key=value key2=value2`; use proc_log_quote for values
 * that may hold spaces or quotes. */
void proc_log(proc_log_level level, const char *msg, const char *fields, ...)
    __attribute__((format(printf, 3, 4)));
void proc_logv(proc_log_level level, const char *msg, const char *fields, va_list ap);

/* Writes s as a logfmt value into buf (quoted and escaped when needed); returns buf. */
const char *proc_log_quote(const char *s, char *buf, size_t cap);

/* url, or when it holds credentials (scheme://user:pass@host/...) the same URL
 * with them as *** written into buf; returns one or the other. */
const char *proc_log_mask_url(const char *url, char *buf, size_t cap);

#endif
