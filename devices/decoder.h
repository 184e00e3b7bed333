/*
 * decoder: the contract every payload decoder follows (plain JSON, Alink,
 * OneNET, HJ 212, ...), so that the pipeline can choose one per topic filter.
 *
 * A decoder fills a reading (reset first) and says who sent it. It never
 * allocates per message: text it must keep goes into the reading's arena.
 * Identity slices point into the topic, the payload or the reading's arena
 * and are valid as long as those are.
 */
#ifndef LIFELINE_DECODER_H
#define LIFELINE_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "reason.h"

struct topic_template;

/* What the message says about its sender. A NULL slice means "not known
 * from the message": the registry fills it in (category, district). */
struct device_ref {
    const char *device; /* registry device_id: topic {device}, Alink deviceName, OneNET device
                           name, HJ 212 MN */
    size_t device_len;
    const char *category; /* from the topic template, else NULL */
    size_t category_len;
    const char *district; /* likewise */
    size_t district_len;
    const char *product; /* Alink productKey, OneNET product id, else NULL */
    size_t product_len;
    const char *kind; /* what sort of data this is, written as tag "kind" when set: HJ 212
                         "rtd", "min", "hour", "day", "status"; an Alink event identifier */
    size_t kind_len;
};

struct decoder_input {
    const char *topic;
    size_t topic_len;
    const char *payload;
    size_t len;
    int64_t recv_ms;                 /* receive time: the stamp for readings without one */
    const struct topic_template *tt; /* for decoders that take identity from the topic */
    int local_offset_min;            /* for local-time formats (HJ 212): minutes east of UTC */
};

/*
 * Decodes one message. 0, or -EINVAL with *why and a lowercase, human
 * `detail` naming what was wrong ("field 'x': ...", "crc 1c80 expected 1c81").
 * A message that carries no reading (an Alink reply, an HJ 212 heartbeat)
 * returns -ENODATA: it is counted, not quarantined.
 */
typedef int (*decoder_fn)(const struct decoder_input *in, struct reading *r,
                          struct device_ref *who, enum reason *why, char *detail,
                          size_t detail_len);

#endif
