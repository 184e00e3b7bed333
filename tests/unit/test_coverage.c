/*
 * coverage and the report renderers on a fixed registry and fixed counts:
 * every figure by hand (a category without upgrades, an asset upgraded after
 * the period, one upgraded within it, one reporting faster than expected,
 * one without a device_id, a retired one, an unregistered sensor), targets
 * and paces (overdue, met, behind), the trend and its projection, the worst
 * lists, an empty registry; CSV BOM, JSON fields, HTML escaping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coverage.h"
#include "registry.h"
#include "report.h"

#define H (3600 * INT64_C(1000))

static const char csv[] =
    "asset_id,name,category,district,status,upgraded_on,device_id,report_interval_s\n"
    "A1,泵房1,water_supply,顾官屯镇,upgraded,2025-01-10,d1,3600\n"
    "A2,<script>alert(1)</script>,water_supply,顾官屯镇,upgraded,2026-11-27,d2,3600\n"
    "A3,泵房3,water_supply,许营镇,upgraded,2026-12-05,d3,3600\n"
    "A4,泵房4,water_supply,许营镇,legacy,,,\n"
    "A5,雨量站,drainage,顾官屯镇,planned,,,\n"
    "A6,液位,drainage,许营镇,legacy,,,\n"
    "A7,\"井盖,7\",manhole_cover,许营镇,upgraded,2026-10-15,d7,43200\n"
    "A8,旧泵房,water_supply,顾官屯镇,retired,,,\n"
    "A9,井盖9,manhole_cover,顾官屯镇,upgraded,2026-09-01,,\n";

static struct registry *reg;
static struct cov_counts *counts;
static struct coverage *cov;
static int64_t to_ms;
static const struct cov_target_spec specs[] = {
    {"manhole_cover", 1.0, 0}, /* date filled in setup: 2026-11-01 */
    {"drainage", 0.5, 0},      /* 2026-06-30: overdue */
};
static struct cov_target_spec targets[2];

static int setup(void **state)
{
    (void)state;
    char path[] = "/tmp/lifeline-test-coverage-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
    close(fd);
    int n = 0;
    reg = registry_load(path, NULL, NULL, &n);
    unlink(path);
    assert_non_null(reg);
    int32_t day;
    assert_int_equal(coverage_parse_date("2026-11-30", &day), 0);
    to_ms = (int64_t)day * COV_DAY_MS - COV_TZ_OFFSET_MS;
    counts = cov_counts_new();
    assert_int_equal(cov_counts_add_stored(counts, "water_supply", "d1", 150), 0);
    assert_int_equal(cov_counts_add_stored(counts, "water_supply", "d1", 50), 0); /* 200 > 168 */
    assert_int_equal(
        cov_counts_set_last(counts, "water_supply", "d1", to_ms - 1000, "顾官屯镇", false), 0);
    assert_int_equal(cov_counts_add_stored(counts, "water_supply", "d2", 36), 0);
    assert_int_equal(cov_counts_set_last(counts, "water_supply", "d2", to_ms - 4 * H, "", false),
                     0);
    assert_int_equal(cov_counts_add_stored(counts, "water_supply", "d3", 50), 0);
    assert_int_equal(cov_counts_add_stored(counts, "drainage", "x1", 5), 0);
    assert_int_equal(cov_counts_set_last(counts, "drainage", "x1", to_ms - 100, "九州街道", true),
                     0);
    memcpy(targets, specs, sizeof targets);
    assert_int_equal(coverage_parse_date("2026-11-01", &targets[0].date), 0);
    assert_int_equal(coverage_parse_date("2026-06-30", &targets[1].date), 0);
    struct cov_options o = {.from_ms = to_ms - 7 * COV_DAY_MS,
                            .to_ms = to_ms,
                            .now_ms = to_ms,
                            .offline_misses = 3,
                            .effective_threshold = 0.9,
                            .def_target = {"", 0.8, 0},
                            .targets = targets,
                            .ntargets = 2};
    assert_int_equal(coverage_parse_date("2026-12-31", &o.def_target.date), 0);
    cov = coverage_compute(reg, NULL, counts, &o);
    assert_non_null(cov);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    coverage_free(cov);
    cov_counts_free(counts);
    registry_free(reg);
    return 0;
}

