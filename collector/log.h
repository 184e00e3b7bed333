/*
 * log: one line per event on stderr, "LEVEL tag: message key=value ...".
 *
 * Lines are lowercase, start with the module tag and carry details as
 * key=value pairs. Thread safe: each line is written with one write(2).
 */
#ifndef LIFELINE_LOG_H
#define LIFELINE_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Sets the most verbose level that is printed (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info" or "debug". 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);
/* True when a message at `level` would be printed. */
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(tag, ...) log_msg(LOG_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...) log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...)                                                                        \
    do {                                                                                           \
        if (log_enabled(LOG_DEBUG))                                                                \
            log_msg(LOG_DEBUG, tag, __VA_ARGS__);                                                  \
    } while (0)

#endif
