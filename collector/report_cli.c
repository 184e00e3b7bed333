/*
 * `lifeline report -c FILE [--from T] [--to T] [--format F] [--lang L] [-o FILE]`
 */
#include "report_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "knowledge.h"
#include "log.h"
#include "report_run.h"

static const char usage[] =
    "usage: lifeline report -c FILE [options]\n"
    "\n"
    "Upgrade coverage per category and district against the target: assets,\n"
    "upgraded, online now, data completeness and effective coverage, read from\n"
    "the asset registry and InfluxDB (1.x, or the v1-compatible /query of 2.x).\n"
    "\n"
    "options:\n"
    "  -c, --config FILE  the collector's configuration file\n"
    "  --from TIME        start of the period (default: 7 days before --to)\n"
    "  --to TIME          end of the period (default: now); a date means the end\n"
    "                     of that day. TIME: YYYY-MM-DD (China time) or RFC 3339\n"
    "                     with an offset (2026-11-30T12:00:00+08:00)\n"
    "  --format F         html, csv, json or md (default html)\n"
    "  --lang L           zh or en (default: report.lang)\n"
    "  -o, --output FILE  write there instead of stdout\n"
    "  -h, --help         show this help\n"
    "\n"
    "Figures and formats: docs/reports.md.\n";

int report_main(int argc, char **argv)
{
    enum { O_FROM = 256, O_TO, O_FORMAT, O_LANG };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},  {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},     {"format", required_argument, NULL, O_FORMAT},
        {"lang", required_argument, NULL, O_LANG}, {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *path = NULL, *from_s = NULL, *to_s = NULL, *lang_s = NULL, *out_path = NULL;
    enum report_format fmt = REPORT_HTML;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            path = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case O_FROM:
            from_s = optarg;
            break;
        case O_TO:
            to_s = optarg;
            break;
        case O_LANG:
            lang_s = optarg;
            break;
        case O_FORMAT:
            if (report_parse_format(optarg, &fmt) != 0) {
                fprintf(stderr, "lifeline report: --format '%s': use html, csv, json or md\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs("lifeline report: see 'lifeline report --help'\n", stderr);
            return 2;
        }
    }
    if (optind < argc || !path) {
        fprintf(stderr, "lifeline report: %s; see 'lifeline report --help'\n",
                path ? "unexpected argument" : "missing -c FILE (the configuration file)");
        return 2;
    }
    int64_t now = report_now_ms(), to = now, from;
    if (to_s && report_parse_time(to_s, true, &to) != 0) {
        fprintf(stderr, "lifeline report: --to '%s': write YYYY-MM-DD or an RFC 3339 time\n", to_s);
        return 2;
    }
    from = to - 7 * COV_DAY_MS;
    if (from_s && report_parse_time(from_s, false, &from) != 0) {
        fprintf(stderr, "lifeline report: --from '%s': write YYYY-MM-DD or an RFC 3339 time\n",
                from_s);
        return 2;
    }
    if (from >= to) {
        fputs("lifeline report: --from must be before --to\n", stderr);
        return 2;
    }

    int status = 1;
    struct config *cfg = NULL;
    struct knowledge *k = NULL;
    struct buf out;
    buf_init(&out, 256u * 1024 * 1024);
    if (config_load(path, &cfg, &out) != 0 || !(k = knowledge_load(cfg, &out, &(int){0}))) {
        fputs(out.data ? out.data : "lifeline report: cannot load the configuration\n", stderr);
        goto done;
    }
    buf_reset(&out);
    enum report_lang lang;
    if (report_parse_lang(lang_s ? lang_s : cfg->report.lang, &lang) != 0) {
        fprintf(stderr, "lifeline report: --lang '%s': use zh or en\n", lang_s);
        status = 2;
        goto done;
    }
    if (!k->registry)
        log_warn("report", "no registry (registry.assets is empty): the report lists no assets");
    char err[512];
    if (report_generate(cfg, k, from, to, now, fmt, lang, &out, err, sizeof err) != 0) {
        fprintf(stderr, "lifeline report: %s\n", err);
        goto done;
    }
    FILE *f = out_path ? fopen(out_path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "lifeline report: cannot write %s: %s\n", out_path, strerror(errno));
        goto done;
    }
    bool ok = fwrite(out.data, 1, out.len, f) == out.len;
    ok = (f == stdout ? fflush(f) : fclose(f)) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "lifeline report: write failed: %s\n", strerror(errno));
        goto done;
    }
    status = 0;
done:
    knowledge_unref(k);
    config_free(cfg);
    buf_free(&out);
    return status;
}
