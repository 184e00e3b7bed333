/*
 * onenet: the decoder for China Mobile OneNET (Studio) thing-model property
 * posts:
 *
 *   $sys/{pid}/{device}/thing/property/post
 *   {"id":"123","version":"1.0","params":{"temp":{"value":23.6,"time":1599534283111}}}
 *
 * The payload rules are thing_model.h's (THING_PROPERTIES). Identity comes
 * from the topic: who->device = device name, who->product = product id;
 * kind, category and district stay NULL.
 *
 * Topics:
 *  - not "$sys/{pid}/{device}/..." with non-empty pid and device (or a NUL
 *    or a control character in a level): REASON_TOPIC
 *  - any other $sys topic (".../post/reply", events, services, sub-devices,
 *    packs): -ENODATA
 *
 * Topics starting with '$' are not matched by a "#" or "+/..." subscription
 * (MQTT 3.1.1 section 4.7.2): the subscription must name "$sys/..." itself.
 */
#ifndef LIFELINE_ONENET_H
#define LIFELINE_ONENET_H

#include <stddef.h>

#include "decoder.h"

/*
 * A decoder_fn (decoder.h). who is cleared first and filled as soon as the
 * topic names the device; its slices point into in->topic. Returns 0,
 * -ENODATA for a message without a reading, or -EINVAL with *why and detail.
 */
int onenet_decode(const struct decoder_input *in, struct reading *r, struct device_ref *who,
                  enum reason *why, char *detail, size_t detail_len);

#endif
