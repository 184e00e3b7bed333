#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "category.h"
#include "devstate.h"
#include "knowledge.h"
#include "live_history.h"
#include "profile.h"
#include "reading.h"
#include "registry.h"

#define NOW 1800000000000LL

static struct registry *load_registry(const char *text)
{
    char path[] = "/tmp/test_devstate_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int n = 0;
    struct registry *r = registry_load(path, category_known, NULL, &n);
    unlink(path);
    assert_non_null(r);
    return r;
}

/* Profiles and a registry as the daemon holds them: one reference-counted knowledge. */
static struct knowledge *load_knowledge(const char *text)
{
    int n = 0;
    struct profile_set *ps = profile_set_load(NULL, NULL, &n);
    assert_non_null(ps);
    struct knowledge *k = knowledge_new(ps, load_registry(text));
    assert_non_null(k);
    return k;
}

static const char *REG =
    "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,report_interval_s\n"
    "A1,一号泵房,water_supply,顾官屯镇,37.39,116.27,upgraded,2026-01-29,ws-1,60\n"
    "A2,<script>alert(1)</script>,manhole_cover,许营镇,,,upgraded,2026-01-29,mc-1,\n";

static void note(struct devstate *ds, const struct knowledge *k, const char *device,
                 const char *category, double pressure, int64_t recv_ms)
{
    struct reading r;
    assert_int_equal(reading_init(&r, 4096), 0);
    r.ts_ms = recv_ms - 5;
    struct field *f = reading_add_field(&r);
    f->key = "pressure_out";
    f->key_len = strlen(f->key);
    f->type = FIELD_FLOAT;
    f->v.f = pressure;
    f = reading_add_field(&r);
    f->key = "status";
    f->key_len = 6;
    f->type = FIELD_STRING;
    f->v.s.ptr = reading_strdup(&r, "正常\"运行\"", strlen("正常\"运行\""));
    f->v.s.len = strlen(f->v.s.ptr);
    const struct asset *a = registry_find_device(k->registry, device, strlen(device));
    struct devstate_obs o = {.asset = a,
                             .device = device,
                             .device_len = strlen(device),
                             .category = category,
                             .category_len = strlen(category),
                             .district = "topic-district",
                             .district_len = 14,
                             .profile = profile_set_find(k->profiles, category, strlen(category)),
                             .reading = &r,
                             .recv_ms = recv_ms,
                             .whole = true};
    devstate_note(ds, &o);
    reading_free(&r);
}

