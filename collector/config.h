/*
 * config: the daemon's configuration, read from a JSON file (comments
 * allowed) and validated against one table of keys (key, type, default,
 * range, help). Unknown keys are errors. The same table renders
 * docs/configuration.md (`lifeline help config`).
 */
#ifndef LIFELINE_CONFIG_H
#define LIFELINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

#define CONFIG_MAX_TOPICS 32
#define CONFIG_MAX_WEBHOOKS 8
#define CONFIG_MAX_TARGETS 32

enum influx_api { INFLUX_API_V1, INFLUX_API_V2 };
/* What validation does with a field its category profile does not know. */
enum validate_unknown { VALIDATE_UNKNOWN_ACCEPT, VALIDATE_UNKNOWN_REJECT };
/* What happens to a reading from a device the asset registry does not list. */
enum registry_unknown {
    REGISTRY_UNKNOWN_FLAG,      /* accept it, tagged as unregistered */
    REGISTRY_UNKNOWN_QUARANTINE /* quarantine it with reason unknown_device */
};
/* Language of chat notifications (WeCom, DingTalk). */
enum notify_lang { NOTIFY_LANG_ZH, NOTIFY_LANG_EN };
/* What the daemon does when the write-ahead log reaches wal.max_bytes. */
enum wal_full_policy { WAL_FULL_PAUSE, WAL_FULL_DROP_OLDEST };

struct config {
    char *path;     /* the file this came from */
    char *data_dir; /* absolute */
    char *log_level;

    struct {
        char *url;
        char *client_id;
        char *topics[CONFIG_MAX_TOPICS];
        size_t ntopics;
        char *decoders[CONFIG_MAX_TOPICS]; /* "FILTER=DECODER", first match wins */
        size_t ndecoders;
        int qos;
        char *topic_template;
        char *username;
        char *password; /* read from password_file or password_env, never from the file itself */
        char *password_file;
        char *password_env;
        int keepalive_s;
        int reconnect_min_s;
        int reconnect_max_s;
        int64_t max_payload;
        char *tls_ca_file;
        char *tls_cert_file;
        char *tls_key_file;
        bool tls_verify;
    } mqtt;

    struct {
        char *url;
        enum influx_api api;
        char *database;
        char *retention_policy;
        char *username;
        char *password; /* from password_file or password_env */
        char *password_file;
        char *password_env;
        char *org;
        char *bucket;
        char *token; /* from token_file or token_env */
        char *token_file;
        char *token_env;
        int batch_lines;
        int64_t batch_bytes;
        int batch_age_ms;
        bool gzip;
        int timeout_ms;
        int retry_min_ms;
        int retry_max_ms;
    } influx;

    struct {
        char *listen; /* "127.0.0.1:8080"; empty string disables the server */
        char *token;  /* operator token, from token_file or token_env; NULL: none */
        char *token_file;
        char *token_env;
        char *map_tile_url; /* NULL: the live page's map has no tiles */
    } http;

    struct {
        bool enabled;
        char *rules_file; /* NULL: no operator rules */
        int check_interval_ms;
        int offline_misses;
        int grace_s;
        int reminder_s; /* 0: no reminders */
        int flap_window_s;
        int flap_max;
        int battery_low_pct;
        int battery_low_mv;
        int rsrp_min_dbm;
        int rsrp_hold_s;
        int disconnect_hold_s;
    } alerts;

    struct {
        char *time_zone;                     /* "+08:00": DataTime and QN are local time there */
        char *time_zones[CONFIG_MAX_TOPICS]; /* "FILTER=ZONE" overrides, first match wins */
        size_t ntime_zones;
        char *reply_topic; /* "{topic}/reply"; "" sends no acknowledgements */
    } hj212;

    struct {
        char *assets; /* absolute path of the asset CSV; "" when there is no registry */
        enum registry_unknown unknown_devices;
    } registry;

    struct {
        char *dir; /* NULL: the built-in profiles only */
    } profiles;

    struct {
        enum validate_unknown unknown_fields;
        bool partial;
        int max_age_s;
        int max_future_s;
        int duplicate_window_s; /* 0: off */
    } validate;

    struct {
        char *lang;                        /* "zh" or "en" */
        int target_pct;                    /* default target, percent of assets */
        char *target_date;                 /* YYYY-MM-DD */
        char *targets[CONFIG_MAX_TARGETS]; /* "CATEGORY=PCT[@YYYY-MM-DD]" */
        size_t ntargets;
        int effective_pct;  /* completeness an upgraded asset needs to count as effective */
        int offline_misses; /* report intervals without a reading before "offline" */
        bool daily;         /* the daemon writes <data_dir>/reports/ once a day */
    } report;

    struct {
        int64_t segment_bytes;
        int fsync_ms;
        int64_t max_bytes;
        enum wal_full_policy full_policy;
    } wal;

    struct {
        bool mqtt;                           /* retained state on lifeline/alerts/... */
        bool influx;                         /* measurement `alert` */
        char *webhooks[CONFIG_MAX_WEBHOOKS]; /* "FORMAT=URL" */
        size_t nwebhooks;
        int group_window_ms;
        int retry_min_ms;
        int retry_max_ms;
        int retry_attempts;
        int timeout_ms;
        enum notify_lang lang;
    } notify;
};

/*
 * Reads and validates `path`. Every problem is appended to `errors` as one
 * line "FILE: KEY: what is wrong; fix: what to do" (or "FILE:LINE:COL: ..."
 * for JSON syntax). Returns the number of errors (0 when the configuration is
 * usable); *out is set only on 0 and is the caller's to config_free().
 */
int config_load(const char *path, struct config **out, struct buf *errors);
/* Frees everything; accepts NULL. */
void config_free(struct config *c);
/*
 * Writes the Markdown reference of every key, one table per section
 * (| key | type | default | range/values | description |), generated from the
 * table of keys. docs/configuration.md holds exactly this text after its
 * "<!-- generated: lifeline help config -->" line; a unit test compares them.
 */
void config_write_reference(FILE *out);
/*
 * Appends the one line `lifeline check` prints for a usable configuration,
 * "ok: FILE: mqtt URL (N topics, qos Q) -> influx v1 URL/DATABASE, http
 * LISTEN, data_dir DIR" (no secrets, no trailing newline). 0, -E2BIG, -ENOMEM.
 */
int config_summary(const struct config *c, struct buf *out);

#endif
