/*
 * alink: the decoder for Alibaba Cloud IoT Platform ("Alink") thing-model
 * messages, as forwarded by the platform or by a bridge:
 *
 *   /sys/{productKey}/{deviceName}/thing/event/property/post      properties
 *   /sys/{productKey}/{deviceName}/thing/event/{identifier}/post  an event
 *
 * The payload rules (params as plain values or {value,time} pairs, structs
 * flattened with '_', times, limits) are thing_model.h's; an event post may
 * carry the Alink event form "params":{"value":{...},"time":...}.
 *
 * Identity comes from the topic: who->device = deviceName, who->product =
 * productKey, who->kind = the event identifier (NULL for properties);
 * category and district stay NULL for the registry to fill in.
 *
 * Topics:
 *  - not "/sys/{pk}/{dn}/..." with non-empty pk and dn (or a NUL or a
 *    control character in a level): REASON_TOPIC
 *  - ".../thing/event/property/pack/post" (a gateway batch for several
 *    devices, which one reading cannot hold): REASON_TOPIC, so that it is
 *    quarantined rather than lost
 *  - any other topic under /sys/{pk}/{dn}/ (".../post_reply", services,
 *    OTA, ...): -ENODATA
 */
#ifndef LIFELINE_ALINK_H
#define LIFELINE_ALINK_H

#include <stddef.h>

#include "decoder.h"

/*
 * A decoder_fn (decoder.h). who is cleared first and filled as soon as the
 * topic names the device, so that an error or -ENODATA still says who sent
 * it; its slices point into in->topic. Returns 0, -ENODATA for a message
 * without a reading, or -EINVAL with *why and detail.
 */
int alink_decode(const struct decoder_input *in, struct reading *r, struct device_ref *who,
                 enum reason *why, char *detail, size_t detail_len);

#endif
