/*
 * sim_raw: a minimal MQTT 3.1.1 publisher for `lifeline sim --engine raw`,
 * QoS 0 or 1 over plain TCP only. Paho MQTTAsync writes every message with
 * its own system call and hands it between two threads; this engine packs
 * PUBLISH packets into a 64 KiB buffer and writes it at once, which is what
 * a load test past 100,000 messages/s needs. At QoS 0 it reads nothing after
 * CONNACK; at QoS 1 it reads the PUBACKs (in order: the broker answers each
 * PUBLISH as it reads it) and keeps at most `window` messages
 * unacknowledged. No PINGREQ (keep-alive 0).
 */
#ifndef LIFELINE_SIM_RAW_H
#define LIFELINE_SIM_RAW_H

#include <stddef.h>

#include "config.h"

struct sim_raw;

/* Connects to cfg->mqtt.url (tcp:// or mqtt:// only) with its username and
 * password, client id "lifeline-sim-<pid>-<index>", and waits for CONNACK.
 * qos is 0 or 1; window (QoS 1) bounds the unacknowledged messages.
 * Returns the connection or NULL (logged). */
struct sim_raw *sim_raw_connect(const struct config *cfg, unsigned index, int qos, unsigned window);
/*
 * Queues one PUBLISH; writes the buffer when it is full (QoS 1: or when the
 * window is, then waits for PUBACKs until it has room). Returns the number
 * of messages completed by this call, the oldest first (QoS 0: written to
 * the socket; QoS 1: acknowledged), 0 when it only queued, or -errno when
 * the connection failed.
 */
int sim_raw_publish(struct sim_raw *c, const char *topic, const void *payload, size_t len);
/* Writes what is queued and takes the PUBACKs already arrived, without
 * waiting. Returns the number of messages completed, or -errno. */
int sim_raw_flush(struct sim_raw *c);
/* Writes what is queued and waits (SO_RCVTIMEO, 10 s) for every PUBACK.
 * Returns the number of messages completed, or -errno. */
int sim_raw_drain(struct sim_raw *c);
/* Sends DISCONNECT, closes and frees; accepts NULL. */
void sim_raw_close(struct sim_raw *c);

#endif
