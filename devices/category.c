/*
 * The known categories. A stand-in for the profile set: once profiles exist
 * this asks them, and the signature stays (registry_load takes it as its
 * known_category callback).
 */
#include "category.h"

#include <stddef.h>
#include <string.h>

bool category_known(const char *name)
{
    static const char *const names[] = {"water_supply",  "drainage",      "sewage",
                                        "manhole_cover", "bridge_tunnel", "surveillance"};
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}
