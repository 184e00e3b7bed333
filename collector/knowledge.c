#include "knowledge.h"

#include <stdatomic.h>
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
    atomic_init(&k->refs, 1);
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
    knowledge_unref(k);
    return NULL;
}

struct knowledge *knowledge_new(struct profile_set *profiles, struct registry *registry)
{
    struct knowledge *k = calloc(1, sizeof *k);
    if (!k) {
        profile_set_free(profiles);
        registry_free(registry);
        return NULL;
    }
    atomic_init(&k->refs, 1);
    k->profiles = profiles;
    k->registry = registry;
    return k;
}

struct knowledge *knowledge_ref(struct knowledge *k)
{
    /* relaxed: whoever hands k over already holds a reference, so it cannot go away meanwhile */
    if (k)
        atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
    return k;
}

void knowledge_unref(struct knowledge *k)
{
    /* acq_rel: the freeing thread sees every other holder's reads finished */
    if (!k || atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) != 1)
        return;
    profile_set_free(k->profiles);
    registry_free(k->registry);
    free(k);
}
