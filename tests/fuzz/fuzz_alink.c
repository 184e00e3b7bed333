/*
 * Fuzz target: the Alink decoder (and with it thing_model.c). Input: the topic, a newline, the
 * payload; without a newline the whole input is the payload of a property
 * post (fuzz_thing_topic in fuzz_check.c).
 */
#include "fuzz.h"

#include "alink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_thing_topic(data, size, "/sys/a1B2c3D4e5F/泵房-01/thing/event/property/post",
                     alink_decode);
    return 0;
}
