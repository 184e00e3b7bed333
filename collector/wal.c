/*
 * wal: open/close, append and the group-commit writer thread (commit, drop
 * and stats are in wal_commit.c, reading in wal_read.c). Records are encoded into `pend` under the
 * mutex; the writer swaps `pend` with its own `batch`, writes the batch outside the mutex (rotating
 * segments at record boundaries), fdatasyncs, and only then publishes the
 * new durable sequence number to the reader and waiting appenders.
 */
#include "wal_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define DEFAULT_SEGMENT_BYTES (64 * 1024 * 1024)
/* Flush before fsync_ms is up once this much is buffered: bounds memory and latency. */
#define KICK_BYTES (4 * 1024 * 1024)
/* Appenders wait for the writer beyond this (the disk is slower than the input). */
#define PEND_MAX ((size_t)64 * 1024 * 1024)
#define RETRY_MS 500

int64_t wal_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec wal_deadline_after_us(int64_t us)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

static int pwrite_all(int fd, const char *p, size_t n, int64_t off)
{
    while (n) {
        ssize_t r = pwrite(fd, p, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        p += r;
        n -= (size_t)r;
        off += r;
    }
    return 0;
}

/* Closes the active segment (already durable) and opens a new one for `first`. */
static int rotate(struct wal *w, uint64_t first)
{
    char path[WAL_PATH_MAX];
    if (w->seg_fd >= 0) {
        close(w->seg_fd);
        w->seg_fd = -1;
        pthread_mutex_lock(&w->mu);
        w->segs[w->nsegs - 1].active = false;
        pthread_mutex_unlock(&w->mu);
    }
    wal_seg_path(w, first, path, sizeof path);
    /* O_TRUNC: a leftover of a failed earlier attempt holds nothing durable. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    if (fsync(w->dirfd) != 0) {
        int rc = -errno;
        close(fd);
        unlink(path);
        return rc;
    }
    struct wal_seg s = {.first_seq = first, .last_seq = first - 1, .bytes = 0, .active = true};
    pthread_mutex_lock(&w->mu);
    int rc = wal_seg_push(w, &s);
    pthread_mutex_unlock(&w->mu);
    if (rc) {
        close(fd);
        unlink(path);
        return rc;
    }
    w->seg_fd = fd;
    return 0;
}

/*
 * Writes batch[batch_done..len) to segments. After each fdatasync the durable
 * point moves; on failure the active segment is cut back to its durable size
 * and the rest of the batch is kept for a retry.
 */
static int flush_batch(struct wal *w)
{
    struct wal_iobuf *b = &w->batch;
    while (w->batch_done < b->len) {
        size_t start = w->batch_done, end = start;
        uint64_t first = wal_get_u64(b->data + start + WAL_HDR);
        pthread_mutex_lock(&w->mu);
        int64_t seg_bytes = w->seg_fd >= 0 ? w->segs[w->nsegs - 1].bytes : 0;
        pthread_mutex_unlock(&w->mu);
        if (w->seg_fd < 0 ||
            (seg_bytes > 0 && seg_bytes + (int64_t)(WAL_HDR + wal_get_u32(b->data + start + 4)) >
                                  w->opts.segment_bytes)) {
            int rc = rotate(w, first);
            if (rc)
                return rc;
            seg_bytes = 0;
        }
        uint64_t last = first;
        while (end < b->len) {
            size_t rec_len = WAL_HDR + wal_get_u32(b->data + end + 4);
            if (end > start && seg_bytes + (int64_t)(end - start + rec_len) > w->opts.segment_bytes)
                break;
            last = wal_get_u64(b->data + end + WAL_HDR);
            end += rec_len;
        }
        int64_t t0 = wal_now_us();
        int rc = pwrite_all(w->seg_fd, b->data + start, end - start, seg_bytes);
        if (rc == 0 && fdatasync(w->seg_fd) != 0)
            rc = -errno;
        if (rc) {
            /* Never leave a torn record behind; a retry rewrites from here. */
            if (ftruncate(w->seg_fd, seg_bytes) != 0)
                log_warn("wal", "cannot cut back segment error=%s", strerror(errno));
            return rc;
        }
        int64_t us = wal_now_us() - t0;
        pthread_mutex_lock(&w->mu);
        struct wal_seg *s = &w->segs[w->nsegs - 1];
        s->bytes += (int64_t)(end - start);
        s->last_seq = last;
        w->durable_seq = last;
        if (w->io_error) {
            /* Cleared before the record is visible: a reader that sees it sees appends work. */
            log_info("wal", "writes succeed again dir=%s", w->dir);
            w->io_error = false;
        }
        w->fsync_last_us = us;
        if (us > w->fsync_max_us)
            w->fsync_max_us = us;
        pthread_cond_broadcast(&w->cv_durable);
        pthread_cond_signal(&w->cv_read);
        pthread_mutex_unlock(&w->mu);
        w->batch_done = end;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct wal *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        bool have = w->batch_done < w->batch.len;
        if (!have && w->pend.len == 0) {
            if (w->stop)
                break;
            pthread_cond_wait(&w->cv_writer, &w->mu);
            continue;
        }
        if (w->io_error && !w->stop) {
            /* Back off while the disk refuses writes. */
            struct timespec ts = wal_deadline_after_us((int64_t)RETRY_MS * 1000);
            pthread_cond_timedwait(&w->cv_writer, &w->mu, &ts);
        } else if (!have && !w->stop && w->sync_waiters == 0 && w->pend.len < KICK_BYTES) {
            int64_t due = w->pend_since_ms * 1000 + (int64_t)w->opts.fsync_ms * 1000;
            int64_t now = wal_now_us();
            if (now < due) {
                struct timespec ts = wal_deadline_after_us(due - now);
                pthread_cond_timedwait(&w->cv_writer, &w->mu, &ts);
                continue;
            }
        }
        if (!have) {
            struct wal_iobuf t = w->batch;
            w->batch = w->pend;
            w->pend = t;
            w->pend.len = 0;
            w->batch_done = 0;
            pthread_cond_broadcast(&w->cv_durable); /* room in pend */
        }
        pthread_mutex_unlock(&w->mu);
        int rc = flush_batch(w);
        pthread_mutex_lock(&w->mu);
        if (rc && !w->io_error)
            log_error("wal", "write failed, appends refused until it succeeds dir=%s error=%s",
                      w->dir, strerror(-rc));
        w->io_error = rc != 0;
        if (rc) {
            pthread_cond_broadcast(&w->cv_durable);
            if (w->stop) {
                log_error("wal", "records not written at close count=%" PRIu64,
                          w->next_seq - 1 - w->durable_seq);
                break;
            }
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int init_sync(struct wal *w)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -ENOMEM;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_mutex_init(&w->mu, NULL) || pthread_mutex_init(&w->commit_mu, NULL) ||
             pthread_cond_init(&w->cv_writer, &ca) || pthread_cond_init(&w->cv_durable, &ca) ||
             pthread_cond_init(&w->cv_read, &ca);
    pthread_condattr_destroy(&ca);
    return rc ? -ENOMEM : 0;
}

struct wal *wal_open(const char *dir, const struct wal_opts *o, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    struct wal *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "wal: out of memory");
        return NULL;
    }
    w->dirfd = w->lockfd = w->seg_fd = w->rd_fd = -1;
    w->opts = *o;
    if (w->opts.segment_bytes <= 0)
        w->opts.segment_bytes = DEFAULT_SEGMENT_BYTES;
    if (w->opts.fsync_ms < 0)
        w->opts.fsync_ms = 0;
    if (w->opts.max_bytes > 0 && w->opts.max_bytes < 2 * w->opts.segment_bytes) {
        /* Otherwise the log fills up with only the active segment left to drop. */
        snprintf(err, errlen, "wal: max_bytes must be at least twice segment_bytes");
        goto err_free;
    }
    if ((size_t)snprintf(w->dir, sizeof w->dir, "%s", dir) >= sizeof w->dir) {
        snprintf(err, errlen, "wal: directory name too long");
        goto err_free;
    }
    if (init_sync(w) != 0) {
        snprintf(err, errlen, "wal: cannot create mutex");
        goto err_free;
    }
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "wal: cannot create %s: %s", dir, strerror(errno));
        goto err_sync;
    }
    w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        snprintf(err, errlen, "wal: cannot open %s: %s", dir, strerror(errno));
        goto err_sync;
    }
    w->lockfd = openat(w->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (w->lockfd < 0 || flock(w->lockfd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errlen, "wal: %s is in use by another process (or unlockable): %s", dir,
                 strerror(errno));
        goto err_fds;
    }
    w->committed_seq = wal_commit_load(w);
    if (wal_seg_recover(w, err, errlen) != 0)
        goto err_fds;
    if (w->replayed || w->corrupt_bytes)
        log_info("wal",
                 "opened dir=%s segments=%zu replay=%" PRIu64 " committed=%" PRIu64
                 " corrupt_bytes=%" PRId64,
                 dir, w->nsegs, w->replayed, w->committed_seq, w->corrupt_bytes);
    if (pthread_create(&w->writer, NULL, writer_main, w) != 0) {
        snprintf(err, errlen, "wal: cannot start writer thread");
        goto err_fds;
    }
    w->writer_started = true;
    return w;

err_fds:
    if (w->lockfd >= 0)
        close(w->lockfd);
    if (w->dirfd >= 0)
        close(w->dirfd);
err_sync:
    pthread_cond_destroy(&w->cv_read);
    pthread_cond_destroy(&w->cv_durable);
    pthread_cond_destroy(&w->cv_writer);
    pthread_mutex_destroy(&w->commit_mu);
    pthread_mutex_destroy(&w->mu);
err_free:
    free(w->segs);
    free(w->samples);
    free(w);
    return NULL;
}

