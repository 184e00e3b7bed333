#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "alink.h"
#include "hj212.h"
#include "json_plain.h"
#include "onenet.h"
#include "profile.h"
#include "reading.h"
#include "sim_models.h"
#include "sim_payload.h"

#define T0 INT64_C(1795929027000) /* 2026-11-29T05:10:27Z, 13:10 in China */

static struct sim_faults none;

static void make(struct sim_device *d, enum sim_category c, uint64_t seed, uint64_t idx,
                 const struct sim_faults *f)
{
    memset(d, 0, sizeof *d);
    sim_device_init(d, c, seed, idx, 0, f);
    d->fmt = sim_format_for(c);
    snprintf(d->id, sizeof d->id, "DEV%02d%04u", (int)c, (unsigned)idx);
    snprintf(d->district, sizeof d->district, "九州街道");
    snprintf(d->product, sizeof d->product, "a1Test");
}

/* Every numeric field of every category stays in its valid range over three
 * simulated days without faults; booleans behave. */
static void test_values_in_range(void **state)
{
    (void)state;
    for (int c = 0; c < SIM_CATEGORY_COUNT; c++) {
        for (uint64_t idx = 0; idx < 20; idx++) {
            struct sim_device d;
            make(&d, (enum sim_category)c, 7, idx, &none);
            struct sim_reading r;
            for (int k = 0; k < 3 * 288; k++) {
                int64_t ts = sim_device_next_ts(&d, T0 + (int64_t)k * 300000);
                sim_device_step(&d, ts, &none, &r);
                assert_int_equal(r.faults, 0);
                assert_true(r.n >= 4);
                for (size_t i = 0; i < r.n; i++) {
                    if (r.v[i].kind != SIM_NUM)
                        continue;
                    double lo, hi;
                    assert_int_equal(sim_field_range((enum sim_category)c, r.v[i].key, &lo, &hi),
                                     0);
                    if (!(r.v[i].num >= lo && r.v[i].num <= hi))
                        fail_msg("%s.%s = %g outside [%g, %g]",
                                 sim_category_name((enum sim_category)c), r.v[i].key, r.v[i].num,
                                 lo, hi);
                }
                if (c == SIM_MANHOLE_COVER)
                    assert_false(r.v[1].b); /* closed */
                if (c == SIM_SURVEILLANCE)
                    assert_true(r.v[0].b && !r.v[1].b);
                if (c == SIM_SEWAGE)
                    assert_int_equal(r.v[6].flag, 'N');
            }
        }
    }
}

/* Flow follows the daily demand curve: the evening peak is well above the
 * small hours. Rain comes and goes at a drainage point. */
static void test_daily_pattern_and_rain(void **state)
{
    (void)state;
    double peak = 0, night = 0;
    for (uint64_t idx = 0; idx < 50; idx++) {
        struct sim_device d;
        make(&d, SIM_WATER_SUPPLY, 3, idx, &none);
        struct sim_reading r;
        /* 19:30 and 03:00 China time are 11:30 and 19:00 UTC */
        int64_t day = T0 - T0 % 86400000;
        sim_device_step(&d, day + 11 * 3600000 + 1800000, &none, &r);
        peak += r.v[3].num;
        sim_device_step(&d, day + 19 * 3600000, &none, &r);
        night += r.v[3].num;
    }
    assert_true(peak > 2.5 * night);

    struct sim_device d;
    make(&d, SIM_DRAINAGE, 11, 0, &none);
    int wet = 0, dry = 0;
    double max_level = 0;
    struct sim_reading r;
    for (int k = 0; k < 5000; k++) {
        sim_device_step(&d, T0 + k * 60000LL, &none, &r);
        if (r.v[1].num > 0)
            wet++;
        else
            dry++;
        if (r.v[0].num > max_level)
            max_level = r.v[0].num;
    }
    assert_true(wet > 500 && dry > 500);
    assert_true(max_level > 1.0); /* rain raised the water above its dry band */
}

/*
 * A healthy simulated drainage point or manhole cover does not sit above its
 * profile's high-water alarm: never in dry weather (no rain for the last
 * hour of steps), and in fewer than one reading in eight overall: only a
 * downpour lifts the water that high, as it should.
 */
