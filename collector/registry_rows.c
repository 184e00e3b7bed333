/*
 * registry_rows: the registry loader's header and rows. The header is mapped
 * by column name (required ones checked); each row's fields are checked
 * (registry_field.c for single values; here empties, pairs, categories and
 * repeated ids) and the row stored in the arena and the indexes. Every
 * problem is reported with file, line and column. registry.c feeds libcsv,
 * which calls registry_on_field and registry_on_row.
 */
#include "registry.h"
#include "registry_field.h"
#include "registry_impl.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const col_names[COL__COUNT] = {
    "asset_id",    "name",      "category", "district",         "lat", "lon", "status",
    "upgraded_on", "device_id", "model",    "report_interval_s"};
static const bool col_required[COL__COUNT] = {
    [COL_ASSET_ID] = true, [COL_CATEGORY] = true, [COL_STATUS] = true};

/* ---------------------------------------------------------------- errors */

static struct buf *problem(struct registry_loader *L, size_t line, const char *column)
{
    buf_reset(&L->line);
    if (column)
        buf_printf(&L->line, "%s:%zu: %s: ", L->file, line, column);
    else
        buf_printf(&L->line, "%s: ", L->file);
    return &L->line;
}

static void done(struct registry_loader *L)
{
    L->nerrors++;
    if (L->errors && L->line.data) {
        buf_putc(&L->line, '\n');
        buf_append(L->errors, L->line.data, L->line.len);
    }
}

/* Scratch for a check's message; building "FILE:LINE: COLUMN: " for every value would cost
 * a printf per field. */
static struct buf *scratch(struct registry_loader *L)
{
    buf_reset(&L->msg);
    return &L->msg;
}

/* Reports what a check wrote into scratch() as the error of column c. */
static void fail_msg(struct registry_loader *L, const char *column)
{
    struct buf *b = problem(L, L->row_line, column);
    if (L->msg.data)
        buf_append(b, L->msg.data, L->msg.len);
    done(L);
}

void registry_fail(struct registry_loader *L, size_t line, const char *column, const char *fmt, ...)
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
 * (the first REGISTRY_MAX_INTERNED of them; the rest are stored per row). */
static const char *intern(struct registry_loader *L, const char *s, size_t len)
{
    for (size_t i = 0; i < L->ninterned; i++)
        if (L->interned_len[i] == len && memcmp(L->interned[i], s, len) == 0)
            return L->interned[i];
    const char *p = registry_arena_dup(L->r, s, len);
    if (p && len && L->ninterned < REGISTRY_MAX_INTERNED) {
        L->interned_len[L->ninterned] = len;
        L->interned[L->ninterned++] = p;
    }
    return p;
}

/* ---------------------------------------------------------------- header */

static void header_field(struct registry_loader *L, const char *s, size_t len)
{
    if (L->ncols == REGISTRY_MAX_COLUMNS) {
        if (L->nfield == REGISTRY_MAX_COLUMNS)
            registry_fail(L, L->row_line, "header",
                          "more than %d columns; fix: delete the unused columns",
                          REGISTRY_MAX_COLUMNS);
        return;
    }
    int col = -1;
    for (int c = 0; c < COL__COUNT && col < 0; c++)
        if (strlen(col_names[c]) == len && strncasecmp(col_names[c], s, len) == 0)
            col = c;
    for (size_t i = 0; i < L->ncols && col >= 0; i++) {
        if (L->colof[i] == col) {
            registry_fail(L, L->row_line, "header",
                          "column %s appears twice (columns %zu and %zu); fix: delete one of them",
                          col_names[col], i + 1, L->ncols + 1);
            col = -1;
        }
    }
    L->colof[L->ncols++] = col;
}

static void header_end(struct registry_loader *L)
{
    bool seen[COL__COUNT] = {false};
    for (size_t i = 0; i < L->ncols; i++)
        if (L->colof[i] >= 0)
            seen[L->colof[i]] = true;
    for (int c = 0; c < COL__COUNT; c++) {
        if (col_required[c] && !seen[c]) {
            registry_fail(
                L, L->row_line, col_names[c],
                "missing column; fix: add a column named %s to the header row (the first row "
                "names the columns; asset_id, category and status are required)",
                col_names[c]);
            L->stop = true; /* rows cannot be read without their columns */
        }
    }
    L->header_done = true;
}

/* ---------------------------------------------------------------- rows */

static const char *val(const struct registry_loader *L, int c)
{
    return L->row.data + L->off[c];
}

