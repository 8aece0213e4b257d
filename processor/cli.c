/* processor/cli.c — getopt_long for the subcommands, and the one wording of
 * their usage errors. */
#include "processor/cli.h"

#include <stdarg.h>
#include <string.h>

/* argv index of the argument proc_cli_getopt read last. Inside a cluster such as
 * "-sq" glibc leaves optind on the cluster until its last letter, so optind - 1
 * after the call can be the previous argument: the index is taken before. */
static int scanned;

int proc_cli_getopt(int argc, char **argv, const char *optstring, const struct option *longopts)
{
    opterr = 0;
    scanned = optind > 0 ? optind : 1;
    return getopt_long(argc, argv, optstring, longopts, NULL);
}

const char *proc_cli_option_name(char **argv, int c)
{
    static char name[64];
    const char *arg = argv[scanned];
    if (arg[0] == '-' && arg[1] == '-')
        snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);
    else
        snprintf(name, sizeof name, "-%c", c);
    return name;
}

int proc_cli_usage_error(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "alertfilter %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    usage(stderr);
    return 2;
}

int proc_cli_bad_option(const char *cmd, int opt, char **argv, void (*usage)(FILE *))
{
    if (opt == ':')
        return proc_cli_usage_error(cmd, usage, "missing value for '%s'", proc_cli_option_name(argv, optopt));
    /* An unknown long option is named whole: "--disasm=x" is known by name but
     * takes no value, and "--disasm" alone would read as valid. */
    const char *arg = argv[scanned];
    if (arg[0] == '-' && arg[1] == '-')
        return proc_cli_usage_error(cmd, usage, "unknown option '%s'", arg);
    return proc_cli_usage_error(cmd, usage, "unknown option '-%c'", optopt);
}

int proc_cli_no_operands(const char *cmd, int argc, char **argv, void (*usage)(FILE *))
{
    if (optind >= argc)
        return 0;
    return proc_cli_usage_error(cmd, usage, "unexpected argument '%s'", argv[optind]);
}