static void test_high_water_only_in_rain(void **state)
{
    (void)state;
    int n = 0;
    struct profile_set *ps = profile_set_load(NULL, NULL, &n);
    assert_non_null(ps);
    static const enum sim_category cats[] = {SIM_DRAINAGE, SIM_MANHOLE_COVER};
    for (size_t c = 0; c < 2; c++) {
        const char *name = sim_category_name(cats[c]);
        const struct profile *p = profile_set_find(ps, name, strlen(name));
        const struct profile_field *f = profile_find_field(p, "water_level", 11, NULL);
        assert_non_null(f);
        double alarm = f->alarm.above;
        assert_false(isnan(alarm));
        long high = 0, total = 0, dry_high = 0;
        for (uint64_t idx = 0; idx < 20; idx++) {
            struct sim_device d;
            make(&d, cats[c], 5, idx, &none);
            struct sim_reading r;
            int since_rain = 1000;
            for (int k = 0; k < 3000; k++) {
                sim_device_step(&d, T0 + k * 60000LL, &none, &r);
                since_rain = cats[c] == SIM_DRAINAGE && r.v[1].num > 0 ? 0 : since_rain + 1;
                total++;
                size_t i = 0;
                while (i < r.n && strcmp(r.v[i].key, "water_level") != 0)
                    i++;
                assert_true(i < r.n);
                if (r.v[i].num > alarm) {
                    high++;
                    dry_high += since_rain > 60;
                }
            }
        }
        assert_int_equal(dry_high, 0);
        if (high * 8 > total)
            fail_msg("%s: %ld of %ld readings above the %g m alarm", name, high, total, alarm);
        if (cats[c] == SIM_DRAINAGE)
            assert_true(high > 0); /* a downpour does reach it */
        else
            assert_int_equal(high, 0); /* covers have no rain in the model */
    }
    profile_set_free(ps);
}

/* The same seed gives the same payloads, byte for byte; another seed does not. */
static void test_deterministic(void **state)
{
    (void)state;
    struct sim_faults f = {{0}};
    char err[128];
    assert_int_equal(sim_faults_parse("range=0.1,malformed=0.1,tilt=0.2", &f, err, sizeof err), 0);
    struct buf a, b;
    buf_init(&a, 1 << 20);
    buf_init(&b, 1 << 20);
    for (int run = 0; run < 3; run++) {
        struct buf *out = run == 1 ? &b : &a;
        uint64_t seed = run == 2 ? 43 : 42;
        buf_reset(out);
        for (int c = 0; c < SIM_CATEGORY_COUNT; c++) {
            struct sim_device d;
            make(&d, (enum sim_category)c, seed, (uint64_t)c, &f);
            struct sim_reading r;
            for (int k = 0; k < 50; k++) {
                sim_device_step(&d, sim_device_next_ts(&d, T0), &f, &r);
                assert_int_equal(sim_topic(&d, out), 0);
                assert_int_equal(sim_payload(&d, &r, out), 0);
            }
        }
        if (run == 1) {
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.data, b.data, a.len);
        }
        if (run == 2)
            assert_true(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
    }
    buf_free(&a);
    buf_free(&b);
}

/* Each reading of a device has its own time, even when the wall clock
 * stands still; HJ 212 devices move in whole seconds. */
static void test_distinct_timestamps(void **state)
{
    (void)state;
    struct sim_device d;
    make(&d, SIM_WATER_SUPPLY, 1, 0, &none);
    struct sim_reading r;
    int64_t prev = 0;
    for (int k = 0; k < 100; k++) {
        int64_t ts = sim_device_next_ts(&d, T0 + 5);
        sim_device_step(&d, ts, &none, &r);
        assert_true(ts > prev);
        if (k == 0)
            assert_int_equal(ts, T0 + 5);
        prev = ts;
    }
    assert_int_equal(prev, T0 + 5 + 99);
    make(&d, SIM_SEWAGE, 1, 0, &none);
    prev = 0;
    for (int k = 0; k < 10; k++) {
        int64_t ts = sim_device_next_ts(&d, T0 + 5);
        sim_device_step(&d, ts, &none, &r);
        assert_int_equal(ts % 1000, 0);
        assert_true(ts > prev);
        prev = ts;
    }
    assert_int_equal(prev, T0 + 9000);
}

