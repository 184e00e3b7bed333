/*
 * tileurl: which map tile URL templates pass (and their origin, the page's
 * img-src), and the exact problem text of each kind of bad one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tileurl.h"

#include <errno.h>
#include <string.h>

static void test_good_and_origin(void **state)
{
    (void)state;
    static const char *const good[][2] = {
        {"https://tiles.example/{z}/{x}/{y}.png", "https://tiles.example"},
        {"http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8081"},
        {"https://a-b.example.org/styles/v1/{z}/{y}/{x}?key=abc%20d", "https://a-b.example.org"},
        {"http://gis/{x}/{y}/{z}", "http://gis"},
    };
    char origin[64];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_null(tileurl_problem(good[i][0]));
        assert_int_equal(tileurl_origin(good[i][0], origin, sizeof origin), 0);
        assert_string_equal(origin, good[i][1]);
    }
    /* the origin must fit */
    assert_int_equal(tileurl_origin(good[0][0], origin, 21), -EINVAL);
    assert_int_equal(tileurl_origin(good[0][0], origin, 22), 0);
}

static void test_bad(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"ftp://t.example/{z}/{x}/{y}", "does not start with http:// or https://"},
        {"https:///{z}/{x}/{y}", "has no host"},
        {"https://:80/{z}/{x}/{y}", "has no host"},
        {"https://u:p@t.example/{z}/{x}/{y}", "has credentials in it"},
        {"https://{s}.t.example/{z}/{x}/{y}", "has a placeholder in the host"},
        {"https://t.example:/{z}/{x}/{y}", "has a bad port"},
        {"https://t.example:123456/{z}/{x}/{y}", "has a bad port"},
        {"https://[::1]:80/{z}/{x}/{y}", "has a host that is not letters"},
        {"https://t_x.example/{z}/{x}/{y}", "has a host that is not letters"},
        {"https://t.example/{z}/{x}/{y}{r}.png", "has a placeholder other than"},
        {"https://t.example/{z}/{x}/{x}/{y}", "repeats a placeholder"},
        {"https://t.example/{z}/{x}/", "lacks one of {z}, {x} and {y}"},
        {"https://t.example/{z}/{x}/{y}; script-src *", "contains a space"},
        {"https://t.example/{z}/{x}/{y}.png'", "contains a space"},
        {"https://t.example/{z}/{x}/{y}\r\nX: 1", "contains a space"},
        {"https://t.example/{z}/{x},{y}", "contains a space"},
    };
    char origin[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = tileurl_problem(bad[i][0]);
        assert_non_null(p);
        if (strncmp(p, bad[i][1], strlen(bad[i][1])) != 0)
            fail_msg("%s: want \"%s...\", have \"%s\"", bad[i][0], bad[i][1], p);
        assert_non_null(strstr(p, "; fix: "));
        assert_int_equal(tileurl_origin(bad[i][0], origin, sizeof origin), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_and_origin),
        cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
