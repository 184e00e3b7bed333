/*
 * The live state's field values (struct value in devstate_impl.h): what a
 * reading records, and how a sync moves their keys and units, which point
 * into the profiles of the knowledge synced, to the new knowledge.
 *
 * Why this layout: every reporting device keeps one value per field, and an
 * operator runs with every device reporting (51,815 of them in the
 * 100,000-asset registry of docs/performance.md); fixed key, unit and
 * string arrays made a value 168 bytes, this makes it 32.
 */
#include "devstate_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

const char *devstate_value_key(const struct value *v)
{
    return v->flags & V_OWN_KEY ? v->k.own : v->k.pf->name;
}

const char *devstate_value_unit(const struct value *v, size_t *unit_len)
{
    const char *u;
    if (v->flags & V_OWN_KEY) {
        u = v->k.own + strlen(v->k.own) + 1;
        *unit_len = strlen(u); /* cut when the block was made */
        return u;
    }
    u = v->k.pf->unit ? v->k.pf->unit : "";
    *unit_len = devstate_cut_len(u, strlen(u), DEVSTATE_UNIT_MAX);
    return u;
}

const char *devstate_value_str(const struct value *v)
{
    return v->flags & V_STR_HEAP ? v->v.s : v->v.in;
}

static void value_clear(struct value *v)
{
    if (v->flags & V_OWN_KEY)
        free(v->k.own);
    if (v->flags & V_STR_HEAP)
        free(v->v.s);
    v->flags = 0;
}

void devstate_values_free(struct entry *e)
{
    for (size_t i = 0; i < e->nvalues; i++)
        value_clear(&e->values[i]);
    free(e->values);
    e->values = NULL;
    e->nvalues = e->capvalues = 0;
}

/* "key\0unit\0", the unit cut to fit DEVSTATE_UNIT_MAX; NULL on out of memory. */
static char *own_block(const char *key, size_t klen, const char *unit)
{
    size_t ulen = devstate_cut_len(unit, strlen(unit), DEVSTATE_UNIT_MAX);
    char *b = malloc(klen + ulen + 2);
    if (!b)
        return NULL;
    memcpy(b, key, klen);
    b[klen] = '\0';
    memcpy(b + klen + 1, unit, ulen);
    b[klen + 1 + ulen] = '\0';
    return b;
}

static bool field_of(const struct profile_field *pf, const struct profile *p)
{
    uintptr_t a = (uintptr_t)pf, lo = (uintptr_t)p->fields;
    return a >= lo && a < lo + p->nfields * sizeof *p->fields;
}

/* Whether p is one of the profiles of the knowledge synced (only those may be pointed into). */
static bool profile_synced(struct devstate *ds, const struct profile *p)
{
    if (!p || !ds->k)
        return false;
    if (p == ds->profile_ok)
        return true;
    const struct profile_set *ps = ds->k->profiles;
    for (size_t i = 0; i < profile_set_count(ps); i++)
        if (profile_set_at(ps, i) == p) {
            ds->profile_ok = p;
            return true;
        }
    return false;
}

/*
 * Points v's key and unit at what reading field f means under profile p:
 * the profile's own strings when f is one of p's fields by its canonical
 * name and p may be pointed into, else a copy of f's key with the unit of
 * the field it names (an alias) or "". False on out of memory (v as it was).
 */
static bool resolve(struct value *v, bool fresh, const struct field *f, const struct profile *p,
                    bool borrow)
{
    if (!fresh && !(v->flags & V_OWN_KEY) && borrow && field_of(v->k.pf, p))
        return true; /* the usual case: the same field of the same profile */
    bool alias = false;
    const struct profile_field *pf = p ? profile_find_field(p, f->key, f->key_len, &alias) : NULL;
    if (pf && !alias && borrow) {
        if (!fresh && (v->flags & V_OWN_KEY))
            free(v->k.own);
        v->k.pf = pf;
        v->flags &= (uint8_t)~V_OWN_KEY;
        return true;
    }
    const char *unit = pf && pf->unit ? pf->unit : "";
    if (!fresh && (v->flags & V_OWN_KEY)) {
        size_t ulen;
        const char *had = devstate_value_unit(v, &ulen);
        if (strcmp(v->k.own, f->key) == 0 &&
            ulen == devstate_cut_len(unit, strlen(unit), DEVSTATE_UNIT_MAX) &&
            memcmp(had, unit, ulen) == 0)
            return true;
    }
    char *b = own_block(f->key, f->key_len, unit);
    if (!b)
        return false;
    if (!fresh && (v->flags & V_OWN_KEY))
        free(v->k.own);
    v->k.own = b;
    v->flags |= V_OWN_KEY;
    return true;
}

