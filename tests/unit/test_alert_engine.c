/*
 * alert engine on a simulated clock: hold time, hysteresis, offline timing,
 * never_reported, grace period and collector_disconnected (no storm),
 * flapping, reminders and acknowledgement, HJ 212 flags, restart from the
 * SQLite store, the rules file's errors, the listing's filters and the
 * token comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_engine.h"
#include "alert_http.h"
#include "alert_rules.h"
#include "knowledge.h"
#include "profile.h"
#include "registry.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */
#define MAX_EVENTS 64

static struct alert_event events[MAX_EVENTS];
static size_t nevents;
static char tmpdir[] = "/tmp/lifeline-test-alerts-XXXXXX";
static char csv[256], db[256];

static void sink(void *ctx, const struct alert_event *ev)
{
    (void)ctx;
    assert_true(nevents < MAX_EVENTS);
    events[nevents++] = *ev;
}

/* "fired:offline:dev-1 resolved:offline:dev-1 " */
static const char *trace(void)
{
    static char out[4096];
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < nevents; i++)
        off += (size_t)snprintf(out + off, sizeof out - off, "%s:%s:%s ",
                                alert_transition_name(events[i].transition), events[i].alert.rule,
                                events[i].alert.device);
    nevents = 0;
    return out;
}

static const char registry_csv[] =
    "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model,"
    "report_interval_s\n"
    "MH-1,井盖一号,manhole_cover,许营镇,,,upgraded,2026-01-01,dev-1,M1,2\n"
    "MH-2,井盖二号,manhole_cover,许营镇,,,upgraded,2026-01-01,dev-2,M1,2\n"
    "WS-1,泵房,water_supply,九州街道,,,upgraded,2026-01-01,ws-1,PX,\n"
    "OLD-1,旧设备,drainage,许营镇,,,legacy,,old-1,,\n";

static struct knowledge *knowledge(const char *rows)
{
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fputs(rows, f);
    fclose(f);
    struct knowledge *k = calloc(1, sizeof *k);
    k->refs = 1; /* the engine's unref frees it, as with knowledge_load */
    int n = 0;
    k->profiles = profile_set_load(NULL, NULL, &n);
    assert_non_null(k->profiles);
    k->registry = registry_load(csv, NULL, NULL, &n);
    assert_non_null(k->registry);
    return k;
}

static struct alert_engine_opts opts(void)
{
    struct alert_engine_opts o = {
        .check_interval_ms = 200,
        .grace_ms = 0,
        .reminder_ms = 0,
        .flap_window_ms = 60000,
        .flap_max = 6,
        .offline_misses = 2,
        .disconnect_hold_ms = 2000,
        .defaults = {20, 3.2, -115, 600000},
    };
    return o;
}

static struct alert_rules *rules(const char *text)
{
    int n = 0;
    struct buf err;
    buf_init(&err, 1 << 16);
    struct alert_rules *r = alert_rules_parse("rules.json", text, strlen(text), &err, &n);
    if (!r)
        fail_msg("%s", err.data);
    buf_free(&err);
    return r;
}

static struct alert_engine *engine(struct alert_engine_opts o, struct alert_rules *ops, int64_t now)
{
    struct alert_engine *e = alert_engine_new(&o, knowledge(registry_csv), ops, sink, NULL, now);
    assert_non_null(e);
    alert_engine_set_link(e, true, 0, now);
    nevents = 0;
    return e;
}

/* Observes one field of a reading from device `dev` of `category`. */
static void see(struct alert_engine *e, const char *dev, const char *category, const char *key,
                enum field_type type, double num, const char *str, int64_t now)
{
    struct reading r;
    assert_int_equal(reading_init(&r, 1024), 0);
    if (key) {
        struct field *f = reading_add_field(&r);
        f->key = key;
        f->key_len = strlen(key);
        f->type = type;
        if (type == FIELD_FLOAT)
            f->v.f = num;
        else if (type == FIELD_BOOL)
            f->v.b = num != 0;
        else {
            f->v.s.ptr = reading_strdup(&r, str, strlen(str));
            f->v.s.len = strlen(str);
        }
    }
    struct alert_subject s = {dev, strlen(dev), category, strlen(category), "", 0};
    alert_engine_observe(e, &s, &r, now);
    reading_free(&r);
}

