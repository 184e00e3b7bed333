#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "numparse.h"
#include "sim_impl.h"
#include "sim_payload.h"
#include "sim_pool.h"

static const char usage[] =
    "usage: lifeline sim -c FILE [options]\n"
    "\n"
    "Simulates sensors of every category and publishes their readings to the MQTT\n"
    "broker named in FILE (mqtt.url and credentials), then prints a JSON summary of\n"
    "what was sent. SIGINT or SIGTERM stops it cleanly, with the summary.\n"
    "\n"
    "devices:\n"
    "  --devices N        N generated devices over the six categories and the\n"
    "                     districts 顾官屯镇, 许营镇, 九州街道 (default 30)\n"
    "  --registry FILE    the upgraded assets with a device_id in a registry CSV\n"
    "  --format F         json, alink, hj212, onenet or mixed (default: mixed:\n"
    "                     sewage hj212, manhole_cover alink, the rest json;\n"
    "                     onenet topics start with $sys: subscribe to them)\n"
    "pace:\n"
    "  --rate R           R readings/s over all devices; 0 (default): each device\n"
    "                     at its own report interval divided by the speedup\n"
    "                     (readings carry the device's time, distinct per device:\n"
    "                     a device sending faster than one reading per ms, or per\n"
    "                     second in HJ 212, runs ahead of the wall clock, and the\n"
    "                     collector refuses times too far in the future; use\n"
    "                     enough devices for the rate)\n"
    "  --speedup X        device time runs X times faster (default 1)\n"
    "  --duration S       stop after S seconds\n"
    "  --count N          stop after N messages\n"
    "mqtt:\n"
    "  --qos 0|1          (default 1)\n"
    "  --connections C    publishing connections, devices spread over them (default 1)\n"
    "  --inflight W       messages in flight per connection at most (default 20)\n"
    "  --engine E         paho (default), or raw: tcp:// only, messages batched\n"
    "                     into 64 KiB writes, for load tests past what Paho's one\n"
    "                     write per message allows (QoS 1: PUBACKs read in order,\n"
    "                     at most W unacknowledged; use a larger --inflight)\n"
    "faults and output:\n"
    "  --fault LIST       rates, e.g. silent=0.05,range=0.01,malformed=0.01,tilt=0.02,\n"
    "                     open=0.01,flag_d=0.02,battery=0.02,rsrp=0.02 (default none)\n"
    "  --seed S           random seed (default 1): same seed, same readings\n"
    "  --summary FILE     write the JSON summary there instead of stdout\n";

static atomic_bool stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, true);
}

static int64_t now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    nanosleep(&ts, NULL);
}

static int bad(const char *opt, const char *why)
{
    fprintf(stderr, "lifeline sim: %s: %s; see 'lifeline sim --help'\n", opt, why);
    return 2;
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (num_parse_u64(s, strlen(s), max, out) != 0 || *out < min) {
        char why[96];
        snprintf(why, sizeof why, "expected a whole number from %llu to %llu",
                 (unsigned long long)min, (unsigned long long)max);
        return bad(opt, why);
    }
    return 0;
}

static int parse_double(const char *opt, const char *s, double min, double *out)
{
    if (num_parse_double(s, strlen(s), out) != 0 || *out < min) {
        char why[64];
        snprintf(why, sizeof why, "expected a number of at least %g", min);
        return bad(opt, why);
    }
    return 0;
}

