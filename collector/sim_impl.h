/*
 * sim_impl: what the parts of `lifeline sim` (sim.c: options and the
 * publishing loop; sim_fleet.c: the devices; sim_summary.c: the summary)
 * share. Not for use outside them.
 */
#ifndef LIFELINE_SIM_IMPL_H
#define LIFELINE_SIM_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "sim_models.h"

#define SIM_FORMAT_MIXED (-1)

struct sim_opts {
    const char *config_path;
    uint64_t devices;     /* --devices, 0 when --registry */
    const char *registry; /* --registry */
    double rate;          /* aggregate readings/s; 0: each device at its interval */
    double speedup;
    double duration_s; /* 0: no limit */
    uint64_t count;    /* 0: no limit */
    int qos;
    unsigned connections;
    unsigned inflight;
    bool raw;   /* --engine raw */
    int format; /* enum sim_format or SIM_FORMAT_MIXED */
    uint64_t seed;
    struct sim_faults faults;
    const char *summary_path; /* NULL: stdout */
    int hj212_zone_min;       /* hj212.time_zone of the configuration */
};

/* What was done with one device's readings. */
struct sim_count {
    uint64_t sent; /* publisher thread only */
    uint64_t clean;
    uint64_t faults[SIM_FAULT_COUNT]; /* readings per fault; [SILENT] 1 once silent */
    int64_t first_ts, last_ts;
    atomic_uint_fast64_t acked, failed; /* Paho threads */
};

struct sim_fleet {
    struct sim_device *dev;
    struct sim_count *count;
    char **topic; /* each device's topic, made once */
    size_t n;
};

/*
 * Builds the fleet: opts->devices generated devices spread over the six
 * categories and three districts, or every upgraded asset with a device_id
 * in opts->registry. Formats, seeds, intervals and connections are set.
 * 0, or -errno with a message on stderr.
 */
int sim_fleet_build(const struct sim_opts *o, struct sim_fleet *f);
void sim_fleet_free(struct sim_fleet *f);

/* Appends the JSON summary (see sim_summary.c). 0 or the buf error. */
int sim_summary_write(const struct sim_opts *o, const struct sim_fleet *f, double elapsed_s,
                      bool interrupted, struct buf *out);

#endif