static void pressure(struct alert_engine *e, double v, int64_t now)
{
    see(e, "ws-1", "water_supply", "pressure_out", FIELD_FLOAT, v, NULL, now);
}

static const char *state_of(struct alert_engine *e, const char *dev, const char *rule)
{
    struct alert a;
    return alert_engine_get(e, dev, rule, &a) ? alert_state_name(a.state) : "none";
}

static const char hyst_rule[] =
    "{\"rules\": [{\"name\": \"outlet_low\", \"field\": \"pressure_out\", \"comparison\": \"<\","
    " \"threshold\": 0.2, \"clear\": 0.25, \"hold_s\": 60, \"severity\": \"critical\","
    " \"category\": \"water_supply\", \"district\": [\"九州街道\"]}]}";

static const char hyst_rule_warning[] =
    "{\"rules\": [{\"name\": \"outlet_low\", \"field\": \"pressure_out\", \"comparison\": \"<\","
    " \"threshold\": 0.2, \"clear\": 0.25, \"hold_s\": 60, \"severity\": \"warning\"}]}";

static void test_hold_and_hysteresis(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, rules(hyst_rule), T0);
    pressure(e, 0.19, T0);
    assert_string_equal(state_of(e, "ws-1", "rule:outlet_low"), "pending");
    alert_engine_tick(e, T0 + 30000);
    pressure(e, 0.22, T0 + 40000); /* between threshold and clear: still true */
    alert_engine_tick(e, T0 + 59999);
    assert_string_equal(trace(), "");
    alert_engine_tick(e, T0 + 60000);
    assert_string_equal(trace(), "fired:rule:outlet_low:ws-1 ");
    struct alert a;
    assert_true(alert_engine_get(e, "ws-1", "rule:outlet_low", &a));
    assert_string_equal(alert_severity_name(a.severity), "critical");
    assert_string_equal(a.district, "九州街道");
    assert_string_equal(a.name, "泵房");
    assert_int_equal(a.started_ms, T0);
    assert_int_equal(a.fired_ms, T0 + 60000);
    pressure(e, 0.24, T0 + 70000); /* below clear: stays firing */
    assert_string_equal(trace(), "");
    pressure(e, 0.25, T0 + 80000);
    assert_string_equal(trace(), "resolved:rule:outlet_low:ws-1 ");
    assert_string_equal(state_of(e, "ws-1", "rule:outlet_low"), "resolved");
    /* again: the same alert (same id) reopens */
    pressure(e, 0.1, T0 + 90000);
    alert_engine_tick(e, T0 + 150000);
    struct alert b;
    assert_true(alert_engine_get(e, "ws-1", "rule:outlet_low", &b));
    assert_int_equal(b.id, a.id);
    /* 0.1 is also below the profile's 0.14: its own alert, no hold */
    assert_string_equal(trace(),
                        "fired:threshold:pressure_out_low:ws-1 fired:rule:outlet_low:ws-1 ");
    alert_engine_free(e);
}

static void test_pending_that_clears_is_silent(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, rules(hyst_rule), T0);
    pressure(e, 0.19, T0);
    pressure(e, 0.3, T0 + 1000);
    alert_engine_tick(e, T0 + 120000);
    assert_string_equal(trace(), "");
    assert_string_equal(state_of(e, "ws-1", "rule:outlet_low"), "none");
    alert_engine_free(e);
}

static void test_scope(void **state)
{
    (void)state;
    const char *r = "{\"rules\": [{\"name\": \"m2\", \"field\": \"tilt\", \"comparison\": \">=\","
                    " \"threshold\": 5, \"model\": [\"M2\"]},"
                    " {\"name\": \"a2\", \"field\": \"tilt\", \"comparison\": \">=\","
                    " \"threshold\": 5, \"assets\": [\"MH-2\"], \"severity\": \"warning\"}]}";
    struct alert_engine *e = engine(opts(), rules(r), T0);
    see(e, "dev-1", "manhole_cover", "tilt", FIELD_FLOAT, 6, NULL, T0);
    see(e, "dev-2", "manhole_cover", "tilt", FIELD_FLOAT, 6, NULL, T0);
    assert_string_equal(trace(), "fired:rule:a2:dev-2 ");
    alert_engine_free(e);
}

