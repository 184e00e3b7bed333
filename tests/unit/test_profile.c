/* profile: built-in set, lookups by name and alias, overrides from a directory, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "category.h"
#include "profile.h"

static char dir[256];

static void put(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/lifeline-profile-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_builtin(void **state)
{
    (void)state;
    struct buf e;
    buf_init(&e, 65536);
    int n = 0;
    struct profile_set *s = profile_set_load(NULL, &e, &n);
    assert_int_equal(n, 0);
    assert_non_null(s);
    assert_int_equal(profile_set_count(s), 6);
    static const char *const want[] = {"bridge_tunnel", "drainage",     "manhole_cover",
                                       "sewage",        "surveillance", "water_supply"};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(profile_set_at(s, i)->category, want[i]);
        assert_string_equal(profile_set_at(s, i)->source, "built-in");
    }
    const struct profile *ws = profile_set_find(s, "water_supply", 12);
    assert_non_null(ws);
    assert_int_equal(ws->report_interval_s, 300);
    bool alias = true;
    const struct profile_field *f = profile_find_field(ws, "pressure_out", 12, &alias);
    assert_non_null(f);
    assert_false(alias);
    assert_string_equal(f->unit, "MPa");
    assert_true(f->min == 0 && f->max == 1.6);
    assert_true(f->alarm.below == 0.14);
    assert_true(isnan(f->alarm.above));
    f = profile_find_field(ws, "pressureOut", 11, &alias);
    assert_true(alias);
    assert_string_equal(f->name, "pressure_out");
    assert_null(profile_find_field(ws, "pressure", 8, NULL));
    assert_null(profile_set_find(s, "water", 5));

    const struct profile *mc = profile_set_find(s, "manhole_cover", 13);
    assert_string_equal(profile_find_field(mc, "tiltAngle", 9, &alias)->name, "tilt");
    assert_string_equal(profile_find_field(mc, "RSRP", 4, &alias)->name, "rsrp");
    assert_string_equal(profile_find_field(mc, "batteryLevel", 12, &alias)->name, "battery_pct");
    assert_int_equal(profile_find_field(mc, "open", 4, NULL)->type, PROFILE_BOOL);
    assert_int_equal(profile_find_field(mc, "open", 4, NULL)->alarm.equals_bool, 1);

    /* DOMAIN.md: drainage "level above warning", manhole cover "overflow" */
    f = profile_find_field(mc, "water_level", 11, NULL);
    assert_true(f->alarm.above == 2.0 && isnan(f->alarm.below));
    const struct profile *dr = profile_set_find(s, "drainage", 8);
    f = profile_find_field(dr, "level", 5, NULL);
    assert_string_equal(f->name, "water_level");
    assert_true(f->alarm.above == 2.0 && isnan(f->alarm.below));
    assert_true(profile_find_field(dr, "rainfall_1h", 11, NULL)->alarm.above == 20.0);

    const struct profile *sw = profile_set_find(s, "sewage", 6);
    static const char *const codes[] = {"w01018", "w21003", "w21001", "w21011", "w01001", "w00000"};
    for (size_t i = 0; i < 6; i++) {
        char flag[32];
        snprintf(flag, sizeof flag, "%s_flag", codes[i]);
        assert_int_equal(profile_find_field(sw, codes[i], 6, NULL)->type, PROFILE_FLOAT);
        f = profile_find_field(sw, flag, strlen(flag), NULL);
        assert_int_equal(f->type, PROFILE_STRING);
        assert_string_equal(f->alarm.not_equals_str, "N");
    }
    assert_string_equal(profile_find_field(sw, "COD", 3, NULL)->name, "w01018");

    category_use(s);
    assert_true(category_known("sewage"));
    assert_false(category_known("gas"));
    category_use(NULL);
    assert_true(category_known("drainage"));
    profile_set_free(s);
    buf_free(&e);
}

