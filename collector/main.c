/*
 * lifeline: one executable, subcommands in the manner of git.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_pipeline.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "alert_rules.h"
#include "knowledge.h"
#include "report_cli.h"
#include "sim.h"

static const char usage[] =
    "usage: lifeline <command> [options]\n"
    "\n"
    "Takes telemetry from municipal sensors over MQTT, validates it and stores it\n"
    "in InfluxDB, losing nothing when the database, the broker or lifeline goes down.\n"
    "\n"
    "commands:\n"
    "  run -c FILE      run the collector in the foreground; logs go to stderr;\n"
    "                   SIGTERM or SIGINT writes what is pending and exits 0\n"
    "  check -c FILE    validate the configuration, the asset registry, the category\n"
    "                   profiles and the alert rules; prints every problem with its key\n"
    "                   or file and line and the fix and exits 1, or a summary and exits 0\n"
    "  report -c FILE   upgrade coverage report (HTML, CSV, JSON, Markdown; Chinese\n"
    "                   or English); 'lifeline report --help' for options\n"
    "  sim -c FILE ...  simulate devices and publish their readings to the broker\n"
    "                   in FILE (load generator); 'lifeline sim --help' for options\n"
    "  help config      print the reference of every configuration key (Markdown)\n"
    "\n"
    "options:\n"
    "  -c, --config FILE  configuration file (JSON, comments allowed)\n"
    "  -h, --help         show this help\n"
    "  -V, --version      show the version\n"
    "\n"
    "Documentation: README.md and docs/ in the source tree.\n";

/* Parses "-c FILE" for a subcommand. Returns the path or NULL (after printing why). */
static const char *config_arg(const char *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            exit(0);
        default:
            fprintf(stderr, "lifeline %s: see 'lifeline --help'\n", cmd);
            return NULL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lifeline %s: unexpected argument '%s'\n", cmd, argv[optind]);
        return NULL;
    }
    if (!path)
        fprintf(stderr, "lifeline %s: missing -c FILE (the configuration file)\n", cmd);
    return path;
}

static int cmd_check(int argc, char **argv)
{
    const char *path = config_arg("check", argc, argv);
    if (!path)
        return 2;
    struct config *cfg = NULL;
    struct buf out;
    buf_init(&out, 1 << 20);
    struct knowledge *k = NULL;
    int nerr = config_load(path, &cfg, &out);
    if (nerr == 0)
        k = knowledge_load(cfg, &out, &nerr);
    size_t nrules = 0;
    struct buf warnings;
    buf_init(&warnings, 1 << 20);
    if (cfg && cfg->alerts.rules_file) {
        int nr = 0;
        struct alert_rules *rules = alert_rules_load(cfg->alerts.rules_file, &out, &nr);
        nrules = rules ? rules->n : 0;
        if (rules && k)
            nr += alert_rules_check(rules, k->profiles,
                                    cfg->validate.unknown_fields != VALIDATE_UNKNOWN_REJECT,
                                    cfg->alerts.rules_file, &out, &warnings);
        alert_rules_free(rules);
        nerr += nr;
    }
    if (warnings.len)
        fprintf(stderr, "%.*s", (int)warnings.len, warnings.data);
    buf_free(&warnings);
    if (nerr == 0) {
        buf_reset(&out);
        config_summary(cfg, &out);
        size_t na = k->registry ? registry_count(k->registry) : 0;
        if (k->registry)
            buf_printf(&out, ", registry %zu asset%s", na, na == 1 ? "" : "s");
        else
            buf_puts(&out, ", no registry");
        buf_printf(&out, ", %zu categories", profile_set_count(k->profiles));
        if (cfg->alerts.rules_file)
            buf_printf(&out, ", %zu alert rule%s", nrules, nrules == 1 ? "" : "s");
        printf("%s\n", out.data ? out.data : "ok");
    } else {
        fputs(out.data ? out.data : "", stdout);
        fprintf(stdout, "%d error%s in %s%s\n", nerr, nerr == 1 ? "" : "s", path,
                cfg ? " and its registry or profiles" : "");
    }
    knowledge_unref(k);
    config_free(cfg);
    buf_free(&out);
    return nerr == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        if (argc >= 3 && strcmp(argv[2], "config") == 0) {
            config_write_reference(stdout);
            return 0;
        }
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("lifeline %s\n", LIFELINE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0) {
        const char *path = config_arg("run", argc - 1, argv + 1);
        return path ? daemon_run(path) : 2;
    }
    if (strcmp(cmd, "sim") == 0)
        return sim_main(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return report_main(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    /* A developer's tool, not in the usage text: see docs/performance.md. */
    if (strcmp(cmd, "bench-pipeline") == 0)
        return bench_pipeline_main(argc - 1, argv + 1);
    fprintf(stderr, "lifeline: unknown command '%s'; see 'lifeline --help'\n", cmd);
    return 2;
}
