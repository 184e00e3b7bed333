/*
 * One configuration value at a time: defaults, and a JSON value checked
 * against its table entry (type, range, allowed values, the entry's check)
 * and stored into struct config. Problems become error lines; loading
 * carries on, so one `lifeline check` run lists all of them.
 */
#include "config.h"
#include "config_table.h"
#include "numparse.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(enum influx_api) == sizeof(int), "enum keys are stored as int");
_Static_assert(sizeof(enum validate_unknown) == sizeof(int), "enum keys are stored as int");
_Static_assert(sizeof(enum registry_unknown) == sizeof(int), "enum keys are stored as int");
_Static_assert(sizeof(enum wal_full_policy) == sizeof(int), "enum keys are stored as int");

/* Starts an error line "FILE: KEY: " and returns the buffer to write the rest into. */
struct buf *config_problem(struct config_ctx *x, const char *key)
{
    buf_reset(&x->line);
    buf_printf(&x->line, "%s: ", x->file);
    if (key) {
        const char *p;
        for (p = key; *p && p - key < 200; p++)
            if ((unsigned char)*p < 0x20)
                buf_printf(&x->line, "\\x%02x", (unsigned char)*p);
            else
                buf_putc(&x->line, *p);
        buf_puts(&x->line, *p ? "...: " : ": ");
    }
    return &x->line;
}

void config_done(struct config_ctx *x)
{
    x->count++;
    if (x->errors && x->line.data) {
        buf_putc(&x->line, '\n');
        buf_append(x->errors, x->line.data, x->line.len);
    }
}

void config_fail(struct config_ctx *x, const char *key, const char *fmt, ...)
{
    struct buf *b = config_problem(x, key);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
    config_done(x);
}

static void *field(struct config *c, const struct config_entry *e)
{
    return (char *)c + e->offset;
}

int config_set_string(char **slot, const char *v)
{
    char *copy = NULL;
    if (v && !(copy = strdup(v)))
        return -ENOMEM;
    free(*slot);
    *slot = copy;
    return 0;
}

static void free_list(struct config *c, const struct config_entry *e)
{
    char **list = field(c, e);
    size_t *n = (size_t *)((char *)c + e->count_offset);
    for (size_t i = 0; i < *n; i++) {
        free(list[i]);
        list[i] = NULL;
    }
    *n = 0;
}

int config_set_defaults(struct config *c)
{
    int rc = 0;
    for (size_t i = 0; i < config_table_len && rc == 0; i++) {
        const struct config_entry *e = &config_table[i];
        void *f = field(c, e);
        switch (e->type) {
        case CT_STRING:
        case CT_PATH:
            rc = config_set_string(f, e->def_str);
            break;
        case CT_INT:
            *(int *)f = (int)e->def_num;
            break;
        case CT_INT64:
            *(int64_t *)f = e->def_num;
            break;
        case CT_BOOL:
            *(bool *)f = e->def_num != 0;
            break;
        case CT_ENUM:
            if (e->flags & CF_ENUM_NAME) {
                rc = config_set_string(f, e->def_str);
            } else {
                int v = 0;
                while (strcmp(e->values[v], e->def_str) != 0)
                    v++;
                *(int *)f = v;
            }
            break;
        case CT_STRLIST: {
            /* values[] (NULL-terminated) when the default has several elements */
            size_t *n = (size_t *)((char *)c + e->count_offset);
            free_list(c, e);
            if (!e->values) {
                rc = config_set_string(f, e->def_str);
                *n = rc == 0;
                break;
            }
            for (; e->values[*n] && rc == 0; (*n)++)
                rc = config_set_string((char **)f + *n, e->values[*n]);
            break;
        }
        }
    }
    return rc;
}

void config_free_fields(struct config *c)
{
    for (size_t i = 0; i < config_table_len; i++) {
        const struct config_entry *e = &config_table[i];
        if (e->type == CT_STRLIST) {
            free_list(c, e);
        } else if (e->type == CT_STRING || e->type == CT_PATH ||
                   (e->type == CT_ENUM && (e->flags & CF_ENUM_NAME))) {
            char **slot = field(c, e);
            free(*slot);
            *slot = NULL;
        }
    }
}

static const char *json_kind(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    return "an object";
}

