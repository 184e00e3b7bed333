#include "bench_pipeline.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "buf.h"
#include "config.h"
#include "dispatch.h"
#include "knowledge.h"
#include "log.h"
#include "numparse.h"
#include "pipeline.h"
#include "quarantine.h"
#include "reading.h"
#include "sim_impl.h"
#include "sim_payload.h"
#include "wal.h"

static const char usage[] =
    "usage: lifeline bench-pipeline -c FILE [--format F] [--messages N] [--rounds R]\n"
    "                               [--devices D]\n"
    "\n"
    "Times decode, validate and encode per reading in this process, for each\n"
    "payload format (F: json, alink, hj212 or all, the default), over N\n"
    "simulated readings (default 200000), best of R rounds (default 5). FILE\n"
    "gives mqtt.decoders, the topic template, the validate settings, profiles\n"
    "and registry, as for `lifeline run`. The devices are the registry's\n"
    "upgraded assets (Alink and HJ 212 need them: their messages name no\n"
    "category), or without a registry D generated ones (default 2000).\n"
    "--lines FILE writes the line protocol of one round there instead of timing\n"
    "gzip (scripts/bench posts it to InfluxDB for the database's ceiling).\n";

struct corpus {
    struct wal_record *rec;
    size_t n;
    char *bytes; /* every payload, back to back */
    size_t total;
    struct sim_fleet fleet; /* owns the topics */
};

