/* processor/commands.h — the subcommands of bin/alertfilter, one cmd_NAME.c each;
 * a helper only one command uses sits beside it as cmd_NAME_WHAT.c. */
#ifndef PROC_COMMANDS_H
#define PROC_COMMANDS_H

/* Each takes argv with argv[0] = the subcommand's name, and returns the exit
 * status: 0 success, 1 failure, 2 usage error. */
int proc_cmd_run(int argc, char **argv);
int proc_cmd_check(int argc, char **argv);
int proc_cmd_eval(int argc, char **argv);
int proc_cmd_send(int argc, char **argv);
int proc_cmd_mock_broker(int argc, char **argv);

#endif