static void test_offline_on_time(void **state)
{
    (void)state;
    struct alert_engine *e = engine(opts(), NULL, T0);
    see(e, "dev-1", "manhole_cover", "tilt", FIELD_FLOAT, 1, NULL, T0);
    /* interval 2 s x 2 misses: the deadline is T0 + 4000 */
    alert_engine_tick(e, T0 + 3999);
    assert_string_equal(trace(), "");
    alert_engine_tick(e, T0 + 4000);
    assert_string_equal(trace(), "fired:offline:dev-1 fired:never_reported:dev-2 ");
    struct alert a;
    assert_true(alert_engine_get(e, "dev-1", "offline", &a));
    assert_string_equal(a.summary, "offline: no data for 4 s (expected every 2 s, 2 missed)");
    assert_string_equal(a.asset, "MH-1");
    assert_string_equal(a.category, "manhole_cover");
    alert_engine_tick(e, T0 + 5000); /* no repeat */
    assert_string_equal(trace(), "");
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 5500);
    assert_string_equal(trace(), "resolved:offline:dev-1 ");
    alert_engine_free(e);
}

static void test_never_reported(void **state)
{
    (void)state;
    struct alert_engine *e = engine(opts(), NULL, T0);
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0);
    alert_engine_tick(e, T0 + 4000);
    /* dev-2 never reported; ws-1 has its profile's 300 s; old-1 is legacy */
    assert_string_equal(trace(), "fired:offline:dev-1 fired:never_reported:dev-2 ");
    alert_engine_tick(e, T0 + 600000);
    assert_string_equal(trace(), "fired:never_reported:ws-1 ");
    see(e, "dev-2", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 600001);
    assert_string_equal(trace(), "resolved:never_reported:dev-2 ");
    alert_engine_free(e);
}

static void test_grace_and_disconnect(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.grace_ms = 10000;
    struct alert_engine *e = engine(o, NULL, T0);
    /* start: grace until T0 + 10000 */
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0);
    see(e, "dev-2", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0);
    alert_engine_tick(e, T0 + 9999);
    assert_string_equal(trace(), "");
    alert_engine_set_link(e, false, 0, T0 + 9000);
    alert_engine_tick(e, T0 + 10000);
    alert_engine_tick(e, T0 + 11999);
    assert_string_equal(trace(), "");
    assert_string_equal(state_of(e, "", "collector_disconnected"), "pending");
    alert_engine_tick(e, T0 + 12000);
    assert_string_equal(trace(), "fired:collector_disconnected: ");
    for (int64_t t = T0 + 12000; t < T0 + 60000; t += 200)
        alert_engine_tick(e, t);
    assert_string_equal(trace(), ""); /* no device offline storm */
    alert_engine_set_link(e, true, 0, T0 + 60000);
    alert_engine_tick(e, T0 + 60000);
    assert_string_equal(trace(), "resolved:collector_disconnected: ");
    alert_engine_tick(e, T0 + 69999); /* grace after reconnecting */
    assert_string_equal(trace(), "");
    see(e, "dev-2", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 69000);
    alert_engine_tick(e, T0 + 70000);
    assert_string_equal(trace(), "fired:offline:dev-1 ");
    /* a short blip (under disconnect_hold) raises nothing */
    alert_engine_set_link(e, false, 0, T0 + 70100);
    alert_engine_tick(e, T0 + 71000);
    alert_engine_set_link(e, true, 0, T0 + 71500);
    alert_engine_tick(e, T0 + 72000);
    assert_string_equal(trace(), "");
    assert_string_equal(state_of(e, "", "collector_disconnected"), "resolved");
    alert_engine_free(e);
}

