/*
 * knowledge: what the daemon knows about devices, loaded together so that a
 * reload (SIGHUP) swaps it as one: the category profiles (profiles.dir over
 * the built-in ones) and the asset registry (registry.assets), whose
 * categories are checked against those profiles.
 *
 * Immutable once loaded, and reference counted: the pipeline, the alert
 * engine, the live view's device state and the report server share one (a
 * 100,000-asset registry is about 15 MB), each holding a reference; a reload loads a new one and
 * each holder drops its reference to the old one when it adopts the new one, on its own thread.
 * Nothing in it is written after knowledge_load returns, so holders read it without locks; the last
 * knowledge_unref frees it.
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
    _Atomic int refs;          /* knowledge_ref / knowledge_unref only */
};

/*
 * Loads profiles, then the registry. Every problem is appended to `errors`
 * (may be NULL) as one line naming file, line or key and the fix, and
 * counted in *nerrors. NULL when anything was wrong. The caller holds the
 * one reference.
 */
struct knowledge *knowledge_load(const struct config *c, struct buf *errors, int *nerrors);
/*
 * Knowledge made of profiles and a registry already loaded (tests, tools):
 * takes both over (registry may be NULL) and the caller holds the one
 * reference. NULL on out of memory (then both are freed).
 */
struct knowledge *knowledge_new(struct profile_set *profiles, struct registry *registry);
/* Takes another reference for a new holder (any thread); returns k. NULL for NULL. */
struct knowledge *knowledge_ref(struct knowledge *k);
/*
 * Drops the caller's reference; the last one frees profiles and registry.
 * Accepts NULL. The caller must not touch k (nor its assets) afterwards.
 */
void knowledge_unref(struct knowledge *k);

#endif
