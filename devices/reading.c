#include "reading.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int reading_init(struct reading *r, size_t arena_cap)
{
    memset(r, 0, sizeof *r);
    r->arena = malloc(arena_cap);
    if (!r->arena)
        return -ENOMEM;
    r->arena_cap = arena_cap;
    return 0;
}

void reading_free(struct reading *r)
{
    if (!r)
        return;
    free(r->arena);
    r->arena = NULL;
    r->arena_cap = 0;
}

void reading_reset(struct reading *r)
{
    r->ts_ms = 0;
    r->ts_from_receipt = false;
    r->nfields = 0;
    r->arena_len = 0;
}

char *reading_strdup(struct reading *r, const char *s, size_t n)
{
    if (n >= r->arena_cap - r->arena_len)
        return NULL;
    char *p = r->arena + r->arena_len;
    memcpy(p, s, n);
    p[n] = '\0';
    r->arena_len += n + 1;
    return p;
}

struct field *reading_add_field(struct reading *r)
{
    if (r->nfields >= READING_MAX_FIELDS)
        return NULL;
    struct field *f = &r->fields[r->nfields++];
    memset(f, 0, sizeof *f);
    return f;
}

const struct field *reading_find(const struct reading *r, const char *key)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (strcmp(r->fields[i].key, key) == 0)
            return &r->fields[i];
    return NULL;
}