static void test_lag_holds_offline(void **state)
{
    (void)state;
    struct alert_engine *e = engine(opts(), NULL, T0);
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0);
    alert_engine_set_link(e, true, 30000, T0 + 10000); /* the pipeline is 30 s behind */
    alert_engine_tick(e, T0 + 10000);
    assert_string_equal(trace(), "");
    alert_engine_set_link(e, true, 0, T0 + 10000);
    alert_engine_tick(e, T0 + 10200);
    assert_string_equal(trace(), "fired:offline:dev-1 fired:never_reported:dev-2 ");
    alert_engine_free(e);
}

static void tilt(struct alert_engine *e, double v, int64_t now)
{
    see(e, "dev-1", "manhole_cover", "tilt", FIELD_FLOAT, v, NULL, now);
}

static void test_flapping(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.flap_max = 3;
    o.offline_misses = 1000;
    struct alert_engine *e = engine(o, NULL, T0);
    tilt(e, 20, T0);
    tilt(e, 1, T0 + 1000);
    tilt(e, 20, T0 + 2000);
    assert_string_equal(trace(), "fired:threshold:tilt_high:dev-1 "
                                 "resolved:threshold:tilt_high:dev-1 "
                                 "fired:threshold:tilt_high:dev-1 ");
    tilt(e, 1, T0 + 3000); /* the 4th transition in 60 s */
    assert_string_equal(trace(), "flapping:threshold:tilt_high:dev-1 ");
    tilt(e, 20, T0 + 4000);
    tilt(e, 1, T0 + 5000);
    tilt(e, 20, T0 + 6000);
    alert_engine_tick(e, T0 + 65999);
    assert_string_equal(trace(), ""); /* held */
    struct alert a;
    assert_true(alert_engine_get(e, "dev-1", "threshold:tilt_high", &a));
    assert_true(a.flapping);
    alert_engine_tick(e, T0 + 66000); /* quiet for a whole window: settled, firing */
    assert_string_equal(trace(), "fired:threshold:tilt_high:dev-1 ");
    assert_true(alert_engine_get(e, "dev-1", "threshold:tilt_high", &a));
    assert_false(a.flapping);
    alert_engine_free(e);
}

static void test_reminder_and_ack(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.reminder_ms = 100000;
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dev-1", "manhole_cover", "open", FIELD_BOOL, 1, NULL, T0);
    assert_string_equal(trace(), "fired:fault:open:dev-1 ");
    alert_engine_tick(e, T0 + 99999);
    assert_string_equal(trace(), "");
    alert_engine_tick(e, T0 + 100000);
    assert_string_equal(trace(), "reminder:fault:open:dev-1 ");
    alert_engine_tick(e, T0 + 150000);
    assert_string_equal(trace(), "");
    struct alert a;
    assert_true(alert_engine_get(e, "dev-1", "fault:open", &a));
    assert_int_equal(alert_engine_ack(e, a.id + 100, "x", T0), -ENOENT);
    assert_int_equal(alert_engine_ack(e, a.id, "张工", T0 + 160000), 0);
    assert_string_equal(trace(), "acknowledged:fault:open:dev-1 ");
    assert_int_equal(alert_engine_ack(e, a.id, "张工", T0 + 160001), 0); /* idempotent */
    assert_string_equal(trace(), "");
    alert_engine_tick(e, T0 + 500000);
    assert_string_equal(trace(), "");
    assert_true(alert_engine_get(e, "dev-1", "fault:open", &a));
    assert_string_equal(a.acked_by, "张工");
    assert_int_equal(a.acked_ms, T0 + 160000);
    see(e, "dev-1", "manhole_cover", "open", FIELD_BOOL, 0, NULL, T0 + 600000);
    assert_string_equal(trace(), "resolved:fault:open:dev-1 ");
    assert_int_equal(alert_engine_ack(e, a.id, "x", T0 + 600001), -EINVAL);
    alert_engine_free(e);
}

