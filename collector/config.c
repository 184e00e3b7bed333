/*
 * config_load: file -> comments out -> JSON syntax -> cJSON tree -> every
 * key checked against config_table -> rules between keys -> secrets read.
 * Every problem becomes one error line and loading carries on, so a single
 * `lifeline check` run lists all of them.
 */
#include "config.h"
#include "config_table.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (1024 * 1024)
#define MAX_SECRET_BYTES (64 * 1024)
#define MAX_KEY 128

static size_t entry_index(const char *key)
{
    for (size_t i = 0; i < config_table_len; i++)
        if (strcmp(config_table[i].key, key) == 0)
            return i;
    return config_table_len;
}

/* True when `path` is a section: some key starts with "path.". */
static bool is_section(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < config_table_len; i++)
        if (strncmp(config_table[i].key, path, n) == 0 && config_table[i].key[n] == '.')
            return true;
    return false;
}

/* Optimal string alignment distance, case-insensitive; SIZE_MAX for long strings. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[MAX_KEY + 1][MAX_KEY + 1];
    if (la > MAX_KEY || lb > MAX_KEY)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/*
 * Fills `out` with the known key or section nearest to the unknown `path`
 * (whose last component is `name`): a close spelling, or the same name in
 * another section. False when nothing is close.
 */
static bool nearest(const char *path, const char *name, char out[MAX_KEY + 1])
{
    size_t best = SIZE_MAX, lp = strlen(path), ln = strlen(name);
    size_t limit = ln <= 4 ? 1 : 2;
    out[0] = '\0';
    for (size_t i = 0; i < config_table_len; i++) {
        /* the key and each of its sections ("mqtt", "mqtt.tls") are candidates */
        const char *k = config_table[i].key;
        size_t kl = strlen(k);
        for (size_t n = 1; n <= kl && n <= MAX_KEY; n++) {
            if (n < kl && k[n] != '.')
                continue;
            size_t d = distance(path, lp, k, n);
            if (d < best) {
                best = d;
                memcpy(out, k, n);
                out[n] = '\0';
            }
        }
    }
    if (best <= limit)
        return true;
    for (size_t i = 0; i < config_table_len; i++) {
        const char *k = config_table[i].key;
        for (const char *dot = strchr(k, '.'); dot; dot = strchr(dot + 1, '.')) {
            size_t n = strcspn(dot + 1, ".");
            if (n == ln && strncasecmp(dot + 1, name, n) == 0 && n + (size_t)(dot - k) < MAX_KEY) {
                size_t total = (size_t)(dot - k) + 1 + n;
                memcpy(out, k, total);
                out[total] = '\0';
                return true;
            }
        }
    }
    return false;
}

/* Appends the names directly inside `section` ("" for the top level). */
static void list_children(struct buf *b, const char *section)
{
    size_t n = strlen(section), count = 0;
    for (size_t i = 0; i < config_table_len; i++) {
        const char *k = config_table[i].key;
        if (n && (strncmp(k, section, n) != 0 || k[n] != '.'))
            continue;
        const char *child = n ? k + n + 1 : k;
        size_t len = strcspn(child, ".");
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *o = config_table[j].key;
            if (n && (strncmp(o, section, n) != 0 || o[n] != '.'))
                continue;
            const char *oc = n ? o + n + 1 : o;
            seen = strcspn(oc, ".") == len && strncmp(oc, child, len) == 0;
        }
        if (!seen)
            buf_printf(b, "%s%.*s", count++ ? ", " : "", (int)len, child);
    }
}

static void unknown_key(struct config_ctx *x, const char *path, const char *name,
                        const char *section)
{
    char near[MAX_KEY + 1];
    struct buf *b = config_problem(x, path);
    if (nearest(path, name, near)) {
        buf_printf(b, "unknown key; fix: did you mean '%s'?", near);
    } else {
        buf_puts(b, "unknown key; fix: remove it; ");
        if (*section)
            buf_printf(b, "the keys in '%s' are ", section);
        else
            buf_puts(b, "the top-level keys are ");
        list_children(b, section);
    }
    config_done(x);
}

