/*
 * topic: topic templates of named levels, which say where in an MQTT topic
 * the district, category and device are. The default is
 *
 *   lifeline/{district}/{category}/{device}
 *
 * A template is levels separated by '/'. A level is one of:
 *   literal   matches exactly that text (an empty literal matches an empty
 *             level, as in the Alink topic "/sys/{product}/{device}/...")
 *   {name}    matches exactly one non-empty level; names are
 *             [a-z_][a-z0-9_]*, unique, at most TOPIC_MAX_NAMES of them
 *   #         only as the last level: matches any remaining levels, zero or
 *             more, as in an MQTT subscription filter
 * A template must name {device} and {category}. '+', and '#' anywhere but
 * as the whole last level, are refused so that the template never looks like
 * an MQTT filter that means something else.
 *
 * A compiled template is immutable and may be shared by threads. Matching
 * never allocates: struct topic_match is fixed-size and holds slices into the
 * topic, valid for as long as both the topic and the template live.
 */
#ifndef LIFELINE_TOPIC_H
#define LIFELINE_TOPIC_H

#include <stddef.h>

#define TOPIC_MAX_NAMES 16
#define TOPIC_MAX_LEVELS 32
#define TOPIC_DEFAULT_TEMPLATE "lifeline/{district}/{category}/{device}"

struct topic_template;

struct topic_slice {
    const char *name; /* the segment's name, NUL-terminated, owned by the template */
    const char *ptr;  /* its value: a slice of the topic, not NUL-terminated */
    size_t len;       /* never 0 after a successful match */
};

struct topic_match {
    size_t n; /* named segments, in template order */
    struct topic_slice seg[TOPIC_MAX_NAMES];
    /* The levels a final '#' matched ("x/y" for "a/#" and "a/x/y"), or NULL
     * and 0 when the template has no '#' or it matched zero levels. */
    const char *tail;
    size_t tail_len;
};

/*
 * Compiles a template. Returns it (free with topic_template_free), or NULL
 * with a lowercase explanation in err (when err and errlen allow), e.g.
 * "level 2 '{dev': unclosed brace" or "template has no {device} level";
 * errno is EINVAL, or ENOMEM with err "out of memory".
 */
struct topic_template *topic_template_new(const char *tmpl, char *err, size_t errlen);

/* Releases a template; accepts NULL. */
void topic_template_free(struct topic_template *t);

/*
 * Matches topic[0..len) (not NUL-terminated) against the template. On
 * success fills `out` with a slice of `topic` for each named segment and
 * returns 0. Returns -EINVAL when the topic does not fit: a literal differs,
 * a named level is empty, the number of levels differs (without a final
 * '#'), or the topic contains a NUL byte. `out` is undefined then.
 */
int topic_template_match(const struct topic_template *t, const char *topic, size_t len,
                         struct topic_match *out);

/* The value of a named segment, or NULL (with *len = 0) if the template has
 * no such name. `len` must not be NULL. */
const char *topic_match_get(const struct topic_match *m, const char *name, size_t *len);

#endif