static void test_hj212_flag(void **state)
{
    (void)state;
    struct alert_engine *e = engine(opts(), NULL, T0);
    see(e, "st-1", "sewage", "w01018_flag", FIELD_STRING, 0, "N", T0);
    assert_string_equal(trace(), "");
    see(e, "st-1", "sewage", "w01018_flag", FIELD_STRING, 0, "D", T0 + 1000);
    assert_string_equal(trace(), "fired:fault:w01018_flag:st-1 ");
    struct alert a;
    assert_true(alert_engine_get(e, "st-1", "fault:w01018_flag", &a));
    assert_string_equal(a.summary, "w01018_flag = D (instrument fault)");
    assert_string_equal(a.summary_zh, "w01018_flag = D（仪器故障）");
    assert_string_equal(a.category, "sewage");
    see(e, "st-1", "sewage", "w01018_flag", FIELD_STRING, 0, "N", T0 + 2000);
    assert_string_equal(trace(), "resolved:fault:w01018_flag:st-1 ");
    alert_engine_free(e);
}

static void test_battery_and_radio(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dev-1", "manhole_cover", "battery_v", FIELD_FLOAT, 3.1, NULL, T0);
    see(e, "dev-1", "manhole_cover", "rsrp", FIELD_FLOAT, -120, NULL, T0);
    assert_string_equal(trace(), "fired:battery_low:battery_v:dev-1 ");
    alert_engine_tick(e, T0 + 599999);
    assert_string_equal(trace(), "");
    alert_engine_tick(e, T0 + 600000); /* weak for the hold time */
    assert_string_equal(trace(), "fired:weak_radio:dev-1 ");
    see(e, "dev-1", "manhole_cover", "rsrp", FIELD_FLOAT, -113, NULL, T0 + 700000);
    assert_string_equal(trace(), ""); /* clears only 3 dB above */
    see(e, "dev-1", "manhole_cover", "rsrp", FIELD_FLOAT, -112, NULL, T0 + 800000);
    assert_string_equal(trace(), "resolved:weak_radio:dev-1 ");
    alert_engine_free(e);
}

/* The profiles' high-water defaults (DOMAIN.md: drainage "level above
 * warning", manhole cover "overflow"): above 2 m fires, 2 m itself does not,
 * and it resolves when the water is back down. */
static void test_high_water(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dr-1", "drainage", "water_level", FIELD_FLOAT, 0.6, NULL, T0);
    see(e, "dr-1", "drainage", "water_level", FIELD_FLOAT, 2.0, NULL, T0 + 60000);
    assert_string_equal(trace(), "");
    see(e, "dr-1", "drainage", "water_level", FIELD_FLOAT, 2.35, NULL, T0 + 120000);
    assert_string_equal(trace(), "fired:threshold:water_level_high:dr-1 ");
    struct alert a;
    assert_true(alert_engine_get(e, "dr-1", "threshold:water_level_high", &a));
    assert_string_equal(alert_state_name(a.state), "firing");
    assert_string_equal(alert_severity_name(a.severity), "major");
    assert_string_equal(a.category, "drainage");
    assert_string_equal(a.summary, "water_level 2.35m above 2m");
    assert_string_equal(a.summary_zh, "water_level 2.35m 高于 2m");
    see(e, "dr-1", "drainage", "water_level", FIELD_FLOAT, 3.1, NULL, T0 + 180000);
    assert_string_equal(trace(), ""); /* a repeat updates the one alert */
    see(e, "dr-1", "drainage", "water_level", FIELD_FLOAT, 1.2, NULL, T0 + 240000);
    assert_string_equal(trace(), "resolved:threshold:water_level_high:dr-1 ");
    assert_string_equal(state_of(e, "dr-1", "threshold:water_level_high"), "resolved");

    see(e, "dev-1", "manhole_cover", "water_level", FIELD_FLOAT, 2.5, NULL, T0 + 300000);
    assert_string_equal(trace(), "fired:threshold:water_level_high:dev-1 ");
    see(e, "dev-1", "manhole_cover", "water_level", FIELD_FLOAT, 0.4, NULL, T0 + 360000);
    assert_string_equal(trace(), "resolved:threshold:water_level_high:dev-1 ");
    alert_engine_free(e);
}

