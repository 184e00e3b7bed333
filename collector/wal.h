/*
 * wal: the write-ahead log between the MQTT receive thread and the pipeline.
 *
 * Paho sends PUBACK before messageArrived runs, so the only durable place for
 * a message is this log: the callback appends (encodes the record and writes
 * it to the active segment file) and returns; a pipeline thread reads records
 * in sequence order, writes them to the database and commits up to the last
 * sequence number the database (or the quarantine) took. A restart replays
 * every uncommitted record, in order, before new ones: delivery is at least
 * once.
 *
 * Two levels of safety. Written: the record is in the kernel's page cache;
 * a crash or SIGKILL of the process cannot take it, a power loss or kernel
 * crash can. wal_append() returns only once its record is written, whatever
 * fsync_ms. Durable: fdatasynced. That is group-committed every fsync_ms
 * (fsync_ms == 0: before wal_append returns).
 *
 * Threads. One group-commit thread, started by wal_open(), fdatasyncs what
 * the appenders wrote, and retries after write errors. wal_append() and
 * wal_stats() may be called from any thread; wal_read(), wal_commit() and
 * wal_drop_oldest() from any thread too, but there is one reader: only one
 * thread calls wal_read(). wal_close() must not race with any other call.
 *
 * On disk: DIR/%020<seq>.seg segment files named by their first sequence
 * number, DIR/commit (the committed sequence number as decimal text, replaced
 * atomically) and DIR/lock (flock, one process per directory). A record is a
 * 12-byte header (u32 magic "LWAL", u32 body length, u32 zlib crc32 of the
 * body) and a body (u64 seq, i64 recv_ms, u16 topic_len, u32 payload_len,
 * topic bytes, payload bytes), all little endian. Within a segment sequence
 * numbers are consecutive; they continue across restarts. Segments rotate
 * before a record would take the active one past segment_bytes.
 */
#ifndef LIFELINE_WAL_H
#define LIFELINE_WAL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes a record takes on disk besides its topic and payload. */
#define WAL_RECORD_OVERHEAD 34
#define WAL_MAX_TOPIC 65535
#define WAL_MAX_PAYLOAD (64 * 1024 * 1024)

struct wal;

struct wal_opts {
    int64_t segment_bytes; /* rotate at this size; <= 0 means 64 MiB */
    int fsync_ms;          /* fdatasync interval; 0 = durable when wal_append returns */
    int64_t max_bytes;     /* cap on segments plus buffered records; <= 0 = no cap, else at
                              least 2 * segment_bytes (4 or more is better: the active segment
                              is never dropped) */
};

/* One record as wal_read() hands it out. The pointers are into the log's read
 * buffer: valid until the next wal_read() or wal_close(). topic is not
 * NUL-terminated. */
struct wal_record {
    uint64_t seq;
    int64_t recv_ms;
    const char *topic;
    size_t topic_len;
    const char *payload;
    size_t payload_len;
};

struct wal_stats {
    int64_t bytes_on_disk;     /* bytes written to segment files (fdatasynced or not) */
    int64_t bytes_used;        /* what max_bytes is checked against: disk plus not written */
    int64_t segments;          /* segment files */
    uint64_t records_pending;  /* appended (or replayed) and not committed */
    int64_t oldest_pending_ms; /* recv_ms of the oldest pending record, 0 when none; may be
                                  up to WAL_SAMPLE_EVERY records older than the truth */
    int64_t fsync_last_us;     /* duration of the last group commit (the fdatasyncs, and the
                                  directory fsync after a new segment); 0 before the first */
    int64_t fsync_max_us;      /* longest since open */
    uint64_t replayed_at_open; /* records pending when the log was opened */
    int64_t corrupt_bytes;     /* bytes skipped (and truncated away) at open or while reading */
    uint64_t records_dropped;  /* uncommitted records deleted by wal_drop_oldest() */
    uint64_t records_dropped_unread; /* of those, the ones wal_read() had not handed out: the
                                        rest may still be in the reader's hands (a batch
                                        waiting for the database) and be delivered */
    uint64_t last_seq;               /* highest sequence number handed out */
    uint64_t committed_seq;          /* the commit point */
    int io_error;                    /* 1 while writes fail (appends return -EIO) */
};

/* Sampling stride of the oldest-pending estimate (see wal_stats.oldest_pending_ms). */
#define WAL_SAMPLE_EVERY 64

