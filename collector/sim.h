/*
 * sim: `lifeline sim`, the device simulator and load generator. Publishes
 * readings of simulated devices of every category, in plain JSON, Alink or
 * HJ 212, with faults at stated rates, to the broker named in the collector's
 * configuration file, and writes a JSON summary of what it sent (by device,
 * category and fault) so that a test can compare it with what was stored.
 * `lifeline sim --help` lists the options.
 */
#ifndef LIFELINE_SIM_H
#define LIFELINE_SIM_H

/* Runs `lifeline sim` with argv[0] == "sim". Returns the exit status: 0 done,
 * 1 could not run (connection, file), 2 usage error. */
int sim_main(int argc, char **argv);

#endif
