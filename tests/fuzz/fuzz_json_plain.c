/*
 * Fuzz target: the plain JSON decoder, called directly and through
 * dispatch_decode with the default topic template, which must agree.
 * Input: the payload.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "json_plain.h"

#define TOPIC "lifeline/顾官屯镇/water_supply/泵房-01"
#define RECV INT64_C(1764380000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dispatch *d;
    if (!d) {
        char *routes[] = {"lifeline/#=json"};
        char err[256];
        d = dispatch_new(routes, 1, "lifeline/{district}/{category}/{device}", err, sizeof err);
        FUZZ_CHECK(d != NULL, "dispatch_new");
    }
    if (size > FUZZ_MAX_PAYLOAD)
        size = FUZZ_MAX_PAYLOAD;
    const char *payload = (const char *)data;
    struct reading *r = fuzz_reading();
    enum reason why = REASON__COUNT;
    char detail[256];
    int rc = json_plain_decode(payload, size, RECV, r, &why, detail, sizeof detail);
    struct device_ref none = {0};
    fuzz_check_decoded(rc, r, &none, why, detail, sizeof detail);
    if (rc == 0 && r->ts_from_receipt)
        FUZZ_CHECK(r->ts_ms == RECV, "a reading without ts has the receive time");
    size_t nfields = rc == 0 ? r->nfields : 0;
    int64_t ts = r->ts_ms;

    struct decoder_input in = {.topic = TOPIC,
                               .topic_len = strlen(TOPIC),
                               .payload = payload,
                               .len = size,
                               .recv_ms = RECV,
                               .local_offset_min = 480};
    struct device_ref who;
    const char *decoder;
    enum reason why2 = REASON__COUNT;
    char detail2[256];
    int rc2 = dispatch_decode(d, &in, r, &who, &decoder, &why2, detail2, sizeof detail2);
    fuzz_check_decoded(rc2, r, &who, why2, detail2, sizeof detail2);
    FUZZ_CHECK(decoder && strcmp(decoder, "json") == 0, "the json route is chosen");
    FUZZ_CHECK(rc2 == rc, "dispatch returns what the decoder returns");
    if (rc == -EINVAL)
        FUZZ_CHECK(why2 == why && strcmp(detail, detail2) == 0, "same reason and detail");
    if (rc == 0) {
        FUZZ_CHECK(r->nfields == nfields && r->ts_ms == ts, "same reading");
        FUZZ_CHECK(who.device_len == strlen("泵房-01") && who.district && who.category,
                   "identity from the topic");
    }
    return 0;
}
