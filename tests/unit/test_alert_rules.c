/*
 * alert_rules_check: operator rules against the built-in category profiles
 * (misspelled fields and categories, aliases, thresholds of the wrong type),
 * and the name distance behind its suggestions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alert_rules.h"
#include "profile.h"
#include "strdist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct profile_set *ps;

static int setup(void **state)
{
    (void)state;
    int n = 0;
    ps = profile_set_load(NULL, NULL, &n);
    return ps && n == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    profile_set_free(ps);
    return 0;
}

/* Parses one rule, checks it; the errors and warnings as text. */
static int check(const char *rule, bool extras, char *err, size_t errlen, char *warn,
                 size_t warnlen)
{
    char text[1024];
    snprintf(text, sizeof text, "{\"rules\": [%s]}", rule);
    struct buf e, w;
    buf_init(&e, 1 << 16);
    buf_init(&w, 1 << 16);
    int n = 0;
    struct alert_rules *r = alert_rules_parse("rules.json", text, strlen(text), &e, &n);
    assert_non_null(r);
    assert_int_equal(n, 0);
    int got = alert_rules_check(r, ps, extras, "rules.json", &e, &w);
    snprintf(err, errlen, "%.*s", (int)e.len, e.data ? e.data : "");
    snprintf(warn, warnlen, "%.*s", (int)w.len, w.data ? w.data : "");
    alert_rules_free(r);
    buf_free(&e);
    buf_free(&w);
    return got;
}

static void test_good_rules_are_silent(void **state)
{
    (void)state;
    char e[1024], w[1024];
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"pressure_out\", \"comparison\": \"<\", "
                           "\"threshold\": 0.2, \"category\": \"water_supply\"}",
                           false, e, sizeof e, w, sizeof w),
                     0);
    assert_string_equal(e, "");
    assert_string_equal(w, "");
    /* unscoped: a field of any profile will do; a bool rule on a bool field */
    assert_int_equal(check("{\"name\": \"b\", \"field\": \"pump_fault\", \"comparison\": \"==\", "
                           "\"threshold\": true}",
                           false, e, sizeof e, w, sizeof w),
                     0);
    assert_string_equal(e, "");
    assert_string_equal(w, "");
}

static void test_example_rules_file_is_clean(void **state)
{
    (void)state;
    struct buf e, w;
    buf_init(&e, 1 << 16);
    buf_init(&w, 1 << 16);
    int n = 0;
    struct alert_rules *r =
        alert_rules_load(LIFELINE_SOURCE_DIR "/config/rules.example.json", &e, &n);
    assert_non_null(r);
    assert_int_equal(alert_rules_check(r, ps, false, "rules.example.json", &e, &w), 0);
    assert_int_equal(e.len, 0);
    assert_int_equal(w.len, 0);
    alert_rules_free(r);
    buf_free(&e);
    buf_free(&w);
}

static void test_misspelled_field(void **state)
{
    (void)state;
    char e[1024], w[1024];
    const char *rule = "{\"name\": \"a\", \"field\": \"presure_out\", \"comparison\": \"<\", "
                       "\"threshold\": 0.2, \"category\": [\"water_supply\"]}";
    /* extras accepted: it may be a vendor extra, so a warning */
    assert_int_equal(check(rule, true, e, sizeof e, w, sizeof w), 0);
    assert_string_equal(e, "");
    assert_string_equal(w, "rules.json: rules[0].field: 'presure_out' is not a field of the "
                           "profiles of its categories: the rule fires only on readings that "
                           "carry it as a vendor extra; did you mean 'pressure_out'?\n");
    /* extras refused: no reading can carry it, so an error */
    assert_int_equal(check(rule, false, e, sizeof e, w, sizeof w), 1);
    assert_string_equal(w, "");
    assert_string_equal(e, "rules.json: rules[0].field: 'presure_out' is not a field of the "
                           "profiles of its categories, and validate.unknown_fields is reject, "
                           "so no reading can carry it; fix: did you mean 'pressure_out'?\n");
    /* nothing close: no suggestion */
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"door_state\", \"comparison\": \"==\", "
                           "\"threshold\": \"open\"}",
                           false, e, sizeof e, w, sizeof w),
                     1);
    assert_string_equal(e, "rules.json: rules[0].field: 'door_state' is not a field of any "
                           "profile, and validate.unknown_fields is reject, so no reading can "
                           "carry it; fix: name a profile field\n");
}