/* "use 0, 1 or 2" for a short range, "use an integer from 5 to 3600" otherwise. */
static void range_fix(struct buf *b, const struct config_entry *e)
{
    if (e->max - e->min <= 3) {
        buf_puts(b, "use ");
        for (int64_t v = e->min; v <= e->max; v++)
            buf_printf(b, "%s%lld", v == e->min ? "" : v == e->max ? " or " : ", ", (long long)v);
    } else {
        buf_printf(b, "use an integer from %lld to %lld", (long long)e->min, (long long)e->max);
    }
}

static void enum_list(struct buf *b, const struct config_entry *e, const char *last_sep)
{
    for (size_t i = 0; e->values[i]; i++)
        buf_printf(b, "%s%s", i == 0 ? "" : e->values[i + 1] ? ", " : last_sep, e->values[i]);
}

static bool apply_number(struct config_ctx *x, const struct config_entry *e, const cJSON *v)
{
    if (!cJSON_IsNumber(v)) {
        struct buf *b = config_problem(x, e->key);
        int64_t n;
        buf_printf(b, "expected an integer, got %s; fix: ", json_kind(v));
        if (cJSON_IsString(v) &&
            num_parse_i64(v->valuestring, strlen(v->valuestring), e->min, e->max, &n) == 0)
            buf_printf(b, "write %lld without quotes", (long long)n);
        else
            range_fix(b, e);
        config_done(x);
        return false;
    }
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < (double)e->min || d > (double)e->max) {
        struct buf *b = config_problem(x, e->key);
        if (isfinite(d) && d != floor(d))
            buf_printf(b, "%g is not a whole number; fix: ", d);
        else if (isfinite(d) && fabs(d) < 1e18)
            buf_printf(b, "%.0f is out of range %lld..%lld; fix: ", d, (long long)e->min,
                       (long long)e->max);
        else
            buf_printf(b, "%g is out of range %lld..%lld; fix: ", d, (long long)e->min,
                       (long long)e->max);
        range_fix(b, e);
        config_done(x);
        return false;
    }
    if (e->type == CT_INT)
        *(int *)field(x->cfg, e) = (int)d;
    else
        *(int64_t *)field(x->cfg, e) = (int64_t)d;
    return true;
}

/* No control characters: no setting needs one, and they hide in error messages and logs. */
static bool plain_text(struct config_ctx *x, const char *key, const char *s)
{
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            struct buf *b = config_problem(x, key);
            config_put_quoted(b, s);
            buf_puts(b, " contains a control character; fix: remove it");
            config_done(x);
            return false;
        }
    }
    return true;
}

/* A readable regular file: 0, or a negative errno (-EISDIR for anything else than a file). */
static int probe_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = fstat(fd, &st) != 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EISDIR;
    close(fd);
    return rc;
}

static bool apply_string(struct config_ctx *x, const struct config_entry *e, const cJSON *v)
{
    if (!cJSON_IsString(v)) {
        config_fail(x, e->key, "expected a string, got %s; fix: put the value in double quotes",
                    json_kind(v));
        return false;
    }
    const char *s = v->valuestring;
    struct buf *b;
    if (!plain_text(x, e->key, s))
        return false;
    if (!*s && ((e->flags & CF_NONEMPTY) || !e->def_str)) {
        if (e->flags & CF_NONEMPTY)
            config_fail(x, e->key,
                        "is empty; fix: give a value or remove the key to use the default");
        else
            config_fail(x, e->key,
                        "is empty; fix: give a value or remove the key to leave it unset");
        return false;
    }
    /* "" reaches here only for a path whose default is "" (off), e.g. registry.assets */
    if (e->type == CT_PATH && *s && s[0] != '/') {
        b = config_problem(x, e->key);
        config_put_quoted(b, s);
        buf_puts(b, " is not an absolute path; fix: write the full path, starting with '/'");
        config_done(x);
        return false;
    }
    if (e->check) {
        b = config_problem(x, e->key);
        if (!e->check(s, b)) {
            config_done(x);
            return false;
        }
    }
    int rc = (e->flags & CF_READABLE) ? probe_file(s) : 0;
    if (rc) {
        b = config_problem(x, e->key);
        buf_puts(b, "cannot read ");
        config_put_quoted(b, s);
        buf_printf(b, ": %s; fix: check the path and that the service user may read it",
                   rc == -EISDIR ? "not a regular file" : strerror(-rc));
        config_done(x);
        return false;
    }
    if (config_set_string(field(x->cfg, e), s) != 0) {
        config_fail(x, e->key, "out of memory; fix: none");
        return false;
    }
    return true;
}

