#include "alert_store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "numparse.h"

struct alert_store {
    sqlite3 *db;
    sqlite3_stmt *put, *seen, *ack;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS alerts ("
    " id INTEGER PRIMARY KEY, device TEXT NOT NULL, rule TEXT NOT NULL, asset TEXT,"
    " name TEXT, category TEXT, district TEXT, state INTEGER, severity INTEGER,"
    " acknowledged INTEGER, flapping INTEGER, field TEXT, value REAL, threshold REAL,"
    " summary TEXT, summary_zh TEXT, started_ms INTEGER, fired_ms INTEGER,"
    " resolved_ms INTEGER, updated_ms INTEGER, acked_by TEXT, acked_ms INTEGER,"
    " active INTEGER, hold_ms INTEGER, notified_ms INTEGER, flaps TEXT,"
    " UNIQUE (device, rule));"
    "CREATE TABLE IF NOT EXISTS acks (alert_id INTEGER, by TEXT, ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS last_seen (device TEXT PRIMARY KEY, ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER);";

static const char put_sql[] =
    "INSERT OR REPLACE INTO alerts VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
    "?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26)";

static void fail(struct alert_store *s, const char *what)
{
    log_error("alerts", "store %s failed error=\"%s\"", what, sqlite3_errmsg(s->db));
}

struct alert_store *alert_store_open(const char *path)
{
    struct alert_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        log_error("alerts", "cannot open store path=%s error=\"%s\"", path,
                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto err;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL: readers (sqlite3 by an operator) never block the engine; NORMAL
     * sync is durable across a process crash, which is what matters here. */
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, put_sql, -1, &s->put, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db,
                           "INSERT INTO last_seen VALUES (?1, ?2) ON CONFLICT(device) DO "
                           "UPDATE SET ms = max(ms, excluded.ms)",
                           -1, &s->seen, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "INSERT INTO acks VALUES (?1, ?2, ?3)", -1, &s->ack, NULL) !=
            SQLITE_OK) {
        log_error("alerts", "cannot set up store path=%s error=\"%s\"", path,
                  sqlite3_errmsg(s->db));
        goto err;
    }
    return s;
err:
    alert_store_close(s);
    return NULL;
}

void alert_store_close(struct alert_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->put);
    sqlite3_finalize(s->seen);
    sqlite3_finalize(s->ack);
    sqlite3_close(s->db);
    free(s);
}

int alert_store_begin(struct alert_store *s)
{
    if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        fail(s, "begin");
        return -EIO;
    }
    return 0;
}

int alert_store_commit(struct alert_store *s)
{
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(s, "commit");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return -EIO;
    }
    return 0;
}

static int step(struct alert_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        fail(s, what);
        return -EIO;
    }
    return 0;
}

static void text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static void real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

int alert_store_put(struct alert_store *s, const struct alert_slot *slot)
{
    const struct alert *a = &slot->a;
    sqlite3_stmt *st = s->put;
    char flaps[ALERT_FLAP_MAX * 21 + 1];
    size_t off = 0;
    flaps[0] = '\0';
    for (int i = 0; i < slot->nflaps; i++)
        off += (size_t)snprintf(flaps + off, sizeof flaps - off, "%s%lld", i ? "," : "",
                                (long long)slot->flaps[i]);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)a->id);
    text(st, 2, a->device);
    text(st, 3, a->rule);
    text(st, 4, a->asset);
    text(st, 5, a->name);
    text(st, 6, a->category);
    text(st, 7, a->district);
    sqlite3_bind_int(st, 8, (int)a->state);
    sqlite3_bind_int(st, 9, (int)a->severity);
    sqlite3_bind_int(st, 10, a->acknowledged);
    sqlite3_bind_int(st, 11, a->flapping);
    text(st, 12, a->field);
    real(st, 13, a->value);
    real(st, 14, a->threshold);
    text(st, 15, a->summary);
    text(st, 16, a->summary_zh);
    sqlite3_bind_int64(st, 17, a->started_ms);
    sqlite3_bind_int64(st, 18, a->fired_ms);
    sqlite3_bind_int64(st, 19, a->resolved_ms);
    sqlite3_bind_int64(st, 20, a->updated_ms);
    text(st, 21, a->acked_by);
    sqlite3_bind_int64(st, 22, a->acked_ms);
    sqlite3_bind_int(st, 23, slot->active);
    sqlite3_bind_int64(st, 24, slot->hold_ms);
    sqlite3_bind_int64(st, 25, slot->notified_ms);
    text(st, 26, flaps);
    return step(s, st, "write alert");
}

