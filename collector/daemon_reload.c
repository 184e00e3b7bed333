/*
 * daemon_reload: profiles, registry and alert rules loaded with every
 * problem logged, at start and on SIGHUP; a reload hands one new knowledge
 * to every part that uses it, or keeps what is in use.
 */
#include "daemon.h"
#include "daemon_impl.h"

#include <string.h>

#include "ingest.h"
#include "log.h"
#include "pipeline.h"
#include "report_server.h"

struct knowledge *daemon_load_knowledge(const struct config *c)
{
    struct buf errors;
    buf_init(&errors, 1 << 20);
    int n = 0;
    struct knowledge *k = knowledge_load(c, &errors, &n);
    if (!k) {
        const char *line = errors.data;
        while (line && *line) {
            size_t len = strcspn(line, "\n");
            log_error("daemon", "%.*s", (int)len, line);
            line += len + (line[len] == '\n');
        }
        log_error("daemon", "profiles or registry unusable errors=%d", n);
    }
    buf_free(&errors);
    return k;
}

static void log_lines(enum log_level level, const struct buf *b)
{
    const char *line = b->data;
    while (line && *line) {
        size_t len = strcspn(line, "\n");
        log_msg(level, "daemon", "%.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
}

struct alert_rules *daemon_load_rules(const struct config *c, const struct knowledge *k, bool *ok)
{
    *ok = true;
    if (!c->alerts.rules_file)
        return NULL;
    struct buf errors, warnings;
    buf_init(&errors, 1 << 20);
    buf_init(&warnings, 1 << 20);
    int n = 0;
    struct alert_rules *r = alert_rules_load(c->alerts.rules_file, &errors, &n);
    if (r)
        n +=
            alert_rules_check(r, k->profiles, c->validate.unknown_fields != VALIDATE_UNKNOWN_REJECT,
                              c->alerts.rules_file, &errors, &warnings);
    log_lines(LOG_WARN, &warnings);
    if (n) {
        log_lines(LOG_ERROR, &errors);
        log_error("daemon", "alert rules unusable errors=%d", n);
        alert_rules_free(r);
        r = NULL;
        *ok = false;
    }
    buf_free(&errors);
    buf_free(&warnings);
    return r;
}

void daemon_reload(struct daemon *d)
{
    struct knowledge *k = daemon_load_knowledge(d->cfg);
    if (!k) {
        atomic_fetch_add(&d->reload_failures, 1);
        log_error("daemon", "reload refused: keeping the registry and profiles in use");
        return;
    }
    /* One knowledge for everyone: each part takes a reference and drops the old one when
     * it adopts this one, so the registry is in memory twice only until they all have. */
    if (d->alerts) {
        bool ok;
        struct alert_rules *ops = daemon_load_rules(d->cfg, k, &ok);
        if (!ok) {
            knowledge_unref(k);
            atomic_fetch_add(&d->reload_failures, 1);
            log_error("daemon", "reload refused: keeping the alert rules, registry and profiles "
                                "in use");
            return;
        }
        alert_engine_reload(d->alerts, knowledge_ref(k), ops, ingest_now_ms());
    }
    log_info("daemon", "reload loaded assets=%zu categories=%zu",
             k->registry ? registry_count(k->registry) : 0, profile_set_count(k->profiles));
    pipeline_set_knowledge(d->pipe, knowledge_ref(k));
    if (d->reports)
        report_server_reload(d->reports, k);
    knowledge_unref(k);
}
