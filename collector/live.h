/*
 * live: the operator view over HTTP, reading the live device state
 * (devstate.h):
 *
 *   GET /api/v1/devices        list; ?district= ?category= ?state=online|
 *                              offline|never ?q=substring (docs/api.md)
 *   GET /api/v1/devices/{id}   one device: latest values, units, last seen
 *   GET /api/v1/stream         Server-Sent Events: readings (coalesced per
 *                              device), alert transitions, resync when a
 *                              client falls behind;
 *                              ?district= ?category= ?device= ?since=VERSION
 *   GET /api/v1/settings       what the page needs of the configuration:
 *                              {"map_tile_url": "..." | null}
 *   GET /  and /ui/...         the web page, compiled into the binary, with
 *                              HTTPD_DEFAULT_CSP plus, when
 *                              http.map_tile_url is set, "img-src 'self'
 *                              ORIGIN" for the tile server's origin
 *
 * A slow client never slows ingestion: the pipeline only updates devstate;
 * each stream pulls what changed since the version it last sent, so its
 * backlog is at most one event per device, and past LIVE_MAX_BEHIND changed
 * devices it is told to start over ("resync") instead.
 */
#ifndef LIFELINE_LIVE_H
#define LIFELINE_LIVE_H

#include "config.h"
#include "devstate.h"
#include "httpd.h"

#define LIVE_MAX_STREAMS 32  /* concurrent streams; more get 503 */
#define LIVE_MAX_BEHIND 2000 /* changed devices one stream event batch may carry */
#define LIVE_HEARTBEAT_MS 10000
#define LIVE_ALERT_RING 256 /* alert transitions kept for the streams */
#define LIVE_CSP_MAX 1024   /* the page's Content-Security-Policy */

struct live;

/* `cfg` and `ds` are borrowed and must outlive the server. NULL on out of memory. */
struct live *live_new(const struct config *cfg, struct devstate *ds);
/* Adds the routes above to `http`. 0 or -ENOSPC (too many routes). */
int live_register(struct live *l, struct httpd *http);
/*
 * An alert transition for the streams, from any thread: `json` (one line,
 * copied) becomes the data of an "alert" event for every stream whose
 * filter matches district, category and device (its ?device= names the
 * device id or the asset id; NULL: ""). The last
 * LIVE_ALERT_RING are kept; a stream further behind gets a resync. Accepts
 * l == NULL (no live view).
 */
void live_note_alert(struct live *l, const char *device, const char *asset, const char *district,
                     const char *category, const char *json, size_t len);
/* Live streams open now (for /metrics); 0 for NULL. */
int live_stream_count(struct live *l);
/* Frees; accepts NULL. Call after httpd_stop (streams borrow it). */
void live_free(struct live *l);

#endif