static void test_registry_reading_and_render(void **state)
{
    (void)state;
    struct knowledge *k = load_knowledge(REG);
    struct devstate *ds = devstate_new();
    struct buf b;
    buf_init(&b, 1 << 20);
    /* empty: a list with nothing in it (a bug passed NULL to qsort here) */
    assert_int_equal(devstate_render_list(ds, NULL, NOW, &b), 0);
    assert_string_equal(b.data,
                        "{\"now_ms\":1800000000000,\"version\":0,\"count\":0,\"devices\":[]}\n");
    buf_reset(&b);
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    uint64_t v0 = devstate_version(ds);
    assert_int_equal(v0, 2);
    assert_int_equal(devstate_render_one(ds, "A2", NOW, &b), 0);
    assert_string_equal(
        b.data,
        "{\"id\":\"A2\",\"asset\":\"A2\",\"device\":\"mc-1\",\"name\":\"<script>alert(1)</"
        "script>\","
        "\"category\":\"manhole_cover\",\"district\":\"许营镇\",\"status\":\"upgraded\","
        "\"lat\":null,\"lon\":null,\"registered\":true,\"state\":\"never\",\"interval_s\":43200,"
        "\"last_seen_ms\":0,\"last_ts_ms\":0,\"readings\":0,\"whole\":true,\"values\":{}}");

    note(ds, k, "ws-1", "water_supply", 0.31, NOW);
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 1000, &b), 0);
    assert_string_equal(
        b.data,
        "{\"id\":\"A1\",\"asset\":\"A1\",\"device\":\"ws-1\",\"name\":\"一号泵房\",\"category\":"
        "\"water_supply\",\"district\":\"顾官屯镇\",\"status\":\"upgraded\",\"lat\":37.39,\"lon\":"
        "116.27,"
        "\"registered\":true,\"state\":\"online\",\"interval_s\":60,\"last_seen_ms\":1800000000000,"
        "\"last_ts_ms\":1799999999995,\"readings\":1,\"whole\":true,\"values\":{\"pressure_out\":"
        "{\"value\":0.31,\"unit\":\"MPa\",\"type\":\"float\",\"ts_ms\":1799999999995},\"status\":"
        "{\"value\":\"正常\\\"运行\\\"\",\"unit\":\"\",\"type\":\"string\",\"ts_ms\":1799999999995}"
        "}}");
    /* 3 intervals of 60 s later it is offline */
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 181000, &b), 0);
    assert_non_null(strstr(b.data, "\"state\":\"offline\""));
    assert_int_equal(devstate_render_one(ds, "nope", NOW, &b), -ENOENT);

    /* an unregistered device is keyed by its device id */
    note(ds, k, "dr-9", "drainage", 1.0, NOW);
    buf_reset(&b);
    struct devstate_filter f = {.has_state = true, .state = DEVSTATE_ONLINE};
    assert_int_equal(devstate_render_list(ds, &f, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":2,"));
    assert_non_null(strstr(b.data, "\"id\":\"dr-9\",\"asset\":\"\",\"device\":\"dr-9\""));
    assert_non_null(strstr(b.data, "\"district\":\"topic-district\""));
    struct devstate_filter q = {.q = "泵房"};
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, &q, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":1,"));
    struct devstate_filter d = {.district = "许营镇"};
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, &d, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":1,\"devices\":[{\"id\":\"A2\""));

    /* a reload that registers dr-9 and drops A2 (never heard): both entries go */
    knowledge_unref(k);
    k = load_knowledge(
        "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,report_interval_s\n"
        "A1,一号泵房,water_supply,顾官屯镇,37.39,116.27,upgraded,2026-01-29,ws-1,60\n"
        "A9,积水点,drainage,九州街道,,,upgraded,2026-01-29,dr-9,\n");
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, NULL, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":2,"));
    assert_int_equal(devstate_render_one(ds, "A2", NOW, &b), -ENOENT);
    assert_int_equal(devstate_render_one(ds, "dr-9", NOW, &b), -ENOENT);
    /* the heard asset kept its values across the reload */
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"readings\":1,"));

    buf_free(&b);
    devstate_free(ds);
    knowledge_unref(k);
}

static void test_changes_coalesce_and_overflow(void **state)
{
    (void)state;
    struct knowledge *k = load_knowledge(REG);
    struct devstate *ds = devstate_new();
    devstate_sync_knowledge(ds, k);
    uint64_t since = devstate_version(ds);
    for (int i = 0; i < 50; i++)
        note(ds, k, "ws-1", "water_supply", 0.2 + i / 100.0, NOW + i);
    note(ds, k, "mc-1", "manhole_cover", 0.1, NOW + 100);

    struct buf b;
    buf_init(&b, 1 << 20);
    uint64_t upto = 0;
    /* 51 readings, 2 devices: 2 events, oldest change first */
    assert_int_equal(devstate_render_changes(ds, since, NULL, 10, NOW, &b, &upto), 0);
    assert_int_equal(upto, since + 51);
    const char *first = strstr(b.data, "\"id\":\"A1\"");
    const char *second = strstr(b.data, "\"id\":\"A2\"");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    assert_non_null(strstr(b.data, "\"value\":0.69,"));
    int events = 0;
    for (const char *p = b.data; (p = strstr(p, "event: reading\n")); p++)
        events++;
    assert_int_equal(events, 2);

    /* filtered: only the manhole cover */
    buf_reset(&b);
    struct devstate_filter f = {.category = "manhole_cover"};
    assert_int_equal(devstate_render_changes(ds, since, &f, 10, NOW, &b, &upto), 0);
    assert_null(strstr(b.data, "\"id\":\"A1\""));
    assert_non_null(strstr(b.data, "\"id\":\"A2\""));

    /* nothing new: nothing sent */
    buf_reset(&b);
    assert_int_equal(devstate_render_changes(ds, upto, NULL, 10, NOW, &b, &upto), 0);
    assert_int_equal(b.len, 0);

    /* more changed devices than the reader may take: it must start over */
    assert_int_equal(devstate_render_changes(ds, since, NULL, 1, NOW, &b, &upto), -EOVERFLOW);
    assert_int_equal(b.len, 0);
    assert_int_equal(upto, devstate_version(ds));

    buf_free(&b);
    devstate_free(ds);
    knowledge_unref(k);
}