static void set_string(struct value *v, const char *s, size_t len)
{
    size_t n = devstate_cut_len(s, len, DEVSTATE_STR_MAX);
    if (n < sizeof v->v.in) {
        if (v->flags & V_STR_HEAP)
            free(v->v.s);
        v->flags &= (uint8_t)~V_STR_HEAP;
        memcpy(v->v.in, s, n);
        v->v.in[n] = '\0';
        return;
    }
    if (!(v->flags & V_STR_HEAP) || v->scap < n + 1) {
        /* rounded up, so that a value whose length wobbles keeps its block */
        size_t cap = (n + 16) & ~(size_t)15;
        if (cap > DEVSTATE_STR_MAX)
            cap = DEVSTATE_STR_MAX;
        char *b = malloc(cap);
        if (!b) { /* out of memory: an empty value rather than a stale one */
            set_string(v, "", 0);
            return;
        }
        if (v->flags & V_STR_HEAP)
            free(v->v.s);
        v->v.s = b;
        v->scap = (uint8_t)cap;
        v->flags |= V_STR_HEAP;
    }
    memcpy(v->v.s, s, n);
    v->v.s[n] = '\0';
}

static void set_value(struct value *v, const struct field *f, int64_t ts_ms)
{
    v->ts_ms = f->ts_ms ? f->ts_ms : ts_ms;
    if (f->type == FIELD_STRING) {
        set_string(v, f->v.s.ptr, f->v.s.len);
    } else {
        if (v->flags & V_STR_HEAP)
            free(v->v.s);
        v->flags &= (uint8_t)~V_STR_HEAP;
        if (f->type == FIELD_FLOAT)
            v->v.num = f->v.f;
        else if (f->type == FIELD_INT)
            v->v.i = f->v.i;
        else
            v->v.b = f->v.b;
    }
    v->type = (uint8_t)f->type;
}

/* The value of key f->key, searched from position `hint` (devices tend to
 * send their fields in the same order), or NULL. */
static struct value *find(struct entry *e, const struct field *f, size_t hint)
{
    size_t n = e->nvalues;
    for (size_t j = 0, i = hint < n ? hint : 0; j < n; j++, i = i + 1 < n ? i + 1 : 0)
        if (strcmp(devstate_value_key(&e->values[i]), f->key) == 0)
            return &e->values[i];
    return NULL;
}

/* A new value at the end, the array grown to the fields still to come; NULL past the limits. */
static struct value *add(struct entry *e, size_t still)
{
    if (e->nvalues >= DEVSTATE_MAX_VALUES)
        return NULL;
    if (e->nvalues == e->capvalues) {
        size_t cap = (size_t)e->nvalues + (still ? still : 1);
        if (cap > DEVSTATE_MAX_VALUES)
            cap = DEVSTATE_MAX_VALUES;
        struct value *nv = realloc(e->values, cap * sizeof *nv);
        if (!nv)
            return NULL;
        e->values = nv;
        e->capvalues = (uint8_t)cap;
    }
    struct value *v = &e->values[e->nvalues];
    memset(v, 0, sizeof *v);
    return v;
}

void devstate_values_note(struct devstate *ds, struct entry *e, const struct reading *r,
                          const struct profile *p)
{
    bool borrow = profile_synced(ds, p);
    for (size_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        if (f->key_len >= DEVSTATE_KEY_MAX)
            continue;
        struct value *v = find(e, f, i);
        bool fresh = !v;
        if (fresh && !(v = add(e, r->nfields - i)))
            continue;
        if (!resolve(v, fresh, f, p, borrow))
            continue; /* fresh: not added */
        set_value(v, f, r->ts_ms);
        if (fresh)
            e->nvalues++;
    }
}

/* ------------------------------------------------------------ sync */

/* Calls fn on every heard entry, bound first, then loose, in a fixed order. */
static void each_entry(struct devstate *ds, void (*fn)(struct entry *e, void *ctx), void *ctx)
{
    for (size_t i = 0; i < ds->nbound; i++)
        if (ds->bound[i])
            fn(ds->bound[i], ctx);
    for (size_t i = 0; i < NSHARDS; i++)
        for (size_t b = 0; b < NBUCKETS; b++)
            for (struct entry *e = ds->shards[i].buckets[b]; e; e = e->next)
                fn(e, ctx);
}

