/*
 * The set of category profiles: the built-in ones, then a directory's files
 * replacing or adding categories. Sorted by category so lists and reports
 * come out in a stable order; found by binary search.
 */
#include "profile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PROFILE_BYTES (256 * 1024)

struct profile_set {
    size_t n;
    struct profile *p[PROFILE_MAX_CATEGORIES];
};

static int cmp_name(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* Index of category, or where it would go (with *found false). */
static size_t position(const struct profile_set *s, const char *cat, size_t len, bool *found)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = cmp_name(cat, len, s->p[mid]->category);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = false;
    return lo;
}

static int put(struct profile_set *s, struct profile *p)
{
    bool found;
    size_t i = position(s, p->category, strlen(p->category), &found);
    if (found) {
        profile_free(s->p[i]);
        s->p[i] = p;
        return 0;
    }
    if (s->n == PROFILE_MAX_CATEGORIES)
        return -E2BIG;
    memmove(&s->p[i + 1], &s->p[i], (s->n - i) * sizeof s->p[0]);
    s->p[i] = p;
    s->n++;
    return 0;
}

static bool valid_category(const char *name, size_t len)
{
    if (len == 0 || len > 64)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static int read_all(const char *path, struct buf *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = 0;
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        if ((rc = buf_append(out, chunk, (size_t)n)) != 0)
            break;
    }
    close(fd);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads dir/<category>.json files in name order. */
static void load_dir(struct profile_set *s, const char *dir, struct buf *errors, int *nerrors)
{
    DIR *d = opendir(dir);
    if (!d) {
        (*nerrors)++;
        if (errors)
            buf_printf(errors,
                       "%s: cannot open profiles.dir: %s; fix: create it or correct "
                       "profiles.dir\n",
                       dir, strerror(errno));
        return;
    }
    char *names[PROFILE_MAX_CATEGORIES * 2];
    size_t nnames = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nnames < sizeof names / sizeof names[0]) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 && e->d_name[0] != '.')
            names[nnames++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, nnames, sizeof names[0], cmp_str);
    for (size_t i = 0; i < nnames; i++) {
        if (!names[i])
            continue;
        struct buf path, text;
        buf_init(&path, 4096);
        buf_init(&text, MAX_PROFILE_BYTES);
        buf_printf(&path, "%s/%s", dir, names[i]);
        size_t clen = strlen(names[i]) - 5;
        names[i][clen] = '\0';
        int rc = path.data ? read_all(path.data, &text) : -ENOMEM;
        if (!valid_category(names[i], clen)) {
            (*nerrors)++;
            if (errors)
                buf_printf(errors,
                           "%s: '%s' is not a category name; fix: name the file with "
                           "a-z, 0-9 and '_' only, e.g. water_supply.json\n",
                           path.data ? path.data : dir, names[i]);
        } else if (rc) {
            (*nerrors)++;
            if (errors)
                buf_printf(errors, "%s: cannot read: %s; fix: check the file\n",
                           path.data ? path.data : dir, strerror(-rc));
        } else {
            struct profile *p = profile_parse(names[i], path.data, text.data ? text.data : "",
                                              text.len, errors, nerrors);
            if (p && put(s, p) != 0) {
                profile_free(p);
                (*nerrors)++;
                if (errors)
                    buf_printf(errors, "%s: more than %d categories; fix: remove some\n", path.data,
                               PROFILE_MAX_CATEGORIES);
            }
        }
        buf_free(&path);
        buf_free(&text);
        free(names[i]);
    }
}

struct profile_set *profile_set_load(const char *dir, struct buf *errors, int *nerrors)
{
    int local = 0;
    if (!nerrors)
        nerrors = &local;
    int before = *nerrors;
    struct profile_set *s = calloc(1, sizeof *s);
    if (!s) {
        (*nerrors)++;
        return NULL;
    }
    for (size_t i = 0; i < profile_builtins_len; i++) {
        const struct profile_builtin *b = &profile_builtins[i];
        struct profile *p =
            profile_parse(b->category, "built-in", b->json, b->len, errors, nerrors);
        if (p && put(s, p) != 0)
            profile_free(p);
    }
    if (dir && *dir)
        load_dir(s, dir, errors, nerrors);
    if (*nerrors != before) {
        profile_set_free(s);
        return NULL;
    }
    return s;
}

void profile_set_free(struct profile_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        profile_free(s->p[i]);
    free(s);
}

const struct profile *profile_set_find(const struct profile_set *s, const char *category,
                                       size_t len)
{
    bool found;
    if (!s || !category)
        return NULL;
    size_t i = position(s, category, len, &found);
    return found ? s->p[i] : NULL;
}

size_t profile_set_count(const struct profile_set *s)
{
    return s ? s->n : 0;
}

const struct profile *profile_set_at(const struct profile_set *s, size_t i)
{
    return s->p[i];
}