/* Registry fields are read from the registry synced last: a reload that
 * changes them shows the new ones (values and counts stay), and long
 * strings are cut at a character as the fixed arrays did. */
static void test_reload_rebuilds_text(void **state)
{
    (void)state;
    struct knowledge *k = load_knowledge(REG);
    struct devstate *ds = devstate_new();
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    note(ds, k, "ws-1", "water_supply", 0.31, NOW);
    /* the same registry again: same JSON */
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    assert_non_null(strstr(b.data, "{\"id\":\"A1\",\"asset\":\"A1\",\"device\":\"ws-1\",\"name\":"
                                   "\"一号泵房\",\"category\":\"water_supply\",\"district\":"
                                   "\"顾官屯镇\",\"status\":\"upgraded\","));

    /* renamed, moved, new sensor, retired, and a 300-byte name (100 × 3) */
    char name[301] = "";
    for (int i = 0; i < 100; i++)
        memcpy(name + i * 3, "泵", 3);
    name[300] = '\0';
    char csv[1024];
    snprintf(csv, sizeof csv,
             "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,"
             "report_interval_s\n"
             "A1,%s,water_supply,九州街道,37.5,116.5,retired,,ws-2,120\n",
             name);
    knowledge_unref(k);
    k = load_knowledge(csv);
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    char want[1024];
    /* cut to 255 bytes at most: 85 whole characters */
    snprintf(want, sizeof want,
             "{\"id\":\"A1\",\"asset\":\"A1\",\"device\":\"ws-2\",\"name\":\"%.255s\",\"category\":"
             "\"water_supply\",\"district\":\"九州街道\",\"status\":\"retired\",\"lat\":37.5,"
             "\"lon\":116.5,\"registered\":true,\"state\":\"online\",\"interval_s\":120,"
             "\"last_seen_ms\":1800000000000,\"last_ts_ms\":1799999999995,\"readings\":1,",
             name);
    assert_memory_equal(b.data, want, strlen(want));
    struct devstate_ident id;
    assert_int_equal(devstate_ident(ds, "A1", &id), 0);
    assert_string_equal(id.asset, "A1");
    assert_string_equal(id.device, "ws-2");
    assert_string_equal(id.category, "water_supply");
    struct devstate_filter f = {.q = "ws-2"};
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, &f, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":1,"));

    /* an unregistered device with a 200-byte id: cut to 127 */
    char dev[201];
    memset(dev, 'x', 200);
    dev[200] = '\0';
    note(ds, k, dev, "drainage", 1.0, NOW);
    note(ds, k, dev, "drainage", 2.0, NOW); /* the same entry, not a second one */
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, NULL, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":2,"));
    assert_non_null(strstr(b.data, "\"readings\":2,"));
    buf_reset(&b);
    char cut[128];
    memset(cut, 'x', 127);
    cut[127] = '\0';
    assert_int_equal(devstate_render_one(ds, cut, NOW, &b), 0);
    snprintf(want, sizeof want,
             "{\"id\":\"%s\",\"asset\":\"\",\"device\":\"%s\",\"name\":\"\",\"category\":"
             "\"drainage\",\"district\":\"topic-district\",\"status\":\"\",\"lat\":null,",
             cut, cut);
    assert_memory_equal(b.data, want, strlen(want));
    assert_int_equal(devstate_ident(ds, cut, &id), 0);
    assert_string_equal(id.asset, "");
    assert_int_equal(strlen(id.device), 127);

    buf_free(&b);
    devstate_free(ds);
    knowledge_unref(k);
}

/* A heard asset that leaves the registry stays, unregistered, with its text
 * copied (the knowledge it came from is freed), and is bound again with its
 * counts when it comes back; a never-heard one is forgotten. */