static void walk(struct config_ctx *x, const cJSON *obj, const char *section)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        struct buf path;
        buf_init(&path, 4096);
        if (*section)
            buf_printf(&path, "%s.", section);
        buf_puts(&path, v->string);
        const char *key = path.data ? path.data : "?";
        bool dup = false;
        for (const cJSON *o = obj->child; o != v && !dup; o = o->next)
            dup = strcmp(o->string, v->string) == 0;
        size_t i = entry_index(key);
        if (dup) {
            config_fail(x, key, "duplicate key; fix: keep only one \"%s\" in %s%s", v->string,
                        *section ? "section " : "the top level", section);
            if (i < config_table_len)
                x->bad[i] = true;
        } else if (i < config_table_len) {
            x->given[i] = true;
            x->bad[i] = !config_apply(x, &config_table[i], v);
        } else if (is_section(key)) {
            if (cJSON_IsObject(v))
                walk(x, v, key);
            else
                config_fail(x, key, "expected an object (a section); fix: write \"%s\": { ... }",
                            v->string);
        } else {
            unknown_key(x, key, v->string, section);
        }
        buf_free(&path);
    }
}

static const struct config_entry *entry_of(const char *key)
{
    return &config_table[entry_index(key)];
}

static bool ok(const struct config_ctx *x, const char *key)
{
    return !x->bad[entry_index(key)];
}

static const char *str(const struct config_ctx *x, const char *key)
{
    return *(char *const *)((const char *)x->cfg + entry_of(key)->offset);
}

static void check_order(struct config_ctx *x, const char *lo_key, const char *hi_key, int lo,
                        int hi)
{
    if (ok(x, lo_key) && ok(x, hi_key) && hi < lo)
        config_fail(x, hi_key, "%d is less than %s (%d); fix: raise it to at least %d or lower %s",
                    hi, lo_key, lo, lo, lo_key);
}

/* At most one of two keys; returns false when both are set. */
static bool one_of(struct config_ctx *x, const char *a, const char *b)
{
    if (!str(x, a) || !str(x, b))
        return true;
    config_fail(x, b, "set together with %s; fix: keep only one of the two", a);
    x->bad[entry_index(b)] = true;
    return false;
}

static void rules(struct config_ctx *x)
{
    struct config *c = x->cfg;
    check_order(x, "mqtt.reconnect_min_s", "mqtt.reconnect_max_s", c->mqtt.reconnect_min_s,
                c->mqtt.reconnect_max_s);
    check_order(x, "influx.retry_min_ms", "influx.retry_max_ms", c->influx.retry_min_ms,
                c->influx.retry_max_ms);
    if (ok(x, "wal.segment_bytes") && ok(x, "wal.max_bytes") &&
        c->wal.max_bytes / 2 < c->wal.segment_bytes)
        config_fail(x, "wal.max_bytes",
                    "%lld is less than twice wal.segment_bytes (%lld); fix: raise it to at "
                    "least %lld or lower wal.segment_bytes",
                    (long long)c->wal.max_bytes, (long long)c->wal.segment_bytes,
                    (long long)c->wal.segment_bytes * 2);

    one_of(x, "mqtt.password_file", "mqtt.password_env");
    one_of(x, "influx.password_file", "influx.password_env");
    one_of(x, "influx.token_file", "influx.token_env");
    if ((str(x, "mqtt.password_file") || str(x, "mqtt.password_env")) && !c->mqtt.username)
        config_fail(x, "mqtt.username",
                    "not set, but a password is; fix: set mqtt.username (MQTT sends a password "
                    "only with a user name)");
    if ((str(x, "influx.password_file") || str(x, "influx.password_env")) && !c->influx.username)
        config_fail(x, "influx.username",
                    "not set, but a password is; fix: set influx.username or remove the password");

    if (!c->mqtt.tls_cert_file != !c->mqtt.tls_key_file)
        config_fail(x, c->mqtt.tls_cert_file ? "mqtt.tls.key_file" : "mqtt.tls.cert_file",
                    "missing, but %s is set; fix: set both or neither",
                    c->mqtt.tls_cert_file ? "mqtt.tls.cert_file" : "mqtt.tls.key_file");
    static const char *const tls_keys[] = {"mqtt.tls.ca_file", "mqtt.tls.cert_file",
                                           "mqtt.tls.key_file"};
    const char *u = c->mqtt.url;
    bool tls_url =
        !strncmp(u, "ssl://", 6) || !strncmp(u, "mqtts://", 8) || !strncmp(u, "wss://", 6);
    for (size_t i = 0; i < 3 && ok(x, "mqtt.url") && !tls_url; i++) {
        if (str(x, tls_keys[i])) {
            config_fail(x, tls_keys[i],
                        "set, but mqtt.url does not use TLS; fix: use an ssl://, mqtts:// or "
                        "wss:// URL, or remove the mqtt.tls keys");
            break;
        }
    }

    if (c->influx.api == INFLUX_API_V1 && ok(x, "influx.api") &&
        (!c->influx.database || !*c->influx.database))
        config_fail(x, "influx.database",
                    "required with influx.api v1; fix: set it, e.g. "
                    "\"lifeline\"");
    if (c->influx.api == INFLUX_API_V2 && !c->influx.bucket)
        config_fail(x, "influx.bucket",
                    "required with influx.api v2; fix: set it, e.g. "
                    "\"lifeline\"");
}

