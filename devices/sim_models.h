/*
 * sim_models: the simulator's device models. Pure computation, no I/O and
 * no allocation, so that `lifeline sim` can make a million readings a second
 * and the unit test can check every value.
 *
 * Each simulated device carries its own random generator (xoshiro256**,
 * seeded from the run's seed and the device's index), so a run is
 * reproducible for a seed whatever the order devices are stepped in.
 *
 * The models, per category (fields and valid ranges as in DOMAIN.md):
 *   water_supply   pressures, tank level, flow, pump, water quality; flow and
 *                  outlet pressure follow a daily demand curve (peaks around
 *                  07:30 and 19:30 China time, a trough at night)
 *   drainage       water level, rainfall (5 min, 1 h), flow, supply voltage,
 *                  radio; rain events start at random, last a while and
 *                  raise level and flow, which then recede
 *   sewage         HJ 212 factors w00000 (flow, daily curve), w01018 COD,
 *                  w21003 NH3-N, w21001 TN, w21011 TP, w01001 pH, a Flag
 *   manhole_cover  a heartbeat: tilt, open, water level, CH4, battery voltage
 *                  (slowly falling), RSRP, SNR; reports every 12-24 h
 *   bridge_tunnel  tilt, displacement, strain (daily temperature cycle),
 *                  acceleration, crack width
 *   surveillance   online, video_loss, storage_pct (filling up), temperature
 *                  (daily cycle)
 * Values drift as mean-reverting random walks and stay inside their valid
 * range unless a range fault is injected.
 *
 * Faults (struct sim_faults, rates in [0, 1]):
 *   silent     per device, drawn once: the device stops reporting after
 *              1-10 readings (sim_device_silent says when)
 *   range      per reading, any category: one field is set outside its range
 *   malformed  per reading, any category: the encoder cuts the payload in half
 *              (never valid JSON, never a complete HJ 212 frame); a malformed
 *              reading carries no other fault
 *   tilt, open, battery   per manhole_cover reading: tilt 15-60 degrees; open
 *              cover; battery 3.00-3.15 V
 *   rsrp       per manhole_cover or drainage reading: RSRP -140..-125 dBm, SNR
 *              -20..-10 dB
 *   flag_d     per sewage reading: one factor's Flag is D (instrument fault)
 * A per-reading rate is the probability for each reading the fault applies to.
 */
#ifndef LIFELINE_SIM_MODELS_H
#define LIFELINE_SIM_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sim_category {
    SIM_WATER_SUPPLY,
    SIM_DRAINAGE,
    SIM_SEWAGE,
    SIM_MANHOLE_COVER,
    SIM_BRIDGE_TUNNEL,
    SIM_SURVEILLANCE,
    SIM_CATEGORY_COUNT
};

enum sim_format { SIM_FORMAT_JSON, SIM_FORMAT_ALINK, SIM_FORMAT_HJ212, SIM_FORMAT_ONENET };

enum sim_fault {
    SIM_FAULT_SILENT,
    SIM_FAULT_RANGE,
    SIM_FAULT_MALFORMED,
    SIM_FAULT_TILT,
    SIM_FAULT_OPEN,
    SIM_FAULT_FLAG_D,
    SIM_FAULT_BATTERY,
    SIM_FAULT_RSRP,
    SIM_FAULT_COUNT
};

struct sim_faults {
    double rate[SIM_FAULT_COUNT];
};

struct sim_rng {
    uint64_t s[4];
};

#define SIM_MAX_FIELDS 10
#define SIM_ID_MAX 64
#define SIM_NAME_MAX 128

enum sim_kind { SIM_NUM, SIM_BOOL, SIM_FLAG };

/* One value of a reading. SIM_FLAG is the HJ 212 Flag letter of the
 * preceding numeric factors (JSON writes it as the string field "flag"). */
struct sim_value {
    const char *key; /* static */
    enum sim_kind kind;
    int decimals; /* SIM_NUM: digits after the point when encoded */
    double num;
    bool b;
    char flag;
};

