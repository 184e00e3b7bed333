#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "wal.h"

#define PLEN 100
#define TLEN 8
#define REC (WAL_RECORD_OVERHEAD + TLEN + PLEN) /* 142 bytes on disk */

struct fixture {
    char root[64]; /* mkdtemp directory */
    char dir[128]; /* the log, root/spool: wal_open creates it */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->root, sizeof f->root, "%s/wal-test-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(f->root))
        return -1;
    snprintf(f->dir, sizeof f->dir, "%s/spool", f->root);
    *state = f;
    return 0;
}

/* The write-error test lowers RLIMIT_FSIZE; a failed assertion must not leave it low. */
static struct rlimit saved_fsize;
static int fsize_lowered;

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (fsize_lowered) {
        setrlimit(RLIMIT_FSIZE, &saved_fsize);
        fsize_lowered = 0;
    }
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char p[512];
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
        rmdir(f->dir);
    }
    rmdir(f->root);
    free(f);
    return 0;
}

static struct wal *open_wal(const struct fixture *f, int64_t seg, int fsync_ms, int64_t max)
{
    struct wal_opts o = {.segment_bytes = seg, .fsync_ms = fsync_ms, .max_bytes = max};
    char err[256];
    struct wal *w = wal_open(f->dir, &o, err, sizeof err);
    if (!w)
        fail_msg("wal_open: %s", err);
    return w;
}

/* The content of record `seq`: topic "dev/NNNN", payload of plen bytes. */
static void gen(uint64_t seq, size_t plen, char *topic, char *payload)
{
    char t[16];
    snprintf(t, sizeof t, "dev/%04u", (unsigned)(seq % 10000));
    memcpy(topic, t, TLEN);
    for (size_t j = 0; j < plen; j++)
        payload[j] = (char)((seq * 7 + j) & 0xff);
}

static void append_one(struct wal *w, uint64_t seq, size_t plen)
{
    char topic[TLEN], payload[256];
    gen(seq, plen, topic, payload);
    assert_int_equal(wal_append(w, topic, TLEN, payload, plen, 1000 + (int64_t)seq), 0);
}

static void append_range(struct wal *w, uint64_t from, uint64_t to)
{
    for (uint64_t s = from; s <= to; s++)
        append_one(w, s, PLEN);
}

static void expect_rec(const struct wal_record *r, uint64_t seq, size_t plen)
{
    char topic[TLEN], payload[256];
    assert_int_equal(r->seq, seq);
    gen(seq, plen, topic, payload);
    assert_int_equal(r->recv_ms, 1000 + (int64_t)seq);
    assert_int_equal(r->topic_len, TLEN);
    assert_memory_equal(r->topic, topic, TLEN);
    assert_int_equal(r->payload_len, plen);
    if (plen)
        assert_memory_equal(r->payload, payload, plen);
}

static void expect_read(struct wal *w, uint64_t seq)
{
    struct wal_record r;
    assert_int_equal(wal_read(w, &r, 5000), 0);
    expect_rec(&r, seq, PLEN);
}

static void expect_empty(struct wal *w)
{
    struct wal_record r;
    assert_int_equal(wal_read(w, &r, 0), -EAGAIN);
}

static int count_segments(const struct fixture *f)
{
    int n = 0;
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".seg") != NULL;
    closedir(d);
    return n;
}

static void seg_path(const struct fixture *f, uint64_t first, char *p, size_t len)
{
    snprintf(p, len, "%s/%020" PRIu64 ".seg", f->dir, first);
}

