/*
 * sim_pool: the simulator's pool of MQTT publishing connections (Paho
 * MQTTAsync), each with a bounded window of messages in flight, so that the
 * simulator never floods the broker or lets Paho queue without bound.
 *
 * A message is in flight from sim_pool_publish until Paho reports it done:
 * at QoS 1 when the broker's PUBACK arrives, at QoS 0 when it was written to
 * the socket. Then `done(ctx, ok)` runs on a Paho thread; it must be quick
 * and thread safe. Only one thread may call sim_pool_publish.
 *
 * With `raw` (QoS 0 over tcp:// only) the pool uses sim_raw instead of Paho:
 * messages are batched and count as done when their batch is written;
 * sim_pool_flush writes a partial batch, and must be called before the
 * publisher sleeps.
 */
#ifndef LIFELINE_SIM_POOL_H
#define LIFELINE_SIM_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct sim_pool;

typedef void (*sim_done_fn)(void *ctx, bool ok);

/*
 * Creates `n` clients for cfg->mqtt (URL, username, password, TLS) with
 * client ids "lifeline-sim-<pid>-<i>" (clean sessions, so they never take
 * over the collector's persistent session). `stop` is polled while waiting.
 * Returns the pool or NULL (logged).
 */
struct sim_pool *sim_pool_new(const struct config *cfg, unsigned n, unsigned window, int qos,
                              bool raw, sim_done_fn done, const atomic_bool *stop);
/* Connects every client and waits until all are up. 0, -ETIMEDOUT, -ECANCELED (stop). */
int sim_pool_connect(struct sim_pool *p, int timeout_ms);
/*
 * Publishes one message on connection `conn` (topic is a C string; Paho
 * copies topic and payload). Waits while that connection's window is full
 * or it is reconnecting. 0; -ECANCELED when `stop` was set while waiting;
 * -EIO when Paho refused the message (logged once a second).
 */
int sim_pool_publish(struct sim_pool *p, unsigned conn, const char *topic, const void *payload,
                     size_t len, void *ctx);
/* Writes what a raw pool has batched (no-op with Paho). 0 or -EIO. */
int sim_pool_flush(struct sim_pool *p);
/* Waits until nothing is in flight, up to timeout_ms. 0 or -ETIMEDOUT. */
int sim_pool_drain(struct sim_pool *p, int timeout_ms);
/* Messages in flight now, over all connections. */
unsigned sim_pool_inflight(const struct sim_pool *p);
/* Disconnects and frees; accepts NULL. */
void sim_pool_free(struct sim_pool *p);

#endif