struct sim_reading {
    int64_t ts_ms;
    unsigned faults; /* bit (1u << enum sim_fault) per fault applied */
    size_t n;
    struct sim_value v[SIM_MAX_FIELDS];
};

struct sim_device {
    char id[SIM_ID_MAX];       /* device_id: topic level, Alink deviceName, HJ 212 MN */
    char name[SIM_NAME_MAX];   /* Chinese asset name */
    char district[SIM_ID_MAX]; /* UTF-8 */
    char product[24];          /* Alink productKey */
    enum sim_category cat;
    enum sim_format fmt;
    int64_t interval_ms; /* report interval in device time */
    struct sim_rng rng;
    double x[SIM_MAX_FIELDS]; /* model state, by field position */
    double rain_mm_h;         /* drainage: current intensity, 0 when dry */
    int rain_left;            /* readings the rain event lasts */
    double rain_1h;           /* drainage: running hourly total */
    int64_t last_ts;
    uint64_t readings;    /* readings made so far */
    int64_t silent_after; /* goes silent after this many readings; -1 never */
    unsigned conn;        /* which MQTT connection (set by the publisher) */
};

/* The category's name as used in topics and measurements ("water_supply"). */
const char *sim_category_name(enum sim_category c);
/* The category with this name, or -1. */
int sim_category_parse(const char *name);
/* The Chinese word used in generated asset names ("二次供水泵房"). */
const char *sim_category_label(enum sim_category c);
/* "json", "alink" or "hj212". */
const char *sim_format_name(enum sim_format f);
/* The fault's name in --fault and the summary ("silent", "flag_d", ...). */
const char *sim_fault_name(enum sim_fault f);
/* The format "mixed" chooses for a category: sewage hj212, manhole_cover
 * alink, the rest json. */
enum sim_format sim_format_for(enum sim_category c);
/* The category's typical report interval in ms (manhole_cover: 12-24 h is
 * drawn per device by sim_device_init; this is the lower bound). */
int64_t sim_default_interval_ms(enum sim_category c);

/*
 * Parses "silent=0.05,range=0.01,..." into f (kinds not named keep their
 * value). 0, or -EINVAL with a lowercase explanation in err ("unknown fault
 * 'x'; known: silent, range, ...", "fault 'range': rate must be 0..1").
 */
int sim_faults_parse(const char *s, struct sim_faults *f, char *err, size_t errlen);

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_uniform(struct sim_rng *r);

/*
 * Sets up device number `index` of a run with `seed`: id, category, format,
 * district and name must be filled in by the caller before or after (they
 * do not affect the model); this seeds the generator, draws the starting
 * state, the report interval (0 keeps the category default) and, with
 * probability faults->rate[SIM_FAULT_SILENT], when the device goes silent.
 */
void sim_device_init(struct sim_device *d, enum sim_category cat, uint64_t seed, uint64_t index,
                     int64_t interval_ms, const struct sim_faults *faults);

/* True when the device has gone silent and must not report any more. */
bool sim_device_silent(const struct sim_device *d);

/*
 * The time to stamp the device's next reading with, given the wall clock:
 * `now_ms`, or just past the previous reading when that is not later, so
 * that each reading of a device has a distinct time. HJ 212 devices move in
 * whole seconds (DataTime has no milliseconds). When a device reports
 * faster than that, its clock runs ahead of the wall clock.
 */
int64_t sim_device_next_ts(const struct sim_device *d, int64_t now_ms);

/* The device's current report interval in device time (ms): drainage
 * reports every minute while it rains, else interval_ms. */
int64_t sim_device_interval(const struct sim_device *d);

/*
 * Makes the device's next reading at ts_ms (from sim_device_next_ts):
 * advances the model, draws the per-reading faults and fills `out`.
 * Never allocates.
 */
void sim_device_step(struct sim_device *d, int64_t ts_ms, const struct sim_faults *faults,
                     struct sim_reading *out);

/*
 * The valid range of a category's numeric field (DOMAIN.md), for tests and
 * for the range fault. 0, or -ENOENT when the category has no such numeric
 * field.
 */
int sim_field_range(enum sim_category c, const char *key, double *min, double *max);

#endif
