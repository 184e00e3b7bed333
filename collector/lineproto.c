/*
 * lineproto: one point as one line (lp_write_point): the checks on keys and
 * the point as a whole, the worst-case reservation, and the reasons given
 * when a point is refused. Text and numbers are written by
 * lineproto_escape.c and lineproto_number.c.
 */
#include "lineproto.h"
#include "lineproto_impl.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

static _Thread_local char why_buf[200];

/* ---- reasons ---------------------------------------------------------- */

/* Copies at most `room` bytes of a key into dst for a message: cut at a UTF-8
 * boundary, control bytes shown as '?', so hostile keys cannot forge log lines. */
static size_t quote_name(char *dst, size_t room, const char *s, size_t n)
{
    size_t cut = n;
    bool more = false;
    if (cut > room) {
        cut = room;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        more = true;
    }
    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (more) {
        memcpy(dst + cut, "...", 3);
        cut += 3;
    }
    return cut;
}

/* Sets *why to "<pre><name><post>" and returns -EINVAL. */
static int refuse_named_room(const char **why, const char *pre, const char *name, size_t name_len,
                             size_t room, const char *post)
{
    if (!why)
        return -EINVAL;
    size_t lpre = strlen(pre), lpost = strlen(post);
    size_t n = 0;
    memcpy(why_buf, pre, lpre);
    n += lpre;
    n += quote_name(why_buf + n, room, name, name_len);
    if (n + lpost >= sizeof why_buf)
        lpost = sizeof why_buf - 1 - n;
    memcpy(why_buf + n, post, lpost);
    why_buf[n + lpost] = '\0';
    *why = why_buf;
    return -EINVAL;
}

static int refuse_named(const char **why, const char *pre, const char *name, size_t name_len,
                        const char *post)
{
    return refuse_named_room(why, pre, name, name_len, 48, post);
}

static int refuse(const char **why, const char *text)
{
    if (why)
        *why = text;
    return -EINVAL;
}

/* The reason for a lp_lp_put_ident() problem in `what` ("measurement", "tag key
 * 'k'", ...): pre + name + post describe the place. */
static int refuse_problem(const char **why, int problem, const char *pre, const char *name,
                          size_t name_len, const char *post)
{
    char place[96];
    size_t lpre = strlen(pre);
    memcpy(place, pre, lpre);
    size_t n = lpre;
    if (name) {
        n += quote_name(place + n, 40, name, name_len);
        size_t lpost = strlen(post);
        memcpy(place + n, post, lpost);
        n += lpost;
    }
    place[n] = '\0';
    switch (problem) {
    case PR_NEWLINE:
        return refuse_named_room(why, "newline in ", place, n, n, "");
    case PR_NUL:
        return refuse_named_room(why, "nul byte in ", place, n, n, "");
    case PR_TRAILING_BS:
        return refuse_named_room(why, "", place, n, n, " ends in a backslash");
    default:
        return refuse_named_room(why, "", place, n, n,
                                 " has a backslash before ',', '=', ' ', '\"' or '\\'");
    }
}