static void test_heard_asset_leaves_and_returns(void **state)
{
    (void)state;
    struct knowledge *k = load_knowledge(REG);
    struct devstate *ds = devstate_new();
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    note(ds, k, "ws-1", "water_supply", 0.31, NOW);
    knowledge_unref(k);
    k = load_knowledge(
        "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,report_interval_s\n"
        "A3,三号,drainage,九州街道,,,planned,,,\n");
    uint64_t before = devstate_version(ds);
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    /* one asset in the new registry, then the one that left it */
    assert_int_equal(devstate_version(ds), before + 2);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    assert_string_equal(
        b.data,
        "{\"id\":\"A1\",\"asset\":\"A1\",\"device\":\"ws-1\",\"name\":\"一号泵房\",\"category\":"
        "\"water_supply\",\"district\":\"顾官屯镇\",\"status\":\"upgraded\",\"lat\":37.39,\"lon\":"
        "116.27,\"registered\":false,\"state\":\"online\",\"interval_s\":60,\"last_seen_ms\":"
        "1800000000000,\"last_ts_ms\":1799999999995,\"readings\":1,\"whole\":true,\"values\":{"
        "\"pressure_out\":{\"value\":0.31,\"unit\":\"MPa\",\"type\":\"float\",\"ts_ms\":"
        "1799999999995},\"status\":{\"value\":\"正常\\\"运行\\\"\",\"unit\":\"\",\"type\":"
        "\"string\",\"ts_ms\":1799999999995}}}");
    assert_int_equal(devstate_render_one(ds, "A2", NOW, &b), -ENOENT);
    struct devstate_ident id;
    assert_int_equal(devstate_ident(ds, "A1", &id), 0);
    assert_string_equal(id.device, "ws-1");
    /* the changes of that reload: A3 (new), then A1 (now unregistered) */
    buf_reset(&b);
    uint64_t upto = 0;
    assert_int_equal(devstate_render_changes(ds, before, NULL, 10, NOW, &b, &upto), 0);
    const char *a3 = strstr(b.data, "\"id\":\"A3\"");
    const char *a1 = strstr(b.data, "\"id\":\"A1\"");
    assert_non_null(a3);
    assert_non_null(a1);
    assert_true(a3 < a1);

    /* back in the registry: registered again, counts kept, one entry */
    knowledge_unref(k);
    k = load_knowledge(REG);
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"registered\":true,\"state\":\"online\""));
    assert_non_null(strstr(b.data, "\"readings\":1,"));
    note(ds, k, "ws-1", "water_supply", 0.5, NOW + 1);
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, NULL, NOW, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":2,"));
    assert_non_null(strstr(b.data, "\"readings\":2,"));

    buf_free(&b);
    devstate_free(ds);
    knowledge_unref(k);
}

static void test_history(void **state)
{
    (void)state;
    struct buf q;
    buf_init(&q, 4096);
    assert_int_equal(live_history_query(&q, "water_supply", "A'1", "ws-1", 24), 0);
    assert_string_equal(q.data, "SELECT mean(*) FROM \"water_supply\" WHERE \"asset\" = 'A\\'1' "
                                "AND time > now() - 24h GROUP BY time(600s) fill(none)");
    buf_reset(&q);
    assert_int_equal(live_history_query(&q, "drai\"nage", "", "d\\1", 1), 0);
    assert_string_equal(q.data, "SELECT mean(*) FROM \"drai\\\"nage\" WHERE \"device\" = 'd\\\\1' "
                                "AND time > now() - 1h GROUP BY time(60s) fill(none)");
    buf_free(&q);

    const char *answer =
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"water_supply\",\"columns\":"
        "[\"time\",\"mean_flow\",\"mean_pressure_out\"],\"values\":[[1000,null,0.3],[2000,5,0.25]]}"
        "]}]}";
    struct buf out;
    buf_init(&out, 1 << 16);
    char err[128];
    assert_int_equal(live_history_json(answer, strlen(answer), 24, &out, err, sizeof err), 0);
    assert_string_equal(out.data,
                        "{\"hours\":24,\"interval_s\":600,\"series\":[{\"field\":\"flow\","
                        "\"points\":[[2000,5]]},{\"field\":\"pressure_out\",\"points\":"
                        "[[1000,0.3],[2000,0.25]]}]}\n");
    buf_reset(&out);
    /* columns without a value in the window are left out, wherever they are */
    const char *nulls =
        "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"water_supply\",\"columns\":"
        "[\"time\",\"mean_a\",\"mean_b\",\"mean_c\",\"mean_d\"],\"values\":[[1000,null,1,null,"
        "null],[2000,null,null,null,2]]}]}]}";
    assert_int_equal(live_history_json(nulls, strlen(nulls), 24, &out, err, sizeof err), 0);
    assert_string_equal(out.data, "{\"hours\":24,\"interval_s\":600,\"series\":[{\"field\":\"b\","
                                  "\"points\":[[1000,1]]},{\"field\":\"d\",\"points\":"
                                  "[[2000,2]]}]}\n");
    buf_reset(&out);
    const char *empty = "{\"results\":[{\"statement_id\":0}]}";
    assert_int_equal(live_history_json(empty, strlen(empty), 24, &out, err, sizeof err), 0);
    assert_string_equal(out.data, "{\"hours\":24,\"interval_s\":600,\"series\":[]}\n");
    const char *bad = "{\"results\":[{\"statement_id\":0,\"error\":\"database not found: x\"}]}";
    assert_int_equal(live_history_json(bad, strlen(bad), 24, &out, err, sizeof err), -EINVAL);
    assert_string_equal(err, "database not found: x");
    buf_free(&out);
}

