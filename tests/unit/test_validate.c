/* validate: every refusal reason with its exact detail, aliases, coercions,
 * RSRP normalisation, the duplicate window and partial mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "validate.h"

#define NOW INT64_C(1764380000000) /* 2025-11-29T01:33:20Z */

static struct profile_set *set;
static struct reading r;
static struct validate_result res;

static const struct validate_opts defaults = {
    .max_age_ms = 7 * 86400 * 1000LL, .max_future_ms = 300000, .duplicate_window_ms = 3600000};

static int setup(void **state)
{
    (void)state;
    set = profile_set_load(NULL, NULL, NULL);
    return set && reading_init(&r, 4096) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    profile_set_free(set);
    reading_free(&r);
    return 0;
}

static void start(int64_t ts)
{
    reading_reset(&r);
    r.ts_ms = ts;
}

static struct field *add(const char *key, enum field_type t)
{
    struct field *f = reading_add_field(&r);
    f->key = key;
    f->key_len = strlen(key);
    f->type = t;
    return f;
}

static void num(const char *key, double v)
{
    add(key, FIELD_FLOAT)->v.f = v;
}

static void str(const char *key, const char *v)
{
    struct field *f = add(key, FIELD_STRING);
    f->v.s.ptr = v;
    f->v.s.len = strlen(v);
}

static int run(struct validator *v, const char *cat, const char *dev, int64_t now)
{
    struct validate_subject s = {
        dev, strlen(dev), cat, strlen(cat), profile_set_find(set, cat, strlen(cat)), false};
    return validate_reading(v, &s, &r, now, &res);
}

static void refused(struct validator *v, const char *cat, enum reason why, const char *detail)
{
    assert_int_equal(run(v, cat, "dev-1", NOW), -EINVAL);
    assert_string_equal(reason_name(res.why), reason_name(why));
    assert_string_equal(res.detail, detail);
}

static void test_accept_alias_coerce(void **state)
{
    (void)state;
    struct validator *v = validator_new(&defaults);
    start(NOW - 1000);
    num("tiltAngle", 12.5);
    add("open", FIELD_INT)->v.i = 1;
    add("battery_pct", FIELD_INT)->v.i = 87;
    str("vendor_note", "x");
    assert_int_equal(run(v, "manhole_cover", "c1", NOW), 0);
    assert_int_equal(r.nfields, 4);
    assert_string_equal(r.fields[0].key, "tilt");
    assert_int_equal(r.fields[0].key_len, 4);
    assert_int_equal(r.fields[1].type, FIELD_BOOL);
    assert_true(r.fields[1].v.b);
    assert_int_equal(r.fields[2].type, FIELD_FLOAT);
    assert_true(r.fields[2].v.f == 87.0);
    assert_string_equal(r.fields[3].key, "vendor_note");
    assert_int_equal(res.nunknown, 1);
    assert_int_equal(res.nbad, 0);
    assert_false(res.rsrp_normalised);
    validator_free(v);
}

static void test_each_reason(void **state)
{
    (void)state;
    struct validate_opts o = defaults;
    o.reject_unknown_fields = true;
    o.quarantine_unknown_devices = true;
    struct validator *v = validator_new(&o);

    start(NOW);
    num("pressure_out", 2.3);
    refused(v, "water_supply", REASON_RANGE, "field 'pressure_out' = 2.3 outside 0..1.6 MPa");
    start(NOW);
    num("tiltAngle", 95);
    refused(v, "manhole_cover", REASON_RANGE, "field 'tiltAngle' (tilt) = 95 outside 0..90 °");
    start(NOW);
    num("w01018", -0.5);
    refused(v, "sewage", REASON_RANGE, "field 'w01018' = -0.5 outside 0..100000 mg/L");
    start(NOW);
    num("w01018_cou", -1);
    refused(v, "sewage", REASON_RANGE, "field 'w01018_cou' = -1 below 0 kg");
    start(NOW);
    str("pressure_out", "0.3");
    refused(v, "water_supply", REASON_TYPE,
            "field 'pressure_out' is a string, the water_supply profile wants a float");
    start(NOW);
    num("open", 2);
    refused(v, "manhole_cover", REASON_TYPE,
            "field 'open' is a number, the manhole_cover profile wants a bool");
    start(NOW);
    add("w01018_flag", FIELD_BOOL)->v.b = true;
    refused(v, "sewage", REASON_TYPE,
            "field 'w01018_flag' is a bool, the sewage profile wants a string");
    start(NOW);
    num("flow", NAN);
    refused(v, "water_supply", REASON_NOT_FINITE, "field 'flow' is not a finite number");
    start(NOW);
    num("colour", 1);
    refused(v, "water_supply", REASON_UNKNOWN_FIELD,
            "field 'colour' is not in the water_supply profile");
    start(NOW);
    num("ppm", 1);
    refused(v, "gas", REASON_UNKNOWN_FIELD, "field 'ppm': category 'gas' has no profile");
    start(NOW + 301000);
    num("flow", 1);
    refused(v, "water_supply", REASON_TIMESTAMP,
            "time 2025-11-29T01:38:21.000Z is 301 s in the future (validate.max_future_s 300)");
    start(NOW - 8 * 86400000LL - 5);
    num("flow", 1);
    refused(v, "water_supply", REASON_TIMESTAMP,
            "time 2025-11-21T01:33:19.995Z is 691200 s old (validate.max_age_s 604800)");
    start(NOW);
    add("tilt", FIELD_FLOAT)->ts_ms = NOW + 600000;
    refused(v, "manhole_cover", REASON_TIMESTAMP,
            "field 'tilt' time 2025-11-29T01:43:20.000Z is 600 s in the future "
            "(validate.max_future_s 300)");
    start(NOW);
    num("tilt", 1);
    num("tiltAngle", 2);
    refused(v, "manhole_cover", REASON_MALFORMED, "field 'tiltAngle' names tilt a second time");

    start(NOW);
    num("tilt", 1);
    struct validate_subject s = {
        "ghost", 5, "manhole_cover", 13, profile_set_find(set, "manhole_cover", 13), true};
    assert_int_equal(validate_reading(v, &s, &r, NOW, &res), -EINVAL);
    assert_int_equal(res.why, REASON_UNKNOWN_DEVICE);
    assert_string_equal(res.detail, "device 'ghost' is not in the registry "
                                    "(registry.unknown_devices is quarantine)");
    validator_free(v);

    /* flag policy: an unregistered device passes */
    v = validator_new(&defaults);
    start(NOW);
    num("tilt", 1);
    assert_int_equal(validate_reading(v, &s, &r, NOW, &res), 0);
    validator_free(v);
}

