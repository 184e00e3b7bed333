#include "sim_models.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "numparse.h"

/* A field of a category: its valid range (DOMAIN.md) and the band its
 * undisturbed value drifts in. */
struct spec {
    const char *key;
    enum sim_kind kind;
    int decimals;
    double vmin, vmax; /* valid */
    double lo, hi;     /* normal */
};

#define NUM(k, d, a, b, l, h)                                                                      \
    {                                                                                              \
        k, SIM_NUM, d, a, b, l, h                                                                  \
    }
#define BOOL(k)                                                                                    \
    {                                                                                              \
        k, SIM_BOOL, 0, 0, 1, 0, 1                                                                 \
    }

static const struct spec water_supply[] = {NUM("pressure_in", 3, 0, 1.6, 0.15, 0.35),
                                           NUM("pressure_out", 3, 0, 1.6, 0.30, 0.50),
                                           NUM("tank_level", 2, 0, 10, 2, 8),
                                           NUM("flow", 1, 0, 1000, 80, 300),
                                           BOOL("pump_running"),
                                           NUM("pump_freq", 1, 0, 50, 30, 48),
                                           NUM("chlorine", 3, 0, 20, 0.2, 0.8),
                                           NUM("turbidity", 3, 0, 4000, 0.05, 0.6),
                                           NUM("ph", 2, 0, 14, 6.9, 7.8),
                                           {NULL, SIM_NUM, 0, 0, 0, 0, 0}};
static const struct spec drainage[] = {NUM("water_level", 3, 0, 10, 0.2, 0.8),
                                       NUM("rainfall_5min", 1, 0, 250.0 / 12, 0, 0),
                                       NUM("rainfall_1h", 1, 0, 250, 0, 0),
                                       NUM("flow", 3, 0, 50, 0.05, 0.5),
                                       NUM("supply_voltage", 2, 0, 36, 11.8, 13.2),
                                       NUM("rsrp", 0, -140, -44, -105, -75),
                                       NUM("snr", 1, -20, 30, 3, 18),
                                       {NULL, SIM_NUM, 0, 0, 0, 0, 0}};
static const struct spec sewage[] = {
    NUM("w00000", 2, 0, 10000, 20, 80), NUM("w01018", 1, 0, 10000, 80, 300),
    NUM("w21003", 2, 0, 1000, 5, 35),   NUM("w21001", 2, 0, 1000, 10, 50),
    NUM("w21011", 3, 0, 100, 0.5, 5),   NUM("w01001", 2, 0, 14, 6.6, 8.2),
    {"flag", SIM_FLAG, 0, 0, 0, 0, 0},  {NULL, SIM_NUM, 0, 0, 0, 0, 0}};
static const struct spec manhole_cover[] = {NUM("tilt", 1, 0, 90, 0, 3),
                                            BOOL("open"),
                                            NUM("water_level", 2, 0, 10, 0.1, 1.2),
                                            NUM("gas_ch4", 1, 0, 100, 0, 4),
                                            NUM("battery_v", 3, 3.0, 3.6, 3.3, 3.6),
                                            NUM("rsrp", 0, -140, -44, -110, -75),
                                            NUM("snr", 1, -20, 30, 0, 15),
                                            {NULL, SIM_NUM, 0, 0, 0, 0, 0}};
static const struct spec bridge_tunnel[] = {
    NUM("tilt", 3, 0, 90, 0.01, 0.3),         NUM("displacement", 2, -100, 100, -3, 3),
    NUM("strain", 1, -2000, 2000, 50, 200),   NUM("acceleration", 4, 0, 20, 0.001, 0.03),
    NUM("crack_width", 3, 0, 10, 0.05, 0.25), {NULL, SIM_NUM, 0, 0, 0, 0, 0}};
static const struct spec surveillance[] = {BOOL("online"),
                                           BOOL("video_loss"),
                                           NUM("storage_pct", 1, 0, 100, 30, 95),
                                           NUM("temperature", 1, -40, 85, 15, 40),
                                           {NULL, SIM_NUM, 0, 0, 0, 0, 0}};

struct category {
    const char *name;
    const char *label;
    const struct spec *fields;
    int64_t interval_ms;
    int range_field;       /* the field a range fault spoils */
    double bad_lo, bad_hi; /* and the out-of-range value it gets */
};