/*
 * Opens the log in `dir` (created with mode 0750 if missing; its parent must
 * exist) and starts the group-commit thread. Every record of every segment is
 * checked (magic, length, CRC, consecutive sequence numbers). At the first bad
 * record the rest of that segment is truncated away and reported with
 * log_warn (file, offset, bytes skipped); earlier records are kept, later
 * segments are still used. Segments that are entirely committed are deleted.
 * Returns the log or NULL with a one-line reason in err (errlen bytes,
 * always NUL-terminated when errlen > 0). The caller frees it with
 * wal_close(). `o` is copied; max_bytes below twice segment_bytes is refused.
 */
struct wal *wal_open(const char *dir, const struct wal_opts *o, char *err, size_t errlen);

/*
 * Fdatasyncs everything appended (writing first what a write error held back),
 * stops the group-commit thread, closes the files and frees the log. Accepts
 * NULL. If that final write or fdatasync fails a log_error says how many
 * records are not durable.
 */
void wal_close(struct wal *w);

/*
 * Gives one message the next sequence number and writes it to the active
 * segment (one pwrite under the mutex, about 1-3 us on ext4): when this
 * returns 0 the record is in the page cache and readable, and a SIGKILL of
 * the process cannot take it. Thread safe; no allocation once the buffers
 * have grown to the working size. With fsync_ms > 0 the record is durable
 * within about fsync_ms plus one fdatasync; with fsync_ms == 0 it is durable
 * when this returns 0 (concurrent appenders share one fdatasync).
 * Returns 0; -EMSGSIZE when topic_len > WAL_MAX_TOPIC or len > WAL_MAX_PAYLOAD;
 * -ENOSPC when max_bytes would be exceeded (nothing is stored: the caller
 * applies its policy, e.g. wal_drop_oldest() and try again); -EIO while the
 * disk refuses writes (nothing is stored); -EINPROGRESS when the write of
 * this record failed (or, with fsync_ms == 0, its fdatasync): the record IS
 * taken, kept in memory and retried by the group-commit thread, so the caller
 * must not offer it again (that would store it twice), but a SIGKILL before
 * the retry succeeds takes it. Later appends get -EIO until a write succeeds.
 * Blocks for the write (which the kernel may stall for a few ms while the
 * file system commits its journal), with fsync_ms == 0 for the fdatasync, and
 * when 64 MiB are written and not yet fdatasynced (the disk is slower than
 * the input).
 */
int wal_append(struct wal *w, const char *topic, size_t topic_len, const void *payload, size_t len,
               int64_t recv_ms);

/*
 * Hands out the next written record after the last one read (skipping
 * committed ones), in sequence order, without waiting for its fdatasync.
 * That is safe: the database holds a record before wal_commit() is called
 * for it, and the commit point is fdatasynced on its own. If power fails
 * before the record's fdatasync, either the record is already in the
 * database (and the commit point, when persisted, says so: numbering resumes
 * after it), or it was not committed and is lost with the unsynced tail of
 * the log, exactly as if it had not been read: reading early never makes a
 * loss larger, and it saves the pipeline up to fsync_ms of latency.
 * Single reader. Waits up to timeout_ms (0 = do not wait). Returns 0 with
 * *rec filled (pointers valid until the next wal_read() or wal_close()),
 * -EAGAIN when nothing arrived in time, -EIO when a segment cannot be read.
 */
int wal_read(struct wal *w, struct wal_record *rec, int timeout_ms);

/*
 * Marks every record with sequence number <= seq as done: persists the commit
 * point (DIR/commit, written to a temporary file, fdatasynced and renamed),
 * then deletes the segments whose records are all committed, never the one
 * being appended to. A restart replays only later records. Committing a
 * number at or below the commit point does nothing.
 * The file I/O happens outside the lock wal_append() takes.
 * Returns 0; -EINVAL when seq is beyond the last written record (one that
 * wal_read() could have returned); -EIO when the commit point cannot be
 * written (the in-memory point still advances, segments are kept: a restart
 * replays more, never less).
 */
int wal_commit(struct wal *w, uint64_t seq);

/*
 * Drop-oldest policy for a full log: deletes the oldest segment (never the
 * active one), moves the commit point past it and sets *dropped to how many
 * uncommitted records it held (dropped may be NULL). The reader skips them
 * even if it was in the middle of that segment. Records it had already read
 * count as dropped (the log no longer holds them) but not as
 * records_dropped_unread (see wal_stats). Returns 0, -ENOENT when only
 * the active segment (or nothing) is left, -EIO when the commit point cannot
 * be written (the segment is gone all the same; a restart may replay records
 * of later segments that were committed).
 */
int wal_drop_oldest(struct wal *w, uint64_t *dropped);

/* Fills *s with a consistent snapshot. Thread safe. */
void wal_stats(struct wal *w, struct wal_stats *s);

#endif
