/*
 * The one table of configuration keys (after Fluent Bit's config map) and
 * the checks of single string values. Loading, cross-key rules and the
 * Markdown reference all read this table: a key is added here and nowhere
 * else. Key names are a contract with users and tests; never rename one.
 */
#include "config.h"
#include "config_table.h"
#include "coverage.h"
#include "dispatch.h"
#include "numparse.h"
#include "tileurl.h"
#include "timestamp.h"
#include "webhook.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define OFF(field) offsetof(struct config, field)

int config_put_quoted(struct buf *b, const char *s)
{
    int rc = buf_putc(b, '\'');
    size_t i;
    for (i = 0; s[i] && i < 80 && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\')
            rc = buf_printf(b, "\\x%02x", c);
        else
            rc = buf_putc(b, (char)c);
    }
    if (rc == 0 && s[i])
        rc = buf_puts(b, "...");
    return rc ? rc : buf_putc(b, '\'');
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* scheme://host[:port][/path] with one of `schemes`; no user:password@ part. */
static bool check_url(const char *v, const char *const *schemes, const char *list,
                      const char *example, const char *cred_keys, struct buf *msg)
{
    const char *rest = NULL;
    for (size_t i = 0; schemes[i] && !rest; i++)
        if (has_prefix(v, schemes[i]))
            rest = v + strlen(schemes[i]);
    if (!rest) {
        config_put_quoted(msg, v);
        buf_printf(msg, " does not start with %s; fix: write it as %s", list, example);
        return false;
    }
    size_t hostlen = strcspn(rest, "/?#");
    if (hostlen == 0 || rest[0] == ':') {
        config_put_quoted(msg, v);
        buf_printf(msg, " has no host; fix: write it as %s", example);
        return false;
    }
    if (memchr(rest, '@', hostlen)) {
        buf_printf(msg, "credentials in the URL; fix: remove the user:password@ part and use %s",
                   cred_keys);
        return false;
    }
    return true;
}

static bool check_mqtt_url(const char *v, struct buf *msg)
{
    static const char *const schemes[] = {"tcp://", "mqtt://", "ssl://", "mqtts://",
                                          "ws://",  "wss://",  NULL};
    return check_url(v, schemes, "tcp://, mqtt://, ssl://, mqtts://, ws:// or wss://",
                     "'tcp://broker.example:1883' or 'ssl://broker.example:8883'",
                     "mqtt.username and mqtt.password_file", msg);
}

static bool check_http_url(const char *v, struct buf *msg)
{
    static const char *const schemes[] = {"http://", "https://", NULL};
    return check_url(v, schemes, "http:// or https://", "'http://influxdb.example:8086'",
                     "influx.username with influx.password_file, or influx.token_file", msg);
}

static bool check_client_id(const char *v, struct buf *msg)
{
    if (strpbrk(v, "+#")) {
        config_put_quoted(msg, v);
        buf_puts(msg, " contains '+' or '#'; fix: use letters, digits, '-' and '_' only, e.g. "
                      "'lifeline-district1'");
        return false;
    }
    if (strlen(v) > 65535) {
        buf_puts(msg, "longer than 65535 bytes; fix: use a short name such as "
                      "'lifeline-district1'");
        return false;
    }
    return true;
}

bool config_check_topic_filter(const char *v, struct buf *msg)
{
    const char *problem = NULL;
    if (!*v)
        problem = "is empty; fix: write a filter such as 'lifeline/#'";
    else if (strlen(v) > 65535)
        problem = "is longer than 65535 bytes; fix: shorten it";
    for (const char *p = v; *p && !problem; p++) {
        bool level_start = p == v || p[-1] == '/';
        bool level_end = p[1] == '\0' || p[1] == '/';
        if (*p == '#' && !(level_start && p[1] == '\0'))
            problem = "uses '#' other than as the whole last level; fix: write 'a/b/#' to "
                      "match everything below a/b";
        else if (*p == '+' && !(level_start && level_end))
            problem = "uses '+' other than as a whole level; fix: write 'a/+/c' to match one "
                      "level";
    }
    if (!problem)
        return true;
    buf_puts(msg, "topic filter ");
    config_put_quoted(msg, v);
    buf_printf(msg, " %s", problem);
    return false;
}

static bool check_topic_template(const char *v, struct buf *msg)
{
    static const char *const names[] = {"{district}", "{category}", "{device}"};
    int seen[3] = {0, 0, 0};
    for (const char *p = strchr(v, '{'); p; p = strchr(p + 1, '{')) {
        size_t i;
        for (i = 0; i < 3 && !has_prefix(p, names[i]); i++)
            ;
        size_t n = i < 3 ? strlen(names[i]) : 0;
        if (i == 3 || (p != v && p[-1] != '/') || (p[n] != '\0' && p[n] != '/')) {
            config_put_quoted(msg, v);
            buf_puts(msg, " has a placeholder that is unknown or not a whole level; fix: use "
                          "{district}, {category} and {device}, each as a whole level, e.g. "
                          "'lifeline/{district}/{category}/{device}'");
            return false;
        }
        seen[i]++;
    }
    for (size_t i = 0; i < 3; i++) {
        if (seen[i] > 1 || (i > 0 && seen[i] == 0)) {
            config_put_quoted(msg, v);
            buf_printf(msg,
                       " %s %s; fix: use {category} and {device} once each, e.g. "
                       "'lifeline/{district}/{category}/{device}'",
                       seen[i] ? "repeats" : "lacks", names[i]);
            return false;
        }
    }
    if (strpbrk(v, "+#")) {
        config_put_quoted(msg, v);
        buf_puts(msg, " contains '+' or '#'; fix: name each level with a placeholder or a "
                      "literal, the subscription is mqtt.topics");
        return false;
    }
    return true;
}

static bool check_env_name(const char *v, struct buf *msg)
{
    bool ok = (*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || *v == '_';
    for (const char *p = v; *p && ok; p++)
        ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_' ||
             (*p >= '0' && *p <= '9');
    if (!ok) {
        config_put_quoted(msg, v);
        buf_puts(msg, " is not an environment variable name; fix: give the variable's name "
                      "(letters, digits, '_'), not its value, e.g. 'LIFELINE_MQTT_PASSWORD'");
    }
    return ok;
}

static bool check_listen(const char *v, struct buf *msg)
{
    if (!*v)
        return true; /* disabled */
    const char *colon = strrchr(v, ':');
    bool ok = colon && colon != v;
    if (ok && v[0] == '[') {
        char host[INET6_ADDRSTRLEN];
        size_t n = (size_t)(colon - v);
        struct in6_addr a6;
        ok = n >= 3 && v[n - 1] == ']' && n - 2 < sizeof host;
        if (ok) {
            memcpy(host, v + 1, n - 2);
            host[n - 2] = '\0';
            ok = inet_pton(AF_INET6, host, &a6) == 1;
        }
    } else if (ok) {
        ok = memchr(v, ':', (size_t)(colon - v)) == NULL && !strpbrk(v, " /[]");
    }
    int64_t port;
    if (ok)
        ok = num_parse_i64(colon + 1, strlen(colon + 1), 1, 65535, &port) == 0;
    if (!ok) {
        config_put_quoted(msg, v);
        buf_puts(msg, " is not host:port; fix: write '127.0.0.1:8080', '0.0.0.0:8080' (all "
                      "interfaces), '[::1]:8080' (IPv6, in brackets), port 1..65535, or '' to "
                      "turn the server off");
    }
    return ok;
}

/* The FILTER of "FILTER=..." (v up to eq) is a valid topic filter. */
static bool check_filter_part(const char *v, const char *eq, struct buf *msg)
{
    char filter[1024];
    size_t n = (size_t)(eq - v);
    if (n >= sizeof filter) {
        buf_puts(msg, "filter too long; fix: shorten it");
        return false;
    }
    memcpy(filter, v, n);
    filter[n] = '\0';
    return config_check_topic_filter(filter, msg);
}

/* FILTER=DECODER */
static bool check_decoder_route(const char *v, struct buf *msg)
{
    const char *eq = strrchr(v, '=');
    if (!eq || eq == v) {
        config_put_quoted(msg, v);
        buf_puts(msg, " is not FILTER=DECODER; fix: write e.g. 'hj212/#=hj212'");
        return false;
    }
    if (!dispatch_decoder_known(eq + 1)) {
        config_put_quoted(msg, v);
        buf_printf(msg, " names no known decoder; fix: use one of %s after '='",
                   DISPATCH_DECODER_NAMES);
        return false;
    }
    return check_filter_part(v, eq, msg);
}

#define ZONE_FIX                                                                                   \
    "fix: write the offset from UTC as '+08:00' (China), 'UTC+8' or '-05:30', between -12:00 "     \
    "and +14:00"

static bool check_zone(const char *v, struct buf *msg)
{
    int off;
    if (ts_parse_zone(v, strlen(v), &off) == 0)
        return true;
    config_put_quoted(msg, v);
    buf_puts(msg, " is not a UTC offset; " ZONE_FIX);
    return false;
}

/* FILTER=ZONE */
static bool check_zone_override(const char *v, struct buf *msg)
{
    const char *eq = strrchr(v, '=');
    int off;
    if (!eq || eq == v) {
        config_put_quoted(msg, v);
        buf_puts(msg, " is not FILTER=ZONE; fix: write e.g. 'hj212/xinjiang/#=+06:00'");
        return false;
    }
    if (ts_parse_zone(eq + 1, strlen(eq + 1), &off) != 0) {
        config_put_quoted(msg, v);
        buf_puts(msg, " has no UTC offset after '='; " ZONE_FIX);
        return false;
    }
    return check_filter_part(v, eq, msg);
}

/* "" (off), a topic, or a topic with one {topic} that is not the whole of it. */
static bool check_reply_topic(const char *v, struct buf *msg)
{
    const char *ph = strstr(v, "{topic}");
    const char *problem = NULL;
    if (!*v)
        return true;
    if (strpbrk(v, "+#"))
        problem = "contains '+' or '#', which a topic to publish on cannot; fix: write e.g. "
                  "'{topic}/reply'";
    else if (ph && strstr(ph + 1, "{topic}"))
        problem = "has {topic} twice; fix: use it once, e.g. '{topic}/reply'";
    else if (strchr(ph ? ph + 7 : v, '{') || (ph && memchr(v, '{', (size_t)(ph - v))))
        problem = "has a placeholder other than {topic}; fix: use {topic} only, e.g. "
                  "'{topic}/reply'";
    else if (ph && strcmp(v, "{topic}") == 0)
        problem = "would send the reply back on the station's own topic, where Lifeline reads "
                  "data; fix: add a level, e.g. '{topic}/reply'";
    if (!problem)
        return true;
    config_put_quoted(msg, v);
    buf_printf(msg, " %s", problem);
    return false;
}

static const char *const default_topics[] = {"lifeline/#", "/sys/+/+/thing/event/#",
                                             "$sys/+/+/thing/property/post", "hj212/#", NULL};
static const char *const default_decoders[] = {"lifeline/#=json", "/sys/+/+/thing/event/#=alink",
                                               "$sys/+/+/thing/property/post=onenet",
                                               "hj212/#=hj212", NULL};
static const char *const unknown_fields[] = {"accept", "reject", NULL}; /* enum validate_unknown */

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};
static const char *const influx_apis[] = {"v1", "v2", NULL}; /* order of enum influx_api */
static const char *const unknown_modes[] = {"flag", "quarantine", NULL}; /* enum registry_unknown */
/* order of enum wal_full_policy */
static const char *const wal_full_policies[] = {"pause", "drop_oldest", NULL};

static bool check_webhook(const char *v, struct buf *msg)
{
    enum webhook_format fmt;
    const char *url;
    return webhook_parse(v, &fmt, &url, msg) == 0;
}

static bool check_tile_url(const char *v, struct buf *msg)
{
    const char *problem = tileurl_problem(v);
    if (!problem)
        return true;
    config_put_quoted(msg, v);
    buf_printf(msg, " %s", problem);
    return false;
}

static const char *const no_webhooks[] = {NULL};
static const char *const notify_langs[] = {"zh", "en", NULL}; /* order of enum notify_lang */
static const char *const report_langs[] = {"zh", "en", NULL};
static const char *const no_strings[] = {NULL};

static bool check_date(const char *v, struct buf *msg)
{
    int32_t d;
    if (coverage_parse_date(v, &d) == 0)
        return true;
    config_put_quoted(msg, v);
    buf_puts(msg, " is not a date; fix: write YYYY-MM-DD, e.g. '2026-12-31'");
    return false;
}

static bool check_target(const char *v, struct buf *msg)
{
    struct cov_target_spec t;
    char why[256];
    if (coverage_parse_target(v, 0, &t, why, sizeof why) == 0)
        return true;
    buf_puts(msg, why);
    return false;
}

/* clang-format off */
#define STR(k, f, def, fl, chk, note, help) {k, CT_STRING, OFF(f), 0, def, 0, 0, 0, NULL, fl, chk, note, help}
#define PATH(k, f, def, fl, help) {k, CT_PATH, OFF(f), 0, def, 0, 0, 0, NULL, fl, NULL, NULL, help}
#define INT(k, f, def, lo, hi, note, help) {k, CT_INT, OFF(f), 0, NULL, def, lo, hi, NULL, 0, NULL, note, help}
#define I64(k, f, def, lo, hi, note, help) {k, CT_INT64, OFF(f), 0, NULL, def, lo, hi, NULL, 0, NULL, note, help}
#define BOOL(k, f, def, help) {k, CT_BOOL, OFF(f), 0, NULL, def, 0, 0, NULL, 0, NULL, NULL, help}
#define ENUM(k, f, def, vals, fl, help) {k, CT_ENUM, OFF(f), 0, def, 0, 0, 0, vals, fl, NULL, NULL, help}

const struct config_entry config_table[] = {
    PATH("data_dir", data_dir, "/var/lib/lifeline", CF_NONEMPTY,
         "Directory for the write-ahead log and the alert state. Absolute path; it must be "
         "writable by the service user."),
    ENUM("log.level", log_level, "info", log_levels, CF_ENUM_NAME,
         "Most verbose level written to stderr. `debug` logs every message; use it for "
         "troubleshooting only."),

    STR("mqtt.url", mqtt.url, "tcp://127.0.0.1:1883", CF_NONEMPTY, check_mqtt_url, "`tcp://`, `mqtt://`, `ssl://`, `mqtts://`, `ws://`, `wss://`",
        "Broker as scheme://host:port. `tcp://` and `mqtt://` are plain MQTT, `ssl://` and "
        "`mqtts://` MQTT over TLS (see mqtt.tls), `ws://` and `wss://` MQTT over WebSocket. "
        "No credentials in the URL: use mqtt.username and mqtt.password_file."),
    STR("mqtt.client_id", mqtt.client_id, "lifeline", CF_NONEMPTY, check_client_id, "non-empty, no `+` or `#`",
        "MQTT client identifier. The daemon keeps a persistent session (clean session off), "
        "so the broker holds its subscriptions and queues QoS 1 messages while it is away; "
        "that only works when the id stays the same across restarts. It must also be unique "
        "per instance: two clients with one id keep disconnecting each other. No `+` or `#`, "
        "at most 65535 bytes."),
    {"mqtt.topics", CT_STRLIST, OFF(mqtt.topics), OFF(mqtt.ntopics), "lifeline/#", 0, 1,
     CONFIG_MAX_TOPICS, default_topics, 0, config_check_topic_filter, NULL,
     "Topic filters to subscribe to, a JSON array of 1 to 32 strings. `+` matches one whole "
     "level, `#` everything below and only as the last level. Several instances share the "
     "load with `$share/GROUP/FILTER`. The default covers the default mqtt.decoders."},
    {"mqtt.decoders", CT_STRLIST, OFF(mqtt.decoders), OFF(mqtt.ndecoders), "lifeline/#=json", 0, 1,
     CONFIG_MAX_TOPICS, default_decoders, 0, check_decoder_route, "`FILTER=DECODER`",
     "Which payload decoder reads which topics: `FILTER=DECODER` strings, the first filter "
     "that matches a message's topic wins (the filter without any `$share/GROUP/` prefix). "
     "Decoders: `json` (plain JSON, identity from mqtt.topic_template), `alink` (Alibaba "
     "Cloud IoT thing model, device = deviceName), `onenet` (OneNET thing model), `hj212` "
     "(HJ 212-2017 text frames, device = MN). A message no filter matches is quarantined "
     "with reason `topic`."},
    INT("mqtt.qos", mqtt.qos, 1, 0, 2, NULL,
        "Subscription QoS. 1 (at least once) is what the write-ahead log is built for; with 0 "
        "the broker may drop messages."),
    STR("mqtt.topic_template", mqtt.topic_template, "lifeline/{district}/{category}/{device}",
        CF_NONEMPTY, check_topic_template, "contains `{category}` and `{device}`",
        "Which levels of a message's topic name its district, category and device: "
        "`{district}`, `{category}` and `{device}` each stand for one whole level, other "
        "levels must match literally. `{category}` and `{device}` are required."),
    STR("mqtt.username", mqtt.username, NULL, 0, NULL, NULL,
        "User name for the broker; unset connects without credentials."),
    PATH("mqtt.password_file", mqtt.password_file, NULL, 0,
         "Absolute path of a file holding the broker password (one trailing newline is "
         "removed); make it readable by the service user only. Needs mqtt.username; at most "
         "one of mqtt.password_file and mqtt.password_env."),
    STR("mqtt.password_env", mqtt.password_env, NULL, 0, check_env_name, "variable name",
        "Name of an environment variable holding the broker password, e.g. set by the "
        "systemd unit's `EnvironmentFile=`."),
    INT("mqtt.keepalive_s", mqtt.keepalive_s, 30, 5, 3600, NULL,
        "Seconds between keepalive pings; a dead connection is noticed after about 1.5 times "
        "this."),
    INT("mqtt.reconnect_min_s", mqtt.reconnect_min_s, 1, 1, 3600, NULL,
        "First delay before reconnecting to the broker; it doubles after each failure up to "
        "mqtt.reconnect_max_s."),
    INT("mqtt.reconnect_max_s", mqtt.reconnect_max_s, 60, 1, 3600, "at least mqtt.reconnect_min_s",
        "Longest delay between two reconnection attempts."),
    I64("mqtt.max_payload", mqtt.max_payload, 65536, 16, 268435455, NULL,
        "Largest message payload in bytes that is decoded; a larger one is quarantined with "
        "reason `too_large`."),
    PATH("mqtt.tls.ca_file", mqtt.tls_ca_file, NULL, CF_READABLE,
         "PEM file of the certificate authorities for the broker's certificate; unset uses "
         "the system's trust store. Used with `ssl://`, `mqtts://` and `wss://` only."),
    PATH("mqtt.tls.cert_file", mqtt.tls_cert_file, NULL, CF_READABLE,
         "PEM client certificate, for brokers that authenticate clients by certificate; set "
         "together with mqtt.tls.key_file."),
    PATH("mqtt.tls.key_file", mqtt.tls_key_file, NULL, CF_READABLE,
         "PEM private key (unencrypted) of mqtt.tls.cert_file."),
    BOOL("mqtt.tls.verify", mqtt.tls_verify, 1,
         "Verify the broker's certificate and host name. Turn it off for tests only: without "
         "it anyone on the path can read and forge telemetry."),

    STR("influx.url", influx.url, "http://127.0.0.1:8086", CF_NONEMPTY, check_http_url, "`http://`, `https://`",
        "Base URL of InfluxDB 1.x/2.x or VictoriaMetrics, `http://` or `https://`. A path is "
        "kept as a prefix, e.g. `http://vminsert:8480/insert/0/influx` for a VictoriaMetrics "
        "cluster."),
    ENUM("influx.api", influx.api, "v1", influx_apis, 0,
         "`v1` writes to /write with influx.database (InfluxDB 1.x, VictoriaMetrics); `v2` "
         "writes to /api/v2/write with influx.org and influx.bucket and the token from "
         "influx.token_file or influx.token_env."),
    STR("influx.database", influx.database, "lifeline", 0, NULL, "required with `v1`",
        "Database to write to; required with api `v1`."),
    STR("influx.retention_policy", influx.retention_policy, NULL, 0, NULL, NULL,
        "Retention policy for api `v1`; unset uses the database's default."),
    STR("influx.username", influx.username, NULL, 0, NULL, NULL,
        "User name for api `v1`; unset writes without authentication."),
    PATH("influx.password_file", influx.password_file, NULL, 0,
         "Absolute path of a file holding the password of influx.username (one trailing "
         "newline is removed). At most one of influx.password_file and influx.password_env."),
    STR("influx.password_env", influx.password_env, NULL, 0, check_env_name, "variable name",
        "Name of an environment variable holding the password of influx.username."),
    STR("influx.org", influx.org, NULL, 0, NULL, NULL, "Organization (name or id) for api `v2`."),
    STR("influx.bucket", influx.bucket, NULL, 0, NULL, "required with `v2`", "Bucket for api `v2`; required with `v2`."),
    PATH("influx.token_file", influx.token_file, NULL, 0,
         "Absolute path of a file holding the API token for api `v2` (one trailing newline is "
         "removed). At most one of influx.token_file and influx.token_env."),
    STR("influx.token_env", influx.token_env, NULL, 0, check_env_name, "variable name",
        "Name of an environment variable holding the API token for api `v2`."),
    INT("influx.batch_lines", influx.batch_lines, 5000, 1, 100000, NULL,
        "A batch is sent once it holds this many lines, ..."),
    I64("influx.batch_bytes", influx.batch_bytes, 8388608, 1024, 268435456, NULL,
        "... or this many bytes of line protocol (before gzip), ..."),
    INT("influx.batch_age_ms", influx.batch_age_ms, 1000, 10, 60000, NULL,
        "... or when its oldest line has waited this many milliseconds."),
    BOOL("influx.gzip", influx.gzip, 1,
         "Compress request bodies with gzip; line protocol shrinks about tenfold."),
    INT("influx.timeout_ms", influx.timeout_ms, 10000, 100, 300000, NULL,
        "Time limit of one write request, connecting included."),
    INT("influx.retry_min_ms", influx.retry_min_ms, 100, 1, 60000, NULL,
        "First delay before retrying a write that failed for a passing reason (timeout, "
        "connection refused, 5xx, 429); it doubles up to influx.retry_max_ms, and a "
        "Retry-After header is honoured."),
    INT("influx.retry_max_ms", influx.retry_max_ms, 30000, 1, 600000,
        "at least influx.retry_min_ms", "Longest delay between two write attempts."),

    STR("http.listen", http.listen, "127.0.0.1:8080", 0, check_listen, "`host:port`, `[v6]:port` or `\"\"`",
        "Address of the HTTP server (/healthz, /metrics, the API): `host:port`, "
        "`0.0.0.0:8080` for every IPv4 interface, `[::1]:8080` for IPv6. An empty string "
        "turns the server off."),
    PATH("http.token_file", http.token_file, NULL, 0,
         "Absolute path of a file holding the operator token (one trailing newline is "
         "removed) that `POST /api/v1/alerts/{id}/ack` wants as `Authorization: Bearer "
         "TOKEN`. Unset (and no http.token_env): acknowledgement over HTTP is refused. At most "
         "one of http.token_file and http.token_env."),
    STR("http.token_env", http.token_env, NULL, 0, check_env_name, "variable name",
        "Name of an environment variable holding the operator token (see http.token_file)."),
    STR("http.map_tile_url", http.map_tile_url, NULL, 0, check_tile_url,
        "`http(s)://host[:port]/...` with `{z}`, `{x}`, `{y}`",
        "Map tiles for the live page's map, drawn under its SVG: a Web Mercator (XYZ) tile "
        "URL template such as `https://tiles.example/{z}/{x}/{y}.png`, each of `{z}`, `{x}` "
        "and `{y}` once, one host (no `{s}`), no credentials. The page's "
        "Content-Security-Policy then allows images from that origin (scheme, host, port) "
        "and nowhere else. Unset (the default): no tiles, nothing is loaded from elsewhere "
        "and the map works on a closed network; it also works when the tile server cannot "
        "be reached."),

    STR("hj212.time_zone", hj212.time_zone, "+08:00", CF_NONEMPTY, check_zone, "`+08:00`, `UTC+8`, `-05:30`, `UTC`; -12:00..+14:00",
        "HJ 212 DataTime (and QN, the time when a frame has no DataTime) is local time without "
        "a zone; this is its offset from UTC. China is `+08:00`. A fixed offset: no daylight "
        "saving."),
    {"hj212.time_zones", CT_STRLIST, OFF(hj212.time_zones), OFF(hj212.ntime_zones), NULL, 0, 0,
     CONFIG_MAX_TOPICS, no_strings, 0, check_zone_override, "`FILTER=ZONE`",
     "Stations whose clocks keep another zone: `FILTER=ZONE` strings, e.g. "
     "`[\"hj212/xinjiang/#=+06:00\"]`; the first filter that matches an HJ 212 message's "
     "topic gives its zone, other topics use hj212.time_zone."},
    STR("hj212.reply_topic", hj212.reply_topic, "{topic}/reply", 0, check_reply_topic, "`\"\"` or a topic; `{topic}` at most once",
        "Where the acknowledgement (CN=9014, same QN) of an HJ 212 frame whose Flag has bit 0 "
        "(A) set is published, QoS 1, not retained, once the frame is in the write-ahead log: "
        "`{topic}` stands for the frame's topic. Lifeline skips messages on these topics "
        "(lifeline_hj212_own_replies_total) even when mqtt.topics covers them. An empty "
        "string sends no acknowledgements."),

    PATH("registry.assets", registry.assets, "", 0,
         "Absolute path of the asset registry, a CSV file exported from the asset spreadsheet "
         "(UTF-8, header row; columns asset_id, category and status required, name, district, "
         "lat, lon, upgraded_on, device_id, model and report_interval_s optional, any order). "
         "`lifeline check` validates it; SIGHUP reloads it. An empty string runs without a "
         "registry: devices are neither looked up nor flagged, and coverage reports are empty."),
    ENUM("registry.unknown_devices", registry.unknown_devices, "flag", unknown_modes, 0,
         "Readings from a device_id the registry does not list: `flag` stores them, marked as "
         "unregistered, so they can be found and added to the registry; `quarantine` "
         "rejects them with reason `unknown_device`. `quarantine` needs registry.assets."),

    PATH("profiles.dir", profiles.dir, NULL, 0,
         "Directory of category profiles, `<category>.json` files, that replace the built-in "
         "profile of the same category or add a category (format: devices/profiles/ in the "
         "source). Unset uses the built-in profiles only. Read at start and on SIGHUP."),

    ENUM("validate.unknown_fields", validate.unknown_fields, "accept", unknown_fields, 0,
         "A field that is not in the category profile: `accept` stores it as it came and "
         "counts it (lifeline_unknown_fields_total), since vendors add extras; `reject` "
         "refuses it with reason `unknown_field`."),
    BOOL("validate.partial", validate.partial, 0,
         "`false` refuses a whole reading when one field is bad (type, range, not finite, "
         "unknown with `reject`); `true` stores the good fields and quarantines the bad ones."),
    INT("validate.max_age_s", validate.max_age_s, 604800, 60, 315360000, NULL,
        "A reading older than this many seconds is refused with reason `timestamp` (default "
        "7 days): a clock reset to 1970 or 2000 must not write into the past."),
    INT("validate.max_future_s", validate.max_future_s, 300, 0, 86400, NULL,
        "A reading more than this many seconds in the future is refused with reason "
        "`timestamp`."),
    INT("validate.duplicate_window_s", validate.duplicate_window_s, 3600, 0, 604800, NULL,
        "A reading with the time of one the same device sent less than this many seconds "
        "ago, but with other values, is refused with reason `duplicate` (it would silently "
        "overwrite the first). An identical redelivery is stored again, harmlessly. 0 turns "
        "the check off."),
    ENUM("report.lang", report.lang, "zh", report_langs, CF_ENUM_NAME,
         "Language of `lifeline report` (unless --lang says otherwise), of `GET /report` "
         "(unless ?lang=) and of the daily report: `zh` Chinese, `en` English."),
    INT("report.target_pct", report.target_pct, 80, 0, 100, NULL,
        "Upgrade target: percent of a category's assets (retired excluded) to be upgraded by "
        "report.target_date, for every category report.targets does not name."),
    STR("report.target_date", report.target_date, "2026-12-31", CF_NONEMPTY, check_date, "`YYYY-MM-DD`",
        "Date by which report.target_pct is to be reached."),
    {"report.targets", CT_STRLIST, OFF(report.targets), OFF(report.ntargets), NULL, 0, 0,
     CONFIG_MAX_TARGETS, no_strings, 0, check_target, "`CATEGORY=PERCENT[@YYYY-MM-DD]`",
     "Per-category targets that override report.target_pct (and report.target_date when a "
     "date is given), e.g. `[\"manhole_cover=90@2026-06-30\", \"sewage=100\"]`."},
    INT("report.effective_pct", report.effective_pct, 90, 1, 100, NULL,
        "An upgraded asset counts towards effective coverage when the readings stored over the "
        "report period reach this percent of those its report interval makes due."),
    INT("report.offline_misses", report.offline_misses, 0, 0, 1000, NULL,
        "An upgraded asset is online when its last reading is younger than this many report "
        "intervals (its report_interval_s, else its category's). 0 (the default): follow "
        "alerts.offline_misses, as the live view does, so that \"online\" means the same in "
        "the report, on the live page and in alerts; set it only for a different report "
        "threshold."),
    BOOL("report.daily", report.daily, 0,
         "The daemon writes the HTML and JSON report of the last 7 days to "
         "`<data_dir>/reports/coverage-YYYY-MM-DD.{html,json}` once a day, after midnight "
         "China time (and at start when today's is missing). Off by default: InfluxDB is "
         "queried for it."),

    I64("wal.segment_bytes", wal.segment_bytes, 67108864, 65536, 1073741824, NULL,
        "Size at which the write-ahead log starts a new segment file; a segment is deleted "
        "once every reading in it is stored or quarantined."),
    INT("wal.fsync_ms", wal.fsync_ms, 100, 0, 10000, NULL,
        "Group commit: every reading is written to its WAL segment (the kernel's page cache) "
        "before the MQTT callback returns, so a crash or SIGKILL of the daemon loses none; "
        "fdatasync follows within this many milliseconds, which bounds what a power loss or "
        "kernel crash can take. 0 fdatasyncs every record before the callback returns (slow)."),
    I64("wal.max_bytes", wal.max_bytes, 1073741824, 131072, INT64_C(1) << 50,
        "at least 2 × wal.segment_bytes",
        "Disk space the write-ahead log may use; size it for the longest database outage to "
        "ride out (at 1000 readings/s of about 200 bytes, 1 GiB lasts about 1.5 hours)."),
    ENUM("wal.full_policy", wal.full_policy, "pause", wal_full_policies, 0,
         "What happens when the write-ahead log nears wal.max_bytes. `pause` disconnects from "
         "the broker (the persistent session keeps the subscriptions) so that the broker "
         "queues new messages (at 90 % of wal.max_bytes, leaving room for what is in flight), and "
         "reconnects once the log is below 80 %: "
         "nothing is lost if the broker can hold the backlog (mosquitto: "
         "`max_queued_messages 0`, `persistence true`). `drop_oldest` deletes the oldest "
         "segment to make room: the newest data wins, and lifeline_wal_dropped_records counts "
         "what was lost."),

    BOOL("alerts.enabled", alerts.enabled, 1,
         "Run the alert engine: offline devices, thresholds, device faults, battery, radio "
         "(docs/alerts.md). Its state is kept in `<data_dir>/alerts.db`."),
    PATH("alerts.rules_file", alerts.rules_file, NULL, CF_READABLE,
         "Absolute path of the operator rules, a JSON file (format: docs/alerts.md, example: "
         "config/rules.example.json). Unset: only the built-in conditions and the category "
         "profiles' alarms. SIGHUP reloads it; a file with errors is refused on reload and the "
         "rules in use stay."),
    INT("alerts.check_interval_ms", alerts.check_interval_ms, 1000, 50, 60000, NULL,
        "How often the timers are checked (offline deadlines, hold times, reminders): an "
        "offline alert fires at most this long after its deadline."),
    INT("alerts.offline_misses", alerts.offline_misses, 3, 1, 1000, NULL,
        "A registered device is offline once it has been silent for this many report "
        "intervals (the registry's report_interval_s, else its category profile's)."),
    INT("alerts.grace_s", alerts.grace_s, 120, 0, 86400, NULL,
        "After start and after each reconnection to the broker, offline and never_reported "
        "alerts are held this many seconds, so that the backlog the broker kept can arrive "
        "first."),
    INT("alerts.reminder_s", alerts.reminder_s, 3600, 0, 604800, NULL,
        "A firing alert nobody acknowledged is notified again every this many seconds; 0 "
        "turns reminders off."),
    INT("alerts.flap_window_s", alerts.flap_window_s, 3600, 1, 604800, NULL,
        "Window for flapping detection: an alert that fires or resolves more than "
        "alerts.flap_max times in it is marked flapping and its notifications are held until "
        "it has made no transition for this long."),
    INT("alerts.flap_max", alerts.flap_max, 6, 2, 64, NULL,
        "Transitions (fired or resolved) allowed within alerts.flap_window_s."),
    INT("alerts.battery_low_pct", alerts.battery_low_pct, 20, 0, 100, NULL,
        "battery_pct below this (percent) is a battery_low alert, for categories whose profile "
        "names no alarm for battery_pct."),
    INT("alerts.battery_low_mv", alerts.battery_low_mv, 3200, 0, 100000, NULL,
        "battery_v below this many millivolts is a battery_low alert, for categories whose "
        "profile names no alarm for battery_v."),
    INT("alerts.rsrp_min_dbm", alerts.rsrp_min_dbm, -115, -140, -44, NULL,
        "rsrp below this (dBm) for alerts.rsrp_hold_s is a weak_radio alert, for categories "
        "whose profile names no alarm for rsrp; it clears at 3 dB above."),
    INT("alerts.rsrp_hold_s", alerts.rsrp_hold_s, 600, 0, 604800, NULL,
        "How long rsrp must stay weak before weak_radio fires (one bad reading is common)."),
    INT("alerts.disconnect_hold_s", alerts.disconnect_hold_s, 10, 0, 86400, NULL,
        "Lifeline disconnected from the broker this long raises one collector_disconnected "
        "alert (critical); device offline alerts are held while it lasts."),
    BOOL("notify.mqtt", notify.mqtt, 1,
         "Publish each alert's state, retained at QoS 1, on "
         "`lifeline/alerts/{district}/{category}/{device}/{rule}` of the broker in mqtt.url; "
         "the resolved state replaces the firing one. Lifeline skips these topics when it reads "
         "`lifeline/#`."),
    BOOL("notify.influx", notify.influx, 1,
         "Write every alert transition as a point of measurement `alert` to the database in "
         "influx.url."),
    {"notify.webhooks", CT_STRLIST, OFF(notify.webhooks), OFF(notify.nwebhooks), NULL, 0, 0,
     CONFIG_MAX_WEBHOOKS, no_webhooks, 0, check_webhook, "`FORMAT=URL`",
     "Webhook destinations, `FORMAT=URL` strings, FORMAT `json` (the alert events as JSON), "
     "`wecom` (WeCom group robot) or `dingtalk` (DingTalk group robot), e.g. "
     "`wecom=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`. The URL holds the "
     "robot's key: keep the configuration file readable by the service user only."},
    INT("notify.group_window_ms", notify.group_window_ms, 10000, 0, 600000, NULL,
        "Webhook events of one district within this many milliseconds of the first go out as "
        "one message, so that a feeder outage sends one message, not hundreds. 0 sends every "
        "event alone."),
    INT("notify.retry_min_ms", notify.retry_min_ms, 1000, 1, 600000, NULL,
        "First delay before retrying a webhook that failed (transport error, 408, 429, 5xx, or "
        "a robot's nonzero errcode); it doubles up to notify.retry_max_ms."),
    INT("notify.retry_max_ms", notify.retry_max_ms, 300000, 1, 3600000,
        "at least notify.retry_min_ms", "Longest delay between two webhook attempts."),
    INT("notify.retry_attempts", notify.retry_attempts, 8, 1, 100, NULL,
        "Attempts per webhook message, the first included; then it is logged and counted in "
        "lifeline_notify_webhook_failed_total."),
    INT("notify.timeout_ms", notify.timeout_ms, 10000, 100, 300000, NULL,
        "Time limit of one webhook request, connecting included."),
    ENUM("notify.lang", notify.lang, "zh", notify_langs, 0,
         "Language of the WeCom and DingTalk messages: `zh` (Chinese, alert.summary_zh) or "
         "`en`."),
};
/* clang-format on */

const size_t config_table_len = sizeof config_table / sizeof config_table[0];
