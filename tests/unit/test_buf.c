#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "numparse.h"

static void test_append_and_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "abc"), 0);
    assert_int_equal(buf_printf(&b, "%d", 12345), 0);
    assert_string_equal(b.data, "abc12345");
    assert_int_equal(b.len, 8);
    /* One byte past the cap fails and leaves the content alone. */
    assert_int_equal(buf_putc(&b, 'x'), -E2BIG);
    assert_int_equal(buf_printf(&b, "%s", "y"), -E2BIG);
    assert_string_equal(b.data, "abc12345");
    buf_truncate(&b, 2);
    assert_string_equal(b.data, "ab");
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_free(&b);
    buf_free(&b); /* twice is fine */
    buf_free(NULL);
}

static void test_growth(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 100000);
    assert_memory_equal(b.data + 99990, "0123456789", 10);
    assert_int_equal(b.data[b.len], '\0');
    buf_free(&b);
}

static void test_num_i64(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(num_parse_i64("42", 2, 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(num_parse_i64("-9223372036854775808", 20, INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(num_parse_i64("9223372036854775807", 19, INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(num_parse_i64("9223372036854775808", 19, INT64_MIN, INT64_MAX, &v), -ERANGE);
    assert_int_equal(num_parse_i64("101", 3, 0, 100, &v), -ERANGE);
    assert_int_equal(num_parse_i64("", 0, 0, 100, &v), -EINVAL);
    assert_int_equal(num_parse_i64("-", 1, -5, 100, &v), -EINVAL);
    assert_int_equal(num_parse_i64(" 1", 2, 0, 100, &v), -EINVAL);
    assert_int_equal(num_parse_i64("1x", 2, 0, 100, &v), -EINVAL);
    /* Only the given length is read. */
    assert_int_equal(num_parse_i64("123abc", 3, 0, 1000, &v), 0);
    assert_int_equal(v, 123);
}

static void test_num_double(void **state)
{
    (void)state;
    double d;
    assert_int_equal(num_parse_double("0.31", 4, &d), 0);
    assert_true(d == 0.31);
    assert_int_equal(num_parse_double("-1.5e3", 6, &d), 0);
    assert_true(d == -1500.0);
    assert_int_equal(num_parse_double("nan", 3, &d), -EINVAL);
    assert_int_equal(num_parse_double("inf", 3, &d), -EINVAL);
    assert_int_equal(num_parse_double("0x10", 4, &d), -EINVAL);
    assert_int_equal(num_parse_double("1e999", 5, &d), -ERANGE);
    assert_int_equal(num_parse_double("1.2.3", 5, &d), -EINVAL);
    assert_int_equal(num_parse_double("", 0, &d), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_cap),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_num_i64),
        cmocka_unit_test(test_num_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
