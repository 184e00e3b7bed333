/*
 * sim_raw: a minimal MQTT 3.1.1 publisher for `lifeline sim --engine raw`,
 * QoS 0 over plain TCP only. Paho MQTTAsync writes every message with its
 * own system call and hands it between two threads; this engine packs
 * PUBLISH packets into a 64 KiB buffer and writes it at once, which is what
 * a load test past 100,000 messages/s needs. It reads nothing after CONNACK
 * (QoS 0 has no acknowledgement) and sends no PINGREQ (keep-alive 0).
 */
#ifndef LIFELINE_SIM_RAW_H
#define LIFELINE_SIM_RAW_H

#include <stddef.h>

#include "config.h"

struct sim_raw;

/* Connects to cfg->mqtt.url (tcp:// or mqtt:// only) with its username and
 * password, client id "lifeline-sim-<pid>-<index>", and waits for CONNACK.
 * Returns the connection or NULL (logged). */
struct sim_raw *sim_raw_connect(const struct config *cfg, unsigned index);
/* Queues one QoS 0 PUBLISH; writes the buffer when it is full. Returns the
 * number of messages written to the socket by this call (0 when it only
 * queued), or -errno when the connection failed. */
int sim_raw_publish(struct sim_raw *c, const char *topic, const void *payload, size_t len);
/* Writes what is queued. Returns the number of messages written, or -errno. */
int sim_raw_flush(struct sim_raw *c);
/* Sends DISCONNECT, closes and frees; accepts NULL. */
void sim_raw_close(struct sim_raw *c);

#endif
