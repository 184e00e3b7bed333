/*
 * category: which device categories exist. For now the six of the domain
 * (water_supply, drainage, sewage, manhole_cover, bridge_tunnel,
 * surveillance); the category profiles will answer from their profile set.
 */
#ifndef LIFELINE_CATEGORY_H
#define LIFELINE_CATEGORY_H

#include <stdbool.h>

/* True when `name` is exactly (case-sensitive) a known category. NULL is not. */
bool category_known(const char *name);

#endif
