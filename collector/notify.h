/*
 * notify: delivers alert events (MQTT retained topic, an InfluxDB
 * measurement of transitions, webhooks in plain JSON, WeCom and DingTalk
 * robot formats, and the log) on its own thread, so that a slow or failing
 * destination never blocks ingestion or the alert engine. Events for one
 * district within notify.group_window_ms are grouped into one message for
 * chat webhooks.
 */
#ifndef LIFELINE_NOTIFY_H
#define LIFELINE_NOTIFY_H

#include "alert.h"
#include "config.h"

struct notify;

/*
 * A publisher the daemon provides for MQTT delivery (the ingest module owns
 * the Paho client): publishes `payload` retained at QoS 1 on `topic`, or an
 * empty retained payload to clear. 0 or a negative errno.
 */
typedef int (*notify_publish_fn)(void *ctx, const char *topic, const void *payload, size_t len,
                                 int retained);

/* NULL (reason logged) on error. `publish` may be NULL (no MQTT delivery). */
struct notify *notify_new(const struct config *cfg, notify_publish_fn publish, void *publish_ctx);
/* Delivers what is queued (bounded wait), stops the thread, frees; accepts NULL. */
void notify_free(struct notify *n);
/*
 * Queues one event; never blocks (a full queue drops the oldest event for
 * chat/webhook delivery, counted, but MQTT state and InfluxDB transitions are
 * kept as the latest state per alert). Thread safe.
 */
void notify_submit(struct notify *n, const struct alert_event *ev);

#endif
