/*
 * config_table: the internals of the config module, shared by its files:
 * config.c (reading, walking the tree, unknown keys), config_rules.c (rules
 * between keys, secrets), config_table.c (the table of keys and checks of
 * single values), config_value.c (one value against its entry),
 * config_json.c (comments and JSON syntax errors) and config_doc.c
 * (reference and summary). Only the config module includes this header;
 * everyone else uses config.h.
 */
#ifndef LIFELINE_CONFIG_TABLE_H
#define LIFELINE_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

struct cJSON;

enum config_type {
    CT_STRING,  /* char * */
    CT_PATH,    /* char *, always an absolute path */
    CT_INT,     /* int, integral JSON number in [min, max] */
    CT_INT64,   /* int64_t byte count in [min, max] */
    CT_BOOL,    /* bool */
    CT_ENUM,    /* int index into values[], or its name with CF_ENUM_NAME */
    CT_STRLIST, /* char *[max] at offset, size_t count at count_offset */
};

#define CF_NONEMPTY 1u  /* "" is refused */
#define CF_READABLE 2u  /* a path that must name a readable file */
#define CF_ENUM_NAME 4u /* CT_ENUM stored as a copy of its name (char *) */

/*
 * Checks one string value beyond its type. Returns true when it is fine;
 * otherwise appends "PROBLEM; fix: WHAT TO DO" to msg and returns false.
 */
typedef bool (*config_check_fn)(const char *value, struct buf *msg);

struct config_entry {
    const char *key; /* dotted path: "mqtt.tls.ca_file" */
    enum config_type type;
    size_t offset;             /* into struct config */
    size_t count_offset;       /* CT_STRLIST only */
    const char *def_str;       /* string, path and enum default; first list element; NULL = unset */
    int64_t def_num;           /* int, int64 and bool default */
    int64_t min, max;          /* int and int64 range; CT_STRLIST: element count */
    const char *const *values; /* CT_ENUM: NULL-terminated names; CT_STRLIST: the default
                                  list when it has several elements (def_str is the first) */
    unsigned flags;
    config_check_fn check;  /* NULL when the type says it all */
    const char *range_note; /* extra constraint for the reference, or NULL */
    const char *help;
};

extern const struct config_entry config_table[];
extern const size_t config_table_len;

#define CONFIG_MAX_ENTRIES 128 /* >= config_table_len, checked by the unit test */

/* The state of one config_load: where error lines go and what was seen. */
struct config_ctx {
    const char *file;   /* the path as given, starts every error line */
    struct buf *errors; /* the caller's; may be NULL */
    struct buf line;    /* one error line, appended whole so a full `errors` never cuts one */
    int count;          /* errors so far */
    struct config *cfg;
    bool bad[CONFIG_MAX_ENTRIES]; /* the key had an error of its own */
};

/*
 * Starts an error line "FILE: KEY: " (just "FILE: " when key is NULL) and
 * returns the buffer to append "PROBLEM; fix: WHAT TO DO" to; config_done()
 * ends the line, hands it to x->errors and counts it.
 */
struct buf *config_problem(struct config_ctx *x, const char *key);
void config_done(struct config_ctx *x);
/* config_problem + printf + config_done. */
void config_fail(struct config_ctx *x, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replaces *slot with a copy of v (NULL unsets it). 0 or -ENOMEM. */
int config_set_string(char **slot, const char *v);
/* Fills every table field of c with its default. 0 or -ENOMEM. */
int config_set_defaults(struct config *c);
/* Frees every string the table put into c and leaves those fields NULL. */
void config_free_fields(struct config *c);
/*
 * Checks JSON value v against entry e and stores it into x->cfg. Returns true
 * when stored; otherwise reports the problem (naming e->key) and returns false.
 */
bool config_apply(struct config_ctx *x, const struct config_entry *e, const struct cJSON *v);

/* Index of `key` in config_table, or config_table_len when there is no such key. */
size_t config_entry_index(const char *key);
/*
 * Reports what is wrong between keys (e.g. reconnect_max_s < reconnect_min_s,
 * cert_file without key_file, api v2 without bucket); keys that had errors
 * of their own are not judged again.
 */
void config_check_rules(struct config_ctx *x);
/*
 * Reads each password and token from its *_file (one trailing newline
 * removed) or *_env into x->cfg; a missing, unreadable or empty one is an
 * error naming the key.
 */
void config_read_secrets(struct config_ctx *x);
/* Appends s in single quotes, control bytes as \xNN, cut after 80 bytes with "...". */
int config_put_quoted(struct buf *b, const char *s);
/* True for a valid MQTT topic filter ('#' only as the last level, '+' only as a whole level). */
bool config_check_topic_filter(const char *value, struct buf *msg);

/*
 * Replaces // and block comments outside strings with spaces (newlines are
 * kept) and a UTF-8 byte order mark with spaces, so byte offsets, and with
 * them lines and columns, stay those of the file. Returns 0, or the offset + 1
 * of an unterminated block comment.
 */
size_t config_strip_comments(char *text, size_t len);
/*
 * Checks text[0..len) for JSON syntax. Returns true when it is valid;
 * otherwise sets *at to the byte offset of the first error and *what to a
 * static "PROBLEM; fix: WHAT TO DO" text and returns false.
 */
bool config_json_syntax(const char *text, size_t len, size_t *at, const char **what);
/* 1-based line and column (in characters) of byte offset `at` in text. */
void config_line_col(const char *text, size_t at, size_t *line, size_t *col);

#endif
