/*
 * sim_payload: the topics and payloads simulated devices publish.
 *
 *   json   topic lifeline/{district}/{category}/{device}
 *          {"ts":1764380000000,"pressure_out":0.312,"pump_running":true,...}
 *          (sewage adds "flag":"N")
 *   alink  topic /sys/{productKey}/{deviceName}/thing/event/property/post
 *          {"id":"7","version":"1.0","params":{"tilt":{"value":1.2,"time":1764380000000},
 *          ...},"method":"thing.event.property.post"}
 *   onenet topic $sys/{productKey}/{deviceName}/thing/property/post
 *          {"id":"7","version":"1.0","params":{"tilt":{"value":1.2,"time":1764380000000},
 *          ...}} (OneNET Studio's thing model; a "$" topic: a subscriber must
 *          name "$sys/..." itself)
 *   hj212  topic hj212/{MN}; one CN=2011 real-time frame, DataTime and QN in
 *          China time (UTC+8), every factor as "<key>-Rtd=v,<key>-Flag=N"
 *          (the reading's flag goes on the first factor), booleans as 1/0
 * A reading with the malformed fault is encoded, then cut to half its length.
 * Both functions append to `out` (the caller resets it) and never allocate
 * once `out` has grown to the largest message.
 */
#ifndef LIFELINE_SIM_PAYLOAD_H
#define LIFELINE_SIM_PAYLOAD_H

#include "buf.h"
#include "sim_models.h"

/* Appends the device's topic. 0 or the buf error. */
int sim_topic(const struct sim_device *d, struct buf *out);
/* Appends the reading encoded in the device's format. 0 or the buf error
 * (-EINVAL: an HJ 212 data segment over 9999 bytes). */
int sim_payload(const struct sim_device *d, const struct sim_reading *r, struct buf *out);

#endif