static void test_field_of_another_category(void **state)
{
    (void)state;
    char e[1024], w[1024];
    /* water_level is a drainage field, not a water_supply one */
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"water_level\", \"comparison\": \">\", "
                           "\"threshold\": 2, \"category\": \"water_supply\"}",
                           false, e, sizeof e, w, sizeof w),
                     1);
    assert_non_null(strstr(e, "'water_level' is not a field of the profiles of its categories"));
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"water_level\", \"comparison\": \">\", "
                           "\"threshold\": 2, \"category\": [\"water_supply\", \"drainage\"]}",
                           false, e, sizeof e, w, sizeof w),
                     0);
}

static void test_alias_is_refused(void **state)
{
    (void)state;
    char e[1024], w[1024];
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"pressureOut\", \"comparison\": \"<\", "
                           "\"threshold\": 0.2}",
                           true, e, sizeof e, w, sizeof w),
                     1);
    assert_string_equal(e, "rules.json: rules[0].field: 'pressureOut' is an alias: readings "
                           "carry the canonical name; fix: write \"pressure_out\"\n");
}

static void test_threshold_of_wrong_type(void **state)
{
    (void)state;
    char e[1024], w[1024];
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"pump_fault\", \"comparison\": \">\", "
                           "\"threshold\": 0, \"category\": \"water_supply\"}",
                           true, e, sizeof e, w, sizeof w),
                     1);
    assert_string_equal(e, "rules.json: rules[0].threshold: is a number, but 'pump_fault' of "
                           "water_supply is bool, so the rule could never fire; fix: give a "
                           "threshold of that type\n");
}

static void test_misspelled_category(void **state)
{
    (void)state;
    char e[1024], w[1024];
    assert_int_equal(check("{\"name\": \"a\", \"field\": \"flow\", \"comparison\": \">\", "
                           "\"threshold\": 1, \"category\": [\"water_suply\", \"bridges\"]}",
                           true, e, sizeof e, w, sizeof w),
                     2);
    assert_string_equal(e, "rules.json: rules[0].category: 'water_suply' has no profile; fix: "
                           "did you mean 'water_supply'?\n"
                           "rules.json: rules[0].category: 'bridges' has no profile; fix: name a "
                           "category of the profiles (lifeline help config: profiles.dir)\n");
}

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(str_distance("pressure_out", 12, "pressure_out", 12), 0);
    assert_int_equal(str_distance("presure_out", 11, "pressure_out", 12), 1);
    assert_int_equal(str_distance("pressrue_out", 12, "pressure_out", 12), 1); /* swap */
    assert_int_equal(str_distance("FLOW", 4, "flow", 4), 0);
    assert_int_equal(str_distance("", 0, "abc", 3), 3);
    char long_name[STRDIST_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_true(str_distance(long_name, STRDIST_MAX + 1, "a", 1) == SIZE_MAX);
    assert_int_equal(str_distance_limit(4), 1);
    assert_int_equal(str_distance_limit(5), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_rules_are_silent),
        cmocka_unit_test(test_example_rules_file_is_clean),
        cmocka_unit_test(test_misspelled_field),
        cmocka_unit_test(test_field_of_another_category),
        cmocka_unit_test(test_alias_is_refused),
        cmocka_unit_test(test_threshold_of_wrong_type),
        cmocka_unit_test(test_misspelled_category),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
