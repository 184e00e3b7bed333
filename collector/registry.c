/*
 * registry_load: file, read in 64 KiB chunks -> libcsv, fed one physical
 * line at a time so every row knows the line it starts on -> header mapped by
 * column name and each row checked and stored (registry_rows.c). Strings live
 * in one arena of large blocks that never move, so the hash indexes (open
 * addressing on device_id and on asset_id) can be built while loading and
 * catch duplicates in file order. Nothing is written after load: readers on
 * any thread need no lock.
 */
#include "registry.h"
#include "registry_impl.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES ((size_t)1 << 30)
/* The file is streamed, never held whole. The fuzz target (tests/fuzz/fuzz_registry.c)
 * compiles this file with tiny chunks to put chunk boundaries everywhere. */
#ifndef REGISTRY_CHUNK_BYTES
#define REGISTRY_CHUNK_BYTES ((size_t)64 * 1024)
#endif
#define CHUNK_BYTES REGISTRY_CHUNK_BYTES
/* libcsv's parser state between rows (ROW_NOT_BEGUN in libcsv.c). */
#define CSV_STATE_ROW_NOT_BEGUN 0
#define CSV_STATE_FIELD_BEGUN 2

/* ---------------------------------------------------------------- load */

/* Opens the registry for reading; the size check keeps a mistaken path (a disk image) out. */
static int open_registry(const char *path, int *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = -errno;
    else if (!S_ISREG(st.st_mode))
        rc = -EISDIR;
    else if ((uint64_t)st.st_size > MAX_FILE_BYTES)
        rc = -EFBIG;
    if (rc) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

/* Reads up to `size` bytes, fewer only at the end of the file. Bytes read or -errno. */
static ssize_t read_full(int fd, char *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/*
 * A bound on the number of rows: line ends (LF, CRLF, lone CR) + 1, since a row
 * ends at a line end. A first pass over the file in chunks costs a few ms per
 * 10 MB and lets the assets and indexes be allocated once, at their size.
 */
static int count_rows(int fd, char *chunk, size_t *rows)
{
    size_t ends = 0;
    bool after_cr = false;
    for (;;) {
        ssize_t got = read_full(fd, chunk, CHUNK_BYTES);
        if (got < 0)
            return (int)got;
        for (size_t i = 0; i < (size_t)got; i++) {
            if (chunk[i] == '\r' || (chunk[i] == '\n' && !after_cr))
                ends++;
            after_cr = chunk[i] == '\r';
        }
        if ((size_t)got < CHUNK_BYTES)
            break;
    }
    *rows = ends + 1;
    return lseek(fd, 0, SEEK_SET) == 0 ? 0 : -errno;
}

/*
 * Length of the physical line at s, its end included: LF, CRLF, or a lone CR
 * (old Mac Excel), since libcsv ends a row at each of them.
 */
static size_t line_len(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            return i + 1;
        if (s[i] == '\r')
            return i + 1 < len && s[i + 1] == '\n' ? i + 2 : i + 1;
    }
    return len;
}

/* Feeds s[0..n) to libcsv, telling the row that begins in it the line it begins on. */
static void parse(struct registry_loader *L, const char *s, size_t n)
{
    if (L->p.pstate == CSV_STATE_ROW_NOT_BEGUN)
        L->pending = L->lineno;
    if (csv_parse(&L->p, s, n, registry_on_field, registry_on_row, L) != n)
        L->oom = true;
}

/*
 * Streams the file through libcsv one chunk at a time, each chunk one physical
 * line at a time so every row knows its first line. A line may straddle two
 * chunks: its first part is fed without counting a line end, and a CRLF split
 * between chunks counts once. 0 or -errno of a failed read.
 */
static int feed(struct registry_loader *L, int fd, char *chunk)
{
    bool first = true, after_cr = false;
    L->lineno = 1;
    while (!L->oom && !L->stop) {
        ssize_t got = read_full(fd, chunk, CHUNK_BYTES);
        if (got < 0)
            return (int)got;
        size_t len = (size_t)got, at = 0;
        if (first && len >= 3 && memcmp(chunk, "\xEF\xBB\xBF", 3) == 0)
            at = 3; /* Excel's BOM */
        first = false;
        if (after_cr && at < len && chunk[at] == '\n')
            parse(L, chunk + at++, 1); /* the LF of a CRLF whose CR ended the last chunk */
        after_cr = false;
        while (at < len && !L->oom && !L->stop) {
            size_t n = line_len(chunk + at, len - at);
            parse(L, chunk + at, n);
            at += n;
            char last = chunk[at - 1];
            if (last == '\n' || last == '\r')
                L->lineno++;
            after_cr = last == '\r';
        }
        if (len < CHUNK_BYTES)
            break;
    }
    if (L->oom || L->stop)
        return 0;
    if (L->p.pstate == CSV_STATE_FIELD_BEGUN && L->p.quoted) {
        registry_fail(
            L, L->pending, "row",
            "a quoted field is never closed, so the rest of the file would be one field; fix: "
            "add the closing \" (write \"\" for a quote inside a quoted field)");
        return 0;
    }
    if (csv_fini(&L->p, registry_on_field, registry_on_row, L) != 0)
        L->oom = true;
    if (!L->header_done && !L->oom)
        registry_fail(
            L, 0, NULL,
            "no header row, the file is empty; fix: export the registry with its header row, "
            "e.g. asset_id,name,category,district,lat,lon,status,upgraded_on,device_id");
    return 0;
}

static void fail_read(struct registry_loader *L, int rc)
{
    registry_fail(L, 0, NULL,
                  "cannot read the registry: %s; fix: check registry.assets and that the "
                  "service user may read the file",
                  rc == -EISDIR  ? "not a regular file"
                  : rc == -EFBIG ? "larger than 1 GiB"
                                 : strerror(-rc));
}

struct registry *registry_load(const char *path, bool (*known_category)(const char *name),
                               struct buf *errors, int *nerrors)
{
    struct registry_loader *L = calloc(1, sizeof *L);
    struct registry *r = calloc(1, sizeof *r);
    char *chunk = malloc(CHUNK_BYTES);
    int fd = -1;
    bool parser = false;
    if (!L || !r || !chunk)
        goto fail_alloc;
    L->file = path;
    L->errors = errors;
    L->known = known_category;
    L->r = r;
    buf_init(&L->line, 4096);
    buf_init(&L->msg, 4096);
    buf_init(&L->row, MAX_FILE_BYTES + COL__COUNT + 1);
    size_t rows = 0;
    int rc = open_registry(path, &fd);
    if (rc == 0)
        rc = count_rows(fd, chunk, &rows);
    if (rc) {
        fail_read(L, rc);
        goto finish;
    }
    if (registry_reserve(r, rows) != 0 || csv_init(&L->p, CSV_APPEND_NULL) != 0) {
        L->oom = true;
        goto finish;
    }
    parser = true;
    rc = feed(L, fd, chunk);
    if (rc)
        fail_read(L, rc);
finish:
    if (L->oom)
        registry_fail(L, 0, NULL,
                      "out of memory while loading the registry; fix: give the service more "
                      "memory");
    if (parser)
        csv_free(&L->p);
    if (fd >= 0)
        close(fd);
    free(chunk);
    buf_free(&L->line);
    buf_free(&L->msg);
    buf_free(&L->row);
    if (nerrors)
        *nerrors = L->nerrors;
    if (L->nerrors) {
        registry_free(r);
        r = NULL;
    } else {
        registry_shrink(r);
    }
    free(L);
    return r;
fail_alloc:
    free(L);
    free(r);
    free(chunk);
    if (errors)
        buf_printf(errors,
                   "%s: out of memory while loading the registry; fix: give the service "
                   "more memory\n",
                   path);
    if (nerrors)
        *nerrors = 1;
    return NULL;
}
