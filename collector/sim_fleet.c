/*
 * The simulated fleet: generated devices, or the upgraded assets of a
 * registry CSV (collector/registry.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "sim_impl.h"
#include "sim_payload.h"

static const char *const districts[] = {"顾官屯镇", "许营镇", "九州街道"};
static const char *const district_codes[] = {"GGT", "XY", "JZ"};
static const char *const category_codes[SIM_CATEGORY_COUNT] = {"WS", "DR", "SW", "MH", "BT", "SV"};
static const char *const products[SIM_CATEGORY_COUNT] = {
    "a1WaterSupl", "a1Drainage0", "a1SewageHJ2", "a1ManholeCv", "a1BridgeTnl", "a1Surveilnc"};
static const char *const places[] = {"东风路", "人民路", "迎宾大道", "花溪路",
                                     "湖滨路", "新华街", "工业园",   "中心广场"};

static void finish_device(const struct sim_opts *o, struct sim_device *d, size_t i,
                          int64_t interval_ms)
{
    enum sim_category cat = d->cat;
    sim_device_init(d, cat, o->seed, i, interval_ms, &o->faults);
    d->fmt = o->format == SIM_FORMAT_MIXED ? sim_format_for(cat) : (enum sim_format)o->format;
    snprintf(d->product, sizeof d->product, "%s", products[cat]);
    d->conn = (unsigned)(i % o->connections);
    d->zone_min = o->hj212_zone_min;
}

static int generate(const struct sim_opts *o, struct sim_fleet *f)
{
    unsigned seq[3][SIM_CATEGORY_COUNT] = {{0}};
    for (size_t i = 0; i < f->n; i++) {
        struct sim_device *d = &f->dev[i];
        enum sim_category cat = (enum sim_category)(i % SIM_CATEGORY_COUNT);
        size_t dist = (i / SIM_CATEGORY_COUNT) % 3;
        unsigned k = ++seq[dist][cat];
        d->cat = cat;
        snprintf(d->id, sizeof d->id, "%s%s%04u", district_codes[dist], category_codes[cat], k);
        snprintf(d->district, sizeof d->district, "%s", districts[dist]);
        snprintf(d->name, sizeof d->name, "%s%s%s%u号", districts[dist],
                 places[(k - 1) % (sizeof places / sizeof places[0])], sim_category_label(cat), k);
        finish_device(o, d, i, 0);
    }
    return 0;
}

static bool any_category(const char *name)
{
    (void)name; /* categories the simulator has no model for are skipped below */
    return true;
}

static int from_registry(const struct sim_opts *o, struct sim_fleet *f)
{
    struct buf errors;
    buf_init(&errors, 1 << 20);
    int nerr = 0, rc = 0;
    struct registry *reg = registry_load(o->registry, any_category, &errors, &nerr);
    if (!reg) {
        fprintf(stderr, "lifeline sim: cannot load registry %s\n%s", o->registry,
                errors.data ? errors.data : "");
        rc = -EINVAL;
        goto out;
    }
    size_t n = registry_count(reg);
    f->dev = calloc(n ? n : 1, sizeof *f->dev);
    if (!f->dev) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct asset *a = registry_at(reg, i);
        int cat = sim_category_parse(a->category);
        if (a->status != ASSET_UPGRADED || !a->device_id[0] || cat < 0)
            continue;
        struct sim_device *d = &f->dev[f->n];
        d->cat = (enum sim_category)cat;
        snprintf(d->id, sizeof d->id, "%s", a->device_id);
        snprintf(d->district, sizeof d->district, "%s", a->district);
        snprintf(d->name, sizeof d->name, "%s", a->name);
        finish_device(o, d, f->n, (int64_t)a->report_interval_s * 1000);
        f->n++;
    }
    if (f->n == 0) {
        fprintf(stderr, "lifeline sim: %s: no upgraded asset with a device_id\n", o->registry);
        rc = -ENOENT;
    }
out:
    registry_free(reg);
    buf_free(&errors);
    return rc;
}

int sim_fleet_build(const struct sim_opts *o, struct sim_fleet *f)
{
    memset(f, 0, sizeof *f);
    int rc;
    if (o->registry) {
        rc = from_registry(o, f);
    } else {
        f->n = o->devices;
        f->dev = calloc(f->n, sizeof *f->dev);
        rc = f->dev ? generate(o, f) : -ENOMEM;
    }
    if (!rc) {
        f->count = calloc(f->n, sizeof *f->count);
        f->topic = calloc(f->n, sizeof *f->topic);
        if (!f->count || !f->topic)
            rc = -ENOMEM;
    }
    for (size_t i = 0; i < f->n && !rc; i++) {
        struct buf t;
        buf_init(&t, 4096);
        rc = sim_topic(&f->dev[i], &t);
        f->topic[i] = t.data; /* NUL-terminated; ours now */
        if (!rc && !t.data)
            rc = -ENOMEM;
    }
    if (rc)
        sim_fleet_free(f);
    return rc;
}

void sim_fleet_free(struct sim_fleet *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->topic && i < f->n; i++)
        free(f->topic[i]);
    free(f->topic);
    free(f->dev);
    free(f->count);
    memset(f, 0, sizeof *f);
}
