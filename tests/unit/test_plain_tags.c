/* plain_tags (which registered assets' tags need no escaping) and the
 * encoder's fast paths it relies on: lp_plain(), lp_tag.plain, and the
 * eight-byte copy of names and tag values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "category.h"
#include "lineproto.h"
#include "plain_tags.h"
#include "registry.h"

#define HEADER "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model\n"

static struct registry *load(const char *rows)
{
    char path[] = "/tmp/test_plain_tags_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(HEADER, f);
    fputs(rows, f);
    fclose(f);
    int n = 0;
    struct buf errors;
    buf_init(&errors, 1 << 16);
    struct registry *r = registry_load(path, category_known, &errors, &n);
    if (!r)
        fail_msg("registry: %s", errors.data ? errors.data : "?");
    buf_free(&errors);
    unlink(path);
    return r;
}

static const char ROWS1[] = "A-1,one,drainage,许营镇,,,upgraded,2026-01-01,dev-1,LV1\n"
                            "A-2,two,drainage,\"九州 街道\",,,upgraded,2026-01-01,dev-2,LV1\n"
                            "A-3,three,drainage,许营镇,,,upgraded,2026-01-01,dev-3,\"LV,2\"\n"
                            "A-4,four,drainage,许营镇,,,upgraded,2026-01-01,dev=4,\n";
/* the same devices after an edit: A-1 moved to a district with a blank,
 * A-2 to one without */
static const char ROWS2[] = "A-1,one,drainage,新 区,,,upgraded,2026-01-01,dev-1,LV1\n"
                            "A-2,two,drainage,九州街道,,,upgraded,2026-01-01,dev-2,LV1\n";

static void test_answers_and_reload(void **state)
{
    (void)state;
    struct registry *r1 = load(ROWS1), *r2 = load(ROWS2);
    struct plain_tags *pt = plain_tags_new(r1);
    assert_non_null(pt);
    assert_true(plain_tags_asset(pt, registry_find_device(r1, "dev-1", 5)));
    assert_false(plain_tags_asset(pt, registry_find_device(r1, "dev-2", 5))); /* district */
    assert_false(plain_tags_asset(pt, registry_find_device(r1, "dev-3", 5))); /* model */
    assert_false(plain_tags_asset(pt, registry_find_device(r1, "dev=4", 5))); /* device id */
    assert_true(plain_tags_asset(pt, registry_find_device(r1, "dev-1", 5)));  /* remembered */
    assert_false(plain_tags_asset(pt, NULL));
    /* a row of another registry is not answered from this one's memory */
    assert_false(plain_tags_asset(pt, registry_find_device(r2, "dev-2", 5)));

    /* reload: every answer is worked out again from the new rows */
    assert_int_equal(plain_tags_reset(pt, r2), 0);
    assert_false(plain_tags_asset(pt, registry_find_device(r2, "dev-1", 5)));
    assert_true(plain_tags_asset(pt, registry_find_device(r2, "dev-2", 5)));
    assert_false(plain_tags_asset(pt, registry_find_device(r1, "dev-1", 5)));

    assert_int_equal(plain_tags_reset(pt, NULL), 0); /* no registry: nothing is vouched for */
    assert_false(plain_tags_asset(pt, registry_find_device(r2, "dev-2", 5)));
    plain_tags_free(pt);
    plain_tags_free(NULL);
    registry_free(r1);
    registry_free(r2);
}

static void test_lp_plain(void **state)
{
    (void)state;
    static const char bad[] = {',', ' ', '=', '\\', '\0', '\n', '\r'};
    static const char good[] = {'!', '"', '#', '+', '-', '.', '\t', 'a', '9', (char)0xe9};
    char s[40];
    for (size_t n = 0; n < sizeof s; n++) {
        memset(s, 'x', sizeof s);
        assert_true(lp_plain(s, n));
        for (size_t at = 0; at < n; at++) {
            for (size_t k = 0; k < sizeof bad; k++) {
                s[at] = bad[k];
                assert_false(lp_plain(s, n));
            }
            for (size_t k = 0; k < sizeof good; k++) {
                s[at] = good[k];
                assert_true(lp_plain(s, n));
            }
            s[at] = 'x';
        }
    }
    assert_true(lp_plain("许营镇", strlen("许营镇")));
}

/* The escaping the header describes, byte by byte: the reference for the
 * encoder's eight-byte path. 0, or -1 when the text is refused. */
static int ref_escape(const char *s, size_t n, bool meas, char *out, size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\0' || c == '\n' || c == '\r')
            return -1;
        if (c == '\\') {
            if (i + 1 == n || strchr(",= \"\\", s[i + 1]))
                return -1;
        } else if (c == ',' || c == ' ' || (c == '=' && !meas)) {
            out[o++] = '\\';
        }
        out[o++] = c;
    }
    *len = o;
    return 0;
}

/* Random names and tag values of every length across the eight-byte chunks,
 * written with and without lp_tag.plain, against the reference. */
static void test_escape_matches_reference(void **state)
{
    (void)state;
    static const char alphabet[] = "ab9_-.,= \\\"#!\xe4\xb8\xad";
    uint64_t seed = 42;
    struct buf b;
    buf_init(&b, 1 << 16);
    for (int round = 0; round < 20000; round++) {
        char v[48], want[256], esc_v[128], esc_m[128];
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = 1 + (size_t)(seed >> 33) % 40;
        bool mostly_plain = round % 2 == 0;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t pick = (size_t)(seed >> 33) % (sizeof alphabet - 1);
            v[i] = mostly_plain && (seed >> 20) % 16 != 0 ? "ab9_-."[pick % 6] : alphabet[pick];
        }
        v[0] = v[0] == '#' ? 'x' : v[0];
        size_t lv, lm;
        int rv = ref_escape(v, n, false, esc_v, &lv), rm = ref_escape(v, n, true, esc_m, &lm);
        struct lp_tag tag = {.key = "k", .value = v, .value_len = n};
        struct field f = {.key = v, .key_len = n, .type = FIELD_INT};
        f.v.i = 1;
        buf_reset(&b);
        const char *why;
        int rc = lp_write_point(&b, v, n, &tag, 1, &f, 1, 5, &why);
        if (rv != 0 || rm != 0) {
            assert_int_equal(rc, -EINVAL);
            assert_false(lp_plain(v, n));
            continue;
        }
        assert_int_equal(rc, 0);
        int w = snprintf(want, sizeof want, "%.*s,k=%.*s %.*s=1i 5\n", (int)lm, esc_m, (int)lv,
                         esc_v, (int)lv, esc_v);
        assert_int_equal(b.len, (size_t)w);
        assert_memory_equal(b.data, want, (size_t)w);
        if (!lp_plain(v, n))
            continue;
        assert_memory_equal(esc_v, v, n); /* plain: nothing was escaped */
        tag.plain = true;
        buf_reset(&b);
        assert_int_equal(lp_write_point(&b, v, n, &tag, 1, &f, 1, 5, &why), 0);
        assert_int_equal(b.len, (size_t)w);
        assert_memory_equal(b.data, want, (size_t)w);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_and_reload),
        cmocka_unit_test(test_lp_plain),
        cmocka_unit_test(test_escape_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
