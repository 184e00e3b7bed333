/*
 * state_cost: what the live view (devstate_note) and the alert engine
 * (alert_engine_observe) cost per reading and per reporting device, without
 * broker, database or pipeline. Loads a registry, makes one simulated
 * device per asset with a device_id (its category's model, plain JSON
 * decoded by Lifeline's own decoder), and hands each device's reading to
 * both, as the pipeline does, ROUNDS times over the fleet. Prints the heap
 * in use (mallinfo2) before and after the first round.
 *
 * Not part of the build (docs/performance.md, "Scale of state"). Build and
 * run it against a build's library:
 *   cc -O2 -g -Icollector -Idevices scripts/state_cost.c build-release/liblifeline_core.a \
 *      -lpaho-mqtt3as -lcurl -lz -lcjson -lmicrohttpd -lcsv -lsqlite3 -lpthread -lm \
 *      -o /tmp/state_cost
 *   /tmp/state_cost assets-100k.csv 4
 *   valgrind --tool=callgrind --toggle-collect=devstate_note \
 *      --toggle-collect=alert_engine_observe /tmp/state_cost assets-100k.csv 4
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_engine.h"
#include "devstate.h"
#include "json_plain.h"
#include "knowledge.h"
#include "numparse.h"
#include "reason.h"
#include "registry.h"
#include "sim_models.h"
#include "sim_payload.h"

struct dev {
    struct sim_device sim;
    const struct asset *a;
};

static bool any_category(const char *name)
{
    (void)name;
    return true;
}

static size_t heap_used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: state_cost REGISTRY.csv [ROUNDS]\n");
        return 2;
    }
    int64_t rounds = 4;
    if (argc > 2 && num_parse_i64(argv[2], strlen(argv[2]), 1, 1000, &rounds) != 0)
        return 2;
    int nerr = 0;
    struct profile_set *ps = profile_set_load(NULL, NULL, &nerr);
    struct registry *reg = registry_load(argv[1], any_category, NULL, &nerr);
    struct knowledge *k = ps && reg ? knowledge_new(ps, reg) : NULL;
    if (!k) {
        fprintf(stderr, "state_cost: cannot load %s\n", argv[1]);
        return 1;
    }
    size_t n = 0, count = registry_count(reg);
    struct dev *devs = calloc(count, sizeof *devs);
    for (size_t i = 0; i < count; i++) {
        const struct asset *a = registry_at(reg, i);
        int cat = sim_category_parse(a->category);
        if (!a->device_id[0] || cat < 0)
            continue;
        struct dev *d = &devs[n];
        sim_device_init(&d->sim, (enum sim_category)cat, 1, n, 0, &(struct sim_faults){{0}});
        snprintf(d->sim.id, sizeof d->sim.id, "%s", a->device_id);
        d->sim.fmt = SIM_FORMAT_JSON;
        d->a = a;
        n++;
    }
    struct devstate *ds = devstate_new();
    devstate_sync_knowledge(ds, k);
    struct alert_engine_opts o = {.check_interval_ms = 1000,
                                  .offline_misses = 3,
                                  .flap_window_ms = 3600000,
                                  .flap_max = 10,
                                  .defaults = {20, 3.3, -120, 600000}};
    struct alert_engine *e =
        alert_engine_new(&o, knowledge_ref(k), NULL, NULL, NULL, 1764380000000);
    struct reading r;
    reading_init(&r, 1 << 16);
    struct buf payload;
    buf_init(&payload, 1 << 16);
    size_t before = heap_used();
    int64_t now = 1764380000000;
    for (int64_t round = 0; round < rounds; round++) {
        for (size_t i = 0; i < n; i++) {
            struct dev *d = &devs[i];
            struct sim_reading sr;
            now += 1;
            sim_device_step(&d->sim, sim_device_next_ts(&d->sim, now), &(struct sim_faults){{0}},
                            &sr);
            buf_reset(&payload);
            sim_payload(&d->sim, &sr, &payload);
            enum reason why;
            if (json_plain_decode(payload.data, payload.len, now, &r, &why, NULL, 0) != 0)
                continue;
            const struct asset *a = d->a;
            const struct profile *p = profile_set_find(ps, a->category, strlen(a->category));
            size_t dl = strlen(a->district);
            struct devstate_obs ob = {.asset = a,
                                      .device = a->device_id,
                                      .device_len = strlen(a->device_id),
                                      .category = a->category,
                                      .category_len = strlen(a->category),
                                      .district = a->district,
                                      .district_len = dl,
                                      .profile = p,
                                      .reading = &r,
                                      .recv_ms = now,
                                      .whole = true};
            devstate_note(ds, &ob);
            struct alert_subject as = {ob.device,       ob.device_len, ob.category,
                                       ob.category_len, ob.district,   dl};
            alert_engine_observe(e, &as, &r, now);
        }
        if (round == 0)
            printf("devices=%zu heap_before=%zu heap_after_first_round=%zu per_device=%.0f\n", n,
                   before, heap_used(), (double)(heap_used() - before) / (double)n);
    }
    printf("readings=%lld\n", (long long)(rounds * (int64_t)n));
    buf_free(&payload);
    reading_free(&r);
    alert_engine_free(e);
    devstate_free(ds);
    knowledge_unref(k);
    free(devs);
    return 0;
}