static const struct category categories[SIM_CATEGORY_COUNT] = {
    [SIM_WATER_SUPPLY] = {"water_supply", "二次供水泵房", water_supply, 60000, 1, 1.7, 3.0},
    [SIM_DRAINAGE] = {"drainage", "排水监测点", drainage, 300000, 2, 260, 400},
    [SIM_SEWAGE] = {"sewage", "污水处理站", sewage, 60000, 5, 14.5, 16},
    [SIM_MANHOLE_COVER] = {"manhole_cover", "智能井盖", manhole_cover, 12 * 3600000LL, 3, 101, 150},
    [SIM_BRIDGE_TUNNEL] = {"bridge_tunnel", "桥隧监测点", bridge_tunnel, 300000, 0, 91, 120},
    [SIM_SURVEILLANCE] = {"surveillance", "视频监控", surveillance, 60000, 2, 101, 150},
};

static const char *const fault_names[SIM_FAULT_COUNT] = {"silent", "range",  "malformed", "tilt",
                                                         "open",   "flag_d", "battery",   "rsrp"};

const char *sim_category_name(enum sim_category c)
{
    return categories[c].name;
}

const char *sim_category_label(enum sim_category c)
{
    return categories[c].label;
}

int sim_category_parse(const char *name)
{
    for (int i = 0; i < SIM_CATEGORY_COUNT; i++)
        if (strcmp(categories[i].name, name) == 0)
            return i;
    return -1;
}

const char *sim_format_name(enum sim_format f)
{
    return f == SIM_FORMAT_ALINK    ? "alink"
           : f == SIM_FORMAT_HJ212  ? "hj212"
           : f == SIM_FORMAT_ONENET ? "onenet"
                                    : "json";
}

const char *sim_fault_name(enum sim_fault f)
{
    return fault_names[f];
}

enum sim_format sim_format_for(enum sim_category c)
{
    return c == SIM_SEWAGE          ? SIM_FORMAT_HJ212
           : c == SIM_MANHOLE_COVER ? SIM_FORMAT_ALINK
                                    : SIM_FORMAT_JSON;
}

int64_t sim_default_interval_ms(enum sim_category c)
{
    return categories[c].interval_ms;
}

int sim_faults_parse(const char *s, struct sim_faults *f, char *err, size_t errlen)
{
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        if (!eq) {
            snprintf(err, errlen, "fault '%.*s': expected kind=rate", (int)len, s);
            return -EINVAL;
        }
        size_t klen = (size_t)(eq - s);
        int kind = -1;
        for (int i = 0; i < SIM_FAULT_COUNT; i++)
            if (strlen(fault_names[i]) == klen && memcmp(fault_names[i], s, klen) == 0)
                kind = i;
        if (kind < 0) {
            snprintf(err, errlen,
                     "unknown fault '%.*s'; known: silent, range, malformed, tilt, open, "
                     "flag_d, battery, rsrp",
                     (int)klen, s);
            return -EINVAL;
        }
        double v;
        if (num_parse_double(eq + 1, len - klen - 1, &v) != 0 || v < 0 || v > 1) {
            snprintf(err, errlen, "fault '%s': rate must be a number from 0 to 1",
                     fault_names[kind]);
            return -EINVAL;
        }
        f->rate[kind] = v;
        s += len;
        if (*s == ',')
            s++;
    }
    return 0;
}