static void row_field(struct registry_loader *L, const char *s, size_t len)
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
        registry_fail(L, L->row_line, col_names[col],
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

static bool check_id(struct registry_loader *L, int c)
{
    if (registry_field_id(val(L, c), L->len[c], scratch(L)))
        return true;
    fail_msg(L, col_names[c]);
    return false;
}

static void check_category(struct registry_loader *L)
{
    const char *v = val(L, COL_CATEGORY);
    if (L->bad[COL_CATEGORY] || !L->known || L->known(v))
        return;
    char fixed[64];
    size_t n = L->len[COL_CATEGORY];
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

static void check_values(struct registry_loader *L, struct asset *a)
{
    if (L->bad[COL_STATUS]) {
    } else if (!L->len[COL_STATUS]) {
        registry_fail(L, L->row_line, "status", "empty; " REGISTRY_STATUS_FIX);
    } else {
        CHECK(COL_STATUS,
              registry_field_status(val(L, COL_STATUS), L->len[COL_STATUS], &a->status, b_));
    }
    CHECK(COL_LAT,
          registry_field_coord(val(L, COL_LAT), L->len[COL_LAT], 90, "latitude", &a->lat, b_));
    CHECK(COL_LON,
          registry_field_coord(val(L, COL_LON), L->len[COL_LON], 180, "longitude", &a->lon, b_));
    if (!L->bad[COL_LAT] && !L->bad[COL_LON] && !L->len[COL_LAT] != !L->len[COL_LON])
        registry_fail(L, L->row_line, L->len[COL_LAT] ? "lon" : "lat",
                      "empty while %s is given; fix: give both lat and lon, or neither",
                      L->len[COL_LAT] ? "lat" : "lon");
    int32_t day = -1;
    CHECK(COL_UPGRADED_ON,
          registry_field_date(val(L, COL_UPGRADED_ON), L->len[COL_UPGRADED_ON], &day, b_));
    if (a->status == ASSET_UPGRADED && !L->bad[COL_STATUS] && !L->bad[COL_UPGRADED_ON] &&
        !L->len[COL_UPGRADED_ON])
        registry_fail(L, L->row_line, "upgraded_on",
                      "empty while status is upgraded; fix: give the date the new sensor went into "
                      "service as YYYY-MM-DD, e.g. 2025-06-30");
    a->upgraded_on = a->status == ASSET_UPGRADED ? day : -1;
    CHECK(COL_INTERVAL, registry_field_interval(val(L, COL_INTERVAL), L->len[COL_INTERVAL],
                                                &a->report_interval_s, b_));
}

/* Reports a repeated id; true when s is new and may be indexed. */
static bool check_unique(struct registry_loader *L, bool device, const char *s, size_t len,
                         uint32_t h)
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

static void row_end(struct registry_loader *L)
{
    if (L->all_empty)
        return; /* spreadsheets export formatted but empty rows as ",,,," */
    if (L->r->n == L->r->cap) {
        /* more rows than count_rows saw: the file was written to while being read */
        registry_fail(
            L, 0, NULL,
            "the file changed while it was read; fix: write the new registry to another file "
            "and rename it over this one, then reload");
        L->stop = true;
        return;
    }
    if (L->extra)
        registry_fail(L, L->row_line, "row",
                      "%zu fields but the header has %zu columns; fix: put a field that contains a "
                      "comma in double quotes",
                      L->nfield, L->ncols);
    struct registry *r = L->r;
    struct asset a = {.lat = NAN, .lon = NAN, .upgraded_on = -1, .line = (int)L->row_line};
    size_t idx = r->n;

    bool id_ok = false, dev_ok = false;
    uint32_t id_h = 0, dev_h = 0;
    if (!L->bad[COL_ASSET_ID] && !L->len[COL_ASSET_ID])
        registry_fail(L, L->row_line, "asset_id",
                      "empty; fix: give every asset a unique id, e.g. 'GGT-WS-0001'");
    else if (!L->bad[COL_ASSET_ID] && check_id(L, COL_ASSET_ID)) {
        id_h = registry_hash(val(L, COL_ASSET_ID), L->len[COL_ASSET_ID]);
        id_ok = check_unique(L, false, val(L, COL_ASSET_ID), L->len[COL_ASSET_ID], id_h);
    }
    if (!L->bad[COL_CATEGORY] && !L->len[COL_CATEGORY])
        registry_fail(L, L->row_line, "category",
                      "empty; fix: give the device category, e.g. water_supply or manhole_cover");
    else
        check_category(L);
    check_values(L, &a);
    if (!L->bad[COL_DEVICE_ID] && L->len[COL_DEVICE_ID] && check_id(L, COL_DEVICE_ID)) {
        dev_h = registry_hash(val(L, COL_DEVICE_ID), L->len[COL_DEVICE_ID]);
        dev_ok = check_unique(L, true, val(L, COL_DEVICE_ID), L->len[COL_DEVICE_ID], dev_h);
    }

    a.asset_id = registry_arena_dup(r, val(L, COL_ASSET_ID), L->len[COL_ASSET_ID]);
    a.name = registry_arena_dup(r, val(L, COL_NAME), L->len[COL_NAME]);
    a.category = intern(L, val(L, COL_CATEGORY), L->len[COL_CATEGORY]);
    a.district = intern(L, val(L, COL_DISTRICT), L->len[COL_DISTRICT]);
    a.device_id = registry_arena_dup(r, val(L, COL_DEVICE_ID), L->len[COL_DEVICE_ID]);
    a.model = intern(L, val(L, COL_MODEL), L->len[COL_MODEL]);
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

void registry_on_field(void *s, size_t len, void *data)
{
    struct registry_loader *L = data;
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

void registry_on_row(int c, void *data)
{
    struct registry_loader *L = data;
    (void)c;
    if (!L->stop && !L->oom && L->nfield > 0) {
        if (!L->header_done)
            header_end(L);
        else
            row_end(L);
    }
    L->nfield = 0;
}
