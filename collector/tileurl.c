#include "tileurl.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define EXAMPLE "'https://tiles.example/{z}/{x}/{y}.png'"

static const char *const placeholders[] = {"{z}", "{x}", "{y}"};

/* Length of the scheme prefix ("http://" or "https://"), or 0. */
static size_t scheme_len(const char *v)
{
    if (strncmp(v, "http://", 7) == 0)
        return 7;
    if (strncmp(v, "https://", 8) == 0)
        return 8;
    return 0;
}

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

/* Checks host[:port] (the authority, `n` bytes); NULL when fine, else the problem. */
static const char *check_authority(const char *a, size_t n)
{
    if (n == 0 || a[0] == ':')
        return "has no host; fix: write it as " EXAMPLE;
    if (memchr(a, '@', n))
        return "has credentials in it; fix: remove the user:password@ part (tile servers that "
               "need a key take it in the path or query)";
    if (memchr(a, '{', n))
        return "has a placeholder in the host (such as {s}); fix: name one host, e.g. " EXAMPLE;
    size_t i = 0;
    while (i < n && host_char(a[i]))
        i++;
    if (i < n && a[i] == ':') {
        size_t digits = 0;
        for (i++; i < n && a[i] >= '0' && a[i] <= '9'; i++)
            digits++;
        if (digits == 0 || digits > 5 || i < n)
            return "has a bad port; fix: write host:PORT with a port of 1 to 65535, e.g. "
                   "'http://10.0.0.5:8081/{z}/{x}/{y}.png'";
    }
    if (i < n)
        return "has a host that is not letters, digits, '.' and '-'; fix: use the tile "
               "server's host name or IPv4 address, e.g. " EXAMPLE;
    return NULL;
}

/* Checks the part after the authority; NULL when fine, else the problem. */
static const char *check_rest(const char *r)
{
    int seen[3] = {0, 0, 0};
    for (const char *p = strchr(r, '{'); p; p = strchr(p + 1, '{')) {
        size_t i = 0;
        while (i < 3 && strncmp(p, placeholders[i], 3) != 0)
            i++;
        if (i == 3)
            return "has a placeholder other than {z}, {x} and {y}; fix: write the tile's "
                   "zoom, column and row as {z}, {x} and {y}, e.g. " EXAMPLE;
        seen[i]++;
    }
    for (size_t i = 0; i < 3; i++)
        if (seen[i] != 1)
            return seen[i] ? "repeats a placeholder; fix: use each of {z}, {x} and {y} once, "
                             "e.g. " EXAMPLE
                           : "lacks one of {z}, {x} and {y}; fix: the page fills in zoom, "
                             "column and row, write e.g. " EXAMPLE;
    return NULL;
}

/* Splits v; NULL when it is a tile URL, else the problem. *auth_end: end of the authority. */
static const char *parse(const char *v, const char **auth_end)
{
    size_t s = scheme_len(v);
    if (!s)
        return "does not start with http:// or https://; fix: write it as " EXAMPLE;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f || strchr("\"'`;,\\<>", c))
            return "contains a space, control byte, quote, ';', ',', '\\', '<' or '>'; fix: "
                   "percent-encode it, e.g. a space as %20";
    }
    const char *a = v + s;
    size_t n = strcspn(a, "/?#");
    const char *problem = check_authority(a, n);
    if (!problem)
        problem = check_rest(a + n);
    *auth_end = a + n;
    return problem;
}

const char *tileurl_problem(const char *v)
{
    const char *end;
    return parse(v, &end);
}

int tileurl_origin(const char *v, char *out, size_t cap)
{
    const char *end;
    if (parse(v, &end) != NULL)
        return -EINVAL;
    size_t n = (size_t)(end - v);
    if (n >= cap)
        return -EINVAL;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}
