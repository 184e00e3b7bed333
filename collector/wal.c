/*
 * wal: open/close, append and the group-commit (sync) thread (commit, drop
 * and stats are in wal_commit.c, reading in wal_read.c). wal_append encodes
 * its record into `buf` and pwrites it to the active segment under the mutex,
 * so it is in the page cache (readable, and safe from a SIGKILL) when the
 * call returns. The sync thread fdatasyncs every fsync_ms outside the mutex
 * and then moves the durable point; `buf` keeps what is written but not yet
 * synced, so that a failed fdatasync can be answered by writing it again.
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
/* Sync before fsync_ms is up once this much is unsynced: bounds memory and latency. */
#define KICK_BYTES (4 * 1024 * 1024)
/* Appenders wait for the writer beyond this (the disk is slower than the input). */
#define BUF_MAX ((size_t)64 * 1024 * 1024)
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

/* Whether fd has bytes to fdatasync (only the last run can hold the active file). */
static bool fd_in_runs(const struct wal *w, int fd)
{
    return w->nruns > 0 && w->runs[w->nruns - 1].fd == fd;
}

/*
 * Starts the segment for `first`. The old file stays open while it has bytes
 * to fdatasync (the syncer closes it); the directory entry of the new one is
 * fsynced by the syncer before any of its records count as durable.
 * Caller holds mu.
 */
