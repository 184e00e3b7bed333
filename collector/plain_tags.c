#include "plain_tags.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineproto.h"

/* Two bits an asset: not yet known, plain, not plain. */
enum { UNKNOWN = 0, PLAIN = 1, NOT_PLAIN = 2 };

struct plain_tags {
    const struct asset *first; /* registry_at(reg, 0): asset pointers index from it */
    size_t n;
    uint8_t *bits; /* (n + 3) / 4 bytes */
};

struct plain_tags *plain_tags_new(const struct registry *reg)
{
    struct plain_tags *pt = calloc(1, sizeof *pt);
    if (pt && plain_tags_reset(pt, reg) != 0) {
        free(pt);
        return NULL;
    }
    return pt;
}

void plain_tags_free(struct plain_tags *pt)
{
    if (!pt)
        return;
    free(pt->bits);
    free(pt);
}

int plain_tags_reset(struct plain_tags *pt, const struct registry *reg)
{
    free(pt->bits);
    pt->bits = NULL;
    pt->first = NULL;
    pt->n = 0;
    size_t n = registry_count(reg);
    if (n == 0)
        return 0;
    pt->bits = calloc((n + 3) / 4, 1);
    if (!pt->bits)
        return -ENOMEM;
    pt->first = registry_at(reg, 0);
    pt->n = n;
    return 0;
}

static bool text_plain(const char *s)
{
    return !s || lp_plain(s, strlen(s));
}

bool plain_tags_asset(struct plain_tags *pt, const struct asset *a)
{
    /* compared as addresses: a pointer into another registry's array is not ours */
    uintptr_t base = (uintptr_t)pt->first, at = (uintptr_t)a;
    if (!a || !pt->n || at < base || (at - base) / sizeof *a >= pt->n ||
        (at - base) % sizeof *a != 0)
        return false;
    size_t i = (at - base) / sizeof *a;
    unsigned shift = (unsigned)(i % 4) * 2;
    unsigned v = (pt->bits[i / 4] >> shift) & 3u;
    if (v == UNKNOWN) {
        v = text_plain(a->category) && text_plain(a->asset_id) && text_plain(a->device_id) &&
                    text_plain(a->district) && text_plain(a->model)
                ? PLAIN
                : NOT_PLAIN;
        pt->bits[i / 4] |= (uint8_t)(v << shift);
    }
    return v == PLAIN;
}
