/*
 * alert_store: the alert engine's state in SQLite (<data_dir>/alerts.db,
 * WAL journal mode): alerts with their timers, acknowledgements, the last
 * time each device was seen, and a few engine facts (first start). The only
 * file that includes sqlite3.h. One connection, used by one thread at a
 * time (the engine serialises).
 */
#ifndef LIFELINE_ALERT_STORE_H
#define LIFELINE_ALERT_STORE_H

#include <stdint.h>

#include "alert_fsm.h"

struct alert_store;

/* Opens or creates the database at `path`; NULL (reason logged) on error. */
struct alert_store *alert_store_open(const char *path);
/* Closes; accepts NULL. */
void alert_store_close(struct alert_store *s);

/* Groups the writes that follow into one transaction. 0 or -EIO. */
int alert_store_begin(struct alert_store *s);
int alert_store_commit(struct alert_store *s);
/* Inserts or replaces the alert (by id) with its timers. 0 or -EIO. */
int alert_store_put(struct alert_store *s, const struct alert_slot *slot);
/* Records an acknowledgement in the history. 0 or -EIO. */
int alert_store_ack(struct alert_store *s, uint64_t id, const char *by, int64_t ms);
/* Upserts a device's last-seen time. 0 or -EIO. */
int alert_store_seen(struct alert_store *s, const char *device, int64_t ms);
/* A fact by name; 0 and *out, -ENOENT, or -EIO. */
int alert_store_meta_get(struct alert_store *s, const char *key, int64_t *out);
int alert_store_meta_put(struct alert_store *s, const char *key, int64_t value);

/*
 * Calls on_alert for every stored alert (the slot is a temporary; dirty is
 * false), then on_seen for every last-seen row. 0 or -EIO.
 */
int alert_store_load(struct alert_store *s, void (*on_alert)(void *ctx, const struct alert_slot *),
                     void (*on_seen)(void *ctx, const char *device, int64_t ms), void *ctx);

#endif
