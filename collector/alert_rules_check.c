/*
 * alert_rules_check: an operator rule checked against the category profiles,
 * so that a misspelled field or category is said at start-up instead of the
 * rule silently never firing.
 */
#include "alert_rules.h"
#include "strdist.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

static void say(struct buf *b, const char *source, size_t i, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void say(struct buf *b, const char *source, size_t i, const char *key, const char *fmt, ...)
{
    if (!b)
        return;
    buf_printf(b, "%s: rules[%zu].%s: ", source, i, key);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
    buf_putc(b, '\n');
}

static bool in_scope(const struct alert_scope *sc, const char *category)
{
    if (sc->n == 0)
        return true;
    for (size_t j = 0; j < sc->n; j++)
        if (strcmp(sc->v[j], category) == 0)
            return true;
    return false;
}

static bool kind_fits(enum alert_kind k, enum profile_type t)
{
    return (k == AK_NUMBER && t == PROFILE_FLOAT) || (k == AK_BOOL && t == PROFILE_BOOL) ||
           (k == AK_STRING && t == PROFILE_STRING);
}

static const char *kind_name(enum alert_kind k)
{
    return k == AK_NUMBER ? "a number" : k == AK_BOOL ? "true/false" : "a string";
}

/* Every category of the scope must have a profile; returns the errors. */
static int check_categories(const struct alert_rule *r, size_t i, const struct profile_set *ps,
                            const char *source, struct buf *errors)
{
    int nerr = 0;
    for (size_t j = 0; j < r->category.n; j++) {
        const char *c = r->category.v[j];
        if (profile_set_find(ps, c, strlen(c)))
            continue;
        const char *near = NULL;
        size_t best = SIZE_MAX;
        for (size_t p = 0; p < profile_set_count(ps); p++) {
            const char *name = profile_set_at(ps, p)->category;
            size_t d = str_distance(c, strlen(c), name, strlen(name));
            if (d < best)
                best = d, near = name;
        }
        nerr++;
        if (near && best <= str_distance_limit(strlen(c)))
            say(errors, source, i, "category", "'%s' has no profile; fix: did you mean '%s'?", c,
                near);
        else
            say(errors, source, i, "category",
                "'%s' has no profile; fix: name a category of the profiles (lifeline help "
                "config: profiles.dir)",
                c);
    }
    return nerr;
}

int alert_rules_check(const struct alert_rules *rules, const struct profile_set *ps,
                      bool extras_accepted, const char *source, struct buf *errors,
                      struct buf *warnings)
{
    int nerr = 0;
    for (size_t i = 0; rules && i < rules->n; i++) {
        const struct alert_rule *r = &rules->rules[i];
        nerr += check_categories(r, i, ps, source, errors);
        size_t fl = strlen(r->field);
        const struct profile_field *has = NULL, *alias_of = NULL, *near = NULL;
        const struct profile *has_p = NULL;
        size_t best = SIZE_MAX, in_scope_n = 0;
        for (size_t p = 0; p < profile_set_count(ps); p++) {
            const struct profile *pr = profile_set_at(ps, p);
            if (!in_scope(&r->category, pr->category))
                continue;
            in_scope_n++;
            bool alias = false;
            const struct profile_field *f = profile_find_field(pr, r->field, fl, &alias);
            if (f && alias) {
                alias_of = f;
            } else if (f) {
                /* a field of one profile in scope is enough, if its type can match */
                if (!has || kind_fits(r->kind, f->type))
                    has = f, has_p = pr;
            } else {
                for (size_t k = 0; k < pr->nfields; k++) {
                    const char *name = pr->fields[k].name;
                    size_t d = str_distance(r->field, fl, name, strlen(name));
                    if (d < best)
                        best = d, near = &pr->fields[k];
                }
            }
        }
        if (in_scope_n == 0)
            continue; /* the category errors above say why */
        if (has && !kind_fits(r->kind, has->type)) {
            nerr++;
            say(errors, source, i, "threshold",
                "is %s, but '%s' of %s is %s, so the rule could never fire; fix: give a "
                "threshold of that type",
                kind_name(r->kind), r->field, has_p->category, profile_type_name(has->type));
        } else if (!has && alias_of) {
            nerr++;
            say(errors, source, i, "field",
                "'%s' is an alias: readings carry the canonical name; fix: write \"%s\"", r->field,
                alias_of->name);
        } else if (!has) {
            bool close = near && best <= str_distance_limit(fl);
            const char *scope = r->category.n ? "the profiles of its categories" : "any profile";
            if (!extras_accepted) {
                nerr++;
                say(errors, source, i, "field",
                    "'%s' is not a field of %s, and validate.unknown_fields is reject, so no "
                    "reading can carry it; fix: %s%s%s",
                    r->field, scope, close ? "did you mean '" : "name a profile field",
                    close ? near->name : "", close ? "'?" : "");
            } else {
                say(warnings, source, i, "field",
                    "'%s' is not a field of %s: the rule fires only on readings that carry "
                    "it as a vendor extra%s%s%s",
                    r->field, scope, close ? "; did you mean '" : "", close ? near->name : "",
                    close ? "'?" : "");
            }
        }
    }
    return nerr;
}
