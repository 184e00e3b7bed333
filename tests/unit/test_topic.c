#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "topic.h"

static struct topic_template *compile(const char *tmpl)
{
    char err[200] = "";
    struct topic_template *t = topic_template_new(tmpl, err, sizeof err);
    if (!t)
        fail_msg("template '%s' refused: %s", tmpl, err);
    return t;
}

static void refused(const char *tmpl, const char *want)
{
    char err[200] = "";
    errno = 0;
    struct topic_template *t = topic_template_new(tmpl, err, sizeof err);
    if (t) {
        topic_template_free(t);
        fail_msg("template '%s' accepted", tmpl);
    }
    assert_int_equal(errno, EINVAL);
    assert_string_equal(err, want);
}

static int match(const struct topic_template *t, const char *topic, struct topic_match *m)
{
    return topic_template_match(t, topic, strlen(topic), m);
}

/* Asserts that segment `name` is exactly `want`. */
static void seg_is(const struct topic_match *m, const char *name, const char *want)
{
    size_t len = 99;
    const char *v = topic_match_get(m, name, &len);
    if (!v)
        fail_msg("no segment %s", name);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(v, want, len);
}

static void test_default_template(void **state)
{
    (void)state;
    struct topic_template *t = compile(TOPIC_DEFAULT_TEMPLATE);
    struct topic_match m;
    const char *topic = "lifeline/jiuzhou/water_supply/pump-01";
    assert_int_equal(match(t, topic, &m), 0);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.seg[0].name, "district");
    assert_string_equal(m.seg[1].name, "category");
    assert_string_equal(m.seg[2].name, "device");
    seg_is(&m, "district", "jiuzhou");
    seg_is(&m, "category", "water_supply");
    seg_is(&m, "device", "pump-01");
    /* Slices point into the topic itself. */
    size_t len;
    assert_ptr_equal(topic_match_get(&m, "device", &len), topic + 30);
    assert_null(m.tail);
    assert_int_equal(m.tail_len, 0);

    len = 99;
    assert_null(topic_match_get(&m, "nope", &len));
    assert_int_equal(len, 0);
    topic_template_free(t);
    topic_template_free(NULL);
}

static void test_mismatches(void **state)
{
    (void)state;
    struct topic_template *t = compile(TOPIC_DEFAULT_TEMPLATE);
    struct topic_match m;
    assert_int_equal(match(t, "lifelinX/d/c/dev", &m), -EINVAL);
    assert_int_equal(match(t, "Lifeline/d/c/dev", &m), -EINVAL);
    assert_int_equal(match(t, "lifelin/d/c/dev", &m), -EINVAL);
    assert_int_equal(match(t, "lifeline2/d/c/dev", &m), -EINVAL);
    /* too few / too many levels */
    assert_int_equal(match(t, "lifeline/d/c", &m), -EINVAL);
    assert_int_equal(match(t, "lifeline", &m), -EINVAL);
    assert_int_equal(match(t, "", &m), -EINVAL);
    assert_int_equal(match(t, "lifeline/d/c/dev/extra", &m), -EINVAL);
    assert_int_equal(match(t, "lifeline/d/c/dev/", &m), -EINVAL);
    assert_int_equal(match(t, "/lifeline/d/c/dev", &m), -EINVAL);
    /* empty named level */
    assert_int_equal(match(t, "lifeline//c/dev", &m), -EINVAL);
    assert_int_equal(match(t, "lifeline/d/c/", &m), -EINVAL);
    assert_int_equal(match(t, "lifeline/d//dev", &m), -EINVAL);
    /* NUL inside the topic */
    static const char nul[] = "lifeline/d/c/de\0v";
    assert_int_equal(topic_template_match(t, nul, sizeof nul - 1, &m), -EINVAL);
    /* Only len bytes count. */
    const char *longer = "lifeline/d/c/dev/more";
    assert_int_equal(topic_template_match(t, longer, 16, &m), 0);
    seg_is(&m, "device", "dev");
    assert_int_equal(topic_template_match(t, longer, 12, &m), -EINVAL);
    assert_int_equal(topic_template_match(t, longer, 13, &m), -EINVAL);
    topic_template_free(t);
}

static void test_hash_tail(void **state)
{
    (void)state;
    struct topic_template *t = compile("city/{category}/{device}/#");
    struct topic_match m;
    assert_int_equal(match(t, "city/drainage/well-7", &m), 0); /* zero levels */
    seg_is(&m, "device", "well-7");
    assert_null(m.tail);
    assert_int_equal(m.tail_len, 0);
    assert_int_equal(match(t, "city/drainage/well-7/", &m), 0); /* one empty level */
    assert_non_null(m.tail);
    assert_int_equal(m.tail_len, 0);
    assert_int_equal(match(t, "city/drainage/well-7/up/level", &m), 0);
    assert_int_equal(m.tail_len, 8);
    assert_memory_equal(m.tail, "up/level", 8);
    seg_is(&m, "category", "drainage");
    assert_int_equal(match(t, "city/drainage", &m), -EINVAL);
    assert_int_equal(match(t, "town/drainage/well-7/x", &m), -EINVAL);
    topic_template_free(t);
}

static void test_alink_template(void **state)
{
    (void)state;
    /* Leading empty literal level, names not at the end. */
    struct topic_template *t = compile("/sys/{category}/{device}/thing/event/property/post");
    struct topic_match m;
    assert_int_equal(match(t, "/sys/a1B2c3/井盖-9/thing/event/property/post", &m), 0);
    seg_is(&m, "category", "a1B2c3");
    seg_is(&m, "device", "井盖-9");
    assert_int_equal(match(t, "sys/a1B2c3/x/thing/event/property/post", &m), -EINVAL);
    assert_int_equal(match(t, "/sys/a1B2c3/x/thing/event/alarm/post", &m), -EINVAL);
    topic_template_free(t);
}