/* Reads a secret file into *out (one trailing newline removed). 0 or a negative errno. */
static int read_secret(const char *path, char **out)
{
    int rc = 0;
    char *data = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto close_fd;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_SECRET_BYTES) {
        rc = S_ISREG(st.st_mode) ? -EFBIG : -EISDIR;
        goto close_fd;
    }
    if (!(data = malloc((size_t)st.st_size + 1))) {
        rc = -ENOMEM;
        goto close_fd;
    }
    size_t n = 0;
    for (ssize_t r; n < (size_t)st.st_size; n += (size_t)r) {
        r = read(fd, data + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            r = 0;
        else if (r < 0) {
            rc = -errno;
            goto free_data;
        } else if (r == 0)
            break;
    }
    data[n] = '\0';
    if (n && data[n - 1] == '\n')
        data[--n] = '\0';
    if (n && data[n - 1] == '\r')
        data[--n] = '\0';
    *out = data;
    data = NULL;
free_data:
    free(data);
close_fd:
    close(fd);
    return rc;
}

static void secret(struct config_ctx *x, const char *file_key, const char *env_key, char **dest)
{
    const char *file = str(x, file_key), *env = str(x, env_key);
    if (!ok(x, file_key) || !ok(x, env_key) || (!file && !env))
        return;
    struct buf *b;
    if (file) {
        int rc = read_secret(file, dest);
        if (rc == 0 && !**dest)
            rc = -ENODATA;
        if (rc == 0)
            return;
        b = config_problem(x, file_key);
        buf_puts(b, "cannot read ");
        config_put_quoted(b, file);
        buf_printf(b, ": %s; fix: %s",
                   rc == -ENODATA  ? "the file is empty"
                   : rc == -EISDIR ? "not a regular file"
                   : rc == -EFBIG  ? "larger than 64 KiB"
                                   : strerror(-rc),
                   "put the secret in it and make it readable by the service user only");
        config_done(x);
        return;
    }
    const char *v = getenv(env);
    if (v && *v && config_set_string(dest, v) == 0)
        return;
    config_fail(x, env_key,
                "environment variable %s is %s; fix: set it in the service's "
                "environment, or use %s instead",
                env, v ? "empty" : "not set", file_key);
}

/* Reads the whole file; 0 or a negative errno (-EFBIG past MAX_FILE_BYTES). */
static int read_file(const char *path, char **out, size_t *len)
{
    int rc = 0;
    struct buf b;
    buf_init(&b, MAX_FILE_BYTES);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        rc = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
        goto close_fd;
    }
    char chunk[8192];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            goto close_fd;
        }
        if (r == 0)
            break;
        if ((rc = buf_append(&b, chunk, (size_t)r)) != 0) {
            rc = rc == -E2BIG ? -EFBIG : rc;
            goto close_fd;
        }
    }
    if ((rc = buf_reserve(&b, 0)) != 0) /* an empty file still gets its NUL */
        goto close_fd;
    *out = b.data;
    *len = b.len;
    b.data = NULL;
