/*
 * pipeline: the thread between the write-ahead log and the database.
 *
 * Reads WAL records in order, matches the topic against the template,
 * decodes the payload, encodes line protocol into the current batch and hands
 * full batches (by lines, bytes or age) to the InfluxDB writer. A refused
 * message goes to quarantine with its reason. The WAL is committed up to a
 * record only when everything up to it is in the database or in quarantine,
 * so a crash at any point replays rather than loses.
 */
#ifndef LIFELINE_PIPELINE_H
#define LIFELINE_PIPELINE_H

#include <stdbool.h>

#include "config.h"

struct wal;
struct influx;
struct quarantine;
struct pipeline;

/* NULL (reason logged) on error. Borrows every argument for its lifetime. */
struct pipeline *pipeline_new(const struct config *cfg, struct wal *wal, struct influx *db,
                              struct quarantine *q);
/* Starts the thread. 0 or a negative errno. */
int pipeline_start(struct pipeline *p);
/*
 * Stops the thread. It first drains what the WAL holds and writes it, for at
 * most `drain_ms`; whatever is still unconfirmed then stays in the WAL and is
 * replayed on the next start.
 */
void pipeline_stop(struct pipeline *p, int drain_ms);
/* Joins if needed and frees; accepts NULL. */
void pipeline_free(struct pipeline *p);

#endif
