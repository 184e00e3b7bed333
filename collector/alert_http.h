/*
 * alert_http: the alert API on the daemon's HTTP server.
 *
 *   GET  /api/v1/alerts?state=&severity=&district=&category=&device=&rule=
 *        200 {"alerts": [...], "count": N}; 400 for an unknown state or severity
 *   POST /api/v1/alerts/{id}/ack   Authorization: Bearer TOKEN, body {"by": "name"} (optional)
 *        200 {"ok": true, "id": ID}; 401 without a bearer token; 403 with a wrong one (or when no
 *        token is configured); 404 no such alert; 409 not firing; 400 bad body
 */
#ifndef LIFELINE_ALERT_HTTP_H
#define LIFELINE_ALERT_HTTP_H

#include "alert_engine.h"
#include "httpd.h"

/*
 * Registers the routes. `token` (may be NULL: acknowledgement refused) is
 * borrowed for the server's lifetime. 0 or -ENOSPC.
 */
int alert_http_register(struct httpd *s, struct alert_engine *e, const char *token);
/* True when a equals b, in time that depends on their lengths only. */
bool alert_token_equal(const char *a, const char *b);

#endif
