/* processor/main.c — bin/alertfilter: global flags and dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "processor/commands.h"

#ifndef ALERTFILTER_VERSION
#define ALERTFILTER_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"run", proc_cmd_run, "filter the input topics into the rule topics (transactional)"},
    {"check", proc_cmd_check, "validate a config and compile its rules (--disasm prints bytecode)"},
    {"eval", proc_cmd_eval, "apply the rules to alerts read from files or stdin, one per line"},
    {"send", proc_cmd_send, "produce a sample alert stream, like alert_stream's sendAlertStream.py"},
    {"mock-broker", proc_cmd_mock_broker, "run librdkafka's mock Kafka cluster on loopback"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: alertfilter [-h|--help] [-V|--version] COMMAND [ARGS]\n\n"
                 "Filters astronomical alert streams from Kafka to Kafka.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'alertfilter COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("alertfilter %s\n", ALERTFILTER_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "alertfilter: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