/* xoshiro256** with splitmix64 seeding (Blackman and Vigna, public domain). */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double sim_rng_uniform(struct sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

static double between(struct sim_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * sim_rng_uniform(r);
}

/* Roughly standard normal (Irwin-Hall of four), cheap and bounded. */
static double gauss(struct sim_rng *r)
{
    double s = sim_rng_uniform(r) + sim_rng_uniform(r) + sim_rng_uniform(r) + sim_rng_uniform(r);
    return (s - 2.0) * 1.7320508075688772;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static size_t nfields(enum sim_category c)
{
    size_t n = 0;
    while (categories[c].fields[n].key)
        n++;
    return n;
}

void sim_device_init(struct sim_device *d, enum sim_category cat, uint64_t seed, uint64_t index,
                     int64_t interval_ms, const struct sim_faults *faults)
{
    d->cat = cat;
    sim_rng_seed(&d->rng, seed * 0x100000001b3ULL ^ (index + 1) * 0x9e3779b97f4a7c15ULL);
    const struct spec *f = categories[cat].fields;
    memset(d->x, 0, sizeof d->x);
    for (size_t i = 0; i < nfields(cat); i++)
        d->x[i] = between(&d->rng, f[i].lo, f[i].hi);
    d->rain_mm_h = 0;
    d->rain_left = 0;
    d->rain_1h = 0;
    d->last_ts = 0;
    d->readings = 0;
    d->zone_min = 8 * 60; /* China time */
    if (interval_ms > 0)
        d->interval_ms = interval_ms;
    else if (cat == SIM_MANHOLE_COVER) /* heartbeat every 12-24 h */
        d->interval_ms = (int64_t)between(&d->rng, 12 * 3600000.0, 24 * 3600000.0);
    else
        d->interval_ms = categories[cat].interval_ms;
    d->silent_after = -1;
    if (faults && sim_rng_uniform(&d->rng) < faults->rate[SIM_FAULT_SILENT])
        d->silent_after = 1 + (int64_t)(sim_rng_next(&d->rng) % 10);
}

bool sim_device_silent(const struct sim_device *d)
{
    return d->silent_after >= 0 && d->readings >= (uint64_t)d->silent_after;
}

int64_t sim_device_next_ts(const struct sim_device *d, int64_t now_ms)
{
    if (d->fmt == SIM_FORMAT_HJ212) {
        int64_t t = now_ms - now_ms % 1000;
        return t > d->last_ts ? t : d->last_ts - d->last_ts % 1000 + 1000;
    }
    return now_ms > d->last_ts ? now_ms : d->last_ts + 1;
}

int64_t sim_device_interval(const struct sim_device *d)
{
    if (d->cat == SIM_DRAINAGE && d->rain_mm_h > 0 && d->interval_ms > 60000)
        return 60000;
    return d->interval_ms;
}

/* Water demand over the day, 0.15 (night) to 1 (morning and evening peaks),
 * at China local time (UTC+8). */
static double demand(int64_t ts_ms)
{
    double h = fmod((double)(ts_ms / 1000 + 8 * 3600) / 3600.0, 24.0);
    double am = exp(-(h - 7.5) * (h - 7.5) / (2 * 1.5 * 1.5));
    double pm = exp(-(h - 19.5) * (h - 19.5) / (2 * 2.0 * 2.0));
    return 0.15 + 0.85 * (am > pm ? am : pm);
}

/* Ambient temperature swing, -1 (05:00) to 1 (14:00 ... roughly). */
static double warmth(int64_t ts_ms)
{
    double h = fmod((double)(ts_ms / 1000 + 8 * 3600) / 3600.0, 24.0);
    return cos((h - 14.0) * 3.141592653589793 / 12.0);
}

/* Mean-reverting random walk of every numeric state inside its band. */
static void drift(struct sim_device *d, const struct spec *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (f[i].kind != SIM_NUM || f[i].hi <= f[i].lo)
            continue;
        double mid = (f[i].lo + f[i].hi) / 2, span = f[i].hi - f[i].lo;
        d->x[i] += 0.05 * (mid - d->x[i]) + 0.03 * span * gauss(&d->rng);
        d->x[i] = clamp(d->x[i], f[i].lo, f[i].hi);
    }
}

static void rain(struct sim_device *d)
{
    if (d->rain_left > 0) {
        d->rain_left--;
        d->rain_mm_h = clamp(d->rain_mm_h * between(&d->rng, 0.8, 1.25), 0.5, 120);
        if (d->rain_left == 0)
            d->rain_mm_h = 0;
    } else if (sim_rng_uniform(&d->rng) < 0.03) {
        d->rain_left = 5 + (int)(sim_rng_next(&d->rng) % 36);
        /* most showers are light; a downpour is the rare one */
        double u = sim_rng_uniform(&d->rng);
        d->rain_mm_h = 2 + 58 * u * u * u;
    }
    d->rain_1h = clamp(d->rain_1h + 0.3 * (d->rain_mm_h - d->rain_1h), 0, 250);
    /* x[7] is spare in the drainage table: how far rain lifted the water.
     * The pipes carry rain up to a design intensity of about 30 mm/h with
     * the level rising 2 cm per mm/h; beyond it they surcharge and the level
     * climbs ten times as fast, so only a downpour of 37 mm/h or more
     * reaches the profile's 2 m high-water alarm. */
    double surcharge = d->rain_mm_h > 30 ? d->rain_mm_h - 30 : 0;
    d->x[7] = d->x[7] * 0.8 + 0.2 * (0.02 * d->rain_mm_h + 0.1 * surcharge);
}

/* The reading's values from the model state, before any fault. */
static void render(struct sim_device *d, int64_t ts, struct sim_reading *out)
{
    const struct spec *f = categories[d->cat].fields;
    size_t n = nfields(d->cat);
    double dm = demand(ts), w = warmth(ts);
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        struct sim_value *v = &out->v[i];
        v->key = f[i].key;
        v->kind = f[i].kind;
        v->decimals = f[i].decimals;
        v->num = d->x[i];
        v->b = false;
        v->flag = 'N';
    }
    struct sim_value *v = out->v;
    switch (d->cat) {
    case SIM_WATER_SUPPLY:
        v[1].num = d->x[1] * (1.05 - 0.15 * dm); /* pressure sags at peak demand */
        v[3].num = d->x[3] * (0.3 + dm);
        v[4].b = dm > 0.2 || d->x[3] > 150;
        v[5].num = v[4].b ? d->x[5] : 0;
        break;
    case SIM_DRAINAGE:
        v[0].num = clamp(d->x[0] + d->x[7], 0, 10);
        v[1].num = d->rain_mm_h / 12;
        v[2].num = d->rain_1h;
        v[3].num = clamp(d->x[3] + d->x[7] * 0.5, 0, 50);
        break;
    case SIM_SEWAGE:
        v[0].num = d->x[0] * (0.5 + dm);
        break;
    case SIM_MANHOLE_COVER:
        v[1].b = false;
        break;
    case SIM_BRIDGE_TUNNEL:
        v[2].num = d->x[2] + 60 * w; /* thermal strain */
        break;
    case SIM_SURVEILLANCE:
        v[0].b = true;
        v[1].b = false;
        v[3].num = d->x[3] + 8 * w;
        break;
    default:
        break;
    }
    for (size_t i = 0; i < n; i++)
        if (v[i].kind == SIM_NUM)
            v[i].num = clamp(v[i].num, f[i].vmin, f[i].vmax);
}