static void test_restart_from_store(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.store_path = db;
    o.reminder_ms = 100000;
    unlink(db);
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0);
    see(e, "dev-2", "manhole_cover", "tilt", FIELD_FLOAT, 20, NULL, T0 + 1000);
    alert_engine_tick(e, T0 + 4000);
    assert_string_equal(trace(), "fired:threshold:tilt_high:dev-2 fired:offline:dev-1 ");
    struct alert before;
    assert_true(alert_engine_get(e, "dev-1", "offline", &before));
    assert_int_equal(alert_engine_ack(e, before.id, "ops", T0 + 5000), 0);
    see(e, "dev-2", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 4500);
    alert_engine_free(e); /* writes the state */
    nevents = 0;

    o.grace_ms = 0;
    e = engine(o, NULL, T0 + 6000);
    struct alert after;
    assert_true(alert_engine_get(e, "dev-1", "offline", &after));
    assert_int_equal(after.id, before.id);
    assert_string_equal(alert_state_name(after.state), "firing");
    assert_true(after.acknowledged);
    assert_string_equal(after.acked_by, "ops");
    assert_int_equal(after.fired_ms, T0 + 4000);
    alert_engine_tick(e, T0 + 6000);
    alert_engine_tick(e, T0 + 8499);
    assert_string_equal(trace(), ""); /* still firing, not raised again */
    /* dev-2's last-seen time survived: offline 4 s after T0 + 4500 */
    alert_engine_tick(e, T0 + 8500);
    assert_string_equal(trace(), "fired:offline:dev-2 ");
    /* the reminder timer survived too (tilt_high fired at T0, unacknowledged) */
    alert_engine_tick(e, T0 + 101000);
    assert_string_equal(trace(), "reminder:threshold:tilt_high:dev-2 ");
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 100001);
    assert_string_equal(trace(), "resolved:offline:dev-1 ");
    /* a new alert gets a new id */
    see(e, "dev-1", "manhole_cover", "open", FIELD_BOOL, 1, NULL, T0 + 100002);
    struct alert n;
    assert_true(alert_engine_get(e, "dev-1", "fault:open", &n));
    assert_true(n.id > before.id);
    alert_engine_free(e);
    unlink(db);
}

/*
 * A reporting device borrows its id from the registry. A reload whose
 * registry drops it (the old one freed at once) must leave it with its own
 * copy: its alert still resolves, its last-seen time is still written, and
 * back in the registry it is the same device again (ASan checks the ids).
 */
static void test_reload_device_leaves_registry(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.store_path = db;
    unlink(db);
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dev-2", "manhole_cover", "tilt", FIELD_FLOAT, 20, NULL, T0);
    assert_string_equal(trace(), "fired:threshold:tilt_high:dev-2 ");
    static const char without[] =
        "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model,"
        "report_interval_s\n"
        "MH-1,井盖一号,manhole_cover,许营镇,,,upgraded,2026-01-01,dev-1,M1,2\n";
    alert_engine_reload(e, knowledge(without), NULL, T0 + 100);
    assert_int_equal(alert_engine_flush(e), 0);
    see(e, "dev-2", "manhole_cover", "tilt", FIELD_FLOAT, 5, NULL, T0 + 200);
    assert_string_equal(trace(), "resolved:threshold:tilt_high:dev-2 ");
    assert_int_equal(alert_engine_flush(e), 0);
    alert_engine_reload(e, knowledge(registry_csv), NULL, T0 + 300);
    see(e, "dev-2", "manhole_cover", "tilt", FIELD_FLOAT, 20, NULL, T0 + 400);
    assert_string_equal(trace(), "fired:threshold:tilt_high:dev-2 ");
    struct alert a;
    assert_true(alert_engine_get(e, "dev-2", "threshold:tilt_high", &a));
    assert_int_equal(a.id, 1);
    assert_string_equal(a.asset, "MH-2");
    /* dev-2 reported at T0 + 400: offline 4 s later, not before */
    alert_engine_tick(e, T0 + 4399);
    assert_string_equal(trace(), "fired:never_reported:dev-1 ");
    alert_engine_tick(e, T0 + 4400);
    assert_string_equal(trace(), "fired:offline:dev-2 ");
    alert_engine_free(e);
    unlink(db);
}

