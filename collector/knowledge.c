#include "knowledge.h"

#include <stdlib.h>

#include "category.h"

struct knowledge *knowledge_load(const struct config *c, struct buf *errors, int *nerrors)
{
    int local = 0;
    if (!nerrors)
        nerrors = &local;
    struct knowledge *k = calloc(1, sizeof *k);
    if (!k) {
        (*nerrors)++;
        return NULL;
    }
    k->profiles = profile_set_load(c->profiles.dir, errors, nerrors);
    if (!k->profiles)
        goto err;
    const char *assets = c->registry.assets;
    if (assets && *assets) {
        /* registry_load's known_category callback has no context: the
         * profiles it should consult are handed over for this call only */
        category_use(k->profiles);
        int n = 0;
        k->registry = registry_load(assets, category_known, errors, &n);
        category_use(NULL);
        *nerrors += n;
        if (!k->registry) {
            if (n == 0)
                (*nerrors)++;
            goto err;
        }
    }
    return k;
err:
    knowledge_free(k);
    return NULL;
}

void knowledge_free(struct knowledge *k)
{
    if (!k)
        return;
    profile_set_free(k->profiles);
    registry_free(k->registry);
    free(k);
}