static void test_override_and_add(void **state)
{
    (void)state;
    put("drainage.json", "{\"report_interval_s\": 60, \"fields\": {\"level\": {\"type\": "
                         "\"float\", \"unit\": \"cm\", \"min\": 0, \"max\": 500}},"
                         " \"aliases\": {\"lvl\": \"level\"}}");
    put("gas.json", "{\"category\": \"gas\", \"report_interval_s\": 30,"
                    " \"fields\": {\"ppm\": {\"type\": \"float\", \"alarm\": {\"above\": 50}}}}");
    put("notes.txt", "ignored");
    int n = 0;
    struct profile_set *s = profile_set_load(dir, NULL, &n);
    assert_int_equal(n, 0);
    assert_int_equal(profile_set_count(s), 7);
    const struct profile *d = profile_set_find(s, "drainage", 8);
    assert_int_equal(d->report_interval_s, 60);
    assert_int_equal(d->nfields, 1);
    assert_null(profile_find_field(d, "water_level", 11, NULL)); /* replaced whole */
    assert_string_equal(profile_find_field(d, "lvl", 3, NULL)->name, "level");
    char want[300];
    snprintf(want, sizeof want, "%s/drainage.json", dir);
    assert_string_equal(d->source, want);
    const struct profile *g = profile_set_find(s, "gas", 3);
    assert_non_null(g);
    assert_true(isinf(profile_find_field(g, "ppm", 3, NULL)->max));
    category_use(s);
    assert_true(category_known("gas"));
    category_use(NULL);
    profile_set_free(s);
}

static void check_error(const char *file, const char *text, const char *want_suffix)
{
    char path[512];
    put(file, text);
    struct buf e;
    buf_init(&e, 65536);
    int n = 0;
    assert_null(profile_set_load(dir, &e, &n));
    assert_int_equal(n, 1);
    snprintf(path, sizeof path, "%s/%s: %s\n", dir, file, want_suffix);
    assert_string_equal(e.data, path);
    buf_free(&e);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    unlink(path);
}

static void test_errors(void **state)
{
    (void)state;
    check_error("a.json", "{\"report_interval_s\": 60, \"fields\": {\"x\": {\"type\": \"int\"}}}",
                "fields.x.type: 'int' is unknown; fix: use float, bool or string");
    check_error("a.json", "{\"report_interval_s\": 60,\n \"fields\": {\"x\": }}",
                "line 2: invalid JSON; fix: correct the syntax there");
    check_error("a.json", "{\"fields\": {\"x\": {\"type\": \"bool\"}}}",
                "report_interval_s: missing or not a whole number of seconds from 1 to "
                "31622400; fix: write e.g. \"report_interval_s\": 300");
    check_error("a.json", "{\"category\": \"b\", \"report_interval_s\": 1, \"fields\": {}}",
                "category: does not match the file name 'a'; fix: name the file "
                "<category>.json or remove \"category\"");
    check_error("a.json",
                "{\"report_interval_s\": 1, \"fields\": {\"x\": {\"type\": \"float\"}}, "
                "\"aliases\": {\"y\": \"z\"}}",
                "aliases.y: does not name a field of this profile; fix: map it to one of the "
                "names in \"fields\"");
    check_error("a.json",
                "{\"report_interval_s\": 1, \"fields\": {\"x\": {\"type\": \"float\", "
                "\"min\": 5, \"max\": 1}}}",
                "fields.x: min 5 is above max 1; fix: swap them");
    check_error("a.json",
                "{\"report_interval_s\": 1, \"fields\": {\"x\": {\"type\": \"bool\", "
                "\"alarm\": {\"above\": 1}}}}",
                "fields.x.alarm.above: does not fit a bool field; fix: below/above take a "
                "number (float fields), equals a bool or string of the field's type, "
                "not_equals a string");
    check_error("Bad-Name.json", "{}",
                "'Bad-Name' is not a category name; fix: name the file with a-z, 0-9 and "
                "'_' only, e.g. water_supply.json");
}

static void test_missing_dir(void **state)
{
    (void)state;
    struct buf e;
    buf_init(&e, 4096);
    int n = 0;
    assert_null(profile_set_load("/nonexistent/profiles", &e, &n));
    assert_int_equal(n, 1);
    assert_string_equal(e.data, "/nonexistent/profiles: cannot open profiles.dir: No such file "
                                "or directory; fix: create it or correct profiles.dir\n");
    buf_free(&e);
}

#define DOC_BEGIN                                                                                  \
    "<!-- BEGIN generated from devices/profiles/*.json; LIFELINE_REGENERATE_DOCS=1 "               \
    "build/tests/test_profile rewrites it -->\n"
#define DOC_END "<!-- END generated -->\n"

