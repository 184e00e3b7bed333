/*
 * registry_load: file, read in 64 KiB chunks -> libcsv, fed one physical
 * line at a time so every row knows the line it starts on -> header mapped by column name -> each
 * row checked (registry_field.c) and stored. Strings live in one arena of
 * large blocks that never move, so the hash indexes (open addressing on
 * device_id and on asset_id) can be built while loading and catch
 * duplicates in file order. Nothing is written after load: readers on any
 * thread need no lock.
 */
#include "registry.h"
#include "registry_field.h"
#include "registry_impl.h"
#include "utf8.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES ((size_t)1 << 30)
/* The file is streamed, never held whole. The fuzz target (tests/fuzz/fuzz_registry.c)
 * compiles this file with tiny chunks to put chunk boundaries everywhere. */
#ifndef REGISTRY_CHUNK_BYTES
#define REGISTRY_CHUNK_BYTES ((size_t)64 * 1024)
#endif
#define CHUNK_BYTES REGISTRY_CHUNK_BYTES
#define MAX_COLUMNS 1024
#define MAX_INTERNED 64
/* libcsv's parser state between rows (ROW_NOT_BEGUN in libcsv.c). */
#define CSV_STATE_ROW_NOT_BEGUN 0
#define CSV_STATE_FIELD_BEGUN 2

enum col {
    C_ASSET_ID,
    C_NAME,
    C_CATEGORY,
    C_DISTRICT,
    C_LAT,
    C_LON,
    C_STATUS,
    C_UPGRADED_ON,
    C_DEVICE_ID,
    C_MODEL,
    C_INTERVAL,
    C__COUNT
};

static const char *const col_names[C__COUNT] = {
    "asset_id",    "name",      "category", "district",         "lat", "lon", "status",
    "upgraded_on", "device_id", "model",    "report_interval_s"};
static const bool col_required[C__COUNT] = {
    [C_ASSET_ID] = true, [C_CATEGORY] = true, [C_STATUS] = true};

struct loader {
    const char *file;
    struct buf *errors;
    int nerrors;
    struct buf line; /* one error line, appended whole so a full `errors` never cuts one */
    struct buf msg;  /* what a value check says, before it is known to be an error */
    bool (*known)(const char *name);
    struct registry *r;
    struct csv_parser p;
    size_t lineno;   /* the physical line being fed */
    size_t pending;  /* the line a row begun now starts on */
    size_t row_line; /* the line the current row starts on */
    size_t nfield;   /* fields seen in the current row */
    bool header_done, stop, oom;
    int colof[MAX_COLUMNS]; /* header position -> enum col, or -1 */
    size_t ncols;
    struct buf row; /* the current row's known fields, each NUL-terminated */
    size_t off[C__COUNT], len[C__COUNT];
    bool bad[C__COUNT]; /* already reported for this row */
    bool all_empty;
    size_t extra; /* non-empty fields past the header's columns */
    const char *interned[MAX_INTERNED];
    size_t interned_len[MAX_INTERNED];
    size_t ninterned;
};

/* ---------------------------------------------------------------- errors */

static struct buf *problem(struct loader *L, size_t line, const char *column)
{
    buf_reset(&L->line);
    if (column)
        buf_printf(&L->line, "%s:%zu: %s: ", L->file, line, column);
    else
        buf_printf(&L->line, "%s: ", L->file);
    return &L->line;
}

static void done(struct loader *L)
{
    L->nerrors++;
    if (L->errors && L->line.data) {
        buf_putc(&L->line, '\n');
        buf_append(L->errors, L->line.data, L->line.len);
    }
}

/* Scratch for a check's message; building "FILE:LINE: COLUMN: " for every value would cost
 * a printf per field. */
static struct buf *scratch(struct loader *L)
{
    buf_reset(&L->msg);
    return &L->msg;
}

/* Reports what a check wrote into scratch() as the error of column c. */
static void fail_msg(struct loader *L, const char *column)
{
    struct buf *b = problem(L, L->row_line, column);
    if (L->msg.data)
        buf_append(b, L->msg.data, L->msg.len);
    done(L);
}