static void check_row(const struct cov_row *r, long assets, long upgraded, long planned,
                      long legacy, long online, long effective, int64_t expected, int64_t stored)
{
    assert_int_equal(r->assets, assets);
    assert_int_equal(r->upgraded, upgraded);
    assert_int_equal(r->planned, planned);
    assert_int_equal(r->legacy, legacy);
    assert_int_equal(r->online, online);
    assert_int_equal(r->effective, effective);
    assert_int_equal(r->expected, expected);
    assert_int_equal(r->stored, stored);
    assert_true(fabs(r->coverage - (assets ? (double)upgraded / (double)assets : 0)) < 1e-12);
    assert_true(fabs(r->effective_coverage - (assets ? (double)effective / (double)assets : 0)) <
                1e-12);
    if (expected)
        assert_true(fabs(r->completeness - (double)stored / (double)expected) < 1e-12);
    else
        assert_true(isnan(r->completeness));
}

static void test_rows(void **state)
{
    (void)state;
    assert_int_equal(cov->ncategories, 3);
    assert_string_equal(cov->categories[0].category, "water_supply");
    assert_string_equal(cov->categories[1].category, "drainage");
    assert_string_equal(cov->categories[2].category, "manhole_cover");
    /* A1 capped at 168 of 168; A2 36 of 72 (3 days since upgraded_on); A3 after the period */
    check_row(&cov->categories[0], 4, 2, 1, 1, 1, 1, 240, 204);
    check_row(&cov->categories[1], 2, 0, 1, 1, 0, 0, 0, 0); /* no upgrades */
    /* A7: 14 of 12 h intervals; A9: no device_id, fallback 1 h: 168 */
    check_row(&cov->categories[2], 2, 2, 0, 0, 0, 0, 182, 0);
    assert_int_equal(cov->ndistricts, 2);
    assert_string_equal(cov->districts[0].district, "顾官屯镇");
    check_row(&cov->districts[0], 4, 3, 1, 0, 1, 1, 168 + 72 + 168, 204);
    check_row(&cov->districts[1], 4, 1, 1, 2, 0, 0, 14, 0);
    check_row(&cov->total, 8, 4, 2, 2, 1, 1, 422, 204);
    assert_int_equal(cov->ngroups, 6);
    const char *want[][2] = {{"water_supply", "顾官屯镇"},  {"water_supply", "许营镇"},
                             {"drainage", "顾官屯镇"},      {"drainage", "许营镇"},
                             {"manhole_cover", "顾官屯镇"}, {"manhole_cover", "许营镇"}};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(cov->groups[i].category, want[i][0]);
        assert_string_equal(cov->groups[i].district, want[i][1]);
    }
    check_row(&cov->groups[0], 2, 2, 0, 0, 1, 1, 240, 204);
    check_row(&cov->groups[1], 2, 0, 1, 1, 0, 0, 0, 0);
}

static void test_targets(void **state)
{
    (void)state;
    double months = 32 / COV_MONTH_DAYS; /* 2026-11-29 .. 2026-12-31 */
    const struct cov_target *ws = &cov->targets[0], *dr = &cov->targets[1], *mc = &cov->targets[2];
    assert_true(fabs(ws->target - 0.8) < 1e-12);
    assert_int_equal(ws->needed, 4);
    assert_int_equal(ws->gap, 2);
    assert_true(fabs(ws->months_left - months) < 1e-9);
    assert_true(fabs(ws->pace_needed - 2 / months) < 1e-9);
    assert_true(fabs(ws->pace_recent - 1.0 / 3) < 1e-9); /* A2 only */
    assert_true(fabs(ws->projected - (2 + months / 3) / 4) < 1e-9);
    assert_false(ws->on_track);
    assert_int_equal(dr->needed, 1); /* 50% of 2 */
    assert_int_equal(dr->gap, 1);
    assert_true(isinf(dr->pace_needed)); /* overdue */
    assert_false(dr->on_track);
    assert_int_equal(mc->needed, 2);
    assert_int_equal(mc->gap, 0);
    assert_true(mc->pace_needed == 0);
    assert_true(mc->on_track);
    assert_int_equal(cov->total_target.needed, 7);
    assert_int_equal(cov->total_target.gap, 3);
    assert_true(isinf(cov->total_target.pace_needed));
    assert_true(fabs(cov->total_target.pace_recent - 1.0) < 1e-9); /* A2, A7, A9 */
    assert_false(cov->total_target.on_track);
}

