/*
 * Fuzz target: the OneNET decoder. Input: the topic, a newline, the
 * payload; without a newline the whole input is the payload of a property
 * post (fuzz_thing_topic in fuzz_check.c).
 */
#include "fuzz.h"

#include "onenet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_thing_topic(data, size, "$sys/Ys0Vb2wVoE/井盖-0001/thing/property/post", onenet_decode);
    return 0;
}