int alert_store_ack(struct alert_store *s, uint64_t id, const char *by, int64_t ms)
{
    sqlite3_bind_int64(s->ack, 1, (sqlite3_int64)id);
    text(s->ack, 2, by);
    sqlite3_bind_int64(s->ack, 3, ms);
    return step(s, s->ack, "write ack");
}

int alert_store_seen(struct alert_store *s, const char *device, int64_t ms)
{
    text(s->seen, 1, device);
    sqlite3_bind_int64(s->seen, 2, ms);
    return step(s, s->seen, "write last seen");
}

int alert_store_meta_get(struct alert_store *s, const char *key, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        fail(s, "read meta");
        return -EIO;
    }
    text(st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int alert_store_meta_put(struct alert_store *s, const char *key, int64_t value)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", -1, &st, NULL) !=
        SQLITE_OK) {
        fail(s, "write meta");
        return -EIO;
    }
    text(st, 1, key);
    sqlite3_bind_int64(st, 2, value);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
    if (rc)
        fail(s, "write meta");
    sqlite3_finalize(st);
    return rc;
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", v ? (const char *)v : "");
}

static double col_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void parse_flaps(const char *t, struct alert_slot *slot)
{
    while (*t && slot->nflaps <= ALERT_FLAP_MAX) {
        size_t n = strcspn(t, ",");
        int64_t v;
        if (num_parse_i64(t, n, 0, INT64_MAX, &v) == 0)
            slot->flaps[slot->nflaps++] = v;
        t += n + (t[n] == ',');
    }
}

static void row_to_slot(sqlite3_stmt *st, struct alert_slot *slot)
{
    memset(slot, 0, sizeof *slot);
    struct alert *a = &slot->a;
    a->id = (uint64_t)sqlite3_column_int64(st, 0);
    col_text(st, 1, a->device, sizeof a->device);
    col_text(st, 2, a->rule, sizeof a->rule);
    col_text(st, 3, a->asset, sizeof a->asset);
    col_text(st, 4, a->name, sizeof a->name);
    col_text(st, 5, a->category, sizeof a->category);
    col_text(st, 6, a->district, sizeof a->district);
    int state = sqlite3_column_int(st, 7), sev = sqlite3_column_int(st, 8);
    a->state = state >= 0 && state <= 2 ? (enum alert_state)state : ALERT_RESOLVED;
    a->severity = sev >= 0 && sev <= 3 ? (enum alert_severity)sev : SEV_MAJOR;
    a->acknowledged = sqlite3_column_int(st, 9) != 0;
    a->flapping = sqlite3_column_int(st, 10) != 0;
    col_text(st, 11, a->field, sizeof a->field);
    a->value = col_real(st, 12);
    a->threshold = col_real(st, 13);
    col_text(st, 14, a->summary, sizeof a->summary);
    col_text(st, 15, a->summary_zh, sizeof a->summary_zh);
    a->started_ms = sqlite3_column_int64(st, 16);
    a->fired_ms = sqlite3_column_int64(st, 17);
    a->resolved_ms = sqlite3_column_int64(st, 18);
    a->updated_ms = sqlite3_column_int64(st, 19);
    col_text(st, 20, a->acked_by, sizeof a->acked_by);
    a->acked_ms = sqlite3_column_int64(st, 21);
    slot->active = sqlite3_column_int(st, 22) != 0;
    slot->hold_ms = sqlite3_column_int64(st, 23);
    slot->notified_ms = sqlite3_column_int64(st, 24);
    const unsigned char *f = sqlite3_column_text(st, 25);
    parse_flaps(f ? (const char *)f : "", slot);
}

int alert_store_load(struct alert_store *s, void (*on_alert)(void *ctx, const struct alert_slot *),
                     void (*on_seen)(void *ctx, const char *device, int64_t ms), void *ctx)
{
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT * FROM alerts ORDER BY id", -1, &st, NULL) != SQLITE_OK)
        goto err;
    struct alert_slot slot;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_slot(st, &slot);
        on_alert(ctx, &slot);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto err;
    if (sqlite3_prepare_v2(s->db, "SELECT device, ms FROM last_seen", -1, &st, NULL) != SQLITE_OK)
        goto err;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *d = sqlite3_column_text(st, 0);
        on_seen(ctx, d ? (const char *)d : "", sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        goto err;
    return 0;
err:
    fail(s, "load");
    return -EIO;
}
