/*
 * hj212_reply: answers HJ 212 stations that ask for an acknowledgement.
 *
 * A station sets bit 0 ("A") of a frame's Flag when it wants a data reply:
 * CN=9014 with the frame's QN (hj212_ack builds it). Lifeline sends it once
 * the frame is in the write-ahead log, the point from which it is never lost
 * (docs/architecture.md says why not later), on the topic hj212.reply_topic
 * makes of the frame's topic ("{topic}/reply" by default), QoS 1, not
 * retained. A frame with a wrong length or CRC, or any other header error
 * hj212_parse finds, gets no reply, so that the station sends it again.
 *
 * Lifeline's subscriptions may cover the reply topics (hj212/# matches
 * hj212/st-1/reply): hj212_reply_is_own tells its own replies apart so that
 * the daemon skips them before the WAL.
 *
 * Immutable after hj212_reply_new; every function is thread safe. Nothing is
 * allocated for a message that needs no reply.
 */
#ifndef LIFELINE_HJ212_REPLY_H
#define LIFELINE_HJ212_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * Publishes payload[0..len) on `topic` (NUL-terminated), QoS 1, not
 * retained. 0 when taken, a negative errno otherwise (ingest_publish).
 */
typedef int (*hj212_reply_publish_fn)(void *ctx, const char *topic, const void *payload,
                                      size_t len);

struct hj212_reply;

/*
 * Reads mqtt.decoders, mqtt.topic_template and hj212.reply_topic from cfg
 * (copies what it keeps). With an empty hj212.reply_topic the object exists
 * but never replies and owns no topic. NULL (reason logged) on error.
 */
struct hj212_reply *hj212_reply_new(const struct config *cfg, hj212_reply_publish_fn publish,
                                    void *ctx);
/* Frees; accepts NULL. */
void hj212_reply_free(struct hj212_reply *r);

/*
 * True when topic[0..len) is one Lifeline publishes replies on: the reply
 * template with {topic} standing for a topic that mqtt.decoders routes to
 * hj212 (or the template itself when it has no {topic}). Costs two memcmp
 * for a topic that does not end like the template.
 */
bool hj212_reply_is_own(const struct hj212_reply *r, const char *topic, size_t len);

/*
 * Called with a message that is in the write-ahead log. When its topic is
 * routed to hj212, the payload is a valid frame (hj212_parse), its Flag has
 * bit 0 set and its CN is not a reply (9xxx), publishes the acknowledgement
 * and counts it in lifeline_hj212_replies_total. Returns 1 when a reply was
 * published, 0 when none was due, or a negative errno when one was due but
 * could not be built or published (-EINVAL: the frame has no QN; the
 * publisher's error), which is logged and counted in
 * lifeline_hj212_reply_failures_total: the station, without its reply,
 * sends the frame again.
 */
int hj212_reply_after_store(struct hj212_reply *r, const char *topic, size_t topic_len,
                            const void *payload, size_t len);

#endif
