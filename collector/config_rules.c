/*
 * What holds between keys (min <= max, pairs that go together, what an
 * influx.api needs) and the secrets, read from their *_file or *_env at
 * load time so a missing one is a configuration error and not a failed
 * login later. Both run after every key has been applied.
 */
#include "config.h"
#include "config_table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SECRET_BYTES (64 * 1024)

static const struct config_entry *entry_of(const char *key)
{
    return &config_table[config_entry_index(key)];
}

static bool ok(const struct config_ctx *x, const char *key)
{
    return !x->bad[config_entry_index(key)];
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
    x->bad[config_entry_index(b)] = true;
    return false;
}

void config_check_rules(struct config_ctx *x)
{
    struct config *c = x->cfg;
    check_order(x, "mqtt.reconnect_min_s", "mqtt.reconnect_max_s", c->mqtt.reconnect_min_s,
                c->mqtt.reconnect_max_s);
    check_order(x, "influx.retry_min_ms", "influx.retry_max_ms", c->influx.retry_min_ms,
                c->influx.retry_max_ms);
    check_order(x, "notify.retry_min_ms", "notify.retry_max_ms", c->notify.retry_min_ms,
                c->notify.retry_max_ms);
    if (ok(x, "wal.segment_bytes") && ok(x, "wal.max_bytes") &&
        c->wal.max_bytes / 2 < c->wal.segment_bytes)
        config_fail(x, "wal.max_bytes",
                    "%lld is less than twice wal.segment_bytes (%lld); fix: raise it to at "
                    "least %lld or lower wal.segment_bytes",
                    (long long)c->wal.max_bytes, (long long)c->wal.segment_bytes,
                    (long long)c->wal.segment_bytes * 2);

    if (ok(x, "registry.assets") && ok(x, "registry.unknown_devices") &&
        c->registry.unknown_devices == REGISTRY_UNKNOWN_QUARANTINE &&
        (!c->registry.assets || !*c->registry.assets))
        config_fail(x, "registry.unknown_devices",
                    "'quarantine' without registry.assets would quarantine every reading; fix: "
                    "set registry.assets to the asset CSV, or use 'flag'");

    one_of(x, "mqtt.password_file", "mqtt.password_env");
    one_of(x, "influx.password_file", "influx.password_env");
    one_of(x, "influx.token_file", "influx.token_env");
    one_of(x, "http.token_file", "http.token_env");
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

void config_read_secrets(struct config_ctx *x)
{
    struct config *c = x->cfg;
    secret(x, "mqtt.password_file", "mqtt.password_env", &c->mqtt.password);
    secret(x, "influx.password_file", "influx.password_env", &c->influx.password);
    secret(x, "influx.token_file", "influx.token_env", &c->influx.token);
    secret(x, "http.token_file", "http.token_env", &c->http.token);
}
