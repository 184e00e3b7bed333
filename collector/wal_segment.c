/*
 * wal_segment: segment files and the commit point on disk: naming, recovery
 * at open (check every record, truncate at the first bad one), the segment
 * list, and the oldest-pending sample ring.
 */
#include "wal_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "numparse.h"

#define SEG_NAME_DIGITS 20

void wal_seg_path(const struct wal *w, uint64_t first, char *path, size_t len)
{
    snprintf(path, len, "%s/%020" PRIu64 ".seg", w->dir, first);
}

uint64_t wal_commit_load(struct wal *w)
{
    char text[64];
    uint64_t seq = 0;
    int fd = openat(w->dirfd, "commit", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            log_warn("wal", "cannot read commit point dir=%s error=%s", w->dir, strerror(errno));
        return 0;
    }
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    size_t len = n > 0 ? (size_t)n : 0;
    while (len && text[len - 1] == '\n')
        len--;
    if (num_parse_u64(text, len, UINT64_MAX, &seq) != 0) {
        /* Replaying everything is the safe reading of a damaged commit point. */
        log_warn("wal", "commit point unreadable, replaying all segments dir=%s", w->dir);
        return 0;
    }
    return seq;
}

int wal_commit_store(struct wal *w, uint64_t seq)
{
    char text[32];
    int len = snprintf(text, sizeof text, "%" PRIu64 "\n", seq);
    int rc = 0;
    int fd = openat(w->dirfd, "commit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    if (write(fd, text, (size_t)len) != len || fdatasync(fd) != 0)
        rc = errno ? -errno : -EIO;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(w->dirfd, "commit.tmp", w->dirfd, "commit") != 0)
        rc = -errno;
    return rc;
}

int wal_seg_push(struct wal *w, const struct wal_seg *s)
{
    if (w->nsegs == w->segs_cap) {
        size_t cap = w->segs_cap ? w->segs_cap * 2 : 16;
        struct wal_seg *p = realloc(w->segs, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        w->segs = p;
        w->segs_cap = cap;
    }
    w->segs[w->nsegs++] = *s;
    return 0;
}

uint64_t wal_seg_pop_first(struct wal *w)
{
    uint64_t first = w->segs[0].first_seq;
    w->bytes_used -= w->segs[0].bytes;
    memmove(w->segs, w->segs + 1, (w->nsegs - 1) * sizeof *w->segs);
    w->nsegs--;
    return first;
}

void wal_sample_push(struct wal *w, uint64_t seq, int64_t recv_ms)
{
    if (w->samp_len == w->samp_cap) {
        size_t cap = w->samp_cap ? w->samp_cap * 2 : 64;
        struct wal_sample *p = malloc(cap * sizeof *p);
        if (!p)
            return; /* the estimate gets older, nothing else */
        for (size_t i = 0; i < w->samp_len; i++)
            p[i] = w->samples[(w->samp_head + i) % w->samp_cap];
        free(w->samples);
        w->samples = p;
        w->samp_cap = cap;
        w->samp_head = 0;
    }
    w->samples[(w->samp_head + w->samp_len) % w->samp_cap] = (struct wal_sample){seq, recv_ms};
    w->samp_len++;
}

void wal_sample_trim(struct wal *w)
{
    while (w->samp_len >= 2 &&
           w->samples[(w->samp_head + 1) % w->samp_cap].seq <= w->committed_seq + 1) {
        w->samp_head = (w->samp_head + 1) % w->samp_cap;
        w->samp_len--;
    }
}

/* Parses "%020u.seg"; false for any other name. */
static bool parse_seg_name(const char *name, uint64_t *first)
{
    size_t len = strlen(name);
    if (len != SEG_NAME_DIGITS + 4 || strcmp(name + SEG_NAME_DIGITS, ".seg") != 0)
        return false;
    return num_parse_u64(name, SEG_NAME_DIGITS, UINT64_MAX, first) == 0 && *first > 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists segment names in ascending order into *out (caller frees). */
static int list_segments(struct wal *w, uint64_t **out, size_t *n)
{
    int fd = dup(w->dirfd);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    rewinddir(d);
    uint64_t *v = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint64_t first;
        if (!parse_seg_name(e->d_name, &first))
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *p = realloc(v, cap * sizeof *p);
            if (!p) {
                rc = -ENOMEM;
                goto out_dir;
            }
            v = p;
        }
        v[len++] = first;
    }
    if (len)
        qsort(v, len, sizeof *v, cmp_u64);
out_dir:
    closedir(d);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = len;
    return 0;
}