static off_t file_size(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static void flip_byte(const char *p, off_t off)
{
    int fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 0, 0);
    struct wal_stats s;
    expect_empty(w);
    append_range(w, 1, 10);
    wal_stats(w, &s);
    assert_int_equal(s.records_pending, 10);
    assert_int_equal(s.bytes_on_disk, 10 * REC);
    assert_int_equal(s.segments, 1);
    assert_int_equal(s.oldest_pending_ms, 1001);
    assert_int_equal(s.last_seq, 10);
    for (uint64_t q = 1; q <= 10; q++)
        expect_read(w, q);
    expect_empty(w);
    assert_int_equal(wal_commit(w, 11), -EINVAL); /* never appended */
    assert_int_equal(wal_commit(w, 4), 0);
    wal_stats(w, &s);
    assert_int_equal(s.records_pending, 6);
    assert_int_equal(s.committed_seq, 4);
    /* The estimate lies between the sample before the oldest pending and it. */
    assert_true(s.oldest_pending_ms >= 1001 && s.oldest_pending_ms <= 1005);
    assert_int_equal(wal_commit(w, 10), 0);
    assert_int_equal(wal_commit(w, 3), 0); /* behind the commit point: nothing */
    wal_stats(w, &s);
    assert_int_equal(s.records_pending, 0);
    assert_int_equal(s.oldest_pending_ms, 0);
    assert_int_equal(s.committed_seq, 10);

    /* A second process on the same directory is refused. */
    struct wal_opts o = {0};
    char err[256];
    assert_null(wal_open(f->dir, &o, err, sizeof err));
    assert_non_null(strstr(err, "in use"));
    wal_close(w);
    wal_close(NULL);
}

static void test_read_timeout(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 0, 0);
    struct wal_record r;
    int64_t t0 = now_ms();
    assert_int_equal(wal_read(w, &r, 50), -EAGAIN);
    assert_true(now_ms() - t0 >= 45);
    append_range(w, 1, 1);
    expect_read(w, 1);
    assert_int_equal(wal_read(w, &r, 20), -EAGAIN);
    wal_close(w);
}

static void test_reopen_replays_uncommitted(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 10, 0);
    append_range(w, 1, 20);
    for (uint64_t q = 1; q <= 12; q++)
        expect_read(w, q);
    assert_int_equal(wal_commit(w, 7), 0);
    wal_close(w);

    w = open_wal(f, 0, 10, 0);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.replayed_at_open, 13);
    assert_int_equal(s.records_pending, 13);
    assert_int_equal(s.corrupt_bytes, 0);
    assert_int_equal(s.oldest_pending_ms, 1008);
    append_range(w, 21, 22); /* numbering continues */
    for (uint64_t q = 8; q <= 22; q++)
        expect_read(w, q);
    expect_empty(w);
    /* The segment of the first run is not active any more: committing deletes it. */
    assert_int_equal(count_segments(f), 2);
    assert_int_equal(wal_commit(w, 22), 0);
    assert_int_equal(count_segments(f), 1);
    wal_close(w);

    /* Everything committed: the commit point alone carries the numbering. */
    w = open_wal(f, 0, 10, 0);
    assert_int_equal(count_segments(f), 0);
    wal_stats(w, &s);
    assert_int_equal(s.replayed_at_open, 0);
    assert_int_equal(s.last_seq, 22);
    expect_empty(w);
    append_range(w, 23, 23);
    expect_read(w, 23);
    wal_close(w);
}

static void test_rotation_and_commit_deletes(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 1000, 0, 0); /* 7 records of 142 bytes per segment */
    append_range(w, 1, 50);
    assert_int_equal(count_segments(f), 8);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.segments, 8);
    assert_int_equal(s.bytes_on_disk, 50 * REC);
    char p[256];
    seg_path(f, 43, p, sizeof p);
    assert_int_equal(file_size(p), 7 * REC);
    for (uint64_t q = 1; q <= 50; q++)
        expect_read(w, q);
    assert_int_equal(wal_commit(w, 20), 0); /* 1-7 and 8-14 are done, 15-21 is not */
    assert_int_equal(count_segments(f), 6);
    seg_path(f, 8, p, sizeof p);
    assert_int_equal(access(p, F_OK), -1);
    seg_path(f, 15, p, sizeof p);
    assert_int_equal(access(p, F_OK), 0);
    assert_int_equal(wal_commit(w, 50), 0); /* all but the active segment (50) */
    assert_int_equal(count_segments(f), 1);
    seg_path(f, 50, p, sizeof p);
    assert_int_equal(access(p, F_OK), 0);
    wal_stats(w, &s);
    assert_int_equal(s.bytes_used, REC);
    wal_close(w);
}