/* Knowledge whose water_supply profile is `profile` (JSON), over the built-in ones. */
static struct knowledge *load_knowledge_with(const char *text, const char *profile)
{
    char dir[] = "/tmp/test_devstate_prof_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/water_supply.json", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(profile, fp) >= 0, 1);
    fclose(fp);
    int n = 0;
    struct profile_set *ps = profile_set_load(dir, NULL, &n);
    unlink(path);
    rmdir(dir);
    assert_non_null(ps);
    struct knowledge *k = knowledge_new(ps, load_registry(text));
    assert_non_null(k);
    return k;
}

/* One reading of ws-1 with the given float fields. */
static void note_fields(struct devstate *ds, const struct knowledge *k, const char *const *keys,
                        const double *vals, size_t n, int64_t recv_ms)
{
    struct reading r;
    assert_int_equal(reading_init(&r, 4096), 0);
    r.ts_ms = recv_ms;
    for (size_t i = 0; i < n; i++) {
        struct field *f = reading_add_field(&r);
        f->key = keys[i];
        f->key_len = strlen(keys[i]);
        f->type = FIELD_FLOAT;
        f->v.f = vals[i];
    }
    const struct asset *a = registry_find_device(k->registry, "ws-1", 4);
    struct devstate_obs o = {.asset = a,
                             .device = "ws-1",
                             .device_len = 4,
                             .category = "water_supply",
                             .category_len = 12,
                             .profile = profile_set_find(k->profiles, "water_supply", 12),
                             .reading = &r,
                             .recv_ms = recv_ms,
                             .whole = true};
    devstate_note(ds, &o);
    reading_free(&r);
}

/*
 * Values point at their profile's field names and units. A reload whose
 * profile renames, drops and re-units fields, with the old knowledge freed
 * at once, must leave every value shown as it was read (ASan checks that
 * nothing points into the freed profiles), and the next reading shows the
 * new units.
 */