static void fail(struct loader *L, size_t line, const char *column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(struct loader *L, size_t line, const char *column, const char *fmt, ...)
{
    struct buf *b = problem(L, line, column);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
    done(L);
}

/* ---------------------------------------------------------------- arena */

/* Categories, districts and models repeat on every row: store each distinct one once
 * (the first MAX_INTERNED of them; the rest are stored per row). */
static const char *intern(struct loader *L, const char *s, size_t len)
{
    for (size_t i = 0; i < L->ninterned; i++)
        if (L->interned_len[i] == len && memcmp(L->interned[i], s, len) == 0)
            return L->interned[i];
    const char *p = registry_arena_dup(L->r, s, len);
    if (p && len && L->ninterned < MAX_INTERNED) {
        L->interned_len[L->ninterned] = len;
        L->interned[L->ninterned++] = p;
    }
    return p;
}

/* ---------------------------------------------------------------- header */

static void header_field(struct loader *L, const char *s, size_t len)
{
    if (L->ncols == MAX_COLUMNS) {
        if (L->nfield == MAX_COLUMNS)
            fail(L, L->row_line, "header", "more than %d columns; fix: delete the unused columns",
                 MAX_COLUMNS);
        return;
    }
    int col = -1;
    for (int c = 0; c < C__COUNT && col < 0; c++)
        if (strlen(col_names[c]) == len && strncasecmp(col_names[c], s, len) == 0)
            col = c;
    for (size_t i = 0; i < L->ncols && col >= 0; i++) {
        if (L->colof[i] == col) {
            fail(L, L->row_line, "header",
                 "column %s appears twice (columns %zu and %zu); fix: delete one of them",
                 col_names[col], i + 1, L->ncols + 1);
            col = -1;
        }
    }
    L->colof[L->ncols++] = col;
}

static void header_end(struct loader *L)
{
    bool seen[C__COUNT] = {false};
    for (size_t i = 0; i < L->ncols; i++)
        if (L->colof[i] >= 0)
            seen[L->colof[i]] = true;
    for (int c = 0; c < C__COUNT; c++) {
        if (col_required[c] && !seen[c]) {
            fail(L, L->row_line, col_names[c],
                 "missing column; fix: add a column named %s to the header row (the first row "
                 "names the columns; asset_id, category and status are required)",
                 col_names[c]);
            L->stop = true; /* rows cannot be read without their columns */
        }
    }
    L->header_done = true;
}

/* ---------------------------------------------------------------- rows */

static const char *val(const struct loader *L, int c)
{
    return L->row.data + L->off[c];
}

static void row_field(struct loader *L, const char *s, size_t len)
{
    size_t i = L->nfield;
    int col = i < L->ncols ? L->colof[i] : -1;
    if (len)
        L->all_empty = false;
    if (i >= L->ncols && len)
        L->extra++;
    if (col < 0)
        return; /* columns the registry does not know are ignored */
    if (memchr(s, '\0', len) || !utf8_valid(s, len)) {
        fail(L, L->row_line, col_names[col],
             "not valid UTF-8 text; fix: save the file as UTF-8 (in Excel: Save As, "
             "\"CSV UTF-8 (Comma delimited)\")");
        L->bad[col] = true;
        len = 0;
    }
    L->off[col] = L->row.len;
    L->len[col] = len;
    if (buf_append(&L->row, s, len) != 0 || buf_putc(&L->row, '\0') != 0)
        L->oom = true;
}

static bool check_id(struct loader *L, int c)
{
    if (registry_field_id(val(L, c), L->len[c], scratch(L)))
        return true;
    fail_msg(L, col_names[c]);
    return false;
}

static void check_category(struct loader *L)
{
    const char *v = val(L, C_CATEGORY);
    if (L->bad[C_CATEGORY] || !L->known || L->known(v))
        return;
    char fixed[64];
    size_t n = L->len[C_CATEGORY];
    bool near = n < sizeof fixed;
    for (size_t i = 0; i < n && near; i++) {
        char ch = v[i];
        fixed[i] = ch >= 'A' && ch <= 'Z'   ? (char)(ch - 'A' + 'a')
                   : ch == '-' || ch == ' ' ? '_'
                                            : ch;
    }
    if (near) {
        fixed[n] = '\0';
        near = L->known(fixed);
    }
    struct buf *b = problem(L, L->row_line, "category");
    registry_field_quote(b, v, n);
    if (near)
        buf_printf(b, " is not a known category; fix: write '%s'", fixed);
    else
        buf_puts(b, " is not a known category; fix: use the name of a device category, e.g. "
                    "water_supply, drainage, sewage, manhole_cover, bridge_tunnel or "
                    "surveillance");
    done(L);
}

/* Runs a registry_field check on column c when it has a value. */
#define CHECK(c, call)                                                                             \
    do {                                                                                           \
        if (!L->bad[c] && L->len[c]) {                                                             \
            struct buf *b_ = scratch(L);                                                           \
            if (!(call)) {                                                                         \
                fail_msg(L, col_names[c]);                                                         \
                L->bad[c] = true;                                                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void check_values(struct loader *L, struct asset *a)
{
    if (L->bad[C_STATUS]) {
    } else if (!L->len[C_STATUS]) {
        fail(L, L->row_line, "status", "empty; " REGISTRY_STATUS_FIX);
    } else {
        CHECK(C_STATUS, registry_field_status(val(L, C_STATUS), L->len[C_STATUS], &a->status, b_));
    }
    CHECK(C_LAT, registry_field_coord(val(L, C_LAT), L->len[C_LAT], 90, "latitude", &a->lat, b_));
    CHECK(C_LON, registry_field_coord(val(L, C_LON), L->len[C_LON], 180, "longitude", &a->lon, b_));
    if (!L->bad[C_LAT] && !L->bad[C_LON] && !L->len[C_LAT] != !L->len[C_LON])
        fail(L, L->row_line, L->len[C_LAT] ? "lon" : "lat",
             "empty while %s is given; fix: give both lat and lon, or neither",
             L->len[C_LAT] ? "lat" : "lon");
    int32_t day = -1;
    CHECK(C_UPGRADED_ON,
          registry_field_date(val(L, C_UPGRADED_ON), L->len[C_UPGRADED_ON], &day, b_));
    if (a->status == ASSET_UPGRADED && !L->bad[C_STATUS] && !L->bad[C_UPGRADED_ON] &&
        !L->len[C_UPGRADED_ON])
        fail(L, L->row_line, "upgraded_on",
             "empty while status is upgraded; fix: give the date the new sensor went into "
             "service as YYYY-MM-DD, e.g. 2025-06-30");
    a->upgraded_on = a->status == ASSET_UPGRADED ? day : -1;
    CHECK(C_INTERVAL, registry_field_interval(val(L, C_INTERVAL), L->len[C_INTERVAL],
                                              &a->report_interval_s, b_));
}

/* Reports a repeated id; true when s is new and may be indexed. */
static bool check_unique(struct loader *L, bool device, const char *s, size_t len, uint32_t h)
{
    long prev = registry_index_find(L->r, device, s, len, h);
    if (prev < 0)
        return true;
    const struct asset *o = &L->r->assets[prev];
    struct buf *b = problem(L, L->row_line, device ? "device_id" : "asset_id");
    registry_field_quote(b, s, len);
    if (device) {
        buf_printf(b, " is also the device of line %d (asset ", o->line);
        registry_field_quote(b, o->asset_id, strlen(o->asset_id));
        buf_puts(b, "); fix: give each sensor its own device_id; when a sensor moved, keep "
                    "only the row of its new asset");
    } else {
        buf_printf(b,
                   " repeats line %d; fix: give each asset its own asset_id, or delete one "
                   "of the two rows",
                   o->line);
    }
    done(L);
    return false;
}

static void row_end(struct loader *L)
{
    if (L->all_empty)
        return; /* spreadsheets export formatted but empty rows as ",,,," */
    if (L->r->n == L->r->cap) {
        /* more rows than count_rows saw: the file was written to while being read */
        fail(L, 0, NULL,
             "the file changed while it was read; fix: write the new registry to another file "
             "and rename it over this one, then reload");
        L->stop = true;
        return;
    }
    if (L->extra)
        fail(L, L->row_line, "row",
             "%zu fields but the header has %zu columns; fix: put a field that contains a "
             "comma in double quotes",
             L->nfield, L->ncols);
    struct registry *r = L->r;
    struct asset a = {.lat = NAN, .lon = NAN, .upgraded_on = -1, .line = (int)L->row_line};
    size_t idx = r->n;

    bool id_ok = false, dev_ok = false;
    uint32_t id_h = 0, dev_h = 0;
    if (!L->bad[C_ASSET_ID] && !L->len[C_ASSET_ID])
        fail(L, L->row_line, "asset_id",
             "empty; fix: give every asset a unique id, e.g. 'GGT-WS-0001'");
    else if (!L->bad[C_ASSET_ID] && check_id(L, C_ASSET_ID)) {
        id_h = registry_hash(val(L, C_ASSET_ID), L->len[C_ASSET_ID]);
        id_ok = check_unique(L, false, val(L, C_ASSET_ID), L->len[C_ASSET_ID], id_h);
    }
    if (!L->bad[C_CATEGORY] && !L->len[C_CATEGORY])
        fail(L, L->row_line, "category",
             "empty; fix: give the device category, e.g. water_supply or manhole_cover");
    else
        check_category(L);
    check_values(L, &a);
    if (!L->bad[C_DEVICE_ID] && L->len[C_DEVICE_ID] && check_id(L, C_DEVICE_ID)) {
        dev_h = registry_hash(val(L, C_DEVICE_ID), L->len[C_DEVICE_ID]);
        dev_ok = check_unique(L, true, val(L, C_DEVICE_ID), L->len[C_DEVICE_ID], dev_h);
    }

    a.asset_id = registry_arena_dup(r, val(L, C_ASSET_ID), L->len[C_ASSET_ID]);
    a.name = registry_arena_dup(r, val(L, C_NAME), L->len[C_NAME]);
    a.category = intern(L, val(L, C_CATEGORY), L->len[C_CATEGORY]);
    a.district = intern(L, val(L, C_DISTRICT), L->len[C_DISTRICT]);
    a.device_id = registry_arena_dup(r, val(L, C_DEVICE_ID), L->len[C_DEVICE_ID]);
    a.model = intern(L, val(L, C_MODEL), L->len[C_MODEL]);
    if (!a.asset_id || !a.name || !a.category || !a.district || !a.device_id || !a.model) {
        L->oom = true;
        return;
    }
    r->assets[idx] = a;
    r->n++;
    if ((id_ok && registry_index_put(r, false, id_h, idx) != 0) ||
        (dev_ok && registry_index_put(r, true, dev_h, idx) != 0))
        L->oom = true;
}

/* ---------------------------------------------------------------- libcsv callbacks */

static void on_field(void *s, size_t len, void *data)
{
    struct loader *L = data;
    if (L->stop || L->oom)
        return;
    if (L->nfield == 0) {
        L->row_line = L->pending;
        buf_reset(&L->row);
        memset(L->len, 0, sizeof L->len);
        memset(L->off, 0, sizeof L->off);
        memset(L->bad, 0, sizeof L->bad);
        L->all_empty = true;
        L->extra = 0;
        if (buf_putc(&L->row, '\0') != 0) /* offset 0: the value of absent columns */
            L->oom = true;
    }
    const char *text = s ? s : "";
    if (!L->header_done)
        header_field(L, text, len);
    else
        row_field(L, text, len);
    L->nfield++;
}

static void on_row(int c, void *data)
{
    struct loader *L = data;
    (void)c;
    if (!L->stop && !L->oom && L->nfield > 0) {
        if (!L->header_done)
            header_end(L);
        else
            row_end(L);
    }
    L->nfield = 0;
}

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
static void parse(struct loader *L, const char *s, size_t n)
{
    if (L->p.pstate == CSV_STATE_ROW_NOT_BEGUN)
        L->pending = L->lineno;
    if (csv_parse(&L->p, s, n, on_field, on_row, L) != n)
        L->oom = true;
}

/*
 * Streams the file through libcsv one chunk at a time, each chunk one physical
 * line at a time so every row knows its first line. A line may straddle two
 * chunks: its first part is fed without counting a line end, and a CRLF split
 * between chunks counts once. 0 or -errno of a failed read.
 */
static int feed(struct loader *L, int fd, char *chunk)
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
        fail(L, L->pending, "row",
             "a quoted field is never closed, so the rest of the file would be one field; fix: "
             "add the closing \" (write \"\" for a quote inside a quoted field)");
        return 0;
    }
    if (csv_fini(&L->p, on_field, on_row, L) != 0)
        L->oom = true;
    if (!L->header_done && !L->oom)
        fail(L, 0, NULL,
             "no header row, the file is empty; fix: export the registry with its header row, "
             "e.g. asset_id,name,category,district,lat,lon,status,upgraded_on,device_id");
    return 0;
}

static void fail_read(struct loader *L, int rc)
{
    fail(L, 0, NULL,
         "cannot read the registry: %s; fix: check registry.assets and that the "
         "service user may read the file",
         rc == -EISDIR  ? "not a regular file"
         : rc == -EFBIG ? "larger than 1 GiB"
                        : strerror(-rc));
}

struct registry *registry_load(const char *path, bool (*known_category)(const char *name),
                               struct buf *errors, int *nerrors)
{
    struct loader *L = calloc(1, sizeof *L);
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
    buf_init(&L->row, MAX_FILE_BYTES + C__COUNT + 1);
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
        fail(L, 0, NULL,
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