static void test_torn_tail(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 0, 0);
    append_range(w, 1, 10);
    wal_close(w);
    char p[256];
    seg_path(f, 1, p, sizeof p);
    assert_int_equal(truncate(p, 10 * REC - 50), 0);

    w = open_wal(f, 0, 0, 0);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.corrupt_bytes, REC - 50);
    assert_int_equal(s.replayed_at_open, 9);
    assert_int_equal(file_size(p), 9 * REC);
    for (uint64_t q = 1; q <= 9; q++)
        expect_read(w, q);
    expect_empty(w);
    append_range(w, 10, 10); /* the lost number is handed out again */
    expect_read(w, 10);
    wal_close(w);
}

static void test_flipped_byte_last_record(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 0, 0);
    append_range(w, 1, 10);
    wal_close(w);
    char p[256];
    seg_path(f, 1, p, sizeof p);
    flip_byte(p, 10 * REC - 10);

    w = open_wal(f, 0, 0, 0);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.corrupt_bytes, REC);
    assert_int_equal(s.replayed_at_open, 9);
    for (uint64_t q = 1; q <= 9; q++)
        expect_read(w, q);
    expect_empty(w);
    wal_close(w);
}

static void test_flipped_byte_older_segment(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 1000, 0, 0);
    append_range(w, 1, 30); /* 1-7, 8-14, 15-21, 22-28, 29-30 */
    wal_close(w);
    char p[256];
    seg_path(f, 8, p, sizeof p);
    flip_byte(p, 2 * REC + 30); /* inside the body of seq 10 */

    w = open_wal(f, 1000, 0, 0);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.corrupt_bytes, 5 * REC); /* 10-14 */
    assert_int_equal(s.replayed_at_open, 25);
    assert_int_equal(s.segments, 5);
    for (uint64_t q = 1; q <= 9; q++)
        expect_read(w, q);
    for (uint64_t q = 15; q <= 30; q++)
        expect_read(w, q);
    expect_empty(w);
    append_range(w, 31, 31);
    expect_read(w, 31);
    wal_close(w);
}

static void test_enospc_and_drop_oldest(void **state)
{
    struct fixture *f = *state;
    struct wal_opts small = {.segment_bytes = 1000, .max_bytes = 1999};
    char err[256];
    assert_null(wal_open(f->dir, &small, err, sizeof err));
    assert_string_equal(err, "wal: max_bytes must be at least twice segment_bytes");
    struct wal *w = open_wal(f, 1000, 0, 3000);
    append_range(w, 1, 21); /* 2982 bytes in 1-7, 8-14, 15-21 */
    char topic[TLEN], payload[PLEN];
    gen(22, PLEN, topic, payload);
    assert_int_equal(wal_append(w, topic, TLEN, payload, PLEN, 1022), -ENOSPC);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.bytes_used, 21 * REC);
    assert_int_equal(s.last_seq, 21);

    /* The reader is in the middle of the segment that is dropped. */
    expect_read(w, 1);
    expect_read(w, 2);
    uint64_t dropped = 99;
    assert_int_equal(wal_drop_oldest(w, &dropped), 0);
    assert_int_equal(dropped, 7);
    append_range(w, 22, 22);
    expect_read(w, 8);
    wal_stats(w, &s);
    assert_int_equal(s.records_dropped, 7);
    assert_int_equal(s.records_dropped_unread, 5); /* 1 and 2 were read: the reader has them */
    assert_int_equal(s.committed_seq, 7);
    assert_int_equal(s.bytes_used, 15 * REC);
    assert_int_equal(s.records_pending, 15);
    assert_int_equal(count_segments(f), 3); /* 8-14, 15-21, 22 */

    assert_int_equal(wal_drop_oldest(w, &dropped), 0);
    assert_int_equal(dropped, 7); /* 8 was read but not committed: it counts */
    assert_int_equal(wal_drop_oldest(w, &dropped), 0);
    assert_int_equal(dropped, 7);
    assert_int_equal(wal_drop_oldest(w, &dropped), -ENOENT); /* only the active one */
    assert_int_equal(dropped, 0);
    expect_read(w, 22);
    expect_empty(w);
    wal_stats(w, &s);
    assert_int_equal(s.records_dropped, 21);
    assert_int_equal(s.records_dropped_unread, 5 + 6 + 7); /* 8 was read */
    assert_int_equal(s.records_pending, 1);
    wal_close(w);

    /* The drops are durable: nothing before 22 comes back. */
    w = open_wal(f, 1000, 0, 3000);
    expect_read(w, 22);
    expect_empty(w);
    wal_close(w);
}

