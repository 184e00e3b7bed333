/*
 * Fuzz target: the OneNET decoder. Input: the
 * topic, a newline, the payload; without a newline the whole input is the
 * payload of a property post.
 */
#include "fuzz.h"

#include <string.h>

#include "onenet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char dflt[] = "$sys/Ys0Vb2wVoE/井盖-0001/thing/property/post";
    if (size > FUZZ_MAX_PAYLOAD)
        size = FUZZ_MAX_PAYLOAD;
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    struct decoder_input in = {.topic = dflt,
                               .topic_len = strlen(dflt),
                               .payload = s,
                               .len = size,
                               .recv_ms = INT64_C(1764380000000),
                               .local_offset_min = 480};
    if (nl) {
        in.topic = s;
        in.topic_len = (size_t)(nl - s);
        in.payload = nl + 1;
        in.len = size - in.topic_len - 1;
    }
    struct reading *r = fuzz_reading();
    struct device_ref who;
    enum reason why = REASON__COUNT;
    char detail[256];
    int rc = onenet_decode(&in, r, &who, &why, detail, sizeof detail);
    fuzz_check_decoded(rc, r, &who, why, detail, sizeof detail);
    fuzz_check_thing_model(in.payload, in.len, rc, r, false);
    if (who.device) {
        FUZZ_CHECK(who.device >= in.topic && who.device + who.device_len <= in.topic + in.topic_len,
                   "device is a slice of the topic");
        FUZZ_CHECK(who.device_len > 0 && who.product && who.product_len > 0, "device and product");
    }
    return 0;
}
