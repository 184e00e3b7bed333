/*
 * The text side of reading a configuration file: comments out, and JSON
 * syntax errors with the exact line and column. cJSON builds the tree, but
 * its error position is approximate and says nothing about what is wrong,
 * so a small recursive checker runs first and explains the error.
 */
#include "config_table.h"

#include <string.h>

#define MAX_DEPTH 64

size_t config_strip_comments(char *text, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        memset(text, ' ', 3);
        i = 3;
    }
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"' && text[i] != '\n'; i++)
                if (text[i] == '\\' && i + 1 < len)
                    i++;
            i++;
        } else if (c == '/' && i + 1 < len && text[i + 1] == '/') {
            for (; i < len && text[i] != '\n'; i++)
                text[i] = ' ';
        } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
            size_t start = i;
            text[i] = text[i + 1] = ' ';
            for (i += 2; i < len && !(text[i] == '*' && i + 1 < len && text[i + 1] == '/'); i++)
                if (text[i] != '\n')
                    text[i] = ' ';
            if (i >= len)
                return start + 1;
            text[i] = text[i + 1] = ' ';
            i += 2;
        } else {
            i++;
        }
    }
    return 0;
}

void config_line_col(const char *text, size_t at, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *col = c;
}

struct parser {
    const char *s;
    size_t len, pos;
    size_t err_at;
    const char *err;
};

static bool fail(struct parser *p, size_t at, const char *what)
{
    p->err_at = at;
    p->err = what;
    return false;
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
}

static int peek(const struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static const char *const lone_surrogate =
    "\\u escape of half a UTF-16 surrogate pair; fix: write the character itself in UTF-8";

/* The value of the four hex digits after "\\u" at p->s[at], or 0x10000 when they are not. */
static unsigned hex4(const struct parser *p, size_t at)
{
    unsigned v = 0;
    for (size_t k = 2; k < 6; k++) {
        if (at + k >= p->len || !is_hex(p->s[at + k]))
            return 0x10000;
        char c = p->s[at + k];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static bool parse_string(struct parser *p)
{
    size_t start = p->pos++;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            p->pos++;
            return true;
        }
        if (c < 0x20)
            return fail(p, start,
                        "string not closed on its line; fix: close it with '\"' (write a line "
                        "break inside a string as \\n)");
        if (c == '\\') {
            if (p->pos + 1 >= p->len)
                break;
            char e = p->s[p->pos + 1];
            if (e == 'u') {
                unsigned u = hex4(p, p->pos);
                if (u > 0xFFFF)
                    return fail(p, p->pos,
                                "invalid \\u escape; fix: write \\u and four hex digits");
                p->pos += 6;
                /* cJSON refuses a UTF-16 surrogate that is not part of a pair */
                if (u >= 0xDC00 && u <= 0xDFFF)
                    return fail(p, p->pos - 6, lone_surrogate);
                if (u >= 0xD800 && u <= 0xDBFF) {
                    unsigned lo =
                        p->pos + 1 < p->len && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u'
                            ? hex4(p, p->pos)
                            : 0x10000;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return fail(p, p->pos - 6, lone_surrogate);
                    p->pos += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return fail(p, p->pos,
                            "invalid escape in a string; fix: write a backslash as \\\\ "
                            "(Windows paths can use / instead)");
            p->pos += 2;
            continue;
        }
        p->pos++;
    }
    return fail(p, start, "string not closed; fix: close it with '\"'");
}

static bool parse_number(struct parser *p)
{
    static const char *const bad = "invalid number; fix: write a plain decimal number such as "
                                   "42 or 0.5 (no leading zeros, '+' sign or quotes)";
    size_t start = p->pos;
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0') {
        p->pos++;
        if (is_digit(peek(p)))
            return fail(p, start, bad);
    } else if (is_digit(peek(p))) {
        while (is_digit(peek(p)))
            p->pos++;
    } else {
        return fail(p, start, bad);
    }
    if (peek(p) == '.') {
        p->pos++;
        if (!is_digit(peek(p)))
            return fail(p, start, bad);
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!is_digit(peek(p)))
            return fail(p, start, bad);
        while (is_digit(peek(p)))
            p->pos++;
    }
    return true;
}

static bool is_word_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '.' || c == '-' || c == '/' || c >= 0x80;
}