static void deliver(const struct fixture *f, int fsync_ms)
{
    struct wal *w = open_wal(f, 0, fsync_ms, 0);
    append_range(w, 1, 5);
    for (uint64_t q = 1; q <= 5; q++)
        expect_read(w, q);
    /* Records are readable once written; the group commit follows within fsync_ms. */
    struct wal_stats s;
    int64_t deadline = now_ms() + 5000;
    do {
        wal_stats(w, &s);
    } while (s.fsync_last_us == 0 && now_ms() < deadline && usleep(1000) == 0);
    assert_true(s.fsync_last_us > 0 && s.fsync_max_us >= s.fsync_last_us);
    assert_int_equal(wal_commit(w, 5), 0);
    wal_close(w);
}

static void test_fsync_every_append(void **state)
{
    deliver(*state, 0);
}

static void test_fsync_interval(void **state)
{
    deliver(*state, 100);
}

/* With a long interval nothing is fdatasynced yet, and still every appended
 * record is readable at once and can be committed. */
static void test_readable_before_fsync(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 10000, 0);
    append_range(w, 1, 3);
    struct wal_record r;
    for (uint64_t q = 1; q <= 3; q++) {
        assert_int_equal(wal_read(w, &r, 0), 0);
        expect_rec(&r, q, PLEN);
    }
    expect_empty(w);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.fsync_last_us, 0); /* the group commit is 10 s away */
    assert_int_equal(s.bytes_on_disk, 3 * REC);
    assert_int_equal(s.records_pending, 3);
    assert_int_equal(wal_commit(w, 2), 0);
    wal_close(w); /* syncs */
    w = open_wal(f, 0, 10000, 0);
    wal_stats(w, &s);
    assert_int_equal(s.replayed_at_open, 1);
    expect_read(w, 3);
    wal_close(w);
}

/* A SIGKILL right after wal_append returns loses nothing, however long the
 * group-commit interval: the record is in the page cache, not in our memory. */
static void test_sigkill_keeps_appended(void **state)
{
    struct fixture *f = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        struct wal *w = open_wal(f, 1000, 10000, 0); /* rotations too: 7 records a segment */
        for (uint64_t q = 1; q <= 50; q++) {
            char topic[TLEN], payload[PLEN];
            gen(q, PLEN, topic, payload);
            if (wal_append(w, topic, TLEN, payload, PLEN, 1000 + (int64_t)q) != 0)
                _exit(1);
        }
        if (write(fds[1], "k", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    struct wal *w = open_wal(f, 1000, 10000, 0);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.replayed_at_open, 50);
    assert_int_equal(s.corrupt_bytes, 0);
    for (uint64_t q = 1; q <= 50; q++)
        expect_read(w, q);
    expect_empty(w);
    wal_close(w);
}

static void test_edge_sizes(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 0, 0);
    char *big = malloc(WAL_MAX_TOPIC + 1);
    for (size_t i = 0; i <= WAL_MAX_TOPIC; i++)
        big[i] = (char)('a' + i % 26);
    assert_int_equal(wal_append(w, "t", 1, "", 0, 1), 0);
    assert_int_equal(wal_append(w, big, WAL_MAX_TOPIC, "x", 1, 2), 0);
    assert_int_equal(wal_append(w, "", 0, "p", 1, 3), 0);
    assert_int_equal(wal_append(w, big, WAL_MAX_TOPIC + 1, "x", 1, 4), -EMSGSIZE);
    assert_int_equal(wal_append(w, "t", 1, big, (size_t)WAL_MAX_PAYLOAD + 1, 4), -EMSGSIZE);
    for (int round = 0; round < 2; round++) {
        struct wal_record r;
        assert_int_equal(wal_read(w, &r, 5000), 0);
        assert_int_equal(r.seq, 1);
        assert_int_equal(r.payload_len, 0);
        assert_int_equal(r.topic_len, 1);
        assert_int_equal(wal_read(w, &r, 5000), 0);
        assert_int_equal(r.seq, 2);
        assert_int_equal(r.recv_ms, 2);
        assert_int_equal(r.topic_len, WAL_MAX_TOPIC);
        assert_memory_equal(r.topic, big, WAL_MAX_TOPIC);
        assert_int_equal(r.payload_len, 1);
        assert_int_equal(r.payload[0], 'x');
        assert_int_equal(wal_read(w, &r, 5000), 0);
        assert_int_equal(r.seq, 3);
        assert_int_equal(r.topic_len, 0);
        assert_int_equal(r.payload[0], 'p');
        expect_empty(w);
        /* The same records pass the checks at open. */
        wal_close(w);
        w = open_wal(f, 0, 0, 0);
        struct wal_stats s;
        wal_stats(w, &s);
        assert_int_equal(s.corrupt_bytes, 0);
        assert_int_equal(s.replayed_at_open, 3);
    }
    wal_close(w);
    free(big);
}

