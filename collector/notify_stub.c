/*
 * notify_stub: a stand-in for notify.c (branch h3-notify) so that this
 * branch links and runs: it logs each event and delivers nothing. The lead
 * deletes this file when notify.c is merged.
 */
#include "notify.h"

#include <stdlib.h>

#include "log.h"

struct notify {
    int unused;
};

struct notify *notify_new(const struct config *cfg, notify_publish_fn publish, void *publish_ctx)
{
    (void)cfg;
    (void)publish;
    (void)publish_ctx;
    return calloc(1, sizeof(struct notify));
}

void notify_free(struct notify *n)
{
    free(n);
}

void notify_submit(struct notify *n, const struct alert_event *ev)
{
    (void)n;
    log_info("notify", "event transition=%s id=%llu rule=%s device=%s district=%s summary=\"%s\"",
             alert_transition_name(ev->transition), (unsigned long long)ev->alert.id,
             ev->alert.rule, ev->alert.device, ev->alert.district, ev->alert.summary);
}
