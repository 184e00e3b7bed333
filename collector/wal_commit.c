/*
 * wal_commit: the consumer side's bookkeeping: the commit point, deleting
 * committed segments, the drop-oldest policy and the stats snapshot.
 */
#include "wal_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static void unlink_seg(struct wal *w, uint64_t first)
{
    char path[WAL_PATH_MAX];
    wal_seg_path(w, first, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT)
        log_warn("wal", "cannot delete segment file=%s error=%s", path, strerror(errno));
}

/*
 * Persists the commit point, then deletes the segments it covers (never the
 * active one). File I/O happens outside mu so that appenders on the MQTT
 * thread never wait for it; commit_mu keeps the commit file monotonic.
 * Caller holds commit_mu.
 */
static int persist_commit(struct wal *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t seq = w->committed_seq;
    pthread_mutex_unlock(&w->mu);
    /* The file goes first: a crash between the two replays more, never less. */
    int rc = wal_commit_store(w, seq);
    if (rc) {
        log_error("wal", "cannot persist commit point dir=%s error=%s", w->dir, strerror(-rc));
        return -EIO;
    }
    for (;;) {
        pthread_mutex_lock(&w->mu);
        bool del = w->nsegs > 0 && !w->segs[0].active && w->segs[0].last_seq <= seq;
        uint64_t first = del ? wal_seg_pop_first(w) : 0;
        pthread_mutex_unlock(&w->mu);
        if (!del)
            return 0;
        unlink_seg(w, first);
    }
}

int wal_commit(struct wal *w, uint64_t seq)
{
    int rc = 0;
    pthread_mutex_lock(&w->commit_mu);
    pthread_mutex_lock(&w->mu);
    if (seq > w->written_seq) {
        pthread_mutex_unlock(&w->mu);
        rc = -EINVAL;
        goto out;
    }
    bool advance = seq > w->committed_seq;
    if (advance) {
        w->committed_seq = seq;
        wal_sample_trim(w);
    }
    pthread_mutex_unlock(&w->mu);
    if (advance)
        rc = persist_commit(w);
out:
    pthread_mutex_unlock(&w->commit_mu);
    return rc;
}

int wal_drop_oldest(struct wal *w, uint64_t *dropped)
{
    uint64_t n = 0;
    pthread_mutex_lock(&w->commit_mu);
    pthread_mutex_lock(&w->mu);
    if (w->nsegs == 0 || w->segs[0].active) {
        pthread_mutex_unlock(&w->mu);
        pthread_mutex_unlock(&w->commit_mu);
        if (dropped)
            *dropped = 0;
        return -ENOENT;
    }
    const struct wal_seg *s = &w->segs[0];
    if (s->last_seq > w->committed_seq) {
        uint64_t from = s->first_seq > w->committed_seq ? s->first_seq : w->committed_seq + 1;
        n = s->last_seq - from + 1;
        /* Records already handed out may still reach the database from the
         * reader's memory; the rest are certainly gone. */
        uint64_t unread_from = w->rd_last_seq >= from ? w->rd_last_seq + 1 : from;
        if (s->last_seq >= unread_from)
            w->dropped_unread += s->last_seq - unread_from + 1;
        w->committed_seq = s->last_seq;
        wal_sample_trim(w);
    }
    w->dropped += n;
    uint64_t first = wal_seg_pop_first(w);
    pthread_mutex_unlock(&w->mu);
    log_warn("wal", "dropped oldest segment first=%" PRIu64 " records=%" PRIu64, first, n);
    unlink_seg(w, first);
    int rc = persist_commit(w);
    pthread_mutex_unlock(&w->commit_mu);
    if (dropped)
        *dropped = n;
    return rc;
}

void wal_stats(struct wal *w, struct wal_stats *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_lock(&w->mu);
    uint64_t pending = w->next_seq - 1 - w->written_seq; /* not written yet */
    for (size_t i = 0; i < w->nsegs; i++) {
        const struct wal_seg *g = &w->segs[i];
        s->bytes_on_disk += g->bytes;
        uint64_t from = g->first_seq > w->committed_seq ? g->first_seq : w->committed_seq + 1;
        if (g->last_seq >= from)
            pending += g->last_seq - from + 1;
    }
    s->bytes_used = w->bytes_used;
    s->segments = (int64_t)w->nsegs;
    s->records_pending = pending;
    if (pending && w->samp_len)
        s->oldest_pending_ms = w->samples[w->samp_head].recv_ms;
    s->fsync_last_us = w->fsync_last_us;
    s->fsync_max_us = w->fsync_max_us;
    s->replayed_at_open = w->replayed;
    s->corrupt_bytes = w->corrupt_bytes;
    s->records_dropped = w->dropped;
    s->records_dropped_unread = w->dropped_unread;
    s->last_seq = w->next_seq - 1;
    s->committed_seq = w->committed_seq;
    s->io_error = w->io_error;
    pthread_mutex_unlock(&w->mu);
}