static int bit(const struct sim_reading *r, enum sim_fault f)
{
    return (r->faults >> f) & 1u;
}

/* Over many draws, each fault comes at about its stated rate (4 standard
 * deviations), lands only where it applies, and does what it says. */
static void test_fault_rates(void **state)
{
    (void)state;
    struct sim_faults f = {{0}};
    char err[128];
    assert_int_equal(sim_faults_parse("silent=0.05,range=0.01,malformed=0.01,tilt=0.02,open=0.01,"
                                      "flag_d=0.02,battery=0.02,rsrp=0.02",
                                      &f, err, sizeof err),
                     0);
    enum { N = 40000 };
    uint64_t seen[SIM_CATEGORY_COUNT][SIM_FAULT_COUNT] = {{0}};
    uint64_t silent = 0;
    for (int c = 0; c < SIM_CATEGORY_COUNT; c++) {
        for (uint64_t idx = 0; idx < 400; idx++) {
            struct sim_device d;
            make(&d, (enum sim_category)c, 99, idx, &f);
            silent += d.silent_after >= 0;
            if (d.silent_after >= 0)
                assert_true(d.silent_after >= 1 && d.silent_after <= 10);
            d.silent_after = -1; /* keep it reporting for the per-reading draws */
            for (int k = 0; k < N / 400; k++) {
                struct sim_reading r;
                sim_device_step(&d, sim_device_next_ts(&d, T0), &f, &r);
                for (int q = 0; q < SIM_FAULT_COUNT; q++)
                    seen[c][q] += bit(&r, (enum sim_fault)q);
                if (bit(&r, SIM_FAULT_MALFORMED))
                    assert_int_equal(r.faults, 1u << SIM_FAULT_MALFORMED);
                if (bit(&r, SIM_FAULT_TILT))
                    assert_true(r.v[0].num >= 15 && r.v[0].num <= 60);
                if (bit(&r, SIM_FAULT_OPEN))
                    assert_true(r.v[1].b);
                if (bit(&r, SIM_FAULT_BATTERY))
                    assert_true(r.v[4].num >= 3.0 && r.v[4].num <= 3.15);
                if (bit(&r, SIM_FAULT_RSRP))
                    assert_true(r.v[5].num >= -140 && r.v[5].num <= -125);
                if (bit(&r, SIM_FAULT_FLAG_D))
                    assert_int_equal(r.v[6].flag, 'D');
                if (bit(&r, SIM_FAULT_RANGE)) {
                    int out = 0;
                    for (size_t i = 0; i < r.n; i++) {
                        double lo, hi;
                        if (r.v[i].kind == SIM_NUM &&
                            sim_field_range((enum sim_category)c, r.v[i].key, &lo, &hi) == 0 &&
                            (r.v[i].num < lo || r.v[i].num > hi))
                            out++;
                    }
                    assert_int_equal(out, 1);
                }
            }
        }
    }
#define NEAR(got, n, p)                                                                            \
    do {                                                                                           \
        double mu = (double)(n) * (p), sd = sqrt(mu * (1 - (p)));                                  \
        if (fabs((double)(got)-mu) > 4 * sd + 1)                                                   \
            fail_msg("%s: %llu, expected about %.0f", #got, (unsigned long long)(got), mu);        \
    } while (0)
    NEAR(silent, 6 * 400, 0.05);
    for (int c = 0; c < SIM_CATEGORY_COUNT; c++) {
        NEAR(seen[c][SIM_FAULT_MALFORMED], N, 0.01);
        /* range is drawn only for readings that are not malformed */
        NEAR(seen[c][SIM_FAULT_RANGE], N, 0.01 * 0.99);
        bool mh = c == SIM_MANHOLE_COVER, rad = mh || c == SIM_DRAINAGE;
        if (mh) {
            NEAR(seen[c][SIM_FAULT_TILT], N, 0.02 * 0.99);
            NEAR(seen[c][SIM_FAULT_OPEN], N, 0.01 * 0.99);
            NEAR(seen[c][SIM_FAULT_BATTERY], N, 0.02 * 0.99);
        } else {
            assert_int_equal(
                seen[c][SIM_FAULT_TILT] + seen[c][SIM_FAULT_OPEN] + seen[c][SIM_FAULT_BATTERY], 0);
        }
        if (rad)
            NEAR(seen[c][SIM_FAULT_RSRP], N, 0.02 * 0.99);
        else
            assert_int_equal(seen[c][SIM_FAULT_RSRP], 0);
        if (c == SIM_SEWAGE)
            NEAR(seen[c][SIM_FAULT_FLAG_D], N, 0.02 * 0.99);
        else
            assert_int_equal(seen[c][SIM_FAULT_FLAG_D], 0);
    }
}

static void test_faults_parse_errors(void **state)
{
    (void)state;
    struct sim_faults f = {{0}};
    char err[160];
    assert_int_equal(sim_faults_parse("range=2", &f, err, sizeof err), -EINVAL);
    assert_string_equal(err, "fault 'range': rate must be a number from 0 to 1");
    assert_int_equal(sim_faults_parse("bogus=0.1", &f, err, sizeof err), -EINVAL);
    assert_string_equal(err, "unknown fault 'bogus'; known: silent, range, malformed, tilt, "
                             "open, flag_d, battery, rsrp");
    assert_int_equal(sim_faults_parse("range", &f, err, sizeof err), -EINVAL);
    assert_string_equal(err, "fault 'range': expected kind=rate");
    assert_int_equal(sim_faults_parse("", &f, err, sizeof err), 0);
    assert_int_equal(sim_faults_parse("open=0.25,tilt=1", &f, err, sizeof err), 0);
    assert_true(f.rate[SIM_FAULT_OPEN] == 0.25 && f.rate[SIM_FAULT_TILT] == 1.0);
}

/* Exact payloads: JSON, Alink and an HJ 212 frame whose CRC checks. */
static void test_payloads(void **state)
{
    (void)state;
    struct buf out;
    buf_init(&out, 1 << 16);
    struct sim_device d;
    make(&d, SIM_SURVEILLANCE, 1, 0, &none);
    struct sim_reading r = {.ts_ms = T0, .faults = 0, .n = 2};
    r.v[0] = (struct sim_value){.key = "online", .kind = SIM_BOOL, .b = true};
    r.v[1] = (struct sim_value){.key = "temperature", .kind = SIM_NUM, .decimals = 1, .num = -5.26};
    assert_int_equal(sim_topic(&d, &out), 0);
    assert_string_equal(out.data, "lifeline/九州街道/surveillance/DEV050000");
    buf_reset(&out);
    assert_int_equal(sim_payload(&d, &r, &out), 0);
    assert_string_equal(out.data, "{\"ts\":1795929027000,\"online\":true,\"temperature\":-5.3}");
    buf_reset(&out);
    r.faults = 1u << SIM_FAULT_MALFORMED;
    assert_int_equal(sim_payload(&d, &r, &out), 0);
    assert_string_equal(out.data, "{\"ts\":1795929027000,\"onlin");
    r.faults = 0;

    d.fmt = SIM_FORMAT_ALINK;
    d.readings = 7;
    buf_reset(&out);
    assert_int_equal(sim_topic(&d, &out), 0);
    assert_string_equal(out.data, "/sys/a1Test/DEV050000/thing/event/property/post");
    buf_reset(&out);
    assert_int_equal(sim_payload(&d, &r, &out), 0);
    assert_string_equal(out.data,
                        "{\"id\":\"7\",\"version\":\"1.0\",\"params\":{\"online\":{\"value\":true,"
                        "\"time\":1795929027000},\"temperature\":{\"value\":-5.3,\"time\":"
                        "1795929027000}},\"method\":\"thing.event.property.post\"}");

    d.fmt = SIM_FORMAT_ONENET;
    buf_reset(&out);
    assert_int_equal(sim_topic(&d, &out), 0);
    assert_string_equal(out.data, "$sys/a1Test/DEV050000/thing/property/post");
    buf_reset(&out);
    assert_int_equal(sim_payload(&d, &r, &out), 0);
    assert_string_equal(out.data,
                        "{\"id\":\"7\",\"version\":\"1.0\",\"params\":{\"online\":{\"value\":true,"
                        "\"time\":1795929027000},\"temperature\":{\"value\":-5.3,\"time\":"
                        "1795929027000}}}");

    d.fmt = SIM_FORMAT_HJ212;
    r.ts_ms = T0 + 123;
    r.n = 3;
    r.v[2] = (struct sim_value){.key = "flag", .kind = SIM_FLAG, .flag = 'D'};
    buf_reset(&out);
    assert_int_equal(sim_topic(&d, &out), 0);
    assert_string_equal(out.data, "hj212/DEV050000");
    buf_reset(&out);
    assert_int_equal(sim_payload(&d, &r, &out), 0);
    const char *seg = "QN=20261129131027123;ST=32;CN=2011;PW=123456;MN=DEV050000;Flag=4;CP=&&"
                      "DataTime=20261129131027;online-Rtd=1,online-Flag=D;temperature-Rtd=-5.3,"
                      "temperature-Flag=N&&";
    char want[512];
    snprintf(want, sizeof want, "##%04zu%s%04X\r\n", strlen(seg), seg,
             (unsigned)hj212_crc(seg, strlen(seg)));
    assert_string_equal(out.data, want);
    /* a station configured for UTC-05:30 writes its local time */
    d.zone_min = -(5 * 60 + 30);
    buf_reset(&out);
    assert_int_equal(sim_payload(&d, &r, &out), 0);
    seg = "QN=20261128234027123;ST=32;CN=2011;PW=123456;MN=DEV050000;Flag=4;CP=&&"
          "DataTime=20261128234027;online-Rtd=1,online-Flag=D;temperature-Rtd=-5.3,"
          "temperature-Flag=N&&";
    snprintf(want, sizeof want, "##%04zu%s%04X\r\n", strlen(seg), seg,
             (unsigned)hj212_crc(seg, strlen(seg)));
    assert_string_equal(out.data, want);
    buf_free(&out);
}

/* The CRC of the verified example in DOMAIN.md. */
static void test_hj212_crc(void **state)
{
    (void)state;
    const char *seg = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
                      "Flag=5;CP=&&RtdInterval=30&&";
    assert_int_equal(strlen(seg), 101);
    assert_int_equal(hj212_crc(seg, strlen(seg)), 0x1C80);
}

/* Decodes what the simulator sent with Lifeline's own decoder for the format. */
static int decode(const struct sim_device *d, const struct buf *topic, const struct buf *payload,
                  struct reading *rd, enum reason *why)
{
    char detail[256];
    if (d->fmt == SIM_FORMAT_JSON)
        return json_plain_decode(payload->data, payload->len, 1, rd, why, detail, sizeof detail);
    struct device_ref who;
    struct decoder_input in = {.topic = topic->data,
                               .topic_len = topic->len,
                               .payload = payload->data,
                               .len = payload->len,
                               .recv_ms = 1,
                               .local_offset_min = 480};
    int rc = d->fmt == SIM_FORMAT_ALINK ? alink_decode(&in, rd, &who, why, detail, sizeof detail)
             : d->fmt == SIM_FORMAT_ONENET
                 ? onenet_decode(&in, rd, &who, why, detail, sizeof detail)
                 : hj212_decode(&in, rd, &who, why, detail, sizeof detail);
    if (rc == 0) {
        assert_int_equal(who.device_len, strlen(d->id));
        assert_memory_equal(who.device, d->id, who.device_len);
    }
    return rc;
}

/* Every category in every format goes through the matching decoder with
 * every value and the device's time intact; a malformed one is refused as
 * malformed. */
static void test_round_trip_through_decoders(void **state)
{
    (void)state;
    struct sim_faults f = {{0}};
    f.rate[SIM_FAULT_MALFORMED] = 0.1;
    f.rate[SIM_FAULT_FLAG_D] = 0.2;
    struct buf topic, payload;
    buf_init(&topic, 1024);
    buf_init(&payload, 1 << 16);
    struct reading rd;
    assert_int_equal(reading_init(&rd, 1 << 16), 0);
    int malformed = 0;
    for (int fmt = SIM_FORMAT_JSON; fmt <= SIM_FORMAT_ONENET; fmt++) {
        for (int c = 0; c < SIM_CATEGORY_COUNT; c++) {
            struct sim_device d;
            make(&d, (enum sim_category)c, 5, (uint64_t)c, &f);
            d.fmt = (enum sim_format)fmt;
            for (int k = 0; k < 40; k++) {
                struct sim_reading r;
                sim_device_step(&d, sim_device_next_ts(&d, T0 + k * 1000), &f, &r);
                buf_reset(&topic);
                buf_reset(&payload);
                assert_int_equal(sim_topic(&d, &topic), 0);
                assert_int_equal(sim_payload(&d, &r, &payload), 0);
                enum reason why = REASON__COUNT;
                int rc = decode(&d, &topic, &payload, &rd, &why);
                if (r.faults & (1u << SIM_FAULT_MALFORMED)) {
                    assert_int_equal(rc, -EINVAL);
                    assert_int_equal(why, REASON_MALFORMED);
                    malformed++;
                    continue;
                }
                if (rc != 0)
                    fail_msg("%s %s: rc %d reason %s: %s", sim_format_name(d.fmt),
                             sim_category_name(d.cat), rc, reason_name(why), payload.data);
                for (size_t i = 0; i < r.n; i++) {
                    const struct sim_value *v = &r.v[i];
                    const struct field *fd;
                    if (v->kind == SIM_FLAG) {
                        if (fmt == SIM_FORMAT_HJ212)
                            continue; /* checked on the first factor below */
                        fd = reading_find(&rd, "flag");
                        assert_non_null(fd);
                        assert_int_equal(fd->type, FIELD_STRING);
                        assert_int_equal(fd->v.s.ptr[0], v->flag);
                        continue;
                    }
                    fd = reading_find(&rd, v->key);
                    if (!fd)
                        fail_msg("%s %s: no field %s", sim_format_name(d.fmt),
                                 sim_category_name(d.cat), v->key);
                    int64_t ts = fd->ts_ms ? fd->ts_ms : rd.ts_ms;
                    assert_int_equal(ts, r.ts_ms);
                    if (v->kind == SIM_BOOL && fmt != SIM_FORMAT_HJ212) {
                        assert_int_equal(fd->type, FIELD_BOOL);
                        assert_int_equal(fd->v.b, v->b);
                    } else {
                        assert_int_equal(fd->type, FIELD_FLOAT);
                        double want = v->kind == SIM_BOOL ? (v->b ? 1 : 0) : v->num;
                        if (fabs(fd->v.f - want) > 0.51 * pow(10, -v->decimals))
                            fail_msg("%s %s %s: %g != %g", sim_format_name(d.fmt),
                                     sim_category_name(d.cat), v->key, fd->v.f, want);
                    }
                }
                if (fmt == SIM_FORMAT_HJ212 && c == SIM_SEWAGE) {
                    const struct field *fl = reading_find(&rd, "w00000_flag");
                    assert_non_null(fl);
                    assert_int_equal(fl->v.s.ptr[0], r.v[6].flag);
                }
            }
        }
    }
    assert_true(malformed > 5);
    reading_free(&rd);
    buf_free(&topic);
    buf_free(&payload);
}

static void test_names(void **state)
{
    (void)state;
    for (int c = 0; c < SIM_CATEGORY_COUNT; c++)
        assert_int_equal(sim_category_parse(sim_category_name((enum sim_category)c)), c);
    assert_int_equal(sim_category_parse("nope"), -1);
    assert_int_equal(sim_format_for(SIM_SEWAGE), SIM_FORMAT_HJ212);
    assert_int_equal(sim_format_for(SIM_MANHOLE_COVER), SIM_FORMAT_ALINK);
    assert_int_equal(sim_format_for(SIM_DRAINAGE), SIM_FORMAT_JSON);
    struct sim_device d;
    make(&d, SIM_MANHOLE_COVER, 5, 1, &none);
    assert_true(d.interval_ms >= 12 * 3600000LL && d.interval_ms <= 24 * 3600000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_in_range),
        cmocka_unit_test(test_daily_pattern_and_rain),
        cmocka_unit_test(test_high_water_only_in_rain),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_distinct_timestamps),
        cmocka_unit_test(test_fault_rates),
        cmocka_unit_test(test_faults_parse_errors),
        cmocka_unit_test(test_payloads),
        cmocka_unit_test(test_hj212_crc),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_round_trip_through_decoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