static bool parse_value(struct parser *p, int depth);

static bool parse_word(struct parser *p)
{
    static const char *const words[] = {"true", "false", "null"};
    size_t start = p->pos;
    while (is_word_char(peek(p)))
        p->pos++;
    size_t n = p->pos - start;
    for (size_t i = 0; i < 3; i++)
        if (n == strlen(words[i]) && memcmp(p->s + start, words[i], n) == 0)
            return true;
    return fail(p, start,
                "unquoted text; fix: put strings in double quotes; the only bare words are "
                "true, false and null");
}

static bool parse_container(struct parser *p, int depth, bool object)
{
    char close = object ? '}' : ']';
    if (depth > MAX_DEPTH)
        return fail(p, p->pos, "nested too deeply; fix: a configuration needs a few levels only");
    p->pos++;
    skip_ws(p);
    if (peek(p) == close) {
        p->pos++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (object) {
            if (peek(p) == '}')
                return fail(p, p->pos, "trailing comma; fix: remove the ',' before the '}'");
            if (peek(p) == '\'')
                return fail(p, p->pos, "single quotes; fix: put keys in double quotes");
            if (peek(p) != '"')
                return fail(p, p->pos,
                            peek(p) < 0 ? "unexpected end of file; fix: close every '{' with '}'"
                                        : "expected a key in double quotes; fix: write "
                                          "\"key\": value");
            if (!parse_string(p))
                return false;
            skip_ws(p);
            if (peek(p) != ':')
                return fail(p, p->pos, "expected ':' after the key; fix: write \"key\": value");
            p->pos++;
            skip_ws(p);
        } else if (peek(p) == ']') {
            return fail(p, p->pos, "trailing comma; fix: remove the ',' before the ']'");
        }
        if (!parse_value(p, depth + 1))
            return false;
        skip_ws(p);
        int c = peek(p);
        if (c == close) {
            p->pos++;
            return true;
        }
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c < 0)
            return fail(p, p->pos,
                        object ? "unexpected end of file; fix: close every '{' with '}'"
                               : "unexpected end of file; fix: close every '[' with ']'");
        return fail(p, p->pos,
                    object ? "expected ',' or '}'; fix: add a ',' between two entries"
                           : "expected ',' or ']'; fix: add a ',' between two elements");
    }
}

static bool parse_value(struct parser *p, int depth)
{
    skip_ws(p);
    int c = peek(p);
    if (c == '{')
        return parse_container(p, depth, true);
    if (c == '[')
        return parse_container(p, depth, false);
    if (c == '"')
        return parse_string(p);
    if (c == '-' || is_digit(c))
        return parse_number(p);
    if (c == '\'')
        return fail(p, p->pos, "single quotes; fix: put strings in double quotes");
    if (c < 0)
        return fail(p, p->pos,
                    "unexpected end of file; fix: the file must hold one JSON object, "
                    "at least {}");
    if (is_word_char(c))
        return parse_word(p);
    return fail(p, p->pos,
                "expected a value; fix: write a string, number, true, false, [...] "
                "or {...}");
}

bool config_json_syntax(const char *text, size_t len, size_t *at, const char **what)
{
    struct parser p = {.s = text, .len = len};
    bool ok = parse_value(&p, 0);
    if (ok) {
        skip_ws(&p);
        if (p.pos < len)
            ok = fail(&p, p.pos,
                      "text after the end of the configuration; fix: remove it, the file holds "
                      "exactly one {...} object");
    }
    if (!ok) {
        *at = p.err_at;
        *what = p.err;
    }
    return ok;
}
