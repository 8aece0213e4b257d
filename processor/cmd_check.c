/* processor/cmd_check.c — `alertfilter check`: validates a config, compiles its
 * rules and, with --disasm, prints each rule's bytecode. */
#include <stdio.h>

#include "processor/cli.h"
#include "processor/commands.h"
#include "processor/input.h"
#include "processor/ruleset.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: alertfilter check -c CONFIG [--disasm]\n\n"
                 "Validates CONFIG and compiles every rule; prints every error found.\n\n"
                 "  -c, --config FILE  the libconfig file (see etc/alertfilter.cfg)\n"
                 "  -d, --disasm       print each rule's bytecode\n"
                 "  -h, --help         this help\n\n"
                 "Exit status: 0 valid, 1 errors in the config or its rules, 2 usage error.\n");
}

static void print_disasm(const proc_config *cfg, const rule_set *rs)
{
    for (size_t i = 0; i < cfg->n_defs; i++) {
        rule_set_disasm_definition(rs, i, stdout);
        putchar('\n');
    }
    for (size_t i = 0; i < cfg->n_rules; i++) {
        /* rule_set_disasm names the rule and its where text itself. */
        rule_set_disasm(rs, i, stdout);
        printf("topic: %s\n\n", cfg->rules[i].topic);
    }
}

int proc_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"disasm", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    int disasm = 0, opt;
    optind = 0;
    while ((opt = proc_cli_getopt(argc, argv, "+:c:dh", longopts)) != -1) {
        if (opt == 'c') {
            path = optarg;
        } else if (opt == 'd') {
            disasm = 1;
        } else if (opt == 'h') {
            usage(stdout);
            return 0;
        } else {
            return proc_cli_bad_option("check", opt, argv, usage);
        }
    }
    if (!path)
        return proc_cli_usage_error("check", usage, "-c CONFIG is required");
    if (proc_cli_no_operands("check", argc, argv, usage))
        return 2;
    proc_config cfg;
    proc_diags diags = {0};
    rule_set *rs = proc_ruleset_load(path, &cfg, &diags);
    /* Schema files are compiled as `run` does, so that check reports their errors too. */
    proc_input *in = proc_input_new(&cfg, NULL, &diags);
    int status = 0;
    if (!rs || !in) {
        proc_diags_print(&diags, stderr);
        fprintf(stderr, "%s: %zu error%s\n", path, diags.n, diags.n == 1 ? "" : "s");
        status = 1;
    } else {
        proc_diags warnings = {0};
        proc_ruleset_warnings(&cfg, rs, &warnings);
        proc_diags_print(&warnings, stderr);
        proc_diags_free(&warnings);
        if (disasm)
            print_disasm(&cfg, rs);
        printf("%s: ok, %zu rule%s\n", path, cfg.n_rules, cfg.n_rules == 1 ? "" : "s");
        if (cfg.n_input_topics == 0)
            printf("%s: note: no input.topics: 'eval' can use it, 'run' cannot\n", path);
    }
    if (rs)
        rule_set_free(rs);
    proc_input_free(in);
    proc_config_free(&cfg);
    proc_diags_free(&diags);
    return status;
}