static void read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(buf_append(b, chunk, n), 0);
    fclose(f);
}

/* One profile rendered, to see the format itself: alarms of every kind,
 * bounds given or not, aliases in file order, '|' escaped. */
static void test_reference_format(void **state)
{
    (void)state;
    static const char json[] =
        "{\"title\": {\"en\": \"Gas\", \"zh\": \"燃气\"}, \"report_interval_s\": 7200,"
        " \"fields\": {\"ppm\": {\"type\": \"float\", \"unit\": \"mg|m\", \"min\": 0.1,"
        " \"alarm\": {\"below\": 0.14, \"above\": 1000000}},"
        " \"ok\": {\"type\": \"bool\", \"alarm\": {\"equals\": false}},"
        " \"flag\": {\"type\": \"string\", \"alarm\": {\"not_equals\": \"N\"}}},"
        " \"aliases\": {\"PPM\": \"ppm\", \"okay\": \"ok\", \"p\": \"ppm\"}}";
    int n = 0;
    struct profile *p =
        profile_parse("gas", "/etc/lifeline/gas.json", json, sizeof json - 1, NULL, &n);
    assert_int_equal(n, 0);
    assert_non_null(p);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    assert_non_null(mem);
    profile_write_reference(p, mem);
    assert_int_equal(fclose(mem), 0);
    assert_string_equal(out, "### gas: Gas (燃气)\n\n"
                             "Default report interval: 7200 s (2 h). File: "
                             "`/etc/lifeline/gas.json`.\n\n"
                             "| field | type | unit | min | max | alarm | aliases |\n"
                             "|---|---|---|---|---|---|---|\n"
                             "| `ppm` | float | mg\\|m | 0.1 | – | < 0.14 or > 1000000 | `PPM`, "
                             "`p` |\n"
                             "| `ok` | bool |  |  |  | = false | `okay` |\n"
                             "| `flag` | string |  |  |  | ≠ `N` |  |\n");
    free(out);
    profile_free(p);
}

/*
 * docs/devices.md holds, between its markers, exactly what
 * profile_set_write_reference() makes of the built-in profiles.
 * LIFELINE_REGENERATE_DOCS=1 rewrites that part instead of comparing.
 */
static void test_reference_matches_docs(void **state)
{
    (void)state;
    const char *path = LIFELINE_SOURCE_DIR "/docs/devices.md";
    struct buf doc;
    buf_init(&doc, 1 << 20);
    read_file(path, &doc);
    assert_non_null(doc.data);
    char *begin = strstr(doc.data, DOC_BEGIN);
    assert_non_null(begin);
    size_t head = (size_t)(begin - doc.data) + strlen(DOC_BEGIN);
    char *end = strstr(doc.data + head, DOC_END);
    assert_non_null(end);
    size_t tail = (size_t)(end - doc.data);

    int n = 0;
    struct profile_set *s = profile_set_load(NULL, NULL, &n);
    assert_non_null(s);
    char *gen = NULL;
    size_t genlen = 0;
    FILE *mem = open_memstream(&gen, &genlen);
    assert_non_null(mem);
    fputc('\n', mem);
    profile_set_write_reference(s, mem);
    fputc('\n', mem);
    assert_int_equal(fclose(mem), 0);
    profile_set_free(s);

    const char *regen = getenv("LIFELINE_REGENERATE_DOCS");
    if (regen && strcmp(regen, "1") == 0) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(doc.data, 1, head, f), head);
        assert_int_equal(fwrite(gen, 1, genlen, f), genlen);
        assert_int_equal(fwrite(doc.data + tail, 1, doc.len - tail, f), doc.len - tail);
        assert_int_equal(fclose(f), 0);
    } else if (tail - head != genlen || memcmp(doc.data + head, gen, genlen) != 0) {
        fail_msg("%s: the tables between the generated markers differ from "
                 "devices/profiles/*.json; regenerate them with\n"
                 "  LIFELINE_REGENERATE_DOCS=1 build/tests/test_profile\n"
                 "and commit the result",
                 path);
    }
    free(gen);
    buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin),
        cmocka_unit_test_setup_teardown(test_override_and_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test(test_missing_dir),
        cmocka_unit_test(test_reference_format),
        cmocka_unit_test(test_reference_matches_docs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
