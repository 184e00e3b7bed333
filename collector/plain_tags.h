/*
 * plain_tags: remembers, per registered asset, whether the registry's text
 * that becomes the point's measurement and tags (category, asset_id,
 * device_id, district, model) can be written as line protocol exactly as it
 * is (lp_plain()). The pipeline asks once per reading; the answer is worked
 * out the first time an asset is seen and kept for as long as the registry
 * it came from, so the encoder copies those tags instead of escaping them
 * byte by byte for every reading (docs/performance.md, optimisation 4).
 *
 * It remembers answers for one registry at a time: plain_tags_reset() with
 * the registry a reload brings forgets every answer (a row may have changed,
 * a district may now hold a blank). Two bits per asset, allocated in
 * plain_tags_reset(), none per reading. One thread (the pipeline's).
 */
#ifndef LIFELINE_PLAIN_TAGS_H
#define LIFELINE_PLAIN_TAGS_H

#include <stdbool.h>

#include "registry.h"

struct plain_tags;

/* For `reg` (may be NULL: no registry). NULL on out of memory. */
struct plain_tags *plain_tags_new(const struct registry *reg);
/* Frees; accepts NULL. */
void plain_tags_free(struct plain_tags *pt);
/*
 * Forgets every answer and serves `reg` (may be NULL) from now on. 0, or
 * -ENOMEM (then every later question is answered false, which is always
 * safe: the encoder escapes and checks).
 */
int plain_tags_reset(struct plain_tags *pt, const struct registry *reg);
/*
 * True when a's category, asset_id, device_id, district and model are all
 * lp_plain(). `a` must come from the registry given last (a pointer from
 * any other registry, or NULL, gives false).
 */
bool plain_tags_asset(struct plain_tags *pt, const struct asset *a);

#endif
