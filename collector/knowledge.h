/*
 * knowledge: what the daemon knows about devices, loaded together so that a
 * reload (SIGHUP) swaps it as one: the category profiles (profiles.dir over
 * the built-in ones) and the asset registry (registry.assets), whose
 * categories are checked against those profiles.
 *
 * Immutable once loaded. The pipeline thread owns the one it uses and frees
 * it when it adopts a newer one (pipeline_set_knowledge).
 */
#ifndef LIFELINE_KNOWLEDGE_H
#define LIFELINE_KNOWLEDGE_H

#include "buf.h"
#include "config.h"
#include "profile.h"
#include "registry.h"

struct knowledge {
    struct profile_set *profiles;
    struct registry *registry; /* NULL when registry.assets is unset or "" */
};

/*
 * Loads profiles, then the registry. Every problem is appended to `errors`
 * (may be NULL) as one line naming file, line or key and the fix, and
 * counted in *nerrors. NULL when anything was wrong.
 */
struct knowledge *knowledge_load(const struct config *c, struct buf *errors, int *nerrors);
/* Frees; accepts NULL. */
void knowledge_free(struct knowledge *k);

#endif