/* Where field pf of the old profiles is in the new ones; NULL when it is not, or not the same. */
static const struct profile_field *mapped(const struct devstate_remap *m,
                                          const struct profile_field *pf)
{
    for (size_t i = 0; i < profile_set_count(m->from); i++) {
        const struct profile *p = profile_set_at(m->from, i);
        if (field_of(pf, p))
            return m->to[i] ? m->to[i][pf - p->fields] : NULL;
    }
    return NULL;
}

struct prepare_ctx {
    struct devstate_remap *m;
    int rc;
};

static void prepare_entry(struct entry *e, void *arg)
{
    struct prepare_ctx *c = arg;
    struct devstate_remap *m = c->m;
    for (size_t i = 0; i < e->nvalues && !c->rc; i++) {
        const struct value *v = &e->values[i];
        if ((v->flags & V_OWN_KEY) || mapped(m, v->k.pf))
            continue;
        if (m->nblocks == m->capblocks) {
            size_t cap = m->capblocks ? m->capblocks * 2 : 16;
            char **nb = realloc(m->blocks, cap * sizeof *nb);
            if (!nb) {
                c->rc = -ENOMEM;
                return;
            }
            m->blocks = nb;
            m->capblocks = cap;
        }
        size_t ulen;
        const char *unit = devstate_value_unit(v, &ulen), *key = v->k.pf->name;
        char *b = malloc(strlen(key) + ulen + 2);
        if (!b) {
            c->rc = -ENOMEM;
            return;
        }
        memcpy(b, key, strlen(key) + 1);
        memcpy(b + strlen(key) + 1, unit, ulen);
        b[strlen(key) + 1 + ulen] = '\0';
        m->blocks[m->nblocks++] = b;
    }
}

int devstate_remap_prepare(struct devstate *ds, const struct profile_set *to,
                           struct devstate_remap *m)
{
    memset(m, 0, sizeof *m);
    m->from = ds->k ? ds->k->profiles : NULL;
    size_t n = profile_set_count(m->from);
    if (n && !(m->to = calloc(n, sizeof *m->to)))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct profile *op = profile_set_at(m->from, i);
        const struct profile *np =
            to ? profile_set_find(to, op->category, strlen(op->category)) : NULL;
        if (!np || !op->nfields)
            continue;
        if (!(m->to[i] = calloc(op->nfields, sizeof *m->to[i]))) {
            devstate_remap_free(m);
            return -ENOMEM;
        }
        for (size_t j = 0; j < op->nfields; j++) {
            const struct profile_field *of = &op->fields[j];
            bool alias = false;
            const struct profile_field *nf =
                profile_find_field(np, of->name, strlen(of->name), &alias);
            const char *ou = of->unit ? of->unit : "", *nu = nf && nf->unit ? nf->unit : "";
            size_t ol = devstate_cut_len(ou, strlen(ou), DEVSTATE_UNIT_MAX);
            /* the unit shown stays the one of the reading until the next one */
            if (nf && !alias && ol == devstate_cut_len(nu, strlen(nu), DEVSTATE_UNIT_MAX) &&
                memcmp(ou, nu, ol) == 0)
                m->to[i][j] = nf;
        }
    }
    struct prepare_ctx c = {m, 0};
    if (m->from)
        each_entry(ds, prepare_entry, &c);
    if (c.rc)
        devstate_remap_free(m);
    return c.rc;
}

static void apply_entry(struct entry *e, void *arg)
{
    struct devstate_remap *m = arg;
    for (size_t i = 0; i < e->nvalues; i++) {
        struct value *v = &e->values[i];
        if (v->flags & V_OWN_KEY)
            continue;
        const struct profile_field *nf = mapped(m, v->k.pf);
        if (nf) {
            v->k.pf = nf;
        } else {
            v->k.own = m->blocks[m->used++];
            v->flags |= V_OWN_KEY;
        }
    }
}

void devstate_remap_apply(struct devstate *ds, struct devstate_remap *m)
{
    if (m->from)
        each_entry(ds, apply_entry, m);
    ds->profile_ok = NULL;
}

void devstate_remap_free(struct devstate_remap *m)
{
    for (size_t i = m->used; i < m->nblocks; i++)
        free(m->blocks[i]);
    free(m->blocks);
    for (size_t i = 0; m->to && i < profile_set_count(m->from); i++)
        free(m->to[i]);
    free(m->to);
    memset(m, 0, sizeof *m);
}