/* A silent device's never_reported alert, loaded from the store, is still
 * judged after a restart: it resolves when the registry no longer expects
 * the device yet (the engine keeps no state for silent devices otherwise). */
static void test_restart_never_reported_silent(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.store_path = db;
    unlink(db);
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 3000);
    see(e, "ws-1", "water_supply", NULL, FIELD_FLOAT, 0, NULL, T0 + 3000);
    alert_engine_tick(e, T0 + 4000);
    assert_string_equal(trace(), "fired:never_reported:dev-2 ");
    alert_engine_free(e);
    nevents = 0;

    /* dev-2 now reports once a day: not due before a day has passed */
    struct alert_engine *e2 = alert_engine_new(
        &o,
        knowledge("asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model,"
                  "report_interval_s\n"
                  "MH-1,井盖一号,manhole_cover,许营镇,,,upgraded,2026-01-01,dev-1,M1,2\n"
                  "MH-2,井盖二号,manhole_cover,许营镇,,,upgraded,2026-01-01,dev-2,M1,86400\n"),
        NULL, sink, NULL, T0 + 4500);
    assert_non_null(e2);
    alert_engine_set_link(e2, true, 0, T0 + 4500);
    see(e2, "dev-1", "manhole_cover", NULL, FIELD_FLOAT, 0, NULL, T0 + 4500);
    alert_engine_tick(e2, T0 + 4600);
    assert_string_equal(trace(), "resolved:never_reported:dev-2 ");
    alert_engine_free(e2);
    unlink(db);
}

static void test_list_json(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, NULL, T0);
    see(e, "dev-1", "manhole_cover", "open", FIELD_BOOL, 1, NULL, T0);
    see(e, "st-1", "sewage", "w01018_flag", FIELD_STRING, 0, "D", T0);
    struct buf b;
    buf_init(&b, 1 << 20);
    struct alert_filter f = {.category = "manhole_cover"};
    assert_int_equal(alert_engine_list_json(e, &f, &b), 0);
    assert_string_equal(
        b.data,
        "{\"alerts\":[{\"id\":1,\"rule\":\"fault:open\",\"device\":\"dev-1\",\"asset\":\"MH-1\","
        "\"name\":\"井盖一号\",\"category\":\"manhole_cover\",\"district\":\"许营镇\","
        "\"state\":\"firing\",\"severity\":\"major\",\"acknowledged\":false,\"flapping\":false,"
        "\"field\":\"open\",\"value\":1,\"threshold\":null,\"summary\":\"open is true\","
        "\"summary_zh\":\"open 为 是\",\"started_ms\":1767225600000,"
        "\"fired_ms\":1767225600000,\"resolved_ms\":0,\"updated_ms\":1767225600000,"
        "\"acked_by\":\"\",\"acked_ms\":0}],\"count\":1}\n");
    buf_reset(&b);
    struct alert_filter g = {.state = "firing", .severity = "major"};
    assert_int_equal(alert_engine_list_json(e, &g, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":2}"));
    buf_reset(&b);
    struct alert_filter bad = {.state = "burning"};
    assert_int_equal(alert_engine_list_json(e, &bad, &b), -EINVAL);
    buf_free(&b);
    alert_engine_free(e);
}

