/* processor/cli.h — the subcommands' option parsing: getopt_long, and one
 * wording for every usage error ("alertfilter CMD: ..." then the usage, exit 2). */
#ifndef PROC_CLI_H
#define PROC_CLI_H

#include <getopt.h>
#include <stdio.h>

/* getopt_long without its own messages, remembering which argument it reads so
 * that an option can be named as the user wrote it. optstring starts with "+:"
 * (options before operands; ':' tells a missing value from an unknown option).
 * Set optind = 0 before the first call: main.c hands each command a shifted argv,
 * and 0 makes glibc start afresh. */
int proc_cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts);

/* The option c that proc_cli_getopt returned last, as written: "--count" (without
 * any "=VALUE", possibly abbreviated) or "-n". Valid until the next call. */
const char *proc_cli_option_name(char **argv, int c);

/* Prints "alertfilter CMD: MESSAGE" and the usage on stderr; returns 2, the exit
 * status of a usage error. */
int proc_cli_usage_error(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports what proc_cli_getopt returned as opt ('?' or ':'): "unknown option 'X'"
 * or "missing value for 'X'". Returns 2. */
int proc_cli_bad_option(const char *cmd, int opt, char **argv, void (*usage)(FILE *));

/* After the options: 0 when no operand is left, else reports "unexpected argument
 * 'X'" and returns 2. */
int proc_cli_no_operands(const char *cmd, int argc, char **argv, void (*usage)(FILE *));

#endif
