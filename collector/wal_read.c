/*
 * wal_read: the single reader. It follows the segment list in order, reads
 * each file with large preads into one buffer, and never looks past the
 * written end of a segment. The segment it reads may be deleted under it
 * (wal_drop_oldest): it notices on the next call and moves on.
 */
#include "wal_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Index of the segment the reader is in, or -1 when it has none or it is gone. */
static ptrdiff_t current_seg(struct wal *w)
{
    if (w->rd_seg_first == 0)
        return -1;
    if (w->rd_idx < w->nsegs && w->segs[w->rd_idx].first_seq == w->rd_seg_first)
        return (ptrdiff_t)w->rd_idx;
    for (size_t i = 0; i < w->nsegs; i++) {
        if (w->segs[i].first_seq == w->rd_seg_first) {
            w->rd_idx = i;
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

static void leave_seg(struct wal *w)
{
    if (w->rd_fd >= 0)
        close(w->rd_fd);
    w->rd_fd = -1;
    w->rd_seg_first = 0;
    wal_rdbuf_reset(&w->rd);
}

static int enter_seg(struct wal *w, size_t idx)
{
    char path[WAL_PATH_MAX];
    leave_seg(w);
    wal_seg_path(w, w->segs[idx].first_seq, path, sizeof path);
    w->rd_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (w->rd_fd < 0) {
        int rc = -errno;
        log_error("wal", "cannot open segment file=%s error=%s", path, strerror(errno));
        return rc;
    }
    w->rd_seg_first = w->segs[idx].first_seq;
    w->rd_idx = idx;
    w->rd_pos = 0;
    return 0;
}

/*
 * Puts the reader in a segment that still has records after `skip`. Returns
 * the index, -1 when there is none yet, or a negative errno below -1.
 * Caller holds mu.
 */
static ptrdiff_t position(struct wal *w, uint64_t skip, int *err)
{
    ptrdiff_t i = current_seg(w);
    if (i >= 0) {
        const struct wal_seg *s = &w->segs[i];
        bool behind = !s->active && s->last_seq <= skip;
        if (w->rd_pos < s->bytes && !behind)
            return i;
        if (!s->active || behind)
            i = -1; /* done with it */
        else
            return -1; /* at the written end of the active segment */
    }
    for (size_t j = 0; j < w->nsegs; j++) {
        if (w->segs[j].last_seq > skip && w->segs[j].bytes > 0) {
            if (w->rd_seg_first == w->segs[j].first_seq)
                return (ptrdiff_t)j;
            *err = enter_seg(w, j);
            return *err ? -1 : (ptrdiff_t)j;
        }
    }
    return -1;
}

/* Reads the record at rd_pos (limit: written end). Called without mu. */
static int read_one(struct wal *w, int64_t limit, struct wal_record *rec, size_t *rec_len)
{
    const char *p;
    int rc = wal_rdbuf_get(&w->rd, w->rd_fd, w->rd_pos, WAL_HDR, limit, &p);
    if (rc == 0)
        rc = wal_rec_header(p, rec_len);
    if (rc == 0)
        rc = wal_rdbuf_get(&w->rd, w->rd_fd, w->rd_pos, *rec_len, limit, &p);
    if (rc == 0)
        rc = wal_rec_decode(p, *rec_len, rec);
    if (rc == -ENODATA)
        rc = -EBADMSG; /* a record crossing the written end is damage too */
    return rc;
}

int wal_read(struct wal *w, struct wal_record *rec, int timeout_ms)
{
    struct timespec dl = wal_deadline_after_us((int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000);
    int rc = 0;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        uint64_t skip = max_u64(w->rd_last_seq, w->committed_seq);
        int err = 0;
        ptrdiff_t i = w->written_seq > skip ? position(w, skip, &err) : -1;
        if (err) {
            rc = err;
            break;
        }
        if (i < 0) {
            if (timeout_ms <= 0 || pthread_cond_timedwait(&w->cv_read, &w->mu, &dl) != 0) {
                rc = -EAGAIN;
                break;
            }
            continue;
        }
        int64_t limit = w->segs[i].bytes;
        uint64_t seg_last = w->segs[i].last_seq;
        pthread_mutex_unlock(&w->mu);
        size_t rec_len = 0;
        rc = read_one(w, limit, rec, &rec_len);
        pthread_mutex_lock(&w->mu);
        if (rc == -EBADMSG) {
            char path[WAL_PATH_MAX];
            wal_seg_path(w, w->rd_seg_first, path, sizeof path);
            log_error("wal",
                      "corrupt record while reading, skipping the rest of the written part "
                      "file=%s offset=%" PRId64 " skipped=%" PRId64,
                      path, w->rd_pos, limit - w->rd_pos);
            w->corrupt_bytes += limit - w->rd_pos;
            w->rd_pos = limit;
            w->rd_last_seq = max_u64(w->rd_last_seq, seg_last);
            rc = 0;
            continue;
        }
        if (rc)
            break;
        w->rd_pos += (int64_t)rec_len;
        if (rec->seq <= max_u64(w->rd_last_seq, w->committed_seq))
            continue; /* committed (or dropped) while we were reading */
        w->rd_last_seq = rec->seq;
        break;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}
