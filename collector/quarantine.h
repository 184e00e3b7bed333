/*
 * quarantine: the record of every refused message or line.
 *
 * Appends one JSON object per line to <data_dir>/quarantine.jsonl:
 *   {"time":"2026-11-29T05:10:27.123Z","topic":"...","reason":"malformed",
 *    "detail":"...","payload":"..."}
 * with "payload_b64" instead of "payload" when the payload is not valid UTF-8.
 * Every record is also counted in metrics by reason. Thread safe.
 */
#ifndef LIFELINE_QUARANTINE_H
#define LIFELINE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"

struct quarantine;

/* Opens (creating, appending) the file at `path`. NULL with errno set on failure. */
struct quarantine *quarantine_open(const char *path);
/* Flushes and closes; accepts NULL. */
void quarantine_close(struct quarantine *q);
/*
 * Records one refusal. `time_ms` is when it was received (epoch ms), `topic`
 * may be NULL or empty (for lines the database refused), `detail` says what
 * exactly was wrong. Counts it in metrics even when the write fails.
 * 0, or a negative errno when the record could not be written (also counted
 * as C_QUARANTINE_WRITE_ERRORS and logged).
 */
int quarantine_add(struct quarantine *q, int64_t time_ms, enum reason reason, const char *detail,
                   const char *topic, const void *payload, size_t len);

#endif