void wal_close(struct wal *w)
{
    if (!w)
        return;
    if (w->writer_started) {
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_signal(&w->cv_writer);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->writer, NULL);
    }
    if (w->seg_fd >= 0)
        close(w->seg_fd);
    if (w->rd_fd >= 0)
        close(w->rd_fd);
    close(w->lockfd); /* releases the flock */
    close(w->dirfd);
    pthread_cond_destroy(&w->cv_read);
    pthread_cond_destroy(&w->cv_durable);
    pthread_cond_destroy(&w->cv_writer);
    pthread_mutex_destroy(&w->commit_mu);
    pthread_mutex_destroy(&w->mu);
    wal_rdbuf_free(&w->rd);
    free(w->pend.data);
    free(w->batch.data);
    free(w->segs);
    free(w->samples);
    free(w);
}

static int pend_reserve(struct wal_iobuf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64 * 1024;
    while (cap < b->len + n)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int wal_append(struct wal *w, const char *topic, size_t topic_len, const void *payload, size_t len,
               int64_t recv_ms)
{
    if (topic_len > WAL_MAX_TOPIC || len > WAL_MAX_PAYLOAD)
        return -EMSGSIZE;
    size_t rec_len = WAL_RECORD_OVERHEAD + topic_len + len;
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    while (w->pend.len > 0 && w->pend.len + rec_len > PEND_MAX && !w->io_error)
        pthread_cond_wait(&w->cv_durable, &w->mu);
    if (w->io_error) {
        rc = -EIO;
        goto out;
    }
    if (w->opts.max_bytes > 0 && w->bytes_used + (int64_t)rec_len > w->opts.max_bytes) {
        rc = -ENOSPC;
        goto out;
    }
    rc = pend_reserve(&w->pend, rec_len);
    if (rc)
        goto out;
    uint64_t seq = w->next_seq++;
    wal_rec_encode(w->pend.data + w->pend.len, seq, recv_ms, topic, topic_len, payload, len);
    if (w->pend.len == 0) {
        w->pend_since_ms = wal_now_us() / 1000;
        pthread_cond_signal(&w->cv_writer);
    }
    w->pend.len += rec_len;
    w->bytes_used += (int64_t)rec_len;
    if (seq == w->committed_seq + 1)
        w->samp_len = 0; /* nothing older is pending: earlier samples are stale */
    if (w->samp_len == 0 || seq % WAL_SAMPLE_EVERY == 0)
        wal_sample_push(w, seq, recv_ms);
    if (w->pend.len >= KICK_BYTES)
        pthread_cond_signal(&w->cv_writer);
    if (w->opts.fsync_ms == 0) {
        w->sync_waiters++;
        pthread_cond_signal(&w->cv_writer);
        while (w->durable_seq < seq && !w->io_error)
            pthread_cond_wait(&w->cv_durable, &w->mu);
        w->sync_waiters--;
        if (w->durable_seq < seq)
            rc = -EIO;
    }
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}
