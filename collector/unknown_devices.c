#include "unknown_devices.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct unknown_devices {
    pthread_mutex_t mu;
    size_t cap, n, nslots;
    uint64_t overflow;
    struct unknown_device *e;
    uint32_t *slot; /* index + 1 into e, 0 empty; nslots a power of two >= 2 * cap */
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

struct unknown_devices *unknown_devices_new(size_t cap)
{
    struct unknown_devices *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->cap = cap ? cap : 1;
    u->nslots = 2;
    while (u->nslots < 2 * u->cap)
        u->nslots *= 2;
    u->e = calloc(u->cap, sizeof *u->e);
    u->slot = calloc(u->nslots, sizeof *u->slot);
    if (!u->e || !u->slot) {
        unknown_devices_free(u);
        return NULL;
    }
    pthread_mutex_init(&u->mu, NULL);
    return u;
}

void unknown_devices_free(struct unknown_devices *u)
{
    if (!u)
        return;
    if (u->e && u->slot)
        pthread_mutex_destroy(&u->mu);
    free(u->e);
    free(u->slot);
    free(u);
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t *find(struct unknown_devices *u, const char *id, size_t len)
{
    size_t mask = u->nslots - 1;
    for (size_t i = (size_t)hash(id, len) & mask;; i = (i + 1) & mask) {
        uint32_t s = u->slot[i];
        if (!s || (strlen(u->e[s - 1].id) == len && memcmp(u->e[s - 1].id, id, len) == 0))
            return &u->slot[i];
    }
}

static size_t cut(size_t len, size_t max)
{
    return len < max ? len : max - 1;
}

void unknown_devices_note(struct unknown_devices *u, const char *id, size_t len,
                          const char *category, size_t category_len, int64_t now_ms)
{
    len = cut(len, UNKNOWN_DEVICE_ID_MAX);
    pthread_mutex_lock(&u->mu);
    uint32_t *s = find(u, id, len);
    if (*s) {
        u->e[*s - 1].last_ms = now_ms;
        u->e[*s - 1].readings++;
    } else if (u->n == u->cap) {
        u->overflow++;
    } else {
        struct unknown_device *d = &u->e[u->n];
        memset(d, 0, sizeof *d);
        memcpy(d->id, id, len);
        if (category) {
            category_len = cut(category_len, UNKNOWN_CATEGORY_MAX);
            memcpy(d->category, category, category_len);
        }
        d->first_ms = d->last_ms = now_ms;
        d->readings = 1;
        *s = (uint32_t)++u->n;
    }
    pthread_mutex_unlock(&u->mu);
}

void unknown_devices_forget_registered(struct unknown_devices *u, const struct registry *reg)
{
    if (!reg)
        return;
    pthread_mutex_lock(&u->mu);
    size_t keep = 0;
    for (size_t i = 0; i < u->n; i++)
        if (!registry_find_device(reg, u->e[i].id, strlen(u->e[i].id)))
            u->e[keep++] = u->e[i];
    u->n = keep;
    memset(u->slot, 0, u->nslots * sizeof *u->slot);
    for (size_t i = 0; i < u->n; i++)
        *find(u, u->e[i].id, strlen(u->e[i].id)) = (uint32_t)(i + 1);
    pthread_mutex_unlock(&u->mu);
}

size_t unknown_devices_count(struct unknown_devices *u)
{
    pthread_mutex_lock(&u->mu);
    size_t n = u->n;
    pthread_mutex_unlock(&u->mu);
    return n;
}

uint64_t unknown_devices_overflow(struct unknown_devices *u)
{
    pthread_mutex_lock(&u->mu);
    uint64_t n = u->overflow;
    pthread_mutex_unlock(&u->mu);
    return n;
}

static int by_last_seen(const void *a, const void *b)
{
    const struct unknown_device *x = a, *y = b;
    return x->last_ms < y->last_ms ? 1 : x->last_ms > y->last_ms ? -1 : strcmp(x->id, y->id);
}

size_t unknown_devices_list(struct unknown_devices *u, struct unknown_device *out, size_t max)
{
    pthread_mutex_lock(&u->mu);
    size_t n = u->n < max ? u->n : max;
    if (u->n <= max) {
        memcpy(out, u->e, n * sizeof *out);
        pthread_mutex_unlock(&u->mu);
        qsort(out, n, sizeof *out, by_last_seen);
        return n;
    }
    /* more than fit: the caller wants the most recent, so sort a copy under the lock */
    struct unknown_device *all = malloc(u->n * sizeof *all);
    if (all) {
        memcpy(all, u->e, u->n * sizeof *all);
        qsort(all, u->n, sizeof *all, by_last_seen);
        memcpy(out, all, n * sizeof *out);
        free(all);
    } else {
        memcpy(out, u->e, n * sizeof *out);
    }
    pthread_mutex_unlock(&u->mu);
    return n;
}