static void test_receipt_time_not_judged(void **state)
{
    (void)state;
    struct validator *v = validator_new(&defaults);
    start(NOW - 30 * 86400000LL);
    r.ts_from_receipt = true;
    num("flow", 1);
    assert_int_equal(run(v, "water_supply", "p", NOW), 0);
    validator_free(v);
}

static void rsrp(double in, double out, bool normalised)
{
    struct validator *v = validator_new(&defaults);
    start(NOW);
    num("RSRP", in);
    assert_int_equal(run(v, "manhole_cover", "c", NOW), 0);
    assert_string_equal(r.fields[0].key, "rsrp");
    assert_true(r.fields[0].v.f == out);
    assert_int_equal(res.rsrp_normalised, normalised);
    validator_free(v);
}

static void test_rsrp(void **state)
{
    (void)state;
    rsrp(114, -114, true);
    rsrp(-1140, -114, true);
    rsrp(1145, -114.5, true);
    rsrp(-95, -95, false);
    struct validator *v = validator_new(&defaults);
    start(NOW);
    num("rsrp", -20);
    refused(v, "manhole_cover", REASON_RANGE, "field 'rsrp' = -20 outside -140..-44 dBm");
    validator_free(v);
}

static int dup(struct validator *v, int64_t ts, double a, double b, bool swap, int64_t now)
{
    start(ts);
    if (swap) {
        num("snr", b);
        num("tilt", a);
    } else {
        num("tilt", a);
        num("snr", b);
    }
    int rc = run(v, "manhole_cover", "cover-1", now);
    if (rc == 0)
        validate_remember(v, &res, now);
    return rc;
}

static void test_duplicate_window(void **state)
{
    (void)state;
    struct validator *v = validator_new(&defaults);
    assert_int_equal(dup(v, NOW, 1, 2, false, NOW), 0);
    assert_int_equal(dup(v, NOW, 1, 2, false, NOW + 1000), 0); /* redelivery */
    assert_int_equal(dup(v, NOW, 1, 2, true, NOW + 2000), 0);  /* same values, other order */
    assert_int_equal(dup(v, NOW, 1, 3, false, NOW + 10000), -EINVAL);
    assert_int_equal(res.why, REASON_DUPLICATE);
    assert_string_equal(res.detail, "device 'cover-1' sent time 2025-11-29T01:33:20.000Z again "
                                    "with other values (first 10 s ago)");
    assert_int_equal(dup(v, NOW + 1, 1, 3, false, NOW + 10000), 0); /* another time */
    /* after the window the first is forgotten */
    assert_int_equal(dup(v, NOW, 1, 3, false, NOW + 3600001), 0);
    /* another device, same time and other values: fine */
    start(NOW);
    num("tilt", 9);
    assert_int_equal(run(v, "manhole_cover", "cover-2", NOW), 0);
    validator_free(v);

    struct validate_opts off = defaults;
    off.duplicate_window_ms = 0;
    v = validator_new(&off);
    assert_int_equal(dup(v, NOW, 1, 2, false, NOW), 0);
    assert_int_equal(dup(v, NOW, 1, 3, false, NOW), 0);
    validator_free(v);
}

static void test_partial(void **state)
{
    (void)state;
    struct validate_opts o = defaults;
    o.partial = true;
    struct validator *v = validator_new(&o);
    start(NOW);
    num("pressure_out", 2.3);
    num("flow", 118.5);
    str("ph", "seven");
    assert_int_equal(run(v, "water_supply", "p1", NOW), 0);
    assert_int_equal(r.nfields, 1);
    assert_string_equal(r.fields[0].key, "flow");
    assert_int_equal(res.nbad, 2);
    assert_int_equal(res.why, REASON_RANGE);
    assert_string_equal(res.detail, "field 'pressure_out' = 2.3 outside 0..1.6 MPa; field 'ph' "
                                    "is a string, the water_supply profile wants a float");
    /* nothing good left: refused whole */
    start(NOW);
    num("pressure_out", 2.3);
    assert_int_equal(run(v, "water_supply", "p1", NOW), -EINVAL);
    assert_int_equal(res.why, REASON_RANGE);
    validator_free(v);

    /* default: one bad field refuses the reading */
    v = validator_new(&defaults);
    start(NOW);
    num("pressure_out", 2.3);
    num("flow", 118.5);
    assert_int_equal(run(v, "water_supply", "p1", NOW), -EINVAL);
    assert_int_equal(res.nbad, 1);
    validator_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_alias_coerce),     cmocka_unit_test(test_each_reason),
        cmocka_unit_test(test_receipt_time_not_judged), cmocka_unit_test(test_rsrp),
        cmocka_unit_test(test_duplicate_window),        cmocka_unit_test(test_partial),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
