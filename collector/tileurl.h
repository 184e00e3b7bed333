/*
 * tileurl: the optional map tile URL of the live page (http.map_tile_url),
 * a template such as "https://tiles.example/{z}/{x}/{y}.png" that the page
 * fills in for each Web Mercator (XYZ, "slippy map") tile it draws under
 * its SVG map.
 *
 * The rules live here so that the config check and the page's
 * Content-Security-Policy agree on what a tile URL is: http:// or https://,
 * a host of letters, digits, '.' and '-' (a CSP host-source), an optional
 * :port, no user:password@, each of {z}, {x} and {y} exactly once after the
 * host and no other placeholder, nothing that would break an HTTP header
 * (space, control bytes, quotes, ';', ',', backslash, '<', '>').
 */
#ifndef LIFELINE_TILEURL_H
#define LIFELINE_TILEURL_H

#include <stddef.h>

/*
 * NULL when `v` is a tile URL template by the rules above; otherwise a
 * static "PROBLEM; fix: WHAT TO DO" text (the config check's form) to put
 * after the quoted value.
 */
const char *tileurl_problem(const char *v);
/*
 * Writes the template's origin, "scheme://host[:port]", to out (cap bytes,
 * NUL-terminated): the source the page's img-src must allow. 0, or -EINVAL
 * when `v` is not a tile URL (tileurl_problem) or the origin does not fit.
 */
int tileurl_origin(const char *v, char *out, size_t cap);

#endif