static void test_trend(void **state)
{
    (void)state;
    const struct cov_trend *t = &cov->trends[0];
    assert_null(t->category);
    assert_int_equal(t->nmonths, 24); /* 2025-01 .. 2026-12 */
    assert_int_equal(t->months[0].year, 2025);
    assert_int_equal(t->months[0].month, 1);
    assert_int_equal(t->months[0].upgraded, 1);
    assert_true(fabs(t->months[0].coverage - 1.0 / 8) < 1e-12);
    assert_int_equal(t->months[19].month, 8);
    assert_int_equal(t->months[19].upgraded, 1);
    assert_int_equal(t->months[20].upgraded, 2); /* 2026-09: A9 */
    assert_int_equal(t->months[21].upgraded, 3); /* 2026-10: A7 */
    assert_int_equal(t->months[22].upgraded, 4); /* 2026-11: A2; A3 is after the period */
    assert_false(t->months[22].projected);
    assert_true(t->months[23].projected);
    assert_true(fabs(t->months[23].coverage - (4 + 32 / COV_MONTH_DAYS) / 8) < 1e-9);
    assert_int_equal(cov->ntrends, 4);
    assert_string_equal(cov->trends[2].category, "drainage");
    assert_true(cov->trends[2].months[cov->trends[2].nmonths - 1].coverage == 0);
}

static void test_lists(void **state)
{
    (void)state;
    assert_int_equal(cov->offline_total, 1);
    assert_string_equal(cov->offline[0].asset->asset_id, "A2");
    assert_int_equal(cov->never_total, 2);
    assert_string_equal(cov->never[0].asset->asset_id, "A9"); /* waiting longest */
    assert_string_equal(cov->never[1].asset->asset_id, "A7");
    assert_int_equal(cov->lowest_total, 1);
    assert_string_equal(cov->lowest[0].asset->asset_id, "A2");
    assert_true(fabs(cov->lowest[0].completeness - 0.5) < 1e-12);
    assert_int_equal(cov->unregistered_total, 1);
    assert_string_equal(cov->unregistered[0].device, "x1");
    assert_string_equal(cov->unregistered[0].district, "九州街道");
    assert_int_equal(cov->unregistered[0].stored, 5);
}

static void test_empty_registry(void **state)
{
    (void)state;
    struct cov_options o = {.from_ms = 0,
                            .to_ms = COV_DAY_MS,
                            .now_ms = COV_DAY_MS,
                            .effective_threshold = 0.9,
                            .def_target = {"", 0.8, 20000}};
    struct coverage *c = coverage_compute(NULL, NULL, counts, &o);
    assert_non_null(c);
    assert_int_equal(c->ngroups, 0);
    assert_int_equal(c->total.assets, 0);
    assert_true(c->total.coverage == 0 && c->total.effective_coverage == 0);
    assert_int_equal(c->total_target.gap, 0);
    assert_int_equal(c->unregistered_total, 4); /* no registry: every device */
    struct buf b;
    buf_init(&b, 1 << 22);
    struct report_meta m = {REPORT_EN, 0};
    for (int f = REPORT_HTML; f <= REPORT_MD; f++)
        assert_int_equal(report_render(c, (enum report_format)f, &m, &b), 0);
    buf_free(&b);
    coverage_free(c);
}