static size_t add_sat(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t twice_sat(size_t n)
{
    return n > SIZE_MAX / 2 ? SIZE_MAX : 2 * n;
}

/* An upper bound of the line's length, SIZE_MAX if it does not fit size_t. */
static size_t worst_case(size_t measurement_len, const struct lp_tag *tags, size_t ntags,
                         const struct field *fields, size_t nfields)
{
    size_t n = add_sat(twice_sat(measurement_len), 22); /* ' ' ts '\n' */
    for (size_t i = 0; i < ntags; i++)
        n = add_sat(n, add_sat(twice_sat(strlen(tags[i].key) + tags[i].value_len), 2));
    for (size_t i = 0; i < nfields; i++) {
        size_t v = fields[i].type == FIELD_STRING ? add_sat(twice_sat(fields[i].v.s.len), 3)
                                                  : 1 + LP_FLOAT_MAX;
        n = add_sat(n, add_sat(twice_sat(fields[i].key_len), add_sat(v, 1)));
    }
    return n;
}

static bool is_name(const char *s, size_t n, const char *name)
{
    size_t ln = strlen(name);
    return n == ln && memcmp(s, name, n) == 0;
}

/* ---- the point -------------------------------------------------------- */

static int write_tags(const struct lpw *out, const struct lp_tag *tags, size_t ntags,
                      const char **why)
{
    for (size_t i = 0; i < ntags; i++) {
        const char *key = tags[i].key;
        size_t klen = strlen(key);
        if (klen == 0)
            return refuse(why, "empty tag key");
        if (is_name(key, klen, "time") || is_name(key, klen, "_measurement") ||
            is_name(key, klen, "_field"))
            return refuse_named(why, "tag key '", key, klen, "' is reserved");
        if (i > 0) {
            int cmp = strcmp(tags[i - 1].key, key);
            if (cmp == 0)
                return refuse_named(why, "duplicate tag key '", key, klen, "'");
            if (cmp > 0)
                return refuse_named(why, "tags not sorted by key at '", key, klen, "'");
        }
        if (tags[i].value_len == 0)
            continue;
        if (tags[i].plain) {
            int rc = lp_put_plain(out, ',', key, klen);
            if (rc == 0)
                rc = lp_put_plain(out, '=', tags[i].value, tags[i].value_len);
            if (rc)
                return rc;
            continue;
        }
        int rc = lp_put_ident(out, ',', key, klen, C_ESC_KEY);
        if (rc > 0)
            return refuse_problem(why, rc, "tag key", NULL, 0, "");
        if (rc < 0)
            return rc;
        rc = lp_put_ident(out, '=', tags[i].value, tags[i].value_len, C_ESC_KEY);
        if (rc > 0)
            return refuse_problem(why, rc, "tag value for '", key, klen, "'");
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int write_field(const struct lpw *out, const struct field *f, char lead, const char **why)
{
    char tmp[2 + LP_FLOAT_MAX];
    size_t n = 0;
    int rc = lp_put_ident(out, lead, f->key, f->key_len, C_ESC_KEY);
    if (rc > 0)
        return refuse_problem(why, rc, "field key", NULL, 0, "");
    if (rc < 0)
        return rc;
    /* reserved: format in place; otherwise in tmp, then append what fits */
    char *dst = out->reserved ? out->b->data + out->b->len : tmp;
    dst[n++] = '=';
    switch (f->type) {
    case FIELD_FLOAT:
        if (isnan(f->v.f))
            return refuse_named(why, "field '", f->key, f->key_len, "' is nan");
        if (isinf(f->v.f))
            return refuse_named(why, "field '", f->key, f->key_len, "' is infinite");
        n += lp_format_double(dst + n, f->v.f);
        break;
    case FIELD_INT:
        n += lp_put_i64(dst + n, f->v.i);
        dst[n++] = 'i';
        break;
    case FIELD_BOOL:
        memcpy(dst + n, f->v.b ? "true" : "false", 5); /* the NUL of "true" is overwritten later */
        n += f->v.b ? 4 : 5;
        break;
    case FIELD_STRING:
        rc = lp_put_string(out, f->v.s.ptr, f->v.s.len);
        if (rc > 0)
            return refuse_problem(why, rc, "string field '", f->key, f->key_len, "'");
        return rc;
    default:
        return refuse_named(why, "field '", f->key, f->key_len, "' has an unknown type");
    }
    if (!out->reserved)
        return buf_append(out->b, tmp, n);
    out->b->len += n;
    return 0;
}

static int write_fields(const struct lpw *out, const struct field *fields, size_t nfields,
                        const char **why)
{
    if (nfields == 0)
        return refuse(why, "no fields");
    for (size_t i = 0; i < nfields; i++) {
        const struct field *f = &fields[i];
        if (f->key_len == 0)
            return refuse(why, "empty field key");
        if (is_name(f->key, f->key_len, "time"))
            return refuse(why, "field key 'time' is reserved");
        for (size_t j = 0; j < i; j++)
            if (fields[j].key_len == f->key_len && memcmp(fields[j].key, f->key, f->key_len) == 0)
                return refuse_named(why, "duplicate field key '", f->key, f->key_len, "'");
        int rc = write_field(out, f, i == 0 ? ' ' : ',', why);
        if (rc)
            return rc;
    }
    return 0;
}

int lp_write_point(struct buf *out, const char *measurement, size_t measurement_len,
                   const struct lp_tag *tags, size_t ntags, const struct field *fields,
                   size_t nfields, int64_t ts_ms, const char **why)
{
    size_t start = out->len;
    struct lpw w = {.b = out, .reserved = false};
    int rc;
    if (why)
        *why = NULL;

    if (measurement_len == 0) {
        rc = refuse(why, "empty measurement");
        goto undo;
    }
    /* A line whose first byte is '#' is a comment; leading tabs are skipped. */
    if (measurement[0] == '#') {
        rc = refuse(why, "measurement starts with '#'");
        goto undo;
    }
    if (measurement[0] == '\t') {
        rc = refuse(why, "measurement starts with a tab");
        goto undo;
    }
    if (ts_ms < -LP_TS_MS_MAX || ts_ms > LP_TS_MS_MAX) {
        rc = refuse(why, "timestamp out of range");
        goto undo;
    }
    /* One reservation for the worst case; near the cap each token reserves
     * its exact size instead, so a line that fits is never refused. */
    rc = buf_reserve(out, worst_case(measurement_len, tags, ntags, fields, nfields));
    if (rc == 0)
        w.reserved = true;
    else if (rc != -E2BIG)
        goto undo;
    rc = lp_put_ident(&w, '\0', measurement, measurement_len, C_ESC_MEAS);
    if (rc > 0)
        rc = refuse_problem(why, rc, "measurement", NULL, 0, "");
    if (rc)
        goto undo;
    rc = write_tags(&w, tags, ntags, why);
    if (rc)
        goto undo;
    if (out->len - start > LP_MAX_SERIES_KEY) {
        rc = refuse(why, "series key longer than 65535 bytes");
        goto undo;
    }
    rc = write_fields(&w, fields, nfields, why);
    if (rc)
        goto undo;

    char tail[24];
    char *t = w.reserved ? out->data + out->len : tail;
    size_t n = 0;
    t[n++] = ' ';
    n += lp_put_i64(t + n, ts_ms);
    t[n++] = '\n';
    if (!w.reserved) {
        rc = buf_append(out, tail, n);
        if (rc)
            goto undo;
    } else {
        out->len += n;
        out->data[out->len] = '\0';
    }
    return 0;

undo:
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    if (why && !*why)
        *why = rc == -E2BIG ? "line does not fit in the buffer" : "out of memory";
    return rc;
}