close_fd:
    close(fd);
    buf_free(&b);
    return rc;
}

/* Turns the text into a tree, reporting comment and syntax errors. NULL on error. */
static cJSON *parse(struct config_ctx *x, char *text, size_t len)
{
    size_t at = 0, line, col;
    const char *what = NULL;
    char *nul = memchr(text, '\0', len);
    /* columns count characters, so they come from the text before comments became spaces */
    char *orig = malloc(len + 1);
    if (!orig) {
        config_fail(x, NULL, "out of memory; fix: none");
        return NULL;
    }
    memcpy(orig, text, len + 1);
    size_t open_comment = config_strip_comments(text, len);
    if (nul) {
        at = (size_t)(nul - text);
        what = "NUL byte in the file; fix: save the file as UTF-8 text";
    } else if (open_comment) {
        at = open_comment - 1;
        what = "comment not closed; fix: end it with */";
    } else if (!config_json_syntax(text, len, &at, &what)) {
        struct buf *b = config_problem(x, NULL);
        config_line_col(orig, at, &line, &col);
        buf_truncate(b, b->len - 2);
        size_t n = strcspn(text + at, "\r\n");
        while (n && text[at + n - 1] == ' ')
            n--;
        buf_printf(b, ":%zu:%zu: invalid JSON ", line, col);
        if (n) {
            buf_printf(b, "near '%.*s': ", (int)(n > 24 ? 24 : n), text + at);
        } else {
            buf_puts(b, at >= len ? "at the end of the file: " : "at the end of the line: ");
        }
        buf_puts(b, what);
        config_done(x);
        free(orig);
        return NULL;
    }
    if (what) {
        struct buf *b = config_problem(x, NULL);
        config_line_col(orig, at, &line, &col);
        buf_truncate(b, b->len - 2);
        buf_printf(b, ":%zu:%zu: %s", line, col, what);
        config_done(x);
        free(orig);
        return NULL;
    }
    free(orig);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        config_fail(x, NULL, "cannot parse the JSON (out of memory?); fix: none");
    else if (!cJSON_IsObject(root)) {
        config_fail(x, NULL,
                    "the top level is not an object; fix: write the settings inside "
                    "{ ... }");
        cJSON_Delete(root);
        root = NULL;
    }
    return root;
}

int config_load(const char *path, struct config **out, struct buf *errors)
{
    struct config_ctx x = {.file = path, .errors = errors};
    char *text = NULL;
    size_t len = 0;
    cJSON *root = NULL;
    buf_init(&x.line, 64 * 1024);
    struct config *c = calloc(1, sizeof *c);
    if (!c || config_set_defaults(c) != 0 || !(c->path = strdup(path))) {
        config_fail(&x, NULL, "out of memory; fix: none");
        goto done;
    }
    x.cfg = c;
    int rc = read_file(path, &text, &len);
    if (rc) {
        config_fail(&x, NULL,
                    "cannot read the file: %s; fix: check the path given with -c "
                    "and that the service user may read it",
                    rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
        goto done;
    }
    if (!(root = parse(&x, text, len)))
        goto done;
    walk(&x, root, "");
    rules(&x);
    secret(&x, "mqtt.password_file", "mqtt.password_env", &c->mqtt.password);
    secret(&x, "influx.password_file", "influx.password_env", &c->influx.password);
    secret(&x, "influx.token_file", "influx.token_env", &c->influx.token);
done:
    cJSON_Delete(root);
    free(text);
    buf_free(&x.line);
    if (x.count == 0) {
        *out = c;
        c = NULL;
    }
    config_free(c);
    return x.count;
}

static void wipe(char *secret_text)
{
    if (secret_text) {
        explicit_bzero(secret_text, strlen(secret_text));
        free(secret_text);
    }
}

void config_free(struct config *c)
{
    if (!c)
        return;
    wipe(c->mqtt.password);
    wipe(c->influx.password);
    wipe(c->influx.token);
    config_free_fields(c);
    free(c->path);
    free(c);
}
