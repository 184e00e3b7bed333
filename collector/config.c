/*
 * config_load: file -> comments out -> JSON syntax -> cJSON tree -> every
 * key checked against config_table -> rules between keys -> secrets read.
 * Every problem becomes one error line and loading carries on, so a single
 * `lifeline check` run lists all of them.
 */
#include "config.h"
#include "config_table.h"
#include "strdist.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (1024 * 1024)
#define MAX_KEY 128

size_t config_entry_index(const char *key)
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

/*
 * Fills `out` with the known key or section nearest to the unknown `path`
 * (whose last component is `name`): a close spelling, or the same name in
 * another section. False when nothing is close.
 */
static bool nearest(const char *path, const char *name, char out[MAX_KEY + 1])
{
    size_t best = SIZE_MAX, lp = strlen(path), ln = strlen(name);
    size_t limit = str_distance_limit(ln);
    out[0] = '\0';
    for (size_t i = 0; i < config_table_len; i++) {
        /* the key and each of its sections ("mqtt", "mqtt.tls") are candidates */
        const char *k = config_table[i].key;
        size_t kl = strlen(k);
        for (size_t n = 1; n <= kl && n <= MAX_KEY; n++) {
            if (n < kl && k[n] != '.')
                continue;
            size_t d = str_distance(path, lp, k, n);
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
        buf_init(&path, MAX_FILE_BYTES);
        if (*section)
            buf_printf(&path, "%s.", section);
        buf_puts(&path, v->string);
        const char *key = path.data ? path.data : "?";
        bool dup = false;
        for (const cJSON *o = obj->child; o != v && !dup; o = o->next)
            dup = strcmp(o->string, v->string) == 0;
        size_t i = config_entry_index(key);
        if (dup) {
            config_fail(x, key, "duplicate key; fix: keep only one \"%s\" in %s%s", v->string,
                        *section ? "section " : "the top level", section);
            if (i < config_table_len)
                x->bad[i] = true;
        } else if (i < config_table_len) {
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
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto close_fd;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = -EISDIR;
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
        config_fail(x, NULL,
                    "cannot parse the JSON; fix: check it with a JSON validator "
                    "such as `python3 -m json.tool`");
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
    config_check_rules(&x);
    config_read_secrets(&x);
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
    wipe(c->http.token);
    config_free_fields(c);
    free(c->path);
    free(c);
}
