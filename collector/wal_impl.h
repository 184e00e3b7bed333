/*
 * wal_impl: what wal.c, wal_commit.c, wal_read.c, wal_record.c and
 * wal_segment.c share.
 * Not for use outside the wal module.
 */
#ifndef LIFELINE_WAL_IMPL_H
#define LIFELINE_WAL_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wal.h"

#define WAL_MAGIC 0x4c41574cu /* "LWAL" read as little endian */
#define WAL_HDR 12
#define WAL_BODY_FIXED 22
#define WAL_MAX_BODY ((size_t)WAL_BODY_FIXED + WAL_MAX_TOPIC + WAL_MAX_PAYLOAD)
#define WAL_READ_CHUNK (1024 * 1024)
#define WAL_PATH_MAX 4096
#define WAL_DIR_MAX (WAL_PATH_MAX - 64) /* room for "/<20 digits>.seg" */

/* One segment file. Its records are seq first..last, consecutive. */
struct wal_seg {
    uint64_t first_seq;
    uint64_t last_seq; /* last written record; first_seq - 1 while empty */
    int64_t bytes;     /* written bytes (in the page cache, not necessarily fdatasynced) */
    bool active;       /* being appended to */
};

/* A window of a file held in memory, filled with large preads. */
struct wal_rdbuf {
    char *data;
    size_t cap;
    int64_t off; /* file offset of data[0] */
    size_t len;
};

/* (seq, recv_ms) sample for the oldest-pending estimate. */
struct wal_sample {
    uint64_t seq;
    int64_t recv_ms;
};

struct wal_iobuf {
    char *data;
    size_t len;
    size_t cap;
};

/* A stretch of the log's buffer written to one segment file and not yet
 * fdatasynced: kept so that a failed fdatasync can write it again. */
struct wal_run {
    int fd;
    int64_t file_off;
    size_t len;
};

struct wal {
    char dir[WAL_DIR_MAX];
    int dirfd;
    int lockfd;
    struct wal_opts opts;

    pthread_mutex_t mu;
    pthread_mutex_t commit_mu; /* serialises commit point writes; taken before mu */
    pthread_cond_t cv_writer;  /* syncer: work arrived or stop */
    pthread_cond_t cv_durable; /* appenders: records became durable, an error, buffer room */
    pthread_cond_t cv_read;    /* reader: records became readable */
    pthread_t writer;
    bool writer_started;
    bool stop;

    /* Everything below is guarded by mu unless noted. */
    /* Encoded records from the first one not yet fdatasynced on: [0, buf_written)
     * are in segment files (described by runs, in order), the rest are not
     * written yet (only after a write error: appends write their record). */
    struct wal_iobuf buf;
    size_t buf_written;
    struct wal_run *runs;
    size_t nruns, runs_cap;
    int64_t buf_since_ms; /* monotonic time of the oldest record in buf */
    bool dir_dirty;       /* a segment file was created since the last fsync of dir */
    int seg_fd;           /* active segment, -1 when none */
    int sync_waiters;     /* appenders waiting for durability: sync now */
    uint64_t next_seq;
    uint64_t written_seq; /* every record <= this is in a segment file: readable */
    uint64_t durable_seq; /* every record <= this is fdatasynced */
    uint64_t committed_seq;
    int64_t bytes_used;
    bool io_error;

    struct wal_seg *segs; /* sorted by first_seq; the active one, if any, is last */
    size_t nsegs, segs_cap;

    struct wal_sample *samples; /* ring, oldest first */
    size_t samp_head, samp_len, samp_cap;

    int64_t fsync_last_us, fsync_max_us, corrupt_bytes;
    uint64_t replayed, dropped;
    uint64_t dropped_unread; /* of dropped, those never handed to the reader */

    /* Syncer thread only. */
    int *sync_fds;
    size_t sync_fds_cap;

    /* Reader only. */
    struct wal_rdbuf rd;
    int rd_fd;
    uint64_t rd_seg_first; /* first_seq of the segment rd_fd reads, 0 when none */
    size_t rd_idx;         /* hint: index of that segment in segs */
    int64_t rd_pos;        /* offset of the next record in it */
    uint64_t rd_last_seq;  /* last record handed out (guarded by mu) */
};

/* wal_record.c */
void wal_put_u16(char *p, uint16_t v);
void wal_put_u32(char *p, uint32_t v);
void wal_put_u64(char *p, uint64_t v);
uint32_t wal_get_u32(const char *p);
uint64_t wal_get_u64(const char *p);
/* Encodes one record at dst (WAL_RECORD_OVERHEAD + tlen + plen bytes). */
void wal_rec_encode(char *dst, uint64_t seq, int64_t recv_ms, const char *topic, size_t tlen,
                    const void *payload, size_t plen);
/* Checks the header at p: 0 and *rec_len, or -EBADMSG. */
int wal_rec_header(const char *p, size_t *rec_len);
/* Checks CRC and lengths of a whole record (rec_len bytes at p) and decodes it:
 * 0 or -EBADMSG. */
int wal_rec_decode(const char *p, size_t rec_len, struct wal_record *rec);
/* Makes bytes [pos, pos + n) of fd available at *out, reading from pos in
 * chunks of WAL_READ_CHUNK but never at or past limit. 0, -ENODATA when
 * pos + n > limit, -ENOMEM, -EIO. */
int wal_rdbuf_get(struct wal_rdbuf *rb, int fd, int64_t pos, size_t n, int64_t limit,
                  const char **out);
/* Forgets the window (the file changed). */
void wal_rdbuf_reset(struct wal_rdbuf *rb);
void wal_rdbuf_free(struct wal_rdbuf *rb);

/* wal_segment.c */
/* Writes DIR/<first>.seg into path. */
void wal_seg_path(const struct wal *w, uint64_t first, char *path, size_t len);
/* Reads the commit point (0 when absent or unreadable, with a warning). */
uint64_t wal_commit_load(struct wal *w);
/* Persists the commit point atomically. 0 or -errno. */
int wal_commit_store(struct wal *w, uint64_t seq);
/* Finds, checks and repairs the segments; fills segs, next_seq, durable_seq,
 * replayed, corrupt_bytes, bytes_used, samples. 0 or -errno with err set. */
int wal_seg_recover(struct wal *w, char *err, size_t errlen);
/* Adds a segment at the end of segs. 0 or -ENOMEM. */
int wal_seg_push(struct wal *w, const struct wal_seg *s);
/* Removes segs[0] from the list (the caller unlinks the file outside mu) and
 * returns its first_seq. Caller holds mu. */
uint64_t wal_seg_pop_first(struct wal *w);
/* Records (seq, recv_ms) in the sample ring. Caller holds mu. */
void wal_sample_push(struct wal *w, uint64_t seq, int64_t recv_ms);
/* Forgets samples for records <= committed_seq, keeping the newest such one
 * as an estimate for committed_seq + 1. Caller holds mu. */
void wal_sample_trim(struct wal *w);

/* wal.c */
int64_t wal_now_us(void);
/* CLOCK_MONOTONIC deadline for pthread_cond_timedwait. */
struct timespec wal_deadline_after_us(int64_t us);

#endif