struct gz {
    z_stream z;
    struct buf out;
    double ns;
    FILE *lines; /* --lines: the batches as written, for the InfluxDB ceiling */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void corpus_free(struct corpus *c)
{
    free(c->rec);
    free(c->bytes);
    sim_fleet_free(&c->fleet);
    memset(c, 0, sizeof *c);
}

/* n clean readings of `fmt` from `devices` devices, stamped around now. */
static int corpus_make(struct corpus *c, const struct config *cfg, enum sim_format fmt, size_t n,
                       uint64_t devices)
{
    memset(c, 0, sizeof *c);
    struct sim_opts o;
    memset(&o, 0, sizeof o);
    /* Alink and HJ 212 name no category: their devices must be registered. */
    if (cfg->registry.assets && cfg->registry.assets[0])
        o.registry = cfg->registry.assets;
    else
        o.devices = devices;
    o.connections = 1;
    o.format = (int)fmt;
    o.seed = 1;
    if (sim_fleet_build(&o, &c->fleet) != 0)
        return -ENOMEM;
    struct buf payloads;
    buf_init(&payloads, (size_t)1 << 31);
    struct sim_reading r;
    int rc = -ENOMEM;
    size_t *off = calloc(n, sizeof *off);
    c->rec = calloc(n, sizeof *c->rec);
    if (!off || !c->rec)
        goto out;
    /* HJ 212 devices move a whole second per reading: start far enough back
     * that the last reading is not from the future. */
    int64_t now = wall_ms();
    int64_t base = now - (int64_t)(n / c->fleet.n + 2) * 1000;
    for (size_t k = 0; k < n; k++) {
        struct sim_device *d = &c->fleet.dev[k % c->fleet.n];
        sim_device_step(d, sim_device_next_ts(d, base), &o.faults, &r);
        off[k] = payloads.len;
        if ((rc = sim_payload(d, &r, &payloads)) != 0)
            goto out;
        c->rec[k].seq = k + 1;
        c->rec[k].recv_ms = now;
        c->rec[k].topic = c->fleet.topic[k % c->fleet.n];
        c->rec[k].topic_len = strlen(c->rec[k].topic);
        c->rec[k].payload_len = payloads.len - off[k];
    }
    c->bytes = payloads.data;
    c->total = payloads.len;
    payloads.data = NULL;
    for (size_t k = 0; k < n; k++)
        c->rec[k].payload = c->bytes + off[k];
    c->n = n;
    rc = 0;
out:
    free(off);
    buf_free(&payloads);
    if (rc)
        corpus_free(c);
    return rc;
}

/* Compresses a full batch as the InfluxDB writer does (gzip, level 1). */
static void gzip_batch(void *ctx, const char *body, size_t len, size_t nlines)
{
    (void)nlines;
    struct gz *g = ctx;
    if (g->lines) {
        fwrite(body, 1, len, g->lines);
        return;
    }
    int64_t t0 = now_ns();
    uLong bound = deflateBound(&g->z, (uLong)len);
    if (deflateReset(&g->z) != Z_OK || buf_reserve(&g->out, bound) != 0)
        return;
    g->z.next_in = (Bytef *)(uintptr_t)body;
    g->z.avail_in = (uInt)len;
    g->z.next_out = (Bytef *)g->out.data;
    g->z.avail_out = (uInt)bound;
    deflate(&g->z, Z_FINISH);
    g->ns += (double)(now_ns() - t0);
}

/* One pass with the decoder alone; ns per reading. */
__attribute__((noinline)) static double pass_decode(const struct config *cfg,
                                                    const struct corpus *c, struct reading *r)
{
    char err[256], detail[512];
    struct dispatch *d = dispatch_new(cfg->mqtt.decoders, cfg->mqtt.ndecoders,
                                      cfg->mqtt.topic_template, err, sizeof err);
    if (!d)
        return -1;
    int64_t t0 = now_ns();
    for (size_t k = 0; k < c->n; k++) {
        const struct wal_record *rec = &c->rec[k];
        struct decoder_input in = {.topic = rec->topic,
                                   .topic_len = rec->topic_len,
                                   .payload = rec->payload,
                                   .len = rec->payload_len,
                                   .recv_ms = rec->recv_ms,
                                   .local_offset_min = 480};
        struct device_ref who;
        const char *name;
        enum reason why;
        dispatch_decode(d, &in, r, &who, &name, &why, detail, sizeof detail);
    }
    double ns = (double)(now_ns() - t0) / (double)c->n;
    dispatch_free(d);
    return ns;
}

struct pass_result {
    double ns, gzip_ns;
    size_t lines, refused;
};

/* The timed loop, apart so that a profiler can be told to count it alone
 * (valgrind --toggle-collect=timed_pipeline). */
__attribute__((noinline)) static int timed_pipeline(struct pipeline *p, const struct corpus *c,
                                                    struct gz *g, struct pass_result *out)
{
    int64_t t0 = now_ns();
    for (size_t i = 0; i < c->n; i++) {
        int rc = pipeline_bench_process(p, &c->rec[i], gzip_batch, g);
        if (rc < 0)
            return rc;
        if (rc == 0)
            out->lines++;
        else
            out->refused++;
    }
    double total = (double)(now_ns() - t0);
    out->ns = (total - g->ns) / (double)c->n;
    out->gzip_ns = g->ns / (double)c->n;
    return 0;
}

/* One pass through the pipeline's per-record code, with a fresh pipeline. */
static int pass_pipeline(const struct config *cfg, struct quarantine *q, const struct corpus *c,
                         FILE *lines, struct pass_result *out)
{
    int nerr = 0;
    struct knowledge *k = knowledge_load(cfg, NULL, &nerr);
    if (!k)
        return -EINVAL;
    struct pipeline *p = pipeline_new(cfg, NULL, NULL, q, k);
    if (!p) {
        knowledge_unref(k);
        return -ENOMEM;
    }
    struct gz g;
    memset(&g, 0, sizeof g);
    g.lines = lines;
    buf_init(&g.out, (size_t)1 << 30);
    int rc = -ENOMEM;
    if (deflateInit2(&g.z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        goto out;
    memset(out, 0, sizeof *out);
    rc = timed_pipeline(p, c, &g, out);
    deflateEnd(&g.z);
out:
    buf_free(&g.out);
    pipeline_free(p);
    return rc;
}

static int bench_format(const struct config *cfg, struct quarantine *q, enum sim_format fmt,
                        size_t n, uint64_t devices, int rounds, FILE *lines)
{
    struct corpus c;
    int rc = corpus_make(&c, cfg, fmt, n, devices);
    if (rc) {
        fprintf(stderr, "lifeline bench-pipeline: cannot make readings: %s\n", strerror(-rc));
        return rc;
    }
    struct reading r;
    if (reading_init(&r, (size_t)cfg->mqtt.max_payload * 2 + 4096) != 0) {
        corpus_free(&c);
        return -ENOMEM;
    }
    double best_dec = 0;
    struct pass_result best = {0}, pr;
    for (int i = 0; i < rounds && rc == 0; i++) {
        double d = pass_decode(cfg, &c, &r);
        if (i == 0 || d < best_dec)
            best_dec = d;
        rc = pass_pipeline(cfg, q, &c, lines, &pr);
        if (rc == 0 && (i == 0 || pr.ns < best.ns))
            best = pr;
    }
    if (rc == 0)
        printf("format=%s messages=%zu bytes_per_msg=%.1f decode_ns=%.1f pipeline_ns=%.1f "
               "gzip_ns=%.1f lines=%zu refused=%zu\n",
               sim_format_name(fmt), c.n, (double)c.total / (double)c.n, best_dec, best.ns,
               best.gzip_ns, best.lines, best.refused);
    else
        fprintf(stderr, "lifeline bench-pipeline: pipeline failed: %s\n", strerror(-rc));
    fflush(stdout);
    reading_free(&r);
    corpus_free(&c);
    return rc;
}

static int parse_count(const char *opt, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    if (num_parse_u64(v, strlen(v), max, out) != 0 || *out < min) {
        fprintf(stderr, "lifeline bench-pipeline: %s expects a number from %llu to %llu\n", opt,
                (unsigned long long)min, (unsigned long long)max);
        return 2;
    }
    return 0;
}

int bench_pipeline_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},   {"format", required_argument, NULL, 'f'},
        {"messages", required_argument, NULL, 'n'}, {"rounds", required_argument, NULL, 'r'},
        {"devices", required_argument, NULL, 'd'},  {"help", no_argument, NULL, 'h'},
        {"lines", required_argument, NULL, 'l'},    {NULL, 0, NULL, 0}};
    const char *path = NULL, *format = "all", *lines_path = NULL;
    uint64_t n = 200000, rounds = 5, devices = 2000;
    int ch, rc = 0;
    optind = 1;
    while (rc == 0 && (ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            path = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'n':
            rc = parse_count("--messages", optarg, 1, 10000000, &n);
            break;
        case 'r':
            rc = parse_count("--rounds", optarg, 1, 1000, &rounds);
            break;
        case 'd':
            rc = parse_count("--devices", optarg, 1, 1000000, &devices);
            break;
        case 'l':
            lines_path = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (rc)
        return rc;
    if (!path || optind < argc) {
        fputs(usage, stderr);
        return 2;
    }
    static const enum sim_format all[] = {SIM_FORMAT_JSON, SIM_FORMAT_ALINK, SIM_FORMAT_HJ212};
    struct config *cfg = NULL;
    struct buf errors;
    buf_init(&errors, 1 << 20);
    if (config_load(path, &cfg, &errors) != 0) {
        fputs(errors.data ? errors.data : "configuration error\n", stderr);
        buf_free(&errors);
        return 1;
    }
    buf_free(&errors);
    log_set_level(LOG_WARN);
    struct quarantine *q = quarantine_open(getenv("BENCH_Q") ? getenv("BENCH_Q") : "/dev/null");
    if (!q) {
        config_free(cfg);
        return 1;
    }
    FILE *lines = lines_path ? fopen(lines_path, "w") : NULL;
    if (lines_path && !lines) {
        fprintf(stderr, "lifeline bench-pipeline: cannot write %s: %s\n", lines_path,
                strerror(errno));
        quarantine_close(q);
        config_free(cfg);
        return 1;
    }
    int status = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(format, "all") != 0 && strcmp(format, sim_format_name(all[i])) != 0)
            continue;
        if (bench_format(cfg, q, all[i], (size_t)n, devices, lines ? 1 : (int)rounds, lines) != 0)
            status = 1;
    }
    if (lines && fclose(lines) != 0)
        status = 1;
    quarantine_close(q);
    config_free(cfg);
    return status;
}
