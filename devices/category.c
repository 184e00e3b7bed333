#include "category.h"

#include <stddef.h>
#include <string.h>

#include "profile.h"

static _Thread_local const struct profile_set *in_use;

void category_use(const struct profile_set *s)
{
    in_use = s;
}

bool category_known(const char *name)
{
    static const char *const names[] = {"water_supply",  "drainage",      "sewage",
                                        "manhole_cover", "bridge_tunnel", "surveillance"};
    if (!name)
        return false;
    if (in_use)
        return profile_set_find(in_use, name, strlen(name)) != NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}
