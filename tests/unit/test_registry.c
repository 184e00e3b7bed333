/*
 * registry: the example registry, CSV quoting and line numbers, BOM and
 * CRLF, every validation error with its exact text, lookups (Chinese ids,
 * unterminated slices) and 100,000 rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "buf.h"
#include "category.h"
#include "registry.h"
#include "registry_field.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/lifeline-test-registry-XXXXXX";
static struct buf errors;
static struct registry *reg;

static void write_bytes(const char *name, const char *text, size_t len)
{
    FILE *f = fopen(name, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Loads `text` as a.csv; returns the error count, the lines are in errors.data. */
static int load(const char *text)
{
    registry_free(reg);
    reg = NULL;
    buf_reset(&errors);
    write_bytes("a.csv", text, strlen(text));
    int n = -1;
    reg = registry_load("a.csv", category_known, &errors, &n);
    if (n == 0)
        assert_non_null(reg);
    else
        assert_null(reg);
    return n;
}

static const char *errs(void)
{
    return errors.data ? errors.data : "";
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    assert_int_equal(chdir(tmpdir), 0);
    buf_init(&errors, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    registry_free(reg);
    reg = NULL;
    buf_free(&errors);
    unlink("a.csv");
    unlink("big.csv");
    assert_int_equal(chdir("/"), 0);
    rmdir(tmpdir);
    return 0;
}

static void test_example_loads(void **state)
{
    (void)state;
    int n = -1;
    buf_reset(&errors);
    struct registry *r = registry_load(LIFELINE_SOURCE_DIR "/config/assets.example.csv",
                                       category_known, &errors, &n);
    assert_string_equal(errs(), "");
    assert_int_equal(n, 0);
    assert_non_null(r);
    assert_int_equal(registry_count(r), 300);
    const struct asset *a = registry_find_asset(r, "GGT-MC-000001");
    assert_non_null(a);
    assert_ptr_equal(a, registry_at(r, 0));
    assert_string_equal(a->name, "顾官屯镇 九州大道390号窨井盖 #29");
    assert_string_equal(a->category, "manhole_cover");
    assert_string_equal(a->district, "顾官屯镇");
    assert_int_equal(a->status, ASSET_UPGRADED);
    assert_int_equal(a->upgraded_on, registry_field_days(2026, 1, 29));
    assert_string_equal(a->device_id, "864390000000001");
    assert_string_equal(a->model, "NB-JG01");
    assert_int_equal(a->report_interval_s, 0);
    assert_int_equal(a->line, 2);
    assert_true(fabs(a->lat - 37.394589) < 1e-9 && fabs(a->lon - 116.275695) < 1e-9);
    assert_ptr_equal(registry_find_device(r, "864390000000001", 15), a);
    const struct asset *retired = registry_find_asset(r, "XY-MC-000003");
    assert_non_null(retired);
    assert_int_equal(retired->status, ASSET_RETIRED);
    assert_int_equal(retired->upgraded_on, -1);
    assert_string_equal(retired->device_id, "");
    registry_free(r);
}

static void test_quoted_fields_and_lines(void **state)
{
    (void)state;
    /* the name spans lines 3-5; the second row starts on line 3, the third on 6 */
    assert_int_equal(load("asset_id,name,category,status\n"
                          "A1,\"Pump, north \"\"old\"\"\",water_supply,legacy\n"
                          "A2,\"line one\n"
                          "line two, with comma\n"
                          "line three\",drainage,planned\n"
                          "A3,ok,bogus,legacy\n"),
                     1);
    assert_string_equal(errs(), "a.csv:6: category: 'bogus' is not a known category; fix: use the "
                                "name of a device category, e.g. water_supply, drainage, sewage, "
                                "manhole_cover, bridge_tunnel or surveillance\n");
    /* the same rows without the error: the values and their lines */
    assert_int_equal(load("name,asset_id,category,status\n"
                          "\"first\nfield\",A1,water_supply,legacy\n"
                          "\"Pump, north \"\"old\"\"\",A2,water_supply,legacy\n"
                          "\n"
                          "\"x\n\ny\",A3,drainage,planned\n"
                          ",,,\n"
                          "plain,A4,sewage,retired"),
                     0);
    assert_int_equal(registry_count(reg), 4);
    assert_string_equal(registry_at(reg, 0)->name, "first\nfield");
    assert_int_equal(registry_at(reg, 0)->line, 2);
    assert_string_equal(registry_at(reg, 1)->name, "Pump, north \"old\"");
    assert_int_equal(registry_at(reg, 1)->line, 4);
    assert_string_equal(registry_at(reg, 2)->name, "x\n\ny");
    assert_int_equal(registry_at(reg, 2)->line, 6);
    assert_int_equal(registry_at(reg, 3)->line, 10); /* the empty ",,," row on 9 is skipped */
    assert_true(isnan(registry_at(reg, 3)->lat));
    /* a multi-line first field, then an error on the next row */
    assert_int_equal(load("name,asset_id,category,status\n"
                          "\"a\nb\nc\",A1,water_supply,legacy\n"
                          "d,A1,water_supply,legacy\n"),
                     1);
    assert_string_equal(errs(), "a.csv:5: asset_id: 'A1' repeats line 2; fix: give each asset "
                                "its own asset_id, or delete one of the two rows\n");
}

static void test_bom_and_crlf(void **state)
{
    (void)state;
    assert_int_equal(load("\xEF\xBB\xBF"
                          "asset_id,category,status,upgraded_on,name\r\n"
                          "A1,water_supply,upgraded,2025/3/7,\"two\r\nlines\"\r\n"
                          "A2,drainage,Legacy,,plain\r\n"),
                     0);
    assert_int_equal(registry_count(reg), 2);
    assert_string_equal(registry_at(reg, 0)->asset_id, "A1"); /* not "\xEF\xBB\xBF" "A1" */
    assert_string_equal(registry_at(reg, 0)->name, "two\r\nlines");
    assert_int_equal(registry_at(reg, 0)->upgraded_on, registry_field_days(2025, 3, 7));
    assert_int_equal(registry_at(reg, 1)->line, 4);
    assert_string_equal(registry_at(reg, 1)->name, "plain");
    assert_int_equal(load("\xEF\xBB\xBF"
                          "asset_id,category,status\r\n"
                          "A1,water_supply,legacy\r\n"
                          "A2,drainage,upgraded\r\n"),
                     1);
    assert_string_equal(errs(), "a.csv:3: upgraded_on: empty while status is upgraded; fix: give "
                                "the date the new sensor went into service as YYYY-MM-DD, e.g. "
                                "2025-06-30\n");
}

/* Old Mac Excel ends lines with a lone CR; libcsv ends rows there too (found by fuzzing). */
static void test_cr_line_ends(void **state)
{
    (void)state;
    assert_int_equal(load("asset_id,category,status\rA1,sewage,legacy\rA2,sewage,legacy\r"
                          "A3,sewage,legacy\rA4,sewage,legacy\rA4,bogus,legacy"),
                     2);
    assert_string_equal(errs(), "a.csv:6: asset_id: 'A4' repeats line 5; fix: give each asset "
                                "its own asset_id, or delete one of the two rows\n"
                                "a.csv:6: category: 'bogus' is not a known category; fix: use "
                                "the name of a device category, e.g. water_supply, drainage, "
                                "sewage, manhole_cover, bridge_tunnel or surveillance\n");
    assert_int_equal(load("asset_id,category,status\r\r\r\r\r\rA1,sewage,legacy\r"), 0);
    assert_int_equal(registry_count(reg), 1);
    assert_int_equal(registry_at(reg, 0)->line, 7);
}

static void test_every_error(void **state)
{
    (void)state;
    assert_int_equal(
        load("asset_id,category,status,lat,lon,upgraded_on,device_id,report_interval_s,extra\n"
             "A1,water_supply,upgraded,26.5,106.7,2025-06-30,D1,300,ignored\n"
             ",drainage,legacy,,,,,,\n"
             "A1,drainage,legacy,,,,,,\n"
             "A3,Water-Supply,legacy,,,,,,\n"
             "A4,,legacy,,,,,,\n"
             "A5,sewage,,,,,,,\n"
             "A6,sewage,done,,,,,,\n"
             "A7,sewage,legacy,95,181,,,,\n"
             "A8,sewage,legacy,north,,,,,\n"
             "A9,sewage,upgraded,,,2025-02-29,D9,,\n"
             "A10,sewage,upgraded,,,,D10,,\n"
             "A11,sewage,legacy,,,30/06/2025,,,\n"
             "A12,sewage,upgraded,,,2024/2/29,D1,0,\n"
             "A13,sewage,legacy,,,,,604801,\n"
             "A14,sewage,legacy,,,,,1.5,\n"
             "\"A\x01\",sewage,legacy,,,,,,\n"
             "A16,sewage,legacy,,,,\"d\n1\",,\n"
             "A17,sewage,\xff,,,,,,\n"
             "A18,sewage,legacy,,,,,,,surplus\n"),
        20);
    assert_string_equal(
        errs(),
        "a.csv:3: asset_id: empty; fix: give every asset a unique id, e.g. 'GGT-WS-0001'\n"
        "a.csv:4: asset_id: 'A1' repeats line 2; fix: give each asset its own asset_id, or delete "
        "one of the two rows\n"
        "a.csv:5: category: 'Water-Supply' is not a known category; fix: write 'water_supply'\n"
        "a.csv:6: category: empty; fix: give the device category, e.g. water_supply or "
        "manhole_cover\n"
        "a.csv:7: status: empty; fix: use legacy, planned, upgraded or retired (or 旧, 计划, "
        "已改造, 退役)\n"
        "a.csv:8: status: 'done' is not a status; fix: use legacy, planned, upgraded or retired "
        "(or 旧, 计划, 已改造, 退役)\n"
        "a.csv:9: lat: '95' is outside -90..90; fix: give the latitude in decimal degrees "
        "(WGS84), e.g. 37.4512, or leave it empty\n"
        "a.csv:9: lon: '181' is outside -180..180; fix: give the longitude in decimal degrees "
        "(WGS84), e.g. 116.3075, or leave it empty\n"
        "a.csv:10: lat: 'north' is not a number; fix: give the latitude in decimal degrees "
        "(WGS84), e.g. 37.4512, or leave it empty\n"
        "a.csv:11: upgraded_on: '2025-02-29' is not a valid date; fix: write YYYY-MM-DD (or "
        "YYYY/MM/DD as Excel does), e.g. 2025-06-30, years 1970 to 2099\n"
        "a.csv:12: upgraded_on: empty while status is upgraded; fix: give the date the new "
        "sensor went into service as YYYY-MM-DD, e.g. 2025-06-30\n"
        "a.csv:13: upgraded_on: '30/06/2025' is not a valid date; fix: write YYYY-MM-DD (or "
        "YYYY/MM/DD as Excel does), e.g. 2025-06-30, years 1970 to 2099\n"
        "a.csv:14: report_interval_s: '0' is not a whole number of seconds from 1 to 604800 (7 "
        "days); fix: write the sensor's reporting interval, e.g. 300, or leave it empty for the "
        "category default\n"
        "a.csv:14: device_id: 'D1' is also the device of line 2 (asset 'A1'); fix: give each "
        "sensor its own device_id; when a sensor moved, keep only the row of its new asset\n"
        "a.csv:15: report_interval_s: '604801' is not a whole number of seconds from 1 to 604800 "
        "(7 days); fix: write the sensor's reporting interval, e.g. 300, or leave it empty for "
        "the category default\n"
        "a.csv:16: report_interval_s: '1.5' is not a whole number of seconds from 1 to 604800 (7 "
        "days); fix: write the sensor's reporting interval, e.g. 300, or leave it empty for the "
        "category default\n"
        "a.csv:17: asset_id: 'A\\x01' contains a control character (a line break?); fix: remove "
        "it\n"
        "a.csv:18: device_id: 'd\\x0a1' contains a control character (a line break?); fix: "
        "remove it\n"
        "a.csv:20: status: not valid UTF-8 text; fix: save the file as UTF-8 (in Excel: Save "
        "As, \"CSV UTF-8 (Comma delimited)\")\n"
        "a.csv:21: row: 10 fields but the header has 9 columns; fix: put a field that contains a "
        "comma in double quotes\n");
    /* only the lat/lon pair check is left: one without the other */
    assert_int_equal(load("asset_id,category,status,lat,lon\n"
                          "A1,sewage,legacy,37.1,\n"
                          "A2,sewage,legacy,,116.2\n"),
                     2);
    assert_string_equal(errs(),
                        "a.csv:2: lon: empty while lat is given; fix: give both lat and lon, or "
                        "neither\n"
                        "a.csv:3: lat: empty while lon is given; fix: give both lat and lon, or "
                        "neither\n");
}

static void test_header_and_file_errors(void **state)
{
    (void)state;
    assert_int_equal(load("id,name,category\nA1,x,sewage\n"), 2);
    assert_string_equal(
        errs(), "a.csv:1: asset_id: missing column; fix: add a column named asset_id to the "
                "header row (the first row names the columns; asset_id, category and status are "
                "required)\n"
                "a.csv:1: status: missing column; fix: add a column named status to the header "
                "row (the first row names the columns; asset_id, category and status are "
                "required)\n");
    assert_int_equal(load("\n\nAsset_ID,category,Status,status\nA1,sewage,legacy,legacy\n"), 1);
    assert_string_equal(errs(), "a.csv:3: header: column status appears twice (columns 3 and 4); "
                                "fix: delete one of them\n");
    assert_int_equal(load("asset_id,category,status\nA1,sewage,legacy\n\"A2,sewage,legacy\n"
                          "A3,sewage,legacy\n"),
                     1);
    assert_string_equal(errs(), "a.csv:3: row: a quoted field is never closed, so the rest of the "
                                "file would be one field; fix: add the closing \" (write \"\" for "
                                "a quote inside a quoted field)\n");
    assert_int_equal(load(""), 1);
    assert_string_equal(errs(), "a.csv: no header row, the file is empty; fix: export the "
                                "registry with its header row, e.g. "
                                "asset_id,name,category,district,lat,lon,status,upgraded_on,"
                                "device_id\n");
    /* a header alone is an empty registry, not an error */
    assert_int_equal(load("asset_id,category,status\n"), 0);
    assert_int_equal(registry_count(reg), 0);
    assert_null(registry_find_asset(reg, "A1"));
    assert_null(registry_find_device(reg, "d", 1));

    buf_reset(&errors);
    int n = -1;
    assert_null(registry_load("absent.csv", category_known, &errors, &n));
    assert_int_equal(n, 1);
    assert_string_equal(errs(), "absent.csv: cannot read the registry: No such file or directory; "
                                "fix: check registry.assets and that the service user may read "
                                "the file\n");
    buf_reset(&errors);
    assert_null(registry_load(tmpdir, category_known, &errors, &n));
    assert_non_null(strstr(errs(), "cannot read the registry: not a regular file"));
}

static void test_statuses_and_dates(void **state)
{
    (void)state;
    assert_int_equal(load("asset_id,category,status,upgraded_on\n"
                          "A1,sewage,LEGACY,\n"
                          "A2,sewage,旧,\n"
                          "A3,sewage,未改造,\n"
                          "A4,sewage,计划,2026-12-01\n"
                          "A5,sewage,计划改造,\n"
                          "A6,sewage,已改造,2024-02-29\n"
                          "A7,sewage,Upgraded,1970/1/1\n"
                          "A8,sewage,退役,\n"
                          "A9,sewage,已退役,\n"
                          "A10,sewage,Retired,\n"
                          "A11,sewage,planned,\n"),
                     0);
    static const enum asset_status want[] = {
        ASSET_LEGACY,   ASSET_LEGACY,  ASSET_LEGACY,  ASSET_PLANNED, ASSET_PLANNED, ASSET_UPGRADED,
        ASSET_UPGRADED, ASSET_RETIRED, ASSET_RETIRED, ASSET_RETIRED, ASSET_PLANNED};
    for (size_t i = 0; i < 11; i++)
        assert_int_equal(registry_at(reg, i)->status, want[i]);
    assert_int_equal(registry_at(reg, 3)->upgraded_on, -1); /* a planned date is not stored */
    assert_int_equal(registry_at(reg, 5)->upgraded_on, 19782);
    assert_int_equal(registry_at(reg, 6)->upgraded_on, 0);
    assert_int_equal(registry_field_days(2025, 6, 30), 20269);
    assert_string_equal(asset_status_name(ASSET_LEGACY), "legacy");
    assert_string_equal(asset_status_name(ASSET_PLANNED), "planned");
    assert_string_equal(asset_status_name(ASSET_UPGRADED), "upgraded");
    assert_string_equal(asset_status_name(ASSET_RETIRED), "retired");
}

static void test_lookups(void **state)
{
    (void)state;
    assert_int_equal(load("asset_id,name,category,district,status,upgraded_on,device_id,model,"
                          "report_interval_s\n"
                          "顾官屯-泵房-1,一号泵房,water_supply,顾官屯镇,upgraded,2025-05-01,"
                          "设备-01,PT-300,60\n"
                          "许营-井盖-2,井盖,manhole_cover,许营镇,upgraded,2025-05-02,dev-1,,\n"
                          "九州-视频-3,,surveillance,九州街道,planned,,,,\n"),
                     0);
    const struct asset *a = registry_find_asset(reg, "顾官屯-泵房-1");
    assert_non_null(a);
    assert_string_equal(a->name, "一号泵房");
    assert_string_equal(a->district, "顾官屯镇");
    assert_int_equal(a->report_interval_s, 60);
    const char *dev = "设备-01";
    assert_ptr_equal(registry_find_device(reg, dev, strlen(dev)), a);
    /* a slice of a longer, unterminated buffer */
    const char topic[] = {'d', 'e', 'v', '-', '1', '/', 'x'};
    assert_ptr_equal(registry_find_device(reg, topic, 5), registry_find_asset(reg, "许营-井盖-2"));
    assert_null(registry_find_device(reg, topic, 4));
    assert_null(registry_find_device(reg, topic, 6));
    assert_null(registry_find_device(reg, "dev-1\0", 6));
    assert_null(registry_find_device(reg, "", 0)); /* assets without a device are not found */
    assert_null(registry_find_asset(reg, "顾官屯-泵房"));
    assert_null(registry_find_asset(reg, ""));
    assert_string_equal(registry_find_asset(reg, "九州-视频-3")->device_id, "");
    assert_null(registry_at(reg, 3));
    /* no registry: every device is unknown */
    assert_null(registry_find_device(NULL, "dev-1", 5));
    assert_null(registry_find_asset(NULL, "x"));
    assert_int_equal(registry_count(NULL), 0);
    registry_free(NULL);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_hundred_thousand(void **state)
{
    (void)state;
    enum { N = 100000 };
    static const char *const cats[] = {"water_supply",  "drainage",      "sewage",
                                       "manhole_cover", "bridge_tunnel", "surveillance"};
    static const char *const districts[] = {"顾官屯镇", "许营镇", "九州街道"};
    struct buf csv;
    buf_init(&csv, 64 << 20);
    assert_int_equal(buf_puts(&csv, "asset_id,name,category,district,lat,lon,status,upgraded_on,"
                                    "device_id,model,report_interval_s\n"),
                     0);
    for (int i = 0; i < N; i++)
        assert_int_equal(buf_printf(&csv,
                                    "A-%06d,\"%s 资产, %d号\",%s,%s,37.%04d,116.%04d,%s,%s,%s%.0d,"
                                    "M-%d,%s\n",
                                    i, districts[i % 3], i, cats[i % 6], districts[i % 3],
                                    i % 10000, (i * 7) % 10000, i % 2 ? "upgraded" : "planned",
                                    i % 2 ? "2025-07-01" : "", i % 2 ? "dev-" : "", i % 2 ? i : 0,
                                    i % 5, i % 4 ? "" : "300"),
                         0);
    write_bytes("big.csv", csv.data, csv.len);
    buf_free(&csv);

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = -1;
    buf_reset(&errors);
    struct registry *r = registry_load("big.csv", category_known, &errors, &n);
    double load_s = seconds_since(&t0);
    assert_string_equal(errs(), "");
    assert_non_null(r);
    assert_int_equal(registry_count(r), N);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char id[32];
    for (int i = 0; i < N; i++) {
        int len = snprintf(id, sizeof id, "A-%06d", i);
        const struct asset *a = registry_find_asset(r, id);
        assert_non_null(a);
        assert_ptr_equal(a, registry_at(r, (size_t)i));
        assert_int_equal(a->line, i + 2);
        len = snprintf(id, sizeof id, "dev-%d", i);
        assert_ptr_equal(registry_find_device(r, id, (size_t)len), i % 2 ? a : NULL);
    }
    double lookup_s = seconds_since(&t0);
    assert_string_equal(registry_at(r, 99999)->name, "顾官屯镇 资产, 99999号");
    print_message("100000 assets: load %.3f s, 200000 lookups %.3f s\n", load_s, lookup_s);
    registry_free(r);
}

/*
 * The loader reads 64 KiB at a time: shifting the rows byte by byte puts the
 * chunk boundary inside a field, between the CR and LF of a line end and
 * inside a quoted field's line break; every row must still know its line.
 */
static void test_chunk_boundaries(void **state)
{
    (void)state;
    enum { CHUNK = 64 * 1024, MAXROWS = 4096 };
    static int lines[MAXROWS];
    static const char xs[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    struct buf csv;
    buf_init(&csv, 1 << 20);
    for (int shift = 0; shift < 48; shift++) {
        buf_reset(&csv);
        assert_int_equal(buf_puts(&csv, "\xEF\xBB\xBF"
                                        "asset_id,name,category,status\r\n"),
                         0);
        int line = 2, n = 0;
        while (csv.len < CHUNK + 256) {
            assert_true(n < MAXROWS);
            lines[n] = line;
            if (n == 0)
                assert_int_equal(
                    buf_printf(&csv, "A-%05d,%.*s,drainage,planned\r\n", n, shift + 1, xs), 0);
            else if (n % 7 == 0)
                assert_int_equal(
                    buf_printf(&csv, "A-%05d,\"two\r\nlines\",drainage,planned\r\n", n), 0);
            else
                assert_int_equal(buf_printf(&csv, "A-%05d,n,drainage,planned\r\n", n), 0);
            line += n && n % 7 == 0 ? 2 : 1;
            n++;
        }
        registry_free(reg);
        buf_reset(&errors);
        write_bytes("a.csv", csv.data, csv.len);
        int nerr = -1;
        reg = registry_load("a.csv", category_known, &errors, &nerr);
        assert_string_equal(errs(), "");
        assert_int_equal(registry_count(reg), n);
        for (int i = 0; i < n; i++) {
            assert_int_equal(registry_at(reg, (size_t)i)->line, lines[i]);
            assert_string_equal(registry_at(reg, (size_t)i)->name, i == 0
                                                                       ? registry_at(reg, 0)->name
                                                                   : i % 7 == 0 ? "two\r\nlines"
                                                                                : "n");
        }
        assert_int_equal(strlen(registry_at(reg, 0)->name), shift + 1);

        assert_int_equal(buf_puts(&csv, "A-00001,again,drainage,planned\r\n"), 0);
        char want[160];
        snprintf(want, sizeof want,
                 "a.csv:%d: asset_id: 'A-00001' repeats line 3; fix: give each asset its own "
                 "asset_id, or delete one of the two rows\n",
                 line);
        write_bytes("a.csv", csv.data, csv.len);
        registry_free(reg);
        buf_reset(&errors);
        reg = registry_load("a.csv", category_known, &errors, &nerr);
        assert_null(reg);
        assert_string_equal(errs(), want);
    }
    buf_free(&csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_loads),      cmocka_unit_test(test_quoted_fields_and_lines),
        cmocka_unit_test(test_bom_and_crlf),       cmocka_unit_test(test_cr_line_ends),
        cmocka_unit_test(test_every_error),        cmocka_unit_test(test_header_and_file_errors),
        cmocka_unit_test(test_statuses_and_dates), cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_hundred_thousand),   cmocka_unit_test(test_chunk_boundaries),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