static bool apply_enum(struct config_ctx *x, const struct config_entry *e, const cJSON *v)
{
    struct buf *b;
    if (cJSON_IsString(v)) {
        for (size_t i = 0; e->values[i]; i++) {
            if (strcmp(e->values[i], v->valuestring) != 0)
                continue;
            if (!(e->flags & CF_ENUM_NAME)) {
                *(int *)field(x->cfg, e) = (int)i;
                return true;
            }
            if (config_set_string(field(x->cfg, e), e->values[i]) == 0)
                return true;
            config_fail(x, e->key, "out of memory; fix: none");
            return false;
        }
        b = config_problem(x, e->key);
        config_put_quoted(b, v->valuestring);
        buf_puts(b, " is not one of ");
        enum_list(b, e, ", ");
    } else {
        b = config_problem(x, e->key);
        buf_printf(b, "expected a string, got %s", json_kind(v));
    }
    buf_puts(b, "; fix: use ");
    enum_list(b, e, " or ");
    buf_puts(b, " (in double quotes, lower case)");
    config_done(x);
    return false;
}

static bool apply_list(struct config_ctx *x, const struct config_entry *e, const cJSON *v)
{
    int n = cJSON_GetArraySize(v);
    if (!cJSON_IsArray(v) || n < e->min || n > e->max) {
        struct buf *b = config_problem(x, e->key);
        if (!cJSON_IsArray(v))
            buf_printf(b, "expected an array of strings, got %s", json_kind(v));
        else
            buf_printf(b, "has %d entries; fix: list %lld to %lld", n, (long long)e->min,
                       (long long)e->max);
        if (e->def_str)
            buf_printf(b, "%s [\"%s\"]", cJSON_IsArray(v) ? ", e.g." : "; fix: write e.g.",
                       e->def_str);
        else if (!cJSON_IsArray(v))
            buf_puts(b, "; fix: write a JSON array of strings");
        config_done(x);
        return false;
    }
    bool ok = true;
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, v)
    {
        char key[64];
        snprintf(key, sizeof key, "%s[%d]", e->key, i);
        if (!cJSON_IsString(item)) {
            config_fail(x, key, "expected a string, got %s; fix: put the value in double quotes",
                        json_kind(item));
            ok = false;
        } else if (!plain_text(x, key, item->valuestring)) {
            ok = false;
        } else if (e->check && !e->check(item->valuestring, config_problem(x, key))) {
            config_done(x);
            ok = false;
        } else {
            int j = 0;
            for (const cJSON *o = v->child; o != item; o = o->next, j++) {
                if (cJSON_IsString(o) && strcmp(o->valuestring, item->valuestring) == 0) {
                    config_fail(x, key, "repeats %s[%d]; fix: remove one of the two", e->key, j);
                    ok = false;
                    break;
                }
            }
        }
        i++;
    }
    if (!ok)
        return false;
    free_list(x->cfg, e);
    char **list = field(x->cfg, e);
    size_t *count = (size_t *)((char *)x->cfg + e->count_offset);
    cJSON_ArrayForEach(item, v)
    {
        if (!(list[*count] = strdup(item->valuestring))) {
            config_fail(x, e->key, "out of memory; fix: none");
            return false;
        }
        (*count)++;
    }
    return true;
}

bool config_apply(struct config_ctx *x, const struct config_entry *e, const struct cJSON *v)
{
    if (cJSON_IsNull(v)) {
        config_fail(x, e->key, "is null; fix: remove the key to use the default");
        return false;
    }
    switch (e->type) {
    case CT_STRING:
    case CT_PATH:
        return apply_string(x, e, v);
    case CT_INT:
    case CT_INT64:
        return apply_number(x, e, v);
    case CT_BOOL:
        if (cJSON_IsBool(v)) {
            *(bool *)field(x->cfg, e) = cJSON_IsTrue(v);
            return true;
        }
        config_fail(x, e->key, "expected true or false, got %s; fix: write true or false%s",
                    json_kind(v),
                    cJSON_IsString(v) &&
                            (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false"))
                        ? " without quotes"
                        : "");
        return false;
    case CT_ENUM:
        return apply_enum(x, e, v);
    case CT_STRLIST:
        return apply_list(x, e, v);
    }
    return false;
}