static int rotate(struct wal *w, uint64_t first)
{
    char path[WAL_PATH_MAX];
    wal_seg_path(w, first, path, sizeof path);
    /* O_TRUNC: a leftover of a failed earlier attempt holds nothing durable. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -errno;
    struct wal_seg s = {.first_seq = first, .last_seq = first - 1, .bytes = 0, .active = true};
    if (w->seg_fd >= 0)
        w->segs[w->nsegs - 1].active = false;
    int rc = wal_seg_push(w, &s);
    if (rc) {
        if (w->seg_fd >= 0)
            w->segs[w->nsegs - 1].active = true;
        close(fd);
        unlink(path);
        return rc;
    }
    if (w->seg_fd >= 0 && !fd_in_runs(w, w->seg_fd))
        close(w->seg_fd);
    w->seg_fd = fd;
    w->dir_dirty = true;
    return 0;
}

static int add_run(struct wal *w, int fd, int64_t off, size_t len)
{
    struct wal_run *last = w->nruns ? &w->runs[w->nruns - 1] : NULL;
    if (last && last->fd == fd && last->file_off + (int64_t)last->len == off) {
        last->len += len;
        return 0;
    }
    if (w->nruns == w->runs_cap) {
        size_t cap = w->runs_cap ? w->runs_cap * 2 : 16;
        struct wal_run *p = realloc(w->runs, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        w->runs = p;
        w->runs_cap = cap;
    }
    w->runs[w->nruns++] = (struct wal_run){.fd = fd, .file_off = off, .len = len};
    return 0;
}

/*
 * Writes buf[buf_written..len) to segment files (rotating at record
 * boundaries) and makes it readable. On failure the active segment is cut
 * back to its written size and the rest stays in buf for a retry.
 * Caller holds mu: records reach the file in sequence order.
 */
static int write_out(struct wal *w)
{
    struct wal_iobuf *b = &w->buf;
    while (w->buf_written < b->len) {
        size_t start = w->buf_written, end = start;
        uint64_t first = wal_get_u64(b->data + start + WAL_HDR);
        int64_t seg_bytes = w->seg_fd >= 0 ? w->segs[w->nsegs - 1].bytes : 0;
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
        int rc = add_run(w, w->seg_fd, seg_bytes, 0);
        if (rc == 0)
            rc = pwrite_all(w->seg_fd, b->data + start, end - start, seg_bytes);
        if (rc) {
            /* Never leave a torn record behind; a retry rewrites from here. */
            if (ftruncate(w->seg_fd, seg_bytes) != 0)
                log_warn("wal", "cannot cut back segment error=%s", strerror(errno));
            return rc;
        }
        w->runs[w->nruns - 1].len += end - start;
        struct wal_seg *s = &w->segs[w->nsegs - 1];
        s->bytes += (int64_t)(end - start);
        s->last_seq = last;
        w->written_seq = last;
        w->buf_written = end;
        if (w->io_error) {
            /* Cleared before the record is visible: a reader that sees it sees appends work. */
            log_info("wal", "writes succeed again dir=%s", w->dir);
            w->io_error = false;
        }
    }
    pthread_cond_signal(&w->cv_read);
    return 0;
}

/* Forgets the first n bytes of buf (now durable) and the runs that held them;
 * closes rotated-away segment files nothing is left to fdatasync in. */
static void consume(struct wal *w, size_t n)
{
    struct wal_iobuf *b = &w->buf;
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    w->buf_written -= n;
    size_t i = 0;
    while (n > 0 && i < w->nruns) {
        struct wal_run *r = &w->runs[i];
        size_t k = n < r->len ? n : r->len;
        r->file_off += (int64_t)k;
        r->len -= k;
        n -= k;
        if (r->len > 0)
            break;
        bool last_use = i + 1 == w->nruns ? r->fd != w->seg_fd : w->runs[i + 1].fd != r->fd;
        if (last_use)
            close(r->fd);
        i++;
    }
    memmove(w->runs, w->runs + i, (w->nruns - i) * sizeof *w->runs);
    w->nruns -= i;
}

/* After a failed fdatasync the kernel may have dropped the dirty pages:
 * write every unsynced run again so that the next fdatasync covers it. */
static void rewrite_runs(struct wal *w)
{
    size_t off = 0;
    for (size_t i = 0; i < w->nruns; i++) {
        const struct wal_run *r = &w->runs[i];
        int rc = pwrite_all(r->fd, w->buf.data + off, r->len, r->file_off);
        if (rc)
            log_warn("wal", "cannot rewrite unsynced records error=%s", strerror(-rc));
        off += r->len;
    }
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/*
 * One group commit: fsyncs the directory if a segment was created and
 * fdatasyncs every file written since the last one, outside mu (appends
 * go on meanwhile), then moves the durable point. Caller holds mu.
 */
static int sync_once(struct wal *w)
{
    size_t n = w->buf_written, nfds = 0;
    uint64_t seq = w->written_seq;
    bool dir = w->dir_dirty;
    if (w->sync_fds_cap < w->nruns) {
        int *p = realloc(w->sync_fds, w->nruns * sizeof *p);
        if (!p)
            return -ENOMEM;
        w->sync_fds = p;
        w->sync_fds_cap = w->nruns;
    }
    for (size_t i = 0; i < w->nruns; i++)
        if (nfds == 0 || w->sync_fds[nfds - 1] != w->runs[i].fd)
            w->sync_fds[nfds++] = w->runs[i].fd;
    w->dir_dirty = false;
    /* The files stay open meanwhile: only consume() closes a file with runs. */
    pthread_mutex_unlock(&w->mu);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = dir && fsync(w->dirfd) != 0 ? -errno : 0;
    for (size_t i = 0; rc == 0 && i < nfds; i++)
        if (fdatasync(w->sync_fds[i]) != 0)
            rc = -errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_mutex_lock(&w->mu);
    if (rc) {
        w->dir_dirty = w->dir_dirty || dir;
        rewrite_runs(w);
        return rc;
    }
    consume(w, n);
    w->buf_since_ms = (int64_t)t0.tv_sec * 1000 + t0.tv_nsec / 1000000;
    if (seq > w->durable_seq)
        w->durable_seq = seq;
    int64_t ns = ((int64_t)t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
    w->fsync_last_us = ceil_div(ns > 0 ? ns : 1, 1000);
    if (w->fsync_last_us > w->fsync_max_us)
        w->fsync_max_us = w->fsync_last_us;
    pthread_cond_broadcast(&w->cv_durable);
    return 0;
}

/* Retries a failed write or fdatasync. Caller holds mu. */
static int retry(struct wal *w)
{
    int rc = write_out(w);
    if (rc == 0)
        rc = sync_once(w);
    if (rc)
        w->io_error = true;
    else if (w->io_error) {
        log_info("wal", "writes succeed again dir=%s", w->dir);
        w->io_error = false;
    }
    return rc;
}

/*
 * The syncer: appenders write their records themselves; this thread only
 * fdatasyncs, every fsync_ms (sooner when KICK_BYTES are unsynced or an
 * appender waits with fsync_ms == 0), and retries after errors.
 */
static void *writer_main(void *arg)
{
    struct wal *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (w->io_error) {
            if (!w->stop) {
                /* Back off while the disk refuses writes. */
                struct timespec ts = wal_deadline_after_us((int64_t)RETRY_MS * 1000);
                pthread_cond_timedwait(&w->cv_writer, &w->mu, &ts);
            }
            int rc = retry(w);
            if (rc)
                pthread_cond_broadcast(&w->cv_durable);
            if (rc && w->stop) {
                log_error("wal", "records not written at close count=%" PRIu64,
                          w->next_seq - 1 - w->durable_seq);
                break;
            }
            continue;
        }
        if (w->buf.len == 0 && !w->dir_dirty) {
            if (w->stop)
                break;
            pthread_cond_wait(&w->cv_writer, &w->mu);
            continue;
        }
        if (!w->stop && w->sync_waiters == 0 && w->buf.len < KICK_BYTES) {
            int64_t due = w->buf_since_ms * 1000 + (int64_t)w->opts.fsync_ms * 1000;
            int64_t now = wal_now_us();
            if (now < due) {
                struct timespec ts = wal_deadline_after_us(due - now);
                pthread_cond_timedwait(&w->cv_writer, &w->mu, &ts);
                continue;
            }
        }
        int rc = sync_once(w);
        if (rc) {
            log_error("wal", "fdatasync failed, appends refused until it succeeds dir=%s error=%s",
                      w->dir, strerror(-rc));
            w->io_error = true;
            pthread_cond_broadcast(&w->cv_durable);
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
    /* Left over only when the last sync failed: each rotated-away file once. */
    for (size_t i = 0; i < w->nruns; i++)
        if (w->runs[i].fd != w->seg_fd && (i + 1 == w->nruns || w->runs[i + 1].fd != w->runs[i].fd))
            close(w->runs[i].fd);
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
    free(w->buf.data);
    free(w->runs);
    free(w->sync_fds);
    free(w->segs);
    free(w->samples);
    free(w);
}

static int buf_reserve(struct wal_iobuf *b, size_t n)
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
    while (w->buf.len > 0 && w->buf.len + rec_len > BUF_MAX && !w->io_error)
        pthread_cond_wait(&w->cv_durable, &w->mu);
    if (w->io_error) {
        rc = -EIO;
        goto out;
    }
    if (w->opts.max_bytes > 0 && w->bytes_used + (int64_t)rec_len > w->opts.max_bytes) {
        rc = -ENOSPC;
        goto out;
    }
    rc = buf_reserve(&w->buf, rec_len);
    if (rc)
        goto out;
    uint64_t seq = w->next_seq++;
    wal_rec_encode(w->buf.data + w->buf.len, seq, recv_ms, topic, topic_len, payload, len);
    if (w->buf.len == 0) {
        w->buf_since_ms = wal_now_us() / 1000;
        pthread_cond_signal(&w->cv_writer);
    }
    w->buf.len += rec_len;
    w->bytes_used += (int64_t)rec_len;
    if (seq == w->committed_seq + 1)
        w->samp_len = 0; /* nothing older is pending: earlier samples are stale */
    if (w->samp_len == 0 || seq % WAL_SAMPLE_EVERY == 0)
        wal_sample_push(w, seq, recv_ms);
    /* Into the page cache before the MQTT callback returns: a SIGKILL cannot take it. */
    rc = write_out(w);
    if (rc) {
        log_error("wal", "write failed, appends refused until it succeeds dir=%s error=%s", w->dir,
                  strerror(-rc));
        w->io_error = true;
        pthread_cond_broadcast(&w->cv_durable);
        pthread_cond_signal(&w->cv_writer); /* it retries */
        rc = -EINPROGRESS;                  /* taken: held in memory, not refused */
        goto out;
    }
    if (w->buf.len >= KICK_BYTES)
        pthread_cond_signal(&w->cv_writer);
    if (w->opts.fsync_ms == 0) {
        w->sync_waiters++;
        pthread_cond_signal(&w->cv_writer);
        while (w->durable_seq < seq && !w->io_error)
            pthread_cond_wait(&w->cv_durable, &w->mu);
        w->sync_waiters--;
        if (w->durable_seq < seq)
            rc = -EINPROGRESS;
    }
out:
    pthread_mutex_unlock(&w->mu);
    return rc;
}
