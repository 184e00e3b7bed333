/*
 * config: defaults, every kind of error line (exact text), secrets, comments
 * and JSON syntax positions, the example file, and the generated reference in
 * docs/configuration.md. Runs in a fresh temporary directory so that error
 * lines start with the short name "lifeline.json".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "config_table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER "<!-- generated: lifeline help config -->\n"

static char tmpdir[] = "/tmp/lifeline-test-config-XXXXXX";
static struct buf errors;
static struct config *cfg;

static void write_text(const char *name, const char *text)
{
    FILE *f = fopen(name, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Loads `text` as lifeline.json; the error lines are in errors.data. */
static int load(const char *text)
{
    config_free(cfg);
    cfg = NULL;
    buf_reset(&errors);
    write_text("lifeline.json", text);
    int n = config_load("lifeline.json", &cfg, &errors);
    if (n == 0)
        assert_non_null(cfg);
    else
        assert_null(cfg);
    return n;
}

static const char *errs(void)
{
    return errors.data ? errors.data : "";
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    assert_int_equal(chdir(tmpdir), 0);
    buf_init(&errors, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    config_free(cfg);
    cfg = NULL;
    buf_free(&errors);
    unlink("lifeline.json");
    unlink("secret");
    unlink("ca.pem");
    assert_int_equal(chdir("/"), 0);
    rmdir(tmpdir);
    return 0;
}

static void test_table_is_sound(void **state)
{
    (void)state;
    assert_true(config_table_len <= CONFIG_MAX_ENTRIES);
    for (size_t i = 0; i < config_table_len; i++) {
        assert_non_null(config_table[i].help);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(config_table[i].key, config_table[j].key);
    }
}

static void test_defaults(void **state)
{
    (void)state;
    assert_int_equal(load("{}"), 0);
    assert_string_equal(errs(), "");
    assert_string_equal(cfg->path, "lifeline.json");
    assert_string_equal(cfg->data_dir, "/var/lib/lifeline");
    assert_string_equal(cfg->log_level, "info");
    assert_string_equal(cfg->mqtt.url, "tcp://127.0.0.1:1883");
    assert_string_equal(cfg->mqtt.client_id, "lifeline");
    assert_int_equal(cfg->mqtt.ntopics, 4);
    assert_string_equal(cfg->mqtt.topics[0], "lifeline/#");
    assert_string_equal(cfg->mqtt.topics[1], "/sys/+/+/thing/event/#");
    assert_string_equal(cfg->mqtt.topics[2], "$sys/+/+/thing/property/post");
    assert_string_equal(cfg->mqtt.topics[3], "hj212/#");
    assert_null(cfg->mqtt.topics[4]);
    assert_int_equal(cfg->mqtt.ndecoders, 4);
    assert_string_equal(cfg->mqtt.decoders[0], "lifeline/#=json");
    assert_string_equal(cfg->mqtt.decoders[1], "/sys/+/+/thing/event/#=alink");
    assert_string_equal(cfg->mqtt.decoders[2], "$sys/+/+/thing/property/post=onenet");
    assert_string_equal(cfg->mqtt.decoders[3], "hj212/#=hj212");
    assert_null(cfg->profiles.dir);
    assert_int_equal(cfg->validate.unknown_fields, VALIDATE_UNKNOWN_ACCEPT);
    assert_false(cfg->validate.partial);
    assert_int_equal(cfg->validate.max_age_s, 604800);
    assert_int_equal(cfg->validate.max_future_s, 300);
    assert_int_equal(cfg->validate.duplicate_window_s, 3600);
    assert_int_equal(cfg->mqtt.qos, 1);
    assert_string_equal(cfg->mqtt.topic_template, "lifeline/{district}/{category}/{device}");
    assert_null(cfg->mqtt.username);
    assert_null(cfg->mqtt.password);
    assert_null(cfg->mqtt.password_file);
    assert_null(cfg->mqtt.password_env);
    assert_int_equal(cfg->mqtt.keepalive_s, 30);
    assert_int_equal(cfg->mqtt.reconnect_min_s, 1);
    assert_int_equal(cfg->mqtt.reconnect_max_s, 60);
    assert_int_equal(cfg->mqtt.max_payload, 65536);
    assert_null(cfg->mqtt.tls_ca_file);
    assert_null(cfg->mqtt.tls_cert_file);
    assert_null(cfg->mqtt.tls_key_file);
    assert_true(cfg->mqtt.tls_verify);
    assert_string_equal(cfg->influx.url, "http://127.0.0.1:8086");
    assert_int_equal(cfg->influx.api, INFLUX_API_V1);
    assert_string_equal(cfg->influx.database, "lifeline");
    assert_null(cfg->influx.retention_policy);
    assert_null(cfg->influx.username);
    assert_null(cfg->influx.password);
    assert_null(cfg->influx.org);
    assert_null(cfg->influx.bucket);
    assert_null(cfg->influx.token);
    assert_int_equal(cfg->influx.batch_lines, 5000);
    assert_int_equal(cfg->influx.batch_bytes, 8388608);
    assert_int_equal(cfg->influx.batch_age_ms, 1000);
    assert_true(cfg->influx.gzip);
    assert_int_equal(cfg->influx.timeout_ms, 10000);
    assert_int_equal(cfg->influx.retry_min_ms, 100);
    assert_int_equal(cfg->influx.retry_max_ms, 30000);
    assert_string_equal(cfg->http.listen, "127.0.0.1:8080");
    assert_int_equal(cfg->wal.segment_bytes, 67108864);
    assert_int_equal(cfg->wal.fsync_ms, 100);
    assert_int_equal(cfg->wal.max_bytes, 1073741824);
    assert_string_equal(cfg->registry.assets, "");
    assert_int_equal(cfg->registry.unknown_devices, REGISTRY_UNKNOWN_FLAG);
    assert_int_equal(cfg->wal.full_policy, WAL_FULL_PAUSE);
}

static void test_values_are_stored(void **state)
{
    (void)state;
    assert_int_equal(load("{\"data_dir\": \"/srv/ll\", \"log\": {\"level\": \"debug\"},"
                          " \"mqtt\": {\"url\": \"mqtts://b.example:8883\", \"qos\": 0,"
                          "  \"topics\": [\"$share/g/a/+/b/#\", \"#\", \"+\", \"x/+\"],"
                          "  \"topic_template\": \"{category}/{device}\", \"keepalive_s\": 5,"
                          "  \"max_payload\": 268435455, \"tls\": {\"verify\": false}},"
                          " \"influx\": {\"api\": \"v2\", \"bucket\": \"b\", \"org\": \"o\","
                          "  \"gzip\": false, \"batch_bytes\": 1024},"
                          " \"http\": {\"listen\": \"\"},"
                          " \"wal\": {\"fsync_ms\": 0, \"segment_bytes\": 65536,"
                          "  \"max_bytes\": 131072, \"full_policy\": \"drop_oldest\"}}"),
                     0);
    assert_string_equal(cfg->data_dir, "/srv/ll");
    assert_string_equal(cfg->log_level, "debug");
    assert_string_equal(cfg->mqtt.url, "mqtts://b.example:8883");
    assert_int_equal(cfg->mqtt.qos, 0);
    assert_int_equal(cfg->mqtt.ntopics, 4);
    assert_string_equal(cfg->mqtt.topics[0], "$share/g/a/+/b/#");
    assert_string_equal(cfg->mqtt.topics[3], "x/+");
    assert_string_equal(cfg->mqtt.topic_template, "{category}/{device}");
    assert_int_equal(cfg->mqtt.keepalive_s, 5);
    assert_int_equal(cfg->mqtt.max_payload, 268435455);
    assert_false(cfg->mqtt.tls_verify);
    assert_int_equal(cfg->influx.api, INFLUX_API_V2);
    assert_string_equal(cfg->influx.bucket, "b");
    assert_false(cfg->influx.gzip);
    assert_int_equal(cfg->influx.batch_bytes, 1024);
    assert_string_equal(cfg->http.listen, "");
    assert_int_equal(cfg->wal.fsync_ms, 0);

    struct buf s;
    buf_init(&s, 4096);
    assert_int_equal(config_summary(cfg, &s), 0);
    assert_string_equal(s.data, "ok: lifeline.json: mqtt mqtts://b.example:8883 (4 topics, qos 0) "
                                "-> influx v2 http://127.0.0.1:8086 bucket b, http off, "
                                "data_dir /srv/ll");
    buf_free(&s);
}

static void test_summary_v1(void **state)
{
    (void)state;
    assert_int_equal(load("{\"influx\": {\"url\": \"http://db:8086/\"}}"), 0);
    struct buf s;
    buf_init(&s, 4096);
    assert_int_equal(config_summary(cfg, &s), 0);
    assert_string_equal(s.data, "ok: lifeline.json: mqtt tcp://127.0.0.1:1883 (4 topics, qos 1) "
                                "-> influx v1 http://db:8086/lifeline, http 127.0.0.1:8080, "
                                "data_dir /var/lib/lifeline");
    buf_free(&s);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    assert_int_equal(load("{\"mqtt\": {\"qso\": 1, \"tls\": {\"verfy\": true}},"
                          " \"gzip\": true, \"mqqt\": {}, \"color\": 1,"
                          " \"influx\": {\"batch_size\": 1}}"),
                     6);
    assert_string_equal(
        errs(), "lifeline.json: mqtt.qso: unknown key; fix: did you mean 'mqtt.qos'?\n"
                "lifeline.json: mqtt.tls.verfy: unknown key; fix: did you mean 'mqtt.tls.verify'?\n"
                "lifeline.json: gzip: unknown key; fix: did you mean 'influx.gzip'?\n"
                "lifeline.json: mqqt: unknown key; fix: did you mean 'mqtt'?\n"
                "lifeline.json: color: unknown key; fix: remove it; the top-level keys are "
                "data_dir, log, mqtt, influx, http, hj212, registry, profiles, validate, report, "
                "wal, alerts, notify\n"
                "lifeline.json: influx.batch_size: unknown key; fix: remove it; the keys in "
                "'influx' are url, api, database, retention_policy, username, password_file, "
                "password_env, org, bucket, token_file, token_env, batch_lines, batch_bytes, "
                "batch_age_ms, gzip, timeout_ms, retry_min_ms, retry_max_ms\n");
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_int_equal(load("{\"mqtt\": {\"qos\": 3, \"keepalive_s\": 4},"
                          " \"wal\": {\"segment_bytes\": 1073741825}}"),
                     3);
    assert_string_equal(errs(), "lifeline.json: mqtt.qos: 3 is out of range 0..2; fix: use 0, 1 "
                                "or 2\n"
                                "lifeline.json: mqtt.keepalive_s: 4 is out of range 5..3600; "
                                "fix: use an integer from 5 to 3600\n"
                                "lifeline.json: wal.segment_bytes: 1073741825 is out of range "
                                "65536..1073741824; fix: use an integer from 65536 to "
                                "1073741824\n");
}

static void test_wrong_types(void **state)
{
    (void)state;
    assert_int_equal(load("{\"mqtt\": {\"qos\": \"1\", \"keepalive_s\": 3.5, \"url\": 5,"
                          " \"topics\": \"a/b\", \"tls\": {\"verify\": \"yes\"}},"
                          " \"influx\": {\"timeout_ms\": \"soon\", \"gzip\": 1,"
                          " \"database\": null}, \"http\": [], \"log\": {\"level\": 3}}"),
                     10);
    assert_string_equal(
        errs(),
        "lifeline.json: mqtt.qos: expected an integer, got a string; fix: write 1 without quotes\n"
        "lifeline.json: mqtt.keepalive_s: 3.5 is not a whole number; fix: use an integer from 5 "
        "to 3600\n"
        "lifeline.json: mqtt.url: expected a string, got a number; fix: put the value in double "
        "quotes\n"
        "lifeline.json: mqtt.topics: expected an array of strings, got a string; fix: write e.g. "
        "[\"lifeline/#\"]\n"
        "lifeline.json: mqtt.tls.verify: expected true or false, got a string; fix: write true or "
        "false\n"
        "lifeline.json: influx.timeout_ms: expected an integer, got a string; fix: use an integer "
        "from 100 to 300000\n"
        "lifeline.json: influx.gzip: expected true or false, got a number; fix: write true or "
        "false\n"
        "lifeline.json: influx.database: is null; fix: remove the key to use the default\n"
        "lifeline.json: http: expected an object (a section); fix: write \"http\": { ... }\n"
        "lifeline.json: log.level: expected a string, got a number; fix: use error, warn, info or "
        "debug (in double quotes, lower case)\n");
}

static void test_integral_qos(void **state)
{
    (void)state;
    assert_int_equal(load("{\"mqtt\": {\"qos\": 1.5}}"), 1);
    assert_string_equal(errs(), "lifeline.json: mqtt.qos: 1.5 is not a whole number; fix: use 0, "
                                "1 or 2\n");
    assert_int_equal(load("{\"mqtt\": {\"qos\": 2.0}}"), 0); /* 2.0 is the integer 2 */
    assert_int_equal(cfg->mqtt.qos, 2);
}

static void test_enum(void **state)
{
    (void)state;
    assert_int_equal(load("{\"influx\": {\"api\": \"v3\"}, \"log\": {\"level\": \"INFO\"}}"), 2);
    assert_string_equal(errs(), "lifeline.json: influx.api: 'v3' is not one of v1, v2; fix: use "
                                "v1 or v2 (in double quotes, lower case)\n"
                                "lifeline.json: log.level: 'INFO' is not one of error, warn, "
                                "info, debug; fix: use error, warn, info or debug (in double "
                                "quotes, lower case)\n");
    assert_int_equal(load("{\"wal\": {\"full_policy\": \"drop\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: wal.full_policy: 'drop' is not one of pause, "
                                "drop_oldest; fix: use pause or drop_oldest (in double quotes, "
                                "lower case)\n");
}

static void test_topic_filters(void **state)
{
    (void)state;
    assert_int_equal(load("{\"mqtt\": {\"topics\": [\"a/#/b\", \"a/b#\", \"a/b+/c\", \"\", 7,"
                          " \"ok/+\", \"ok/+\"]}}"),
                     6);
    assert_string_equal(
        errs(), "lifeline.json: mqtt.topics[0]: topic filter 'a/#/b' uses '#' other than as the "
                "whole last level; fix: write 'a/b/#' to match everything below a/b\n"
                "lifeline.json: mqtt.topics[1]: topic filter 'a/b#' uses '#' other than as the "
                "whole last level; fix: write 'a/b/#' to match everything below a/b\n"
                "lifeline.json: mqtt.topics[2]: topic filter 'a/b+/c' uses '+' other than as a "
                "whole level; fix: write 'a/+/c' to match one level\n"
                "lifeline.json: mqtt.topics[3]: topic filter '' is empty; fix: write a filter "
                "such as 'lifeline/#'\n"
                "lifeline.json: mqtt.topics[4]: expected a string, got a number; fix: put the "
                "value in double quotes\n"
                "lifeline.json: mqtt.topics[6]: repeats mqtt.topics[5]; fix: remove one of the "
                "two\n");
    assert_int_equal(load("{\"mqtt\": {\"topics\": []}}"), 1);
    assert_string_equal(errs(), "lifeline.json: mqtt.topics: has 0 entries; fix: list 1 to 32, "
                                "e.g. [\"lifeline/#\"]\n");
    struct buf many;
    buf_init(&many, 4096);
    buf_puts(&many, "{\"mqtt\": {\"topics\": [");
    for (int i = 0; i < CONFIG_MAX_TOPICS + 1; i++)
        buf_printf(&many, "%s\"t/%d\"", i ? "," : "", i);
    buf_puts(&many, "]}}");
    assert_int_equal(load(many.data), 1);
    assert_string_equal(errs(), "lifeline.json: mqtt.topics: has 33 entries; fix: list 1 to 32, "
                                "e.g. [\"lifeline/#\"]\n");
    buf_truncate(&many, many.len - 3 - strlen(",\"t/32\""));
    buf_puts(&many, "]}}");
    assert_int_equal(load(many.data), 0);
    assert_int_equal(cfg->mqtt.ntopics, CONFIG_MAX_TOPICS);
    assert_string_equal(cfg->mqtt.topics[31], "t/31");
    buf_free(&many);
}

static void test_strings(void **state)
{
    (void)state;
    assert_int_equal(load("{\"data_dir\": \"var/lib/lifeline\","
                          " \"mqtt\": {\"url\": \"ftp://x\", \"client_id\": \"a+b\","
                          "  \"topic_template\": \"lifeline/{device}\", \"username\": \"\"},"
                          " \"influx\": {\"url\": \"http://u:p@db:8086\", \"token_env\": \"a b\"},"
                          " \"http\": {\"listen\": \"8080\"}}"),
                     8);
    assert_string_equal(
        errs(),
        "lifeline.json: data_dir: 'var/lib/lifeline' is not an absolute path; fix: write the full "
        "path, starting with '/'\n"
        "lifeline.json: mqtt.url: 'ftp://x' does not start with tcp://, mqtt://, ssl://, "
        "mqtts://, ws:// or wss://; fix: write it as 'tcp://broker.example:1883' or "
        "'ssl://broker.example:8883'\n"
        "lifeline.json: mqtt.client_id: 'a+b' contains '+' or '#'; fix: use letters, digits, '-' "
        "and '_' only, e.g. 'lifeline-district1'\n"
        "lifeline.json: mqtt.topic_template: 'lifeline/{device}' lacks {category}; fix: use "
        "{category} and {device} once each, e.g. 'lifeline/{district}/{category}/{device}'\n"
        "lifeline.json: mqtt.username: is empty; fix: give a value or remove the key to leave it "
        "unset\n"
        "lifeline.json: influx.url: credentials in the URL; fix: remove the user:password@ part "
        "and use influx.username with influx.password_file, or influx.token_file\n"
        "lifeline.json: influx.token_env: 'a b' is not an environment variable name; fix: give "
        "the variable's name (letters, digits, '_'), not its value, e.g. "
        "'LIFELINE_MQTT_PASSWORD'\n"
        "lifeline.json: http.listen: '8080' is not host:port; fix: write '127.0.0.1:8080', "
        "'0.0.0.0:8080' (all interfaces), '[::1]:8080' (IPv6, in brackets), port 1..65535, or '' "
        "to turn the server off\n");
}

static void test_hj212_keys(void **state)
{
    (void)state;
    assert_int_equal(load("{}"), 0);
    assert_string_equal(cfg->hj212.time_zone, "+08:00");
    assert_int_equal(cfg->hj212.ntime_zones, 0);
    assert_string_equal(cfg->hj212.reply_topic, "{topic}/reply");
    assert_int_equal(load("{\"hj212\": {\"time_zone\": \"UTC-05:30\", \"reply_topic\": \"\","
                          " \"time_zones\": [\"hj212/west/#=+06:00\", \"hj212/x/+=UTC+8\"]}}"),
                     0);
    assert_string_equal(cfg->hj212.time_zone, "UTC-05:30");
    assert_string_equal(cfg->hj212.reply_topic, "");
    assert_int_equal(cfg->hj212.ntime_zones, 2);
    assert_string_equal(cfg->hj212.time_zones[1], "hj212/x/+=UTC+8");
    assert_int_equal(load("{\"hj212\": {\"reply_topic\": \"replies/hj212\"}}"), 0);

    assert_int_equal(load("{\"hj212\": {\"time_zone\": \"Asia/Shanghai\","
                          " \"time_zones\": [\"hj212/a/#=+15:00\", \"+08:00\", \"a/#/b=+1\"],"
                          " \"reply_topic\": \"{topic}\"}}"),
                     5);
    assert_string_equal(
        errs(),
        "lifeline.json: hj212.time_zone: 'Asia/Shanghai' is not a UTC offset; fix: write the "
        "offset from UTC as '+08:00' (China), 'UTC+8' or '-05:30', between -12:00 and +14:00\n"
        "lifeline.json: hj212.time_zones[0]: 'hj212/a/#=+15:00' has no UTC offset after '='; fix: "
        "write the offset from UTC as '+08:00' (China), 'UTC+8' or '-05:30', between -12:00 and "
        "+14:00\n"
        "lifeline.json: hj212.time_zones[1]: '+08:00' is not FILTER=ZONE; fix: write e.g. "
        "'hj212/xinjiang/#=+06:00'\n"
        "lifeline.json: hj212.time_zones[2]: topic filter 'a/#/b' uses '#' other than as the "
        "whole last level; fix: write 'a/b/#' to match everything below a/b\n"
        "lifeline.json: hj212.reply_topic: '{topic}' would send the reply back on the station's "
        "own topic, where Lifeline reads data; fix: add a level, e.g. '{topic}/reply'\n");
    assert_int_equal(load("{\"hj212\": {\"reply_topic\": \"{topic}/{mn}\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: hj212.reply_topic: '{topic}/{mn}' has a "
                                "placeholder other than {topic}; fix: use {topic} only, e.g. "
                                "'{topic}/reply'\n");
    assert_int_equal(load("{\"hj212\": {\"reply_topic\": \"{topic}/+\"}}"), 1);
    assert_int_equal(load("{\"hj212\": {\"reply_topic\": \"{topic}/{topic}\"}}"), 1);
    assert_non_null(strstr(errs(), "has {topic} twice"));
}

static void test_listen(void **state)
{
    (void)state;
    static const char *const good[] = {"0.0.0.0:1", "localhost:65535", "[::1]:8080",
                                       "[fe80::1]:80"};
    static const char *const bad[] = {":8080",  "host:0", "host:65536", "[::1]8080",
                                      "[x]:80", "a:b:80", "host:",      "host:08x"};
    char text[128];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(text, sizeof text, "{\"http\": {\"listen\": \"%s\"}}", good[i]);
        assert_int_equal(load(text), 0);
        assert_string_equal(cfg->http.listen, good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "{\"http\": {\"listen\": \"%s\"}}", bad[i]);
        assert_int_equal(load(text), 1);
        assert_non_null(strstr(errs(), "is not host:port"));
    }
}

/* http.map_tile_url: unset by default; a template is stored; a bad one names key and fix. */
static void test_map_tile_url(void **state)
{
    (void)state;
    assert_int_equal(load("{}"), 0);
    assert_null(cfg->http.map_tile_url);
    assert_int_equal(
        load("{\"http\": {\"map_tile_url\": \"http://10.0.0.5:8081/t/{z}/{x}/{y}.png\"}}"), 0);
    assert_string_equal(cfg->http.map_tile_url, "http://10.0.0.5:8081/t/{z}/{x}/{y}.png");
    assert_int_equal(load("{\"http\": {\"map_tile_url\": \"tiles.example/{z}/{x}/{y}.png\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: http.map_tile_url: 'tiles.example/{z}/{x}/{y}.png' "
                                "does not start with http:// or https://; fix: write it as "
                                "'https://tiles.example/{z}/{x}/{y}.png'\n");
    assert_int_equal(load("{\"http\": {\"map_tile_url\": \"https://t.example/{z}/{x}.png\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: http.map_tile_url: 'https://t.example/{z}/{x}.png' "
                                "lacks one of {z}, {x} and {y}; fix: the page fills in zoom, "
                                "column and row, write e.g. "
                                "'https://tiles.example/{z}/{x}/{y}.png'\n");
}

static void test_password_file(void **state)
{
    (void)state;
    char text[512];
    write_text("secret", "s3cret\n");
    snprintf(text, sizeof text,
             "{\"mqtt\": {\"username\": \"u\", \"password_file\": \"%s/secret\"}}", tmpdir);
    assert_int_equal(load(text), 0);
    assert_string_equal(cfg->mqtt.password, "s3cret");
    char want[512];
    snprintf(want, sizeof want, "%s/secret", tmpdir);
    assert_string_equal(cfg->mqtt.password_file, want);

    write_text("secret", "two\nlines\n\n"); /* only one newline goes */
    assert_int_equal(load(text), 0);
    assert_string_equal(cfg->mqtt.password, "two\nlines\n");

    write_text("secret", "");
    assert_int_equal(load(text), 1);
    snprintf(want, sizeof want,
             "lifeline.json: mqtt.password_file: cannot read '%s/secret': the file is empty; fix: "
             "put the secret in it and make it readable by the service user only\n",
             tmpdir);
    assert_string_equal(errs(), want);

    unlink("secret");
    assert_int_equal(load(text), 1);
    snprintf(want, sizeof want,
             "lifeline.json: mqtt.password_file: cannot read '%s/secret': No such file or "
             "directory; fix: put the secret in it and make it readable by the service user "
             "only\n",
             tmpdir);
    assert_string_equal(errs(), want);

    assert_int_equal(load("{\"influx\": {\"username\": \"u\", \"password_file\": \"secret\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: influx.password_file: 'secret' is not an absolute "
                                "path; fix: write the full path, starting with '/'\n");
}

static void test_password_env(void **state)
{
    (void)state;
    const char *text = "{\"influx\": {\"api\": \"v2\", \"bucket\": \"b\","
                       " \"token_env\": \"LIFELINE_TEST_TOKEN\"}}";
    assert_int_equal(setenv("LIFELINE_TEST_TOKEN", "tok", 1), 0);
    assert_int_equal(load(text), 0);
    assert_string_equal(cfg->influx.token, "tok");
    assert_int_equal(unsetenv("LIFELINE_TEST_TOKEN"), 0);
    assert_int_equal(load(text), 1);
    assert_string_equal(errs(), "lifeline.json: influx.token_env: environment variable "
                                "LIFELINE_TEST_TOKEN is not set; fix: set it in the service's "
                                "environment, or use influx.token_file instead\n");
    assert_int_equal(setenv("LIFELINE_TEST_TOKEN", "", 1), 0);
    assert_int_equal(load(text), 1);
    assert_non_null(strstr(errs(), "LIFELINE_TEST_TOKEN is empty"));
    assert_int_equal(unsetenv("LIFELINE_TEST_TOKEN"), 0);

    assert_int_equal(load("{\"mqtt\": {\"username\": \"u\", \"password_file\": \"/x\","
                          " \"password_env\": \"X\"}}"),
                     1);
    assert_string_equal(errs(), "lifeline.json: mqtt.password_env: set together with "
                                "mqtt.password_file; fix: keep only one of the two\n");
}

static void test_rules_between_keys(void **state)
{
    (void)state;
    write_text("ca.pem", "x");
    char text[512];
    snprintf(text, sizeof text,
             "{\"mqtt\": {\"reconnect_min_s\": 10, \"reconnect_max_s\": 5, \"password_env\": "
             "\"HOME\", \"tls\": {\"ca_file\": \"%s/ca.pem\", \"cert_file\": \"%s/ca.pem\"}},"
             " \"influx\": {\"api\": \"v2\", \"retry_min_ms\": 100, \"retry_max_ms\": 99},"
             " \"wal\": {\"max_bytes\": 131072}}",
             tmpdir, tmpdir);
    assert_int_equal(load(text), 7);
    assert_string_equal(
        errs(), "lifeline.json: mqtt.reconnect_max_s: 5 is less than mqtt.reconnect_min_s (10); "
                "fix: raise it to at least 10 or lower mqtt.reconnect_min_s\n"
                "lifeline.json: influx.retry_max_ms: 99 is less than influx.retry_min_ms (100); "
                "fix: raise it to at least 100 or lower influx.retry_min_ms\n"
                "lifeline.json: wal.max_bytes: 131072 is less than twice wal.segment_bytes "
                "(67108864); fix: raise it to at least 134217728 or lower wal.segment_bytes\n"
                "lifeline.json: mqtt.username: not set, but a password is; fix: set mqtt.username "
                "(MQTT sends a password only with a user name)\n"
                "lifeline.json: mqtt.tls.key_file: missing, but mqtt.tls.cert_file is set; fix: "
                "set both or neither\n"
                "lifeline.json: mqtt.tls.ca_file: set, but mqtt.url does not use TLS; fix: use an "
                "ssl://, mqtts:// or wss:// URL, or remove the mqtt.tls keys\n"
                "lifeline.json: influx.bucket: required with influx.api v2; fix: set it, e.g. "
                "\"lifeline\"\n");

    assert_int_equal(load("{\"mqtt\": {\"url\": \"ssl://b:8883\", \"tls\": {\"ca_file\": "
                          "\"/nonexistent/ca.pem\"}}}"),
                     1);
    assert_string_equal(errs(), "lifeline.json: mqtt.tls.ca_file: cannot read "
                                "'/nonexistent/ca.pem': No such file or directory; fix: check the "
                                "path and that the service user may read it\n");
    assert_int_equal(load("{\"influx\": {\"database\": \"\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: influx.database: required with influx.api v1; "
                                "fix: set it, e.g. \"lifeline\"\n");
}

static void test_comments_and_syntax(void **state)
{
    (void)state;
    assert_int_equal(load("// leading comment\n"
                          "{ /* block\n   over lines */ \"mqtt\": {\n"
                          "    \"url\": \"tcp://b:1883\", // a // in a string is not a comment\n"
                          "    \"client_id\": \"a/*b*/c\" /* nor is this */\n"
                          "}}\n"),
                     0);
    assert_string_equal(cfg->mqtt.url, "tcp://b:1883");
    assert_string_equal(cfg->mqtt.client_id, "a/*b*/c");

    assert_int_equal(load("{\n"
                          "  /* comments keep positions: 中文 */ \"mqtt\": {\n"
                          "    \"qos\": 1\n"
                          "    \"url\": \"tcp://b\"\n"
                          "  }\n"
                          "}\n"),
                     1);
    assert_string_equal(errs(), "lifeline.json:4:5: invalid JSON near '\"url\": \"tcp://b\"': "
                                "expected ',' or '}'; fix: add a ',' between two entries\n");

    assert_int_equal(load("{\"a\": 1, /* 中文 */ \"b\": [1, 2,],}"), 1);
    assert_string_equal(errs(), "lifeline.json:1:30: invalid JSON near '],}': trailing comma; "
                                "fix: remove the ',' before the ']'\n");
    assert_int_equal(load("{\n  mqtt: {}\n}"), 1);
    assert_string_equal(errs(), "lifeline.json:2:3: invalid JSON near 'mqtt: {}': expected a key "
                                "in double quotes; fix: write \"key\": value\n");
    assert_int_equal(load("{\"a\": 'x'}"), 1);
    assert_string_equal(errs(), "lifeline.json:1:7: invalid JSON near ''x'}': single quotes; fix: "
                                "put strings in double quotes\n");
    assert_int_equal(load("{\"a\": 1"), 1);
    assert_string_equal(errs(), "lifeline.json:1:8: invalid JSON at the end of the file: "
                                "unexpected end of file; fix: close every '{' with '}'\n");
    assert_int_equal(load("{} /* open"), 1);
    assert_string_equal(errs(), "lifeline.json:1:4: comment not closed; fix: end it with */\n");
    assert_int_equal(load("[]"), 1);
    assert_string_equal(errs(), "lifeline.json: the top level is not an object; fix: write the "
                                "settings inside { ... }\n");
    assert_int_equal(load("\xEF\xBB\xBF{}"), 0); /* a byte order mark is fine */
    assert_int_equal(load("{\"a\": \"\\ud800\"}"), 1);
    assert_string_equal(errs(), "lifeline.json:1:8: invalid JSON near '\\ud800\"}': \\u escape of "
                                "half a UTF-16 surrogate pair; fix: write the character itself in "
                                "UTF-8\n");
    assert_int_equal(load("{\"mqtt\": {\"client_id\": \"\\ud83d\\ude00\", \"url\": "
                          "\"tcp://\\u0001h\"}}"),
                     1);
    assert_string_equal(errs(), "lifeline.json: mqtt.url: 'tcp://\\x01h' contains a control "
                                "character; fix: remove it\n");
}

static void test_duplicate_key(void **state)
{
    (void)state;
    assert_int_equal(load("{\"mqtt\": {\"qos\": 1, \"qos\": 2}, \"wal\": {}, \"wal\": {}}"), 2);
    assert_string_equal(errs(), "lifeline.json: mqtt.qos: duplicate key; fix: keep only one "
                                "\"qos\" in section mqtt\n"
                                "lifeline.json: wal: duplicate key; fix: keep only one \"wal\" in "
                                "the top level\n");
}

static void test_many_errors_and_cap(void **state)
{
    (void)state;
    const char *text = "{\"mqtt\": {\"qos\": 9, \"keepalive_s\": 1, \"x\": 1},"
                       " \"influx\": {\"gzip\": \"no\"}, \"data_dir\": \"rel\"}";
    assert_int_equal(load(text), 5);
    size_t lines = 0;
    for (const char *p = errs(); *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 5);

    /* a small buffer keeps whole lines only, the count stays right */
    struct buf small;
    buf_init(&small, 100);
    struct config *c = NULL;
    assert_int_equal(config_load("lifeline.json", &c, &small), 5);
    assert_null(c);
    assert_string_equal(small.data, "lifeline.json: mqtt.qos: 9 is out of range 0..2; fix: use 0, "
                                    "1 or 2\n");
    buf_free(&small);
    assert_int_equal(config_load("lifeline.json", &c, NULL), 5);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    struct config *c = NULL;
    buf_reset(&errors);
    assert_int_equal(config_load("missing.json", &c, &errors), 1);
    assert_null(c);
    assert_string_equal(errs(), "missing.json: cannot read the file: No such file or directory; "
                                "fix: check the path given with -c and that the service user may "
                                "read it\n");
    buf_reset(&errors);
    assert_int_equal(config_load(tmpdir, &c, &errors), 1);
    assert_non_null(strstr(errs(), "cannot read the file: Is a directory"));
}

static void test_registry_keys(void **state)
{
    (void)state;
    assert_int_equal(load("{\"registry\": {\"assets\": \"/srv/assets.csv\", "
                          "\"unknown_devices\": \"quarantine\"}}"),
                     0);
    assert_string_equal(cfg->registry.assets, "/srv/assets.csv");
    assert_int_equal(cfg->registry.unknown_devices, REGISTRY_UNKNOWN_QUARANTINE);
    assert_int_equal(load("{\"registry\": {\"assets\": \"\"}}"), 0); /* "" is no registry */
    assert_string_equal(cfg->registry.assets, "");
    assert_int_equal(load("{\"registry\": {\"assets\": \"assets.csv\", "
                          "\"unknown_devices\": \"drop\"}}"),
                     2);
    assert_string_equal(errs(), "lifeline.json: registry.assets: 'assets.csv' is not an absolute "
                                "path; fix: write the full path, starting with '/'\n"
                                "lifeline.json: registry.unknown_devices: 'drop' is not one of "
                                "flag, quarantine; fix: use flag or quarantine (in double quotes, "
                                "lower case)\n");
    assert_int_equal(load("{\"registry\": {\"unknown_devices\": \"quarantine\"}}"), 1);
    assert_string_equal(errs(), "lifeline.json: registry.unknown_devices: 'quarantine' without "
                                "registry.assets would quarantine every reading; fix: set "
                                "registry.assets to the asset CSV, or use 'flag'\n");
}

static void test_example_loads(void **state)
{
    (void)state;
    struct config *c = NULL;
    buf_reset(&errors);
    assert_int_equal(config_load(LIFELINE_SOURCE_DIR "/config/lifeline.example.json", &c, &errors),
                     0);
    assert_string_equal(errs(), "");
    assert_int_equal(c->mqtt.ntopics, 4);
    assert_int_equal(c->mqtt.ndecoders, 4);
    assert_string_equal(c->mqtt.client_id, "lifeline-jiuzhou-1");
    assert_string_equal(c->registry.assets, "");
    assert_int_equal(c->registry.unknown_devices, REGISTRY_UNKNOWN_FLAG);
    config_free(c);
}

/*
 * docs/configuration.md ends with exactly config_write_reference's output.
 * LIFELINE_REGENERATE_DOCS=1 rewrites that part instead of comparing.
 */
static void test_reference_matches_docs(void **state)
{
    (void)state;
    const char *path = LIFELINE_SOURCE_DIR "/docs/configuration.md";
    struct buf doc;
    buf_init(&doc, 1 << 20);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(buf_append(&doc, chunk, n), 0);
    fclose(f);
    char *marker = doc.data ? strstr(doc.data, MARKER) : NULL;
    assert_non_null(marker);
    size_t head = (size_t)(marker - doc.data) + strlen(MARKER);

    char *gen = NULL;
    size_t genlen = 0;
    FILE *mem = open_memstream(&gen, &genlen);
    assert_non_null(mem);
    config_write_reference(mem);
    assert_int_equal(fclose(mem), 0);

    const char *regen = getenv("LIFELINE_REGENERATE_DOCS");
    if (regen && strcmp(regen, "1") == 0) {
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(doc.data, 1, head, f), head);
        assert_int_equal(fwrite(gen, 1, genlen, f), genlen);
        assert_int_equal(fclose(f), 0);
    } else if (doc.len - head != genlen || memcmp(doc.data + head, gen, genlen) != 0) {
        fail_msg("%s: the text after '%.*s' differs from the table of keys; regenerate it with\n"
                 "  LIFELINE_REGENERATE_DOCS=1 build/tests/test_config\n"
                 "and commit the result",
                 path, (int)strlen(MARKER) - 1, MARKER);
    }
    free(gen);
    buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_is_sound),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_values_are_stored),
        cmocka_unit_test(test_summary_v1),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_integral_qos),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_topic_filters),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_map_tile_url),
        cmocka_unit_test(test_password_file),
        cmocka_unit_test(test_password_env),
        cmocka_unit_test(test_rules_between_keys),
        cmocka_unit_test(test_comments_and_syntax),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_many_errors_and_cap),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_registry_keys),
        cmocka_unit_test(test_example_loads),
        cmocka_unit_test(test_reference_matches_docs),
        cmocka_unit_test(test_hj212_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