static int parse_opts(int argc, char **argv, struct sim_opts *o)
{
    enum {
        O_DEVICES = 256,
        O_REGISTRY,
        O_RATE,
        O_SPEEDUP,
        O_DURATION,
        O_COUNT,
        O_QOS,
        O_CONNS,
        O_INFLIGHT,
        O_FORMAT,
        O_SEED,
        O_FAULT,
        O_SUMMARY,
        O_ENGINE
    };
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"devices", required_argument, NULL, O_DEVICES},
                                             {"registry", required_argument, NULL, O_REGISTRY},
                                             {"rate", required_argument, NULL, O_RATE},
                                             {"speedup", required_argument, NULL, O_SPEEDUP},
                                             {"duration", required_argument, NULL, O_DURATION},
                                             {"count", required_argument, NULL, O_COUNT},
                                             {"qos", required_argument, NULL, O_QOS},
                                             {"connections", required_argument, NULL, O_CONNS},
                                             {"inflight", required_argument, NULL, O_INFLIGHT},
                                             {"format", required_argument, NULL, O_FORMAT},
                                             {"seed", required_argument, NULL, O_SEED},
                                             {"fault", required_argument, NULL, O_FAULT},
                                             {"summary", required_argument, NULL, O_SUMMARY},
                                             {"engine", required_argument, NULL, O_ENGINE},
                                             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->speedup = 1;
    o->qos = 1;
    o->connections = 1;
    o->inflight = 20;
    o->format = SIM_FORMAT_MIXED;
    o->seed = 1;
    uint64_t v;
    char err[160];
    int ch, rc = 0;
    optind = 1;
    while (!rc && (ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            exit(0);
        case O_DEVICES:
            rc = parse_u64("--devices", optarg, 1, 10000000, &o->devices);
            break;
        case O_REGISTRY:
            o->registry = optarg;
            break;
        case O_RATE:
            rc = parse_double("--rate", optarg, 0, &o->rate);
            break;
        case O_SPEEDUP:
            rc = parse_double("--speedup", optarg, 1e-3, &o->speedup);
            break;
        case O_DURATION:
            rc = parse_double("--duration", optarg, 0, &o->duration_s);
            break;
        case O_COUNT:
            rc = parse_u64("--count", optarg, 1, UINT64_MAX, &o->count);
            break;
        case O_QOS:
            rc = parse_u64("--qos", optarg, 0, 1, &v);
            o->qos = (int)v;
            break;
        case O_CONNS:
            rc = parse_u64("--connections", optarg, 1, 256, &v);
            o->connections = (unsigned)v;
            break;
        case O_INFLIGHT:
            rc = parse_u64("--inflight", optarg, 1, 65535, &v);
            o->inflight = (unsigned)v;
            break;
        case O_FORMAT:
            if (strcmp(optarg, "mixed") == 0)
                o->format = SIM_FORMAT_MIXED;
            else if (strcmp(optarg, "json") == 0)
                o->format = SIM_FORMAT_JSON;
            else if (strcmp(optarg, "alink") == 0)
                o->format = SIM_FORMAT_ALINK;
            else if (strcmp(optarg, "hj212") == 0)
                o->format = SIM_FORMAT_HJ212;
            else if (strcmp(optarg, "onenet") == 0)
                o->format = SIM_FORMAT_ONENET;
            else
                rc = bad("--format", "expected json, alink, hj212, onenet or mixed");
            break;
        case O_SEED:
            rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed);
            break;
        case O_FAULT:
            if (sim_faults_parse(optarg, &o->faults, err, sizeof err) != 0)
                rc = bad("--fault", err);
            break;
        case O_SUMMARY:
            o->summary_path = optarg;
            break;
        case O_ENGINE:
            if (strcmp(optarg, "raw") == 0)
                o->raw = true;
            else if (strcmp(optarg, "paho") != 0)
                rc = bad("--engine", "expected paho or raw");
            break;
        default:
            return 2;
        }
    }
    if (rc)
        return rc;
    if (optind < argc)
        return bad(argv[optind], "unexpected argument");
    if (!o->config_path)
        return bad("-c", "missing -c FILE (the configuration file with mqtt.url)");
    if (o->registry && o->devices)
        return bad("--registry", "give --devices or --registry, not both");
    if (!o->registry && !o->devices)
        o->devices = 30;
    return 0;
}

/* Min-heap of devices by next due time, for --rate 0. */
struct due {
    int64_t at_ns;
    size_t dev;
};

static void heap_push(struct due *h, size_t *n, struct due e)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2].at_ns > e.at_ns) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static struct due heap_pop(struct due *h, size_t *n)
{
    struct due top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1].at_ns < h[c].at_ns)
            c++;
        if (h[c].at_ns >= last.at_ns)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = last;
    return top;
}

struct run {
    const struct sim_opts *o;
    struct sim_fleet *fleet;
    struct sim_pool *pool;
    struct buf payload;
    struct sim_reading reading;
    uint64_t sent;
    int64_t now;         /* CLOCK_MONOTONIC ns, read once per message */
    int64_t wall_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC at the start */
};

static void on_done(void *ctx, bool ok)
{
    struct sim_count *c = ctx;
    atomic_fetch_add(ok ? &c->acked : &c->failed, 1);
}

