#include "topic.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum level_kind { LEVEL_LITERAL, LEVEL_NAME, LEVEL_HASH };

struct level {
    enum level_kind kind;
    const char *text; /* literal text, or the name; NUL-terminated, in `copy` */
    size_t len;
};

struct topic_template {
    size_t nlevels;
    size_t nnames;
    struct level levels[TOPIC_MAX_LEVELS];
    char *copy; /* the template text, cut into NUL-terminated pieces */
};

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static bool has_name(const struct topic_template *t, const char *name)
{
    for (size_t i = 0; i < t->nlevels; i++)
        if (t->levels[i].kind == LEVEL_NAME && strcmp(t->levels[i].text, name) == 0)
            return true;
    return false;
}

/* Classifies level s[0..len) (in t->copy) and appends it to t. */
static int add_level(struct topic_template *t, char *s, size_t len, char *err, size_t errlen)
{
    size_t no = t->nlevels + 1; /* 1-based, for messages */
    int n = (int)len;
    if (t->nlevels == TOPIC_MAX_LEVELS) {
        set_err(err, errlen, "more than %d levels", TOPIC_MAX_LEVELS);
        return -EINVAL;
    }
    if (t->nlevels && t->levels[t->nlevels - 1].kind == LEVEL_HASH) {
        set_err(err, errlen, "'#' must be the last level");
        return -EINVAL;
    }
    struct level *l = &t->levels[t->nlevels];
    const char *open = memchr(s, '{', len), *close = memchr(s, '}', len);
    if (len == 1 && s[0] == '#') {
        l->kind = LEVEL_HASH;
    } else if (memchr(s, '#', len) || memchr(s, '+', len)) {
        set_err(err, errlen,
                "level %zu '%.*s': '+' and '#' are mqtt wildcards; use {name} for one level or "
                "'#' alone as the last level",
                no, n, s);
        return -EINVAL;
    } else if (open && !close) {
        set_err(err, errlen, "level %zu '%.*s': unclosed brace", no, n, s);
        return -EINVAL;
    } else if (close && (!open || close < open)) {
        set_err(err, errlen, "level %zu '%.*s': '}' without '{'", no, n, s);
        return -EINVAL;
    } else if (open && (open != s || close != s + len - 1)) {
        set_err(err, errlen, "level %zu '%.*s': a {name} must be a whole level", no, n, s);
        return -EINVAL;
    } else if (open) {
        if (!valid_name(s + 1, len - 2)) {
            set_err(err, errlen, "level %zu '%.*s': a name must match [a-z_][a-z0-9_]*", no, n, s);
            return -EINVAL;
        }
        s[len - 1] = '\0';
        if (has_name(t, s + 1)) {
            set_err(err, errlen, "level %zu: duplicate name {%s}", no, s + 1);
            return -EINVAL;
        }
        if (t->nnames == TOPIC_MAX_NAMES) {
            set_err(err, errlen, "more than %d named levels", TOPIC_MAX_NAMES);
            return -EINVAL;
        }
        t->nnames++;
        l->kind = LEVEL_NAME;
        s++;
        len -= 2;
    } else {
        l->kind = LEVEL_LITERAL;
    }
    l->text = s;
    l->len = len;
    t->nlevels++;
    return 0;
}

struct topic_template *topic_template_new(const char *tmpl, char *err, size_t errlen)
{
    struct topic_template *t = NULL;
    size_t len = strlen(tmpl);
    if (len == 0) {
        set_err(err, errlen, "template is empty");
        errno = EINVAL;
        return NULL;
    }
    t = calloc(1, sizeof *t);
    if (!t)
        goto oom;
    t->copy = malloc(len + 1);
    if (!t->copy)
        goto oom;
    memcpy(t->copy, tmpl, len + 1);

    char *s = t->copy;
    for (;;) {
        char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        if (slash)
            *slash = '\0';
        if (add_level(t, s, n, err, errlen))
            goto invalid;
        if (!slash)
            break;
        s = slash + 1;
    }
    if (!has_name(t, "device")) {
        set_err(err, errlen, "template has no {device} level");
        goto invalid;
    }
    if (!has_name(t, "category")) {
        set_err(err, errlen, "template has no {category} level");
        goto invalid;
    }
    return t;

invalid:
    topic_template_free(t);
    errno = EINVAL;
    return NULL;
oom:
    topic_template_free(t);
    set_err(err, errlen, "out of memory");
    errno = ENOMEM;
    return NULL;
}

void topic_template_free(struct topic_template *t)
{
    if (!t)
        return;
    free(t->copy);
    free(t);
}

int topic_template_match(const struct topic_template *t, const char *topic, size_t len,
                         struct topic_match *out)
{
    /* MQTT forbids U+0000 in topics; a NUL here would cut a slice that is later
     * used as a C string. */
    if (memchr(topic, '\0', len))
        return -EINVAL;
    out->n = 0;
    out->tail = NULL;
    out->tail_len = 0;
    size_t pos = 0; /* start of the next level; pos > len means no levels are left */
    for (size_t i = 0; i < t->nlevels; i++) {
        const struct level *l = &t->levels[i];
        if (l->kind == LEVEL_HASH) {
            if (pos <= len) {
                out->tail = topic + pos;
                out->tail_len = len - pos;
            }
            return 0;
        }
        if (pos > len)
            return -EINVAL; /* the topic has fewer levels */
        const char *slash = memchr(topic + pos, '/', len - pos);
        size_t end = slash ? (size_t)(slash - topic) : len;
        const char *seg = topic + pos;
        size_t seglen = end - pos;
        if (l->kind == LEVEL_LITERAL) {
            if (seglen != l->len || memcmp(seg, l->text, seglen) != 0)
                return -EINVAL;
        } else {
            if (seglen == 0)
                return -EINVAL;
            out->seg[out->n].name = l->text;
            out->seg[out->n].ptr = seg;
            out->seg[out->n].len = seglen;
            out->n++;
        }
        pos = end + 1;
    }
    return pos <= len ? -EINVAL : 0; /* levels left over: the topic has more */
}

const char *topic_match_get(const struct topic_match *m, const char *name, size_t *len)
{
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->seg[i].name, name) == 0) {
            *len = m->seg[i].len;
            return m->seg[i].ptr;
        }
    }
    *len = 0;
    return NULL;
}
