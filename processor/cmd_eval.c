/* processor/cmd_eval.c — placeholder until its owner lands it. */
#include <stdio.h>

#include "processor/commands.h"

int proc_cmd_eval(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "alertfilter: '%s' is not built yet\n", argv[0]);
    return 1;
}