static void test_rules_errors(void **state)
{
    (void)state;
    const char *text =
        "{\"rules\": [{\"name\": \"Bad Name\", \"field\": \"x\", \"comparison\": \"=<\","
        " \"threshold\": 1},"
        " {\"name\": \"ok\", \"field\": \"x\", \"comparison\": \"<\", \"threshold\": 1,"
        " \"clear\": 0.5, \"colour\": 1},"
        " {\"name\": \"ok\", \"field\": \"x\", \"comparison\": \">\", \"threshold\": \"D\","
        " \"severity\": \"huge\"}]}";
    struct buf err;
    buf_init(&err, 1 << 16);
    int n = 0;
    assert_null(alert_rules_parse("r.json", text, strlen(text), &err, &n));
    assert_string_equal(
        err.data,
        "r.json: rules[0].name: not a valid name; fix: use 1 to 40 of a-z, 0-9 and _, e.g. "
        "\"outlet_pressure_low\"\n"
        "r.json: rules[0].comparison: not a comparison; fix: one of <, <=, >, >=, ==, !=\n"
        "r.json: rules[1].colour: unknown key; fix: remove it (keys: name, field, comparison, "
        "threshold, clear, hold_s, severity, category, district, model, assets, summary, "
        "summary_zh)\n"
        "r.json: rules[1].clear: 0.5 is below the threshold 1 of a '<' rule, so the alert could "
        "never clear; fix: give a value at or above the threshold\n"
        "r.json: rules[2].comparison: '>' compares numbers, the threshold is not one; fix: use "
        "== or !=\n"
        "r.json: rules[2].severity: not a severity; fix: one of critical, major, minor, warning\n"
        "r.json: rules[2].name: 'ok' repeats rules[1]; fix: give each rule its own name\n");
    assert_int_equal(n, 7);
    buf_free(&err);
}

static void test_example_rules_file(void **state)
{
    (void)state;
    int n = 0;
    struct buf err;
    buf_init(&err, 1 << 16);
    struct alert_rules *r =
        alert_rules_load(LIFELINE_SOURCE_DIR "/config/rules.example.json", &err, &n);
    if (!r)
        fail_msg("%s", err.data);
    assert_true(r->n >= 3);
    alert_rules_free(r);
    buf_free(&err);
}

static void test_reload(void **state)
{
    (void)state;
    struct alert_engine_opts o = opts();
    o.offline_misses = 1000000;
    struct alert_engine *e = engine(o, rules(hyst_rule), T0);
    pressure(e, 0.1, T0);
    alert_engine_tick(e, T0 + 60000);
    assert_string_equal(trace(),
                        "fired:threshold:pressure_out_low:ws-1 fired:rule:outlet_low:ws-1 ");
    /* the rule's severity changes: updated in place */
    alert_engine_reload(e, NULL, rules(hyst_rule_warning), T0 + 61000);
    assert_string_equal(trace(), "updated:rule:outlet_low:ws-1 ");
    struct alert a;
    assert_true(alert_engine_get(e, "ws-1", "rule:outlet_low", &a));
    assert_string_equal(alert_severity_name(a.severity), "warning");
    /* the rule is gone: its alert resolves */
    alert_engine_reload(e, NULL, rules("{\"rules\": []}"), T0 + 62000);
    assert_string_equal(trace(), "resolved:rule:outlet_low:ws-1 ");
    alert_engine_free(e);
}

static void test_token_equal(void **state)
{
    (void)state;
    assert_true(alert_token_equal("s3cret", "s3cret"));
    assert_false(alert_token_equal("s3cret", "s3cre"));
    assert_false(alert_token_equal("s3cre", "s3cret"));
    assert_false(alert_token_equal("s3creT", "s3cret"));
    assert_false(alert_token_equal("", "s3cret"));
    assert_false(alert_token_equal("x", ""));
    assert_true(alert_token_equal("", ""));
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(csv, sizeof csv, "%s/assets.csv", tmpdir);
    snprintf(db, sizeof db, "%s/alerts.db", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char p[300];
    unlink(csv);
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_and_hysteresis),
        cmocka_unit_test(test_pending_that_clears_is_silent),
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_offline_on_time),
        cmocka_unit_test(test_never_reported),
        cmocka_unit_test(test_restart_never_reported_silent),
        cmocka_unit_test(test_grace_and_disconnect),
        cmocka_unit_test(test_lag_holds_offline),
        cmocka_unit_test(test_flapping),
        cmocka_unit_test(test_reminder_and_ack),
        cmocka_unit_test(test_hj212_flag),
        cmocka_unit_test(test_battery_and_radio),
        cmocka_unit_test(test_high_water),
        cmocka_unit_test(test_restart_from_store),
        cmocka_unit_test(test_list_json),
        cmocka_unit_test(test_rules_errors),
        cmocka_unit_test(test_example_rules_file),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_reload_device_leaves_registry),
        cmocka_unit_test(test_token_equal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
