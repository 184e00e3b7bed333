/*
 * category: which device categories exist: those of the profile set in use
 * (profile.h), or, when none is in use on this thread, the six of the domain
 * (water_supply, drainage, sewage, manhole_cover, bridge_tunnel,
 * surveillance). registry_load takes category_known as its callback, which
 * has no context argument: category_use() says which profile set it asks.
 */
#ifndef LIFELINE_CATEGORY_H
#define LIFELINE_CATEGORY_H

#include <stdbool.h>

struct profile_set;

/* True when `name` is exactly (case-sensitive) a known category. NULL is not. */
bool category_known(const char *name);
/* Makes category_known answer from `s` on the calling thread (NULL: the built-in six). */
void category_use(const struct profile_set *s);

#endif
