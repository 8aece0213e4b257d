/* processor/cmd_run.c — `alertfilter run`: flags, log level and signals; the
 * loop itself is processor/run.c. */
#include <signal.h>
#include <stdio.h>

#include "processor/cli.h"
#include "processor/commands.h"
#include "processor/log.h"
#include "processor/run.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void run_usage(FILE *out)
{
    fprintf(out, "usage: alertfilter run -c CONFIG [--until-eof] [-v|-q]\n\n"
                 "Consumes the input topics in the consumer group, evaluates every rule on each alert\n"
                 "and produces each match as JSON to its rule's topic, in transactions (exactly_once)\n"
                 "or with offsets committed after delivery (at_least_once).\n\n"
                 "  -c, --config FILE  the configuration (see etc/alertfilter.cfg)\n"
                 "      --until-eof    drain: read every partition of the input topics (without joining\n"
                 "                     the group) from the group's offsets, exit 0 once all is committed\n"
                 "  -v, --verbose      log debug lines too\n"
                 "  -q, --quiet        log warnings and errors only\n"
                 "  -h, --help         this help\n\n"
                 "SIGINT/SIGTERM commit what is in flight and exit 0; what cannot commit within 3 s is\n"
                 "left to the broker (exit 1). SIGHUP reloads the rules.\n"
                 "Exit status: 0 stopped or drained, 1 configuration, connection or fatal Kafka error, a\n"
                 "cluster silent for kafka_unreachable_timeout_ms, or a drain not committed; 2 usage.\n");
}

int proc_cmd_run(int argc, char **argv)
{
    enum { OPT_UNTIL_EOF = 256 }; /* long only: past every char value */
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"until-eof", no_argument, NULL, OPT_UNTIL_EOF},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    proc_run_opts opts = {.stop = &stop_requested, .reload = &reload_requested};
    int opt;
    optind = 0;
    while ((opt = proc_cli_getopt(argc, argv, "+:c:vqh", longopts)) != -1) {
        if (opt == 'c') {
            opts.config_path = optarg;
        } else if (opt == OPT_UNTIL_EOF) {
            opts.until_eof = true;
        } else if (opt == 'v') {
            proc_log_set_level(PROC_LOG_DEBUG);
        } else if (opt == 'q') {
            proc_log_set_level(PROC_LOG_WARN);
        } else if (opt == 'h') {
            run_usage(stdout);
            return 0;
        } else {
            return proc_cli_bad_option("run", opt, argv, run_usage);
        }
    }
    if (!opts.config_path)
        return proc_cli_usage_error("run", run_usage, "-c CONFIG is required");
    if (proc_cli_no_operands("run", argc, argv, run_usage))
        return 2;
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    return proc_run(&opts);
}