static void test_parse_target(void **state)
{
    (void)state;
    struct cov_target_spec t;
    char why[256];
    assert_int_equal(coverage_parse_target("sewage=85%@2027-06-30", 1, &t, why, sizeof why), 0);
    assert_string_equal(t.category, "sewage");
    assert_true(fabs(t.target - 0.85) < 1e-12);
    char d[16];
    coverage_format_date(t.date, d, sizeof d);
    assert_string_equal(d, "2027-06-30");
    assert_int_equal(coverage_parse_target("sewage=100", 77, &t, why, sizeof why), 0);
    assert_int_equal(t.date, 77);
    assert_int_equal(coverage_parse_target("sewage=101", 1, &t, why, sizeof why), -EINVAL);
    assert_int_equal(coverage_parse_target("=50", 1, &t, why, sizeof why), -EINVAL);
    assert_int_equal(coverage_parse_target("x=50@2026-02-30", 1, &t, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "fix:"));
}

static void test_csv(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 22);
    struct report_meta m = {REPORT_ZH, 0};
    assert_int_equal(report_csv(cov, &m, &b), 0);
    assert_memory_equal(b.data, "\xEF\xBB\xBF", 3);
    assert_non_null(
        strstr(b.data, "明细,water_supply,二次供水,顾官屯镇,2,2,0,0,100.0,1,85.0,1,50.0\r\n"));
    assert_non_null(strstr(b.data, "合计,,合计,合计,8,4,2,2,50.0,1,48.3,1,12.5\r\n"));
    buf_free(&b);
}

static void test_json(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 22);
    struct report_meta m = {REPORT_EN, 1};
    assert_int_equal(report_json(cov, &m, &b), 0);
    cJSON *doc = cJSON_Parse(b.data);
    assert_non_null(doc);
    const cJSON *groups = cJSON_GetObjectItem(doc, "groups");
    assert_int_equal(cJSON_GetArraySize(groups), 6);
    const cJSON *g = cJSON_GetArrayItem(groups, 0);
    assert_string_equal(cJSON_GetObjectItem(g, "category")->valuestring, "water_supply");
    assert_string_equal(cJSON_GetObjectItem(g, "district")->valuestring, "顾官屯镇");
    assert_int_equal(cJSON_GetObjectItem(g, "assets")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(g, "upgraded")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(g, "online")->valueint, 1);
    assert_true(fabs(cJSON_GetObjectItem(g, "coverage")->valuedouble - 1) < 1e-9);
    assert_true(fabs(cJSON_GetObjectItem(g, "completeness")->valuedouble - 0.85) < 1e-9);
    assert_true(fabs(cJSON_GetObjectItem(g, "effective_coverage")->valuedouble - 0.5) < 1e-9);
    g = cJSON_GetArrayItem(groups, 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(g, "completeness")));
    const cJSON *dr = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "targets"), 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(dr, "pace_needed")));
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "total"), "assets")->valueint, 8);
    const cJSON *never = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "worst"), "never_reported");
    assert_int_equal(cJSON_GetObjectItem(never, "total")->valueint, 2);
    cJSON_Delete(doc);
    buf_free(&b);
}

static void test_html_escapes(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 22);
    struct report_meta m = {REPORT_ZH, 0};
    assert_int_equal(report_html(cov, &m, &b), 0);
    assert_null(strstr(b.data, "<script"));
    assert_non_null(strstr(b.data, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(b.data, "城市生命线设备改造覆盖率报告"));
    assert_non_null(strstr(b.data, "<svg"));
    assert_null(strstr(b.data, "http://fonts"));
    assert_null(strstr(b.data, "src="));
    buf_reset(&b);
    assert_int_equal(report_md(cov, &m, &b), 0);
    assert_non_null(strstr(b.data, "\\<script\\>alert(1)\\</script\\>"));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_trend),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_empty_registry),
        cmocka_unit_test(test_parse_target),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_html_escapes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