static void slow_trends(struct sim_device *d)
{
    if (d->cat == SIM_MANHOLE_COVER) {
        /* the battery runs down; at 3.3 V someone replaces it */
        d->x[4] -= 0.002;
        if (d->x[4] < 3.3)
            d->x[4] = 3.6;
    } else if (d->cat == SIM_SURVEILLANCE) {
        d->x[2] += 0.2; /* the recorder fills up, then overwrites */
        if (d->x[2] > 95)
            d->x[2] = 30;
    }
}

static bool draw(struct sim_device *d, const struct sim_faults *fr, enum sim_fault k)
{
    return fr && sim_rng_uniform(&d->rng) < fr->rate[k];
}

static void inject(struct sim_device *d, const struct sim_faults *fr, struct sim_reading *out)
{
    struct sim_value *v = out->v;
    if (draw(d, fr, SIM_FAULT_MALFORMED)) {
        out->faults |= 1u << SIM_FAULT_MALFORMED;
        return;
    }
    if (draw(d, fr, SIM_FAULT_RANGE)) {
        const struct category *c = &categories[d->cat];
        v[c->range_field].num = between(&d->rng, c->bad_lo, c->bad_hi);
        out->faults |= 1u << SIM_FAULT_RANGE;
    }
    if (d->cat == SIM_MANHOLE_COVER) {
        if (draw(d, fr, SIM_FAULT_TILT)) {
            v[0].num = between(&d->rng, 15, 60);
            out->faults |= 1u << SIM_FAULT_TILT;
        }
        if (draw(d, fr, SIM_FAULT_OPEN)) {
            v[1].b = true;
            out->faults |= 1u << SIM_FAULT_OPEN;
        }
        if (draw(d, fr, SIM_FAULT_BATTERY)) {
            v[4].num = between(&d->rng, 3.0, 3.15);
            out->faults |= 1u << SIM_FAULT_BATTERY;
        }
    }
    if (d->cat == SIM_MANHOLE_COVER || d->cat == SIM_DRAINAGE) {
        if (draw(d, fr, SIM_FAULT_RSRP)) {
            /* rsrp and snr are fields 5 and 6 in both tables */
            v[5].num = floor(between(&d->rng, -140, -125));
            v[6].num = between(&d->rng, -20, -10);
            out->faults |= 1u << SIM_FAULT_RSRP;
        }
    }
    if (d->cat == SIM_SEWAGE && draw(d, fr, SIM_FAULT_FLAG_D)) {
        v[6].flag = 'D';
        out->faults |= 1u << SIM_FAULT_FLAG_D;
    }
}

void sim_device_step(struct sim_device *d, int64_t ts_ms, const struct sim_faults *faults,
                     struct sim_reading *out)
{
    const struct spec *f = categories[d->cat].fields;
    drift(d, f, nfields(d->cat));
    slow_trends(d);
    if (d->cat == SIM_DRAINAGE)
        rain(d);
    out->ts_ms = ts_ms;
    out->faults = 0;
    render(d, ts_ms, out);
    inject(d, faults, out);
    d->last_ts = ts_ms;
    d->readings++;
}

int sim_field_range(enum sim_category c, const char *key, double *min, double *max)
{
    for (const struct spec *f = categories[c].fields; f->key; f++) {
        if (f->kind == SIM_NUM && strcmp(f->key, key) == 0) {
            *min = f->vmin;
            *max = f->vmax;
            return 0;
        }
    }
    return -ENOENT;
}
