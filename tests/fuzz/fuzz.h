/*
 * fuzz: what the fuzz targets in tests/fuzz/ share. Each fuzz_<name>.c
 * defines LLVMFuzzerTestOneInput; it is linked either with libFuzzer
 * (-DLIFELINE_FUZZ=ON, Clang) or with replay_main.c, which runs it once per
 * file of the seed corpus (every build, as a unit test).
 *
 * The checks abort() with a message on stderr when an invariant breaks, so
 * that libFuzzer (and the replay test) report the input as a crash.
 */
#ifndef LIFELINE_FUZZ_H
#define LIFELINE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "reading.h"
#include "reason.h"

/* The libFuzzer entry point: 0 always (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with "fuzz: FILE:LINE: what" when cond is false. */
#define FUZZ_CHECK(cond, what)                                                                     \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, what);                                                   \
    } while (0)

/* Prints the failed invariant and aborts. */
_Noreturn void fuzz_fail(const char *file, int line, const char *what);

/*
 * The invariants of a decoder's answer: rc is 0, -ENODATA or -EINVAL; on
 * -EINVAL why is a reason and detail[0..cap) a NUL-terminated, valid UTF-8
 * text; on 0 the reading holds 1..READING_MAX_FIELDS fields whose keys are
 * non-empty, unique, NUL-terminated at key_len, valid UTF-8 without control
 * characters, string values valid UTF-8 without NUL, floats finite; the
 * device (when given) is a slice of valid UTF-8. On 0 the reading is also
 * encoded as line protocol (fuzz_check_lineproto).
 */
void fuzz_check_decoded(int rc, const struct reading *r, const struct device_ref *who,
                        enum reason why, const char *detail, size_t cap);

/*
 * Encodes r as "m[,device=DEV] fields ts" with lp_write_point. When the
 * encoder accepts it, parses the line back and checks that every key, value
 * (floats bit for bit), the device tag and the time read back as they were;
 * when it refuses it, checks that the output buffer is unchanged.
 */
void fuzz_check_lineproto(const struct reading *r, const char *dev, size_t dev_len);

/*
 * For a thing-model payload (thing_model.h) that the decoder accepted
 * (rc 0): every non-null value in the first "params" (a pair
 * counting as its "value", a pair being an object with exactly one "value"
 * and at most one "time") must be a field: nothing is dropped silently. The
 * Alink event form (THING_EVENT with params {value:{...}}) is not counted.
 */
void fuzz_check_thing_model(const char *payload, size_t len, int rc, const struct reading *r,
                            bool event);

/* The reading every decoder target reuses, its arena sized as the pipeline
 * sizes it (2 * max_payload + 4096) for FUZZ_MAX_PAYLOAD. Longer inputs
 * are cut to FUZZ_MAX_PAYLOAD, as the MQTT layer refuses them. */
#define FUZZ_MAX_PAYLOAD 65536

struct reading *fuzz_reading(void);

/*
 * The body of the Alink and OneNET targets: data is the topic, a newline and
 * the payload (without a newline, all of it is the payload on topic dflt);
 * it is decoded with fn and checked with fuzz_check_decoded and
 * fuzz_check_thing_model (an Alink event, who.kind set, has the event form),
 * and the device must be a non-empty slice of the topic with a product.
 */
void fuzz_thing_topic(const uint8_t *data, size_t size, const char *dflt, decoder_fn fn);

#endif
