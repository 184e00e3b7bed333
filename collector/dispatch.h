/*
 * dispatch: chooses the payload decoder for a message by its topic and runs
 * it. Routes are "FILTER=DECODER" (config key mqtt.decoders), tried in
 * order; the first MQTT filter that matches the topic wins. Decoders:
 *
 *   json    plain JSON (json_plain.h); identity from mqtt.topic_template
 *   alink   Alibaba Cloud IoT thing model (alink.h); device = deviceName
 *   onenet  OneNET thing model (onenet.h); device = device name
 *   hj212   HJ 212-2017 frames (hj212.h); device = MN
 *
 * Immutable once built; dispatch_decode allocates nothing.
 */
#ifndef LIFELINE_DISPATCH_H
#define LIFELINE_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "decoder.h"

#define DISPATCH_DECODER_NAMES "json, alink, onenet or hj212"
#define DISPATCH_MAX_ROUTES 32

struct dispatch;

/* True when `name` is one of DISPATCH_DECODER_NAMES. */
bool dispatch_decoder_known(const char *name);
/*
 * MQTT topic filter matching (MQTT 3.1.1 4.7): '+' is one level, '#' the
 * rest (also none); a topic starting with '$' is not matched by a filter
 * starting with a wildcard. topic[0..len) need not be NUL-terminated.
 */
bool dispatch_filter_matches(const char *filter, const char *topic, size_t len);
/*
 * Builds the routes from "FILTER=DECODER" strings (n of them) and the topic
 * template for `json`. NULL with err filled on a bad route or template.
 * Copies what it keeps.
 */
struct dispatch *dispatch_new(char *const *routes, size_t n, const char *topic_template, char *err,
                              size_t errlen);
/*
 * Sets the time zone of HJ 212 local times (DataTime, QN): `default_min`
 * minutes east of UTC, except for topics that one of `overrides` (n
 * "FILTER=ZONE" strings, zone as ts_parse_zone reads it, first match wins)
 * matches. Until it is called, dispatch_decode passes the caller's
 * in->local_offset_min through. 0, or -EINVAL with err filled (a bad
 * override, more than DISPATCH_MAX_ROUTES), -ENOMEM. Before the first
 * dispatch_decode only.
 */
int dispatch_set_hj212_zones(struct dispatch *d, int default_min, char *const *overrides, size_t n,
                             char *err, size_t errlen);
/* The name of the decoder the first matching route names, or NULL when none matches. */
const char *dispatch_decoder_for(const struct dispatch *d, const char *topic, size_t len);
/* Frees; accepts NULL. */
void dispatch_free(struct dispatch *d);
/*
 * Decodes one message with the decoder of the first matching route
 * (in->tt is set by dispatch, and in->local_offset_min for hj212 once
 * dispatch_set_hj212_zones was called). *decoder is set to its name (or NULL).
 * Returns what the decoder returns: 0, -ENODATA (no reading in it), or
 * -EINVAL with *why and detail; a topic no route matches is -EINVAL with
 * REASON_TOPIC.
 */
int dispatch_decode(const struct dispatch *d, const struct decoder_input *in, struct reading *r,
                    struct device_ref *who, const char **decoder, enum reason *why, char *detail,
                    size_t detail_len);

#endif
