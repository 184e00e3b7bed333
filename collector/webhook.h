/*
 * webhook: posts notification bodies to HTTP destinations on a thread of its
 * own, with retries, so that a slow or failing chat robot never holds up the
 * notifier, let alone ingestion. The second module that includes curl (after
 * influx): webhooks need their own handle, timeouts and answer handling,
 * and keeping them apart keeps the database writer's contract simple.
 *
 * A destination is configured as "FORMAT=URL" (notify.webhooks), FORMAT one
 * of json, wecom, dingtalk. The URL is split at the first '=', so it may
 * carry '=' itself (?key=...).
 *
 * Delivery: 2xx is delivered, except that a WeCom or DingTalk answer whose
 * JSON carries a nonzero "errcode" is a failure (the robots answer 200 to a
 * refused message). Transport errors, 408, 429 and 5xx are retried after
 * retry_min_ms doubling to retry_max_ms (+0-25% jitter) up to `attempts`
 * attempts in all; other 4xx are permanent (a wrong URL or key does not heal
 * by retrying). A message given up is logged and counted. Messages to
 * different destinations do not wait for each other's backoff.
 */
#ifndef LIFELINE_WEBHOOK_H
#define LIFELINE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum webhook_format { WEBHOOK_JSON, WEBHOOK_WECOM, WEBHOOK_DINGTALK };

#define WEBHOOK_FORMAT_NAMES "json, wecom or dingtalk"

/*
 * Splits "FORMAT=URL". Returns 0 with *fmt and *url (pointing into spec), or
 * -EINVAL with "PROBLEM; fix: WHAT TO DO" appended to `msg` (may be NULL).
 * The URL must be http:// or https:// with a host.
 */
int webhook_parse(const char *spec, enum webhook_format *fmt, const char **url, struct buf *msg);
const char *webhook_format_name(enum webhook_format f);

struct webhook_opts {
    int retry_min_ms;
    int retry_max_ms;
    int attempts;     /* in all, the first included; at least 1 */
    int timeout_ms;   /* per request */
    size_t queue_max; /* messages waiting; a full queue drops the oldest */
};

struct webhook_stats {
    uint64_t delivered; /* messages a destination accepted */
    uint64_t failed;    /* messages given up after the last attempt or a permanent refusal */
    uint64_t retries;   /* attempts that will be tried again */
    uint64_t dropped;   /* messages pushed out of a full queue, or left at shutdown */
    size_t queued;      /* waiting now */
};

struct webhook;

/* Starts the sender thread. NULL (reason logged) on error. */
struct webhook *webhook_new(const struct webhook_opts *opts);
/*
 * Queues one POST of body[0..len) (application/json; charset=utf-8) to `url`,
 * copying both. `label` names the destination in log lines without its
 * secret (e.g. "wecom#1"). Never blocks on the network. 0, or -ENOMEM.
 */
int webhook_post(struct webhook *w, enum webhook_format fmt, const char *url, const char *label,
                 const char *body, size_t len);
void webhook_stats(struct webhook *w, struct webhook_stats *out);
/*
 * Gives queued messages up to `drain_ms` to be delivered (one attempt each
 * that is due; no backoff waits), stops the thread and frees. What is left
 * is counted as dropped and logged. Accepts NULL.
 */
void webhook_free(struct webhook *w, int drain_ms);

#endif