static void test_reload_changes_field_set(void **state)
{
    (void)state;
    static const char *const P1 =
        "{\"category\":\"water_supply\",\"report_interval_s\":300,\"fields\":{"
        "\"pressure_out\":{\"type\":\"float\",\"unit\":\"MPa\"},"
        "\"tank_level\":{\"type\":\"float\",\"unit\":\"m\"},"
        "\"flow\":{\"type\":\"float\",\"unit\":\"m³/h\"}}}";
    static const char *const P2 =
        "{\"category\":\"water_supply\",\"report_interval_s\":300,\"fields\":{"
        "\"pressure_out\":{\"type\":\"float\",\"unit\":\"kPa\"},"
        "\"flow\":{\"type\":\"float\",\"unit\":\"m³/h\"},"
        "\"chlorine\":{\"type\":\"float\",\"unit\":\"mg/L\"}},"
        "\"aliases\":{\"tank_level\":\"chlorine\"}}";
    struct knowledge *k = load_knowledge_with(REG, P1);
    struct devstate *ds = devstate_new();
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    static const char *const keys1[] = {"pressure_out", "tank_level", "flow", "vendor_x"};
    static const double vals1[] = {0.3, 2.5, 12, 7};
    note_fields(ds, k, keys1, vals1, 4, NOW);
    static const char *const before =
        "\"values\":{\"pressure_out\":{\"value\":0.3,\"unit\":\"MPa\",\"type\":\"float\","
        "\"ts_ms\":1800000000000},\"tank_level\":{\"value\":2.5,\"unit\":\"m\",\"type\":"
        "\"float\",\"ts_ms\":1800000000000},\"flow\":{\"value\":12,\"unit\":\"m³/h\",\"type\":"
        "\"float\",\"ts_ms\":1800000000000},\"vendor_x\":{\"value\":7,\"unit\":\"\",\"type\":"
        "\"float\",\"ts_ms\":1800000000000}}}";
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    assert_non_null(strstr(b.data, before));

    struct knowledge *k2 = load_knowledge_with(REG, P2);
    assert_int_equal(devstate_sync_knowledge(ds, k2), 0);
    knowledge_unref(k); /* the state's reference was dropped by the sync: P1 is freed here */
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW, &b), 0);
    assert_non_null(strstr(b.data, before));

    /* the next reading: pressure_out in kPa now, tank_level an alias (key kept, unit of
     * chlorine), chlorine new at the end */
    static const char *const keys2[] = {"pressure_out", "tank_level", "chlorine"};
    static const double vals2[] = {310, 2.0, 0.4};
    note_fields(ds, k2, keys2, vals2, 3, NOW + 1000);
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 1000, &b), 0);
    assert_non_null(strstr(
        b.data, "\"values\":{\"pressure_out\":{\"value\":310,\"unit\":\"kPa\",\"type\":\"float\","
                "\"ts_ms\":1800000001000},\"tank_level\":{\"value\":2,\"unit\":\"mg/L\",\"type\":"
                "\"float\",\"ts_ms\":1800000001000},\"flow\":{\"value\":12,\"unit\":\"m³/h\","
                "\"type\":\"float\",\"ts_ms\":1800000000000},\"vendor_x\":{\"value\":7,\"unit\":"
                "\"\",\"type\":\"float\",\"ts_ms\":1800000000000},\"chlorine\":{\"value\":0.4,"
                "\"unit\":\"mg/L\",\"type\":\"float\",\"ts_ms\":1800000001000}}}"));

    /* and back to no profiles at all: every value keeps its text */
    assert_int_equal(devstate_sync_knowledge(ds, NULL), 0);
    knowledge_unref(k2);
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 1000, &b), 0);
    assert_non_null(strstr(b.data, "\"pressure_out\":{\"value\":310,\"unit\":\"kPa\""));
    assert_non_null(strstr(b.data, "\"flow\":{\"value\":12,\"unit\":\"m³/h\""));
    buf_free(&b);
    devstate_free(ds);
}

/* "online" lasts offline_misses report intervals (alerts.offline_misses in the daemon). */
static void test_offline_misses(void **state)
{
    (void)state;
    struct knowledge *k = load_knowledge(REG);
    struct devstate *ds = devstate_new();
    assert_int_equal(devstate_sync_knowledge(ds, k), 0);
    note(ds, k, "ws-1", "water_supply", 0.31, NOW);
    struct buf b;
    buf_init(&b, 1 << 20);
    /* A1 reports every 60 s; by default 3 missed intervals make it offline */
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 180000, &b), 0);
    assert_non_null(strstr(b.data, "\"state\":\"online\""));
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 180001, &b), 0);
    assert_non_null(strstr(b.data, "\"state\":\"offline\""));

    devstate_set_offline_misses(ds, 5);
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 299999, &b), 0);
    assert_non_null(strstr(b.data, "\"state\":\"online\""));
    buf_reset(&b);
    assert_int_equal(devstate_render_one(ds, "A1", NOW + 300001, &b), 0);
    assert_non_null(strstr(b.data, "\"state\":\"offline\""));
    /* listings and their state filter judge alike */
    struct devstate_filter off = {.has_state = true, .state = DEVSTATE_OFFLINE};
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, &off, NOW + 240000, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":0,"));
    devstate_set_offline_misses(ds, 2);
    buf_reset(&b);
    assert_int_equal(devstate_render_list(ds, &off, NOW + 240000, &b), 0);
    assert_non_null(strstr(b.data, "\"count\":1,\"devices\":[{\"id\":\"A1\""));
    buf_free(&b);
    devstate_free(ds);
    knowledge_unref(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_reading_and_render),
        cmocka_unit_test(test_changes_coalesce_and_overflow),
        cmocka_unit_test(test_reload_rebuilds_text),
        cmocka_unit_test(test_heard_asset_leaves_and_returns),
        cmocka_unit_test(test_history),
        cmocka_unit_test(test_reload_changes_field_set),
        cmocka_unit_test(test_offline_misses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