static void test_chinese_and_hostile(void **state)
{
    (void)state;
    struct topic_template *t = compile(TOPIC_DEFAULT_TEMPLATE);
    struct topic_match m;
    assert_int_equal(match(t, "lifeline/顾官屯镇/water_supply/泵房-01", &m), 0);
    seg_is(&m, "district", "顾官屯镇");
    seg_is(&m, "category", "water_supply");
    seg_is(&m, "device", "泵房-01");
    assert_int_equal(match(t, "lifeline/a,b=c d/x\\y\"z/ =,\t", &m), 0);
    seg_is(&m, "district", "a,b=c d");
    seg_is(&m, "category", "x\\y\"z");
    seg_is(&m, "device", " =,\t");
    topic_template_free(t);
}

static void test_max_names(void **state)
{
    (void)state;
    char tmpl[512] = "{category}/{device}";
    size_t len = strlen(tmpl);
    for (int i = 2; i < TOPIC_MAX_NAMES; i++)
        len += (size_t)snprintf(tmpl + len, sizeof tmpl - len, "/{n%d}", i);
    struct topic_template *t = compile(tmpl);
    char topic[512] = "c/d";
    len = strlen(topic);
    for (int i = 2; i < TOPIC_MAX_NAMES; i++)
        len += (size_t)snprintf(topic + len, sizeof topic - len, "/v%d", i);
    struct topic_match m;
    assert_int_equal(match(t, topic, &m), 0);
    assert_int_equal(m.n, TOPIC_MAX_NAMES);
    seg_is(&m, "n15", "v15");
    topic_template_free(t);

    snprintf(tmpl + strlen(tmpl), sizeof tmpl - strlen(tmpl), "/{one_more}");
    refused(tmpl, "more than 16 named levels");
}

static void test_bad_templates(void **state)
{
    (void)state;
    refused("", "template is empty");
    refused("lifeline/{district}/{category}", "template has no {device} level");
    refused("lifeline/{district}/{device}", "template has no {category} level");
    refused("lifeline/{district}/{category}/{device}/{district}",
            "level 5: duplicate name {district}");
    refused("lifeline/{device}/{category}/{device}", "level 4: duplicate name {device}");
    refused("lifeline/{district/{category}/{device}", "level 2 '{district': unclosed brace");
    refused("lifeline/{category}/{device", "level 3 '{device': unclosed brace");
    refused("lifeline/district}/{category}/{device}", "level 2 'district}': '}' without '{'");
    refused("lifeline/}{/{category}/{device}", "level 2 '}{': '}' without '{'");
    refused("lifeline/x{district}/{category}/{device}",
            "level 2 'x{district}': a {name} must be a whole level");
    refused("lifeline/{district}x/{category}/{device}",
            "level 2 '{district}x': a {name} must be a whole level");
    refused("lifeline/{}/{category}/{device}", "level 2 '{}': a name must match [a-z_][a-z0-9_]*");
    refused("lifeline/{District}/{category}/{device}",
            "level 2 '{District}': a name must match [a-z_][a-z0-9_]*");
    refused("lifeline/{9d}/{category}/{device}",
            "level 2 '{9d}': a name must match [a-z_][a-z0-9_]*");
    refused("lifeline/{a-b}/{category}/{device}",
            "level 2 '{a-b}': a name must match [a-z_][a-z0-9_]*");
    refused("lifeline/#/{category}/{device}", "'#' must be the last level");
    refused("lifeline/+/{category}/{device}",
            "level 2 '+': '+' and '#' are mqtt wildcards; use {name} for one level or '#' alone "
            "as the last level");
    refused("lifeline/{category}/{device}/a#",
            "level 4 'a#': '+' and '#' are mqtt wildcards; use {name} for one level or '#' alone "
            "as the last level");

    char tmpl[200] = "{category}/{device}";
    for (int i = 0; i < TOPIC_MAX_LEVELS - 2; i++)
        snprintf(tmpl + strlen(tmpl), sizeof tmpl - strlen(tmpl), "/x");
    struct topic_template *t = compile(tmpl);
    topic_template_free(t);
    snprintf(tmpl + strlen(tmpl), sizeof tmpl - strlen(tmpl), "/x");
    refused(tmpl, "more than 32 levels");

    /* NULL err is allowed. */
    errno = 0;
    assert_null(topic_template_new("a/b", NULL, 0));
    assert_int_equal(errno, EINVAL);
    /* A short err buffer is cut, still terminated. */
    char small[10];
    assert_null(topic_template_new("x/{device}", small, sizeof small));
    assert_string_equal(small, "template ");
}

static void test_names_are_lowercase_underscore(void **state)
{
    (void)state;
    struct topic_template *t = compile("{_zone}/{category}/{device_2}/{device}");
    struct topic_match m;
    assert_int_equal(match(t, "z/c/d2/d", &m), 0);
    seg_is(&m, "_zone", "z");
    seg_is(&m, "device_2", "d2");
    seg_is(&m, "device", "d");
    topic_template_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_template),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_hash_tail),
        cmocka_unit_test(test_alink_template),
        cmocka_unit_test(test_chinese_and_hostile),
        cmocka_unit_test(test_max_names),
        cmocka_unit_test(test_bad_templates),
        cmocka_unit_test(test_names_are_lowercase_underscore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