static void test_write_error_never_corrupts(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 0, 0, 0);
    append_range(w, 1, 5);
    /* A file size limit makes the 6th record's write fail half way, like a full disk. */
    struct rlimit lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
    lim = saved_fsize;
    lim.rlim_cur = 5 * REC + 50;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    fsize_lowered = 1;
    char topic[TLEN], payload[PLEN];
    gen(6, PLEN, topic, payload);
    /* Taken and held in memory: the caller must not offer it again. */
    assert_int_equal(wal_append(w, topic, TLEN, payload, PLEN, 1006), -EINPROGRESS);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.io_error, 1);
    assert_int_equal(s.bytes_on_disk, 5 * REC);
    char p[256];
    seg_path(f, 1, p, sizeof p);
    assert_int_equal(file_size(p), 5 * REC); /* the torn part was cut off */
    assert_int_equal(wal_append(w, topic, TLEN, payload, PLEN, 1006), -EIO); /* refused */
    for (uint64_t q = 1; q <= 5; q++)
        expect_read(w, q);
    expect_empty(w);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_fsize), 0);
    fsize_lowered = 0;
    /* The writer retries the kept record on its own. */
    expect_read(w, 6);
    wal_stats(w, &s);
    assert_int_equal(s.io_error, 0);
    assert_int_equal(s.last_seq, 6);
    append_range(w, 7, 7);
    expect_read(w, 7);
    wal_close(w);
    w = open_wal(f, 0, 0, 0);
    wal_stats(w, &s);
    assert_int_equal(s.corrupt_bytes, 0);
    assert_int_equal(s.replayed_at_open, 7);
    wal_close(w);
}

#define CONC_N 100000

static void *producer(void *arg)
{
    struct wal *w = arg;
    char topic[TLEN], payload[256];
    for (uint64_t q = 1; q <= CONC_N; q++) {
        size_t plen = q % 201;
        gen(q, plen, topic, payload);
        if (wal_append(w, topic, TLEN, payload, plen, 1000 + (int64_t)q) != 0)
            return (void *)1;
    }
    return NULL;
}

static void test_concurrent_producer_reader(void **state)
{
    struct fixture *f = *state;
    struct wal *w = open_wal(f, 1 << 20, 10, 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, w), 0);
    struct wal_record r;
    for (uint64_t q = 1; q <= CONC_N; q++) {
        int rc = wal_read(w, &r, 10000);
        if (rc != 0)
            fail_msg("wal_read rc=%d at seq %" PRIu64, rc, q);
        expect_rec(&r, q, q % 201);
        if (q % 1000 == 0)
            assert_int_equal(wal_commit(w, q), 0);
    }
    void *ret;
    assert_int_equal(pthread_join(t, &ret), 0);
    assert_null(ret);
    expect_empty(w);
    struct wal_stats s;
    wal_stats(w, &s);
    assert_int_equal(s.records_pending, 0);
    assert_int_equal(s.segments, 1);
    assert_true(count_segments(f) == 1);
    wal_close(w);
}

int main(void)
{
    log_set_level(LOG_ERROR); /* the corruption tests warn on purpose */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_replays_uncommitted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_and_commit_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_byte_last_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flipped_byte_older_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_and_drop_oldest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_every_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readable_before_fsync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_keeps_appended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_edge_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_never_corrupts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_producer_reader, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
