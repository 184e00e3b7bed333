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
#include "buf.h"
#include "config.h"

/*
 * Alert states are published under this prefix (see docs/notifications.md);
 * the pipeline skips messages on topics below it, so that Lifeline never
 * ingests its own alerts although `lifeline/#` is subscribed by default.
 */
#define NOTIFY_TOPIC_PREFIX "lifeline/alerts/"

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
/*
 * Appends the notifier's counters (lifeline_notify_*: queue, drops, MQTT
 * publishes, webhook deliveries, failures and retries) in the Prometheus
 * text format, for GET /metrics. Thread safe.
 */
void notify_render_metrics(struct notify *n, struct buf *out);

#endif
