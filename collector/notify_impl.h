/*
 * notify_impl: the internals of the notify module, shared by its files:
 * notify.c (queue, thread, MQTT and InfluxDB delivery), notify_format.c
 * (topic, JSON, line protocol, log and chat texts: pure functions) and
 * notify_group.c (grouping chat events by district within a window). Only
 * the notify module and its unit test include this header.
 */
#ifndef LIFELINE_NOTIFY_IMPL_H
#define LIFELINE_NOTIFY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "config.h"
#include "webhook.h"

/* Chat messages list at most this many events; the rest are counted. */
#define NOTIFY_CHAT_LINES 20

/*
 * Appends the MQTT topic lifeline/alerts/{district}/{category}/{device}/{rule}.
 * Each level is sanitised: an empty one becomes "-", and '+', '#', '/',
 * control bytes and DEL become '_' (MQTT forbids wildcards in topic names,
 * and a '/' would shift the levels). 0 or the buf error.
 */
int notify_topic(const struct alert *a, struct buf *out);
/*
 * Appends the JSON of one event: every struct alert field plus "transition";
 * times as ISO 8601 UTC strings, 0 as null; value and threshold as the
 * shortest round-trip number, NaN as null; text fields as they are ("" when
 * empty).
 * 0 or the buf error.
 */
int notify_json_event(const struct alert_event *ev, struct buf *out);
/*
 * Appends one line of measurement `alert` (see docs/notifications.md), stamped
 * with alert.updated_ms (or now_ms when 0). 0, -EINVAL with *why when the
 * alert cannot be written as line protocol, -E2BIG, -ENOMEM.
 */
int notify_line(const struct alert_event *ev, int64_t now_ms, struct buf *out, const char **why);
/* Appends the key=value details of the log line of one transition. */
int notify_log_text(const struct alert_event *ev, struct buf *out);
/*
 * Appends the one-line chat text of an event, e.g.
 * "【严重】顾官屯镇 窨井盖 GGT-MC-0012 离线 3 次未上报" (zh) or
 * "[critical] 顾官屯镇 manhole_cover GGT-MC-0012 offline for 3 intervals" (en).
 */
int notify_chat_line(const struct alert_event *ev, enum notify_lang lang, struct buf *out);

/* Events of one district, delivered as one chat message. */
struct notify_batch {
    char district[96];
    struct alert_event *ev; /* n of them, in arrival order */
    size_t n;
    size_t total; /* events grouped, also those past the stored ones */
};
void notify_batch_free(struct notify_batch *b);

/*
 * Appends the body of one webhook message for a batch: the JSON format is
 * {"district":...,"count":N,"events":[event JSON...]}; wecom and dingtalk are
 * the robots' markdown messages with a title and one line per event (at most
 * NOTIFY_CHAT_LINES, then a line that counts the rest). 0 or the buf error.
 */
int notify_webhook_body(enum webhook_format fmt, enum notify_lang lang,
                        const struct notify_batch *b, struct buf *out);

struct notify_group;
/* window_ms 0 sends every event alone; at most max_events stored per batch. */
struct notify_group *notify_group_new(int window_ms, size_t max_events);
void notify_group_free(struct notify_group *g);
/* Adds an event to its district's open batch, opening one at now_ms. 0 or -ENOMEM. */
int notify_group_add(struct notify_group *g, const struct alert_event *ev, int64_t now_ms);
/*
 * Moves the batch that has waited longest into *out when its window is over
 * at now_ms (any batch when `force`). True when one was taken; the caller
 * frees it with notify_batch_free().
 */
bool notify_group_take(struct notify_group *g, int64_t now_ms, bool force,
                       struct notify_batch *out);
/* When the first open batch is due; INT64_MAX when none is open. */
int64_t notify_group_deadline(const struct notify_group *g);

#endif