/*
 * Checks one segment. Keeps every record up to the first bad one; truncates
 * the file there. *s describes the good part (last_seq < first_seq when no
 * record is good).
 */
static int scan_segment(struct wal *w, uint64_t name_seq, uint64_t *prev_seq, struct wal_rdbuf *rb,
                        struct wal_seg *s)
{
    char path[WAL_PATH_MAX];
    wal_seg_path(w, name_seq, path, sizeof path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    int64_t size = st.st_size, pos = 0;
    const char *why = NULL;
    *s = (struct wal_seg){.first_seq = name_seq, .last_seq = name_seq - 1};
    wal_rdbuf_reset(rb);
    while (pos < size) {
        const char *p;
        size_t rec_len;
        struct wal_record rec;
        int rc = wal_rdbuf_get(rb, fd, pos, WAL_HDR, size, &p);
        if (rc == -ENODATA || (rc == 0 && wal_rec_header(p, &rec_len) != 0)) {
            why = rc ? "torn header" : "bad header";
            break;
        }
        if (rc == 0)
            rc = wal_rdbuf_get(rb, fd, pos, rec_len, size, &p);
        if (rc == -ENODATA) {
            why = "torn record";
            break;
        }
        if (rc != 0) {
            close(fd);
            return rc;
        }
        if (wal_rec_decode(p, rec_len, &rec) != 0) {
            why = "bad crc or lengths";
            break;
        }
        /* Within a segment numbers are consecutive, across segments rising. */
        bool first = s->last_seq < s->first_seq;
        if (first ? (rec.seq <= *prev_seq || rec.seq != name_seq) : rec.seq != s->last_seq + 1) {
            why = "sequence out of order";
            break;
        }
        if (rec.seq > w->committed_seq && (rec.seq == w->committed_seq + 1 || w->samp_len == 0 ||
                                           rec.seq % WAL_SAMPLE_EVERY == 0))
            wal_sample_push(w, rec.seq, rec.recv_ms);
        if (rec.seq > w->committed_seq)
            w->replayed++;
        s->last_seq = rec.seq;
        *prev_seq = rec.seq;
        pos += (int64_t)rec_len;
    }
    s->bytes = pos;
    if (pos < size) {
        log_warn("wal",
                 "corrupt segment, truncating file=%s offset=%" PRId64 " skipped=%" PRId64
                 " reason=%s",
                 path, pos, size - pos, why);
        w->corrupt_bytes += size - pos;
        if (ftruncate(fd, pos) != 0 || fdatasync(fd) != 0) {
            int rc = -errno;
            close(fd);
            return rc;
        }
    }
    close(fd);
    return 0;
}

int wal_seg_recover(struct wal *w, char *err, size_t errlen)
{
    uint64_t *names = NULL;
    size_t n = 0;
    uint64_t prev_seq = 0;
    struct wal_rdbuf rb = {0};
    int rc = list_segments(w, &names, &n);
    if (rc) {
        snprintf(err, errlen, "wal: cannot list %s: %s", w->dir, strerror(-rc));
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct wal_seg s;
        char path[WAL_PATH_MAX];
        rc = scan_segment(w, names[i], &prev_seq, &rb, &s);
        if (rc) {
            wal_seg_path(w, names[i], path, sizeof path);
            snprintf(err, errlen, "wal: cannot read %s: %s", path, strerror(-rc));
            goto out;
        }
        if (s.last_seq < s.first_seq || s.last_seq <= w->committed_seq) {
            /* Empty, or committed before a crash that came ahead of the unlink. */
            wal_seg_path(w, names[i], path, sizeof path);
            if (unlink(path) != 0)
                log_warn("wal", "cannot delete segment file=%s error=%s", path, strerror(errno));
            continue;
        }
        rc = wal_seg_push(w, &s);
        if (rc) {
            snprintf(err, errlen, "wal: out of memory");
            goto out;
        }
        w->bytes_used += s.bytes;
    }
    w->next_seq = (prev_seq > w->committed_seq ? prev_seq : w->committed_seq) + 1;
    w->written_seq = w->durable_seq = w->next_seq - 1;
    if (n)
        (void)fsync(w->dirfd);
out:
    wal_rdbuf_free(&rb);
    free(names);
    return rc;
}
