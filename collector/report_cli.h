/*
 * report_cli: the `lifeline report` subcommand.
 */
#ifndef LIFELINE_REPORT_CLI_H
#define LIFELINE_REPORT_CLI_H

/* Runs `lifeline report` with argv[0] == "report". Exit status: 0, 1 error, 2 usage. */
int report_main(int argc, char **argv);

#endif
