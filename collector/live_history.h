/*
 * live_history: a device's recent readings from InfluxDB for the live page's
 * charts, as JSON:
 *   {"hours":24,"interval_s":600,
 *    "series":[{"field":"pressure_out","points":[[ts_ms,value],...]},...]}
 * One series per numeric field that has a value in the window (mean per
 * interval, about 144 points), empty intervals left out, oldest first;
 * fields in InfluxDB's order (by name). Booleans and strings are not charted.
 */
#ifndef LIFELINE_LIVE_HISTORY_H
#define LIFELINE_LIVE_HISTORY_H

#include <stddef.h>

#include "buf.h"

struct influx;

/*
 * The InfluxQL for `category`'s points of the device: by its asset tag
 * when asset is not empty, else by its device tag; the last `hours` hours.
 * Appends to q. 0 or a buf error.
 */
int live_history_query(struct buf *q, const char *category, const char *asset, const char *device,
                       int hours);
/*
 * Turns the /query answer (InfluxDB 1.x JSON, epoch ms) into the JSON above,
 * appended to out. 0, -EINVAL (an answer it cannot read; one line in err),
 * or a buf error.
 */
int live_history_json(const char *answer, size_t len, int hours, struct buf *out, char *err,
                      size_t errsz);

#endif
