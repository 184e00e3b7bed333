/*
 * daemon: `lifeline run`, which wires config, WAL, quarantine, the InfluxDB
 * writer, the pipeline, MQTT ingest and the HTTP server together and runs
 * until SIGTERM or SIGINT.
 */
#ifndef LIFELINE_DAEMON_H
#define LIFELINE_DAEMON_H

/* Runs the daemon with a loaded configuration file. Returns the exit status. */
int daemon_run(const char *config_path);

#endif
