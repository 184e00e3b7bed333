#include "strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct entry {
    char *key; /* NULL: empty */
    size_t len;
    uint64_t hash;
    void *val;
};

struct strmap {
    struct entry *e;
    size_t cap; /* a power of two */
    size_t n;
};

static uint64_t hash_of(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

struct strmap *strmap_new(void)
{
    struct strmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 64;
    m->e = calloc(m->cap, sizeof *m->e);
    if (!m->e) {
        free(m);
        return NULL;
    }
    return m;
}

void strmap_free(struct strmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->e[i].key);
    free(m->e);
    free(m);
}

static struct entry *slot_of(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
    for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct entry *e = &m->e[i];
        if (!e->key || (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0))
            return e;
    }
}

void *strmap_get(const struct strmap *m, const char *key, size_t len)
{
    struct entry *e = slot_of(m, key, len, hash_of(key, len));
    return e->key ? e->val : NULL;
}

static int grow(struct strmap *m)
{
    size_t cap = m->cap * 2;
    struct entry *ne = calloc(cap, sizeof *ne);
    if (!ne)
        return -ENOMEM;
    struct strmap tmp = {ne, cap, 0};
    for (size_t i = 0; i < m->cap; i++)
        if (m->e[i].key)
            *slot_of(&tmp, m->e[i].key, m->e[i].len, m->e[i].hash) = m->e[i];
    free(m->e);
    m->e = ne;
    m->cap = cap;
    return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t len, void *val)
{
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0) /* load factor <= 3/4 */
        return -ENOMEM;
    uint64_t h = hash_of(key, len);
    struct entry *e = slot_of(m, key, len, h);
    if (!e->key) {
        char *k = malloc(len + 1);
        if (!k)
            return -ENOMEM;
        memcpy(k, key, len);
        k[len] = '\0';
        *e = (struct entry){k, len, h, NULL};
        m->n++;
    }
    e->val = val;
    return 0;
}

size_t strmap_count(const struct strmap *m)
{
    return m->n;
}
