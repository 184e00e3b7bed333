/*
 * webassets: the live page's files (the html, js, css and svg files in web/),
 * compiled into the binary by cmake/embed_web.cmake so that the page works
 * on a closed network with nothing but the executable.
 */
#ifndef LIFELINE_WEBASSETS_H
#define LIFELINE_WEBASSETS_H

#include <stddef.h>

struct web_asset {
    const char *path;         /* "/ui/<file name>" */
    const char *content_type; /* from the extension */
    const unsigned char *data;
    size_t len;
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_len;

/* The asset served at `path`, or NULL. */
const struct web_asset *web_asset_find(const char *path);

#endif