/* Makes and publishes device i's next reading. 0, or -ECANCELED to stop. */
static int send_one(struct run *r, size_t i)
{
    struct sim_device *d = &r->fleet->dev[i];
    struct sim_count *c = &r->fleet->count[i];
    int64_t ts = sim_device_next_ts(d, (r->now + r->wall_offset) / 1000000);
    sim_device_step(d, ts, &r->o->faults, &r->reading);
    buf_reset(&r->payload);
    int rc = sim_payload(d, &r->reading, &r->payload);
    if (rc) {
        log_error("sim", "cannot encode device=%s error=\"%s\"", d->id, strerror(-rc));
        return -ECANCELED;
    }
    rc = sim_pool_publish(r->pool, d->conn, r->fleet->topic[i], r->payload.data, r->payload.len, c);
    if (rc == -ECANCELED)
        return rc;
    if (rc) {
        atomic_fetch_add(&c->failed, 1);
        return 0;
    }
    c->sent++;
    r->sent++;
    if (!c->first_ts)
        c->first_ts = ts;
    c->last_ts = ts;
    if (!r->reading.faults)
        c->clean++;
    for (int k = 0; k < SIM_FAULT_COUNT; k++)
        if (r->reading.faults & (1u << k))
            c->faults[k]++;
    return 0;
}

static bool silenced(struct run *r, size_t i)
{
    if (!sim_device_silent(&r->fleet->dev[i]))
        return false;
    r->fleet->count[i].faults[SIM_FAULT_SILENT] = 1;
    return true;
}

static bool over(struct run *r, int64_t start_ns)
{
    if (atomic_load(&stop_flag))
        return true;
    if (r->o->count && r->sent >= r->o->count)
        return true;
    return r->o->duration_s > 0 && (double)(r->now - start_ns) >= r->o->duration_s * 1e9;
}

static void progress(struct run *r, int64_t start_ns, int64_t *next_ns)
{
    int64_t now = r->now;
    if (now < *next_ns)
        return;
    *next_ns = now + 5000000000LL;
    double s = (double)(now - start_ns) / 1e9;
    log_info("sim", "progress sent=%llu rate_per_s=%.0f inflight=%u", (unsigned long long)r->sent,
             s > 0 ? (double)r->sent / s : 0.0, sim_pool_inflight(r->pool));
}

/* --rate R: devices in turn, message k due at start + k/R. */
static void run_paced(struct run *r, int64_t start_ns)
{
    size_t n = r->fleet->n, next = 0;
    int64_t log_ns = start_ns + 5000000000LL;
    for (uint64_t k = 0; (r->now = now_ns(CLOCK_MONOTONIC), !over(r, start_ns)); k++) {
        int64_t due = start_ns + (int64_t)((double)k * 1e9 / r->o->rate);
        if (r->now < due)
            sim_pool_flush(r->pool);
        for (; r->now < due && !over(r, start_ns); r->now = now_ns(CLOCK_MONOTONIC))
            sleep_ns(due - r->now > 20000000 ? 20000000 : due - r->now);
        size_t tried = 0;
        while (tried < n && silenced(r, next)) {
            next = (next + 1) % n;
            tried++;
        }
        if (tried == n) {
            log_info("sim", "every device has gone silent");
            return;
        }
        if (send_one(r, next) != 0)
            return;
        next = (next + 1) % n;
        progress(r, start_ns, &log_ns);
    }
}

/* Real time between device i's reports. HJ 212 times are whole seconds, so
 * an HJ 212 device reports at most once a second: faster, its clock would
 * run ahead of the wall clock until the collector refuses its readings as
 * from the future. */
static double period_ns(const struct run *r, size_t i)
{
    const struct sim_device *d = &r->fleet->dev[i];
    double p = (double)sim_device_interval(d) * 1e6 / r->o->speedup;
    if (d->fmt == SIM_FORMAT_HJ212 && p < 1e9)
        p = 1e9;
    return p;
}

