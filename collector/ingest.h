/*
 * ingest: the MQTT side, and the only module that includes Paho.
 *
 * One MQTTAsync client with a fixed client id and a persistent session
 * (cleansession=0, Paho's file persistence under <data_dir>/mqtt). Every
 * message is handed to the on_message callback on Paho's receive thread; the
 * callback must copy what it needs and return quickly (Paho has already
 * acknowledged a QoS 1 message when the callback runs, so the callback is
 * where durability starts). Reconnection is driven by ingest_tick() from the
 * daemon's main loop with exponential backoff between mqtt.reconnect_min_s
 * and mqtt.reconnect_max_s, and subscriptions are renewed whenever the broker
 * reports no session for us.
 */
#ifndef LIFELINE_INGEST_H
#define LIFELINE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * Called once per message. `topic` is NUL-terminated. Returns 0 when the
 * message is safely taken; a negative errno when it could not be stored, in
 * which case Paho keeps the message and offers it again.
 */
typedef int (*ingest_message_fn)(void *ctx, const char *topic, size_t topic_len,
                                 const void *payload, size_t len, int64_t recv_ms);

struct ingest;

/* Creates the client (no network yet). NULL, with the reason logged, on error. */
struct ingest *ingest_new(const struct config *cfg, ingest_message_fn on_message, void *ctx);
/* Disconnects (waiting briefly for in-flight work) and destroys; accepts NULL. */
void ingest_free(struct ingest *in);
/* Starts a connection attempt when one is due; call every ~100 ms. */
void ingest_tick(struct ingest *in);
/* Disconnects and stops reconnecting, so that no new message arrives. */
void ingest_stop(struct ingest *in);
/*
 * Backpressure for a full write-ahead log. Paho cannot stop reading a socket,
 * so pausing disconnects cleanly (the persistent session stays: the broker
 * keeps the subscriptions and queues QoS 1 messages for us) and keeps
 * ingest_tick() from reconnecting until ingest_resume(). Messages Paho had
 * already received are still offered to on_message after the resume (they
 * stay in its queue, and in its persistence directory). Does nothing after
 * ingest_stop(); pausing twice is harmless. Call from the thread that calls
 * ingest_tick().
 */
void ingest_pause(struct ingest *in);
/* Ends a pause: the next ingest_tick() connects at once. */
void ingest_resume(struct ingest *in);
bool ingest_paused(const struct ingest *in);
bool ingest_connected(const struct ingest *in);
/*
 * Publishes payload[0..len) on `topic` (NUL-terminated) with `qos` (0-2) and
 * the retained flag, on the subscription's client and session. Returns 0
 * when Paho has taken the message (QoS 1 and 2 are kept in the session's
 * persistence until the broker acknowledges them); -ENOTCONN at once while
 * not connected (paused, reconnecting, stopped): the caller keeps what it
 * wants to send and tries again; -EINVAL for bad arguments; -EIO when Paho
 * refuses. Thread safe; never waits for the network.
 */
int ingest_publish(struct ingest *in, const char *topic, const void *payload, size_t len, int qos,
                   int retained);
/* Milliseconds since the epoch, the clock used for recv_ms. */
int64_t ingest_now_ms(void);

#endif