/* --rate 0: each device at its own interval / speedup. */
static int run_scheduled(struct run *r, int64_t start_ns)
{
    size_t n = r->fleet->n, nh = 0;
    struct due *h = calloc(n, sizeof *h);
    if (!h)
        return -ENOMEM;
    struct sim_rng rng;
    sim_rng_seed(&rng, r->o->seed ^ 0x5eed5eedULL);
    for (size_t i = 0; i < n; i++) {
        double period = period_ns(r, i);
        /* the first reports come within 10 s, as after power-on, whatever
         * the interval: a demo shows every device at once */
        double first = period < 1e10 ? period : 1e10;
        heap_push(h, &nh, (struct due){start_ns + (int64_t)(first * sim_rng_uniform(&rng)), i});
    }
    int64_t log_ns = start_ns + 5000000000LL;
    while (nh > 0 && (r->now = now_ns(CLOCK_MONOTONIC), !over(r, start_ns))) {
        int64_t now = r->now;
        if (h[0].at_ns > now) {
            sim_pool_flush(r->pool);
            sleep_ns(h[0].at_ns - now > 20000000 ? 20000000 : h[0].at_ns - now);
            continue;
        }
        struct due e = heap_pop(h, &nh);
        if (silenced(r, e.dev))
            continue;
        if (send_one(r, e.dev) != 0)
            break;
        double period = period_ns(r, e.dev);
        e.at_ns += period < 1000 ? 1000 : (int64_t)period;
        heap_push(h, &nh, e);
        progress(r, start_ns, &log_ns);
    }
    if (nh == 0)
        log_info("sim", "every device has gone silent");
    free(h);
    return 0;
}

static int write_summary(const struct sim_opts *o, const struct buf *b)
{
    FILE *fp = o->summary_path ? fopen(o->summary_path, "w") : stdout;
    if (!fp) {
        log_error("sim", "cannot write summary path=%s error=\"%s\"", o->summary_path,
                  strerror(errno));
        return -errno;
    }
    size_t n = b->data ? fwrite(b->data, 1, b->len, fp) : 0;
    int rc = (n == b->len && fflush(fp) == 0) ? 0 : -EIO;
    if (o->summary_path && fclose(fp) != 0)
        rc = -EIO;
    return rc;
}

int sim_main(int argc, char **argv)
{
    struct sim_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc)
        return rc;
    struct config *cfg = NULL;
    struct buf errors;
    buf_init(&errors, 1 << 20);
    if (config_load(o.config_path, &cfg, &errors) != 0) {
        fputs(errors.data ? errors.data : "configuration error\n", stderr);
        buf_free(&errors);
        return 1;
    }
    buf_free(&errors);
    enum log_level lvl;
    if (log_parse_level(cfg->log_level, &lvl) == 0)
        log_set_level(lvl);

    int status = 1;
    struct run r;
    memset(&r, 0, sizeof r);
    r.o = &o;
    struct sim_fleet fleet;
    buf_init(&r.payload, 65536);
    if (sim_fleet_build(&o, &fleet) != 0)
        goto out_cfg;
    r.fleet = &fleet;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    r.pool = sim_pool_new(cfg, o.connections, o.inflight, o.qos, o.raw, on_done, &stop_flag);
    if (!r.pool || sim_pool_connect(r.pool, 15000) != 0)
        goto out_fleet;
    log_info("sim", "started url=%s devices=%zu connections=%u qos=%d rate=%g speedup=%g",
             cfg->mqtt.url, fleet.n, o.connections, o.qos, o.rate, o.speedup);
    int64_t start_ns = now_ns(CLOCK_MONOTONIC);
    r.now = start_ns;
    r.wall_offset = now_ns(CLOCK_REALTIME) - start_ns;
    if (o.rate > 0)
        run_paced(&r, start_ns);
    else if (run_scheduled(&r, start_ns) != 0)
        goto out_fleet;
    bool interrupted = atomic_load(&stop_flag);
    double elapsed = (double)(now_ns(CLOCK_MONOTONIC) - start_ns) / 1e9;
    if (sim_pool_drain(r.pool, o.qos ? 10000 : 2000) != 0)
        log_warn("sim", "stopping with messages unacknowledged inflight=%u",
                 sim_pool_inflight(r.pool));
    elapsed = o.qos ? (double)(now_ns(CLOCK_MONOTONIC) - start_ns) / 1e9 : elapsed;
    sim_pool_free(r.pool);
    r.pool = NULL;
    struct buf sum;
    buf_init(&sum, (size_t)1 << 30);
    if (sim_summary_write(&o, &fleet, elapsed, interrupted, &sum) == 0 &&
        write_summary(&o, &sum) == 0)
        status = 0;
    buf_free(&sum);
    log_info("sim", "stopped sent=%llu elapsed_s=%.3f rate_per_s=%.0f interrupted=%d",
             (unsigned long long)r.sent, elapsed, elapsed > 0 ? (double)r.sent / elapsed : 0.0,
             interrupted);
out_fleet:
    sim_pool_free(r.pool);
    sim_fleet_free(&fleet);
out_cfg:
    buf_free(&r.payload);
    config_free(cfg);
    return status;
}
