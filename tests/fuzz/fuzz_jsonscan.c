/*
 * Fuzz target: the JSON reader of the decoders (jsonscan.h). A document it
 * accepts must be a well-formed tape (every token inside the text, objects
 * closing inside the tape, the top value spanning it), every string must
 * unescape to at most its raw length, every number must convert exactly as
 * strtod does (the contract of jscan_number; strtod is the oracle here, the
 * only place outside numparse that calls it), and cJSON, which is more
 * lenient, must accept it too. Running out of tape must be JSCAN_TOO_MANY,
 * never another answer, and a tape as long as the text is always enough.
 */
#include "fuzz.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"

#define SMALL_TAPE 64

/* Field by field: the tokens have padding that jscan_parse need not write. */
static bool same_tape(const struct jscan_tok *a, const struct jscan_tok *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].type != b[i].type || a[i].escaped != b[i].escaped || a[i].start != b[i].start ||
            a[i].len != b[i].len)
            return false;
    return true;
}

static void check_tape(const char *s, size_t size, const struct jscan_tok *t, size_t n)
{
    static char tmp[JSCAN_NUMBER_MAX + 1];
    static char *unesc;
    static size_t unesc_cap;
    if (unesc_cap < size + 1) {
        free(unesc);
        unesc = malloc(size + 1);
        FUZZ_CHECK(unesc != NULL, "malloc");
        unesc_cap = size + 1;
    }
    FUZZ_CHECK(n >= 1 && jscan_next(t, 0) == n, "the top value spans the tape");
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(t[i].type <= JSCAN_OBJECT, "token type known");
        FUZZ_CHECK((size_t)t[i].start <= size, "token starts inside the text");
        switch (t[i].type) {
        case JSCAN_OBJECT:
            FUZZ_CHECK(jscan_next(t, i) <= n, "object closes inside the tape");
            break;
        case JSCAN_STRING: {
            FUZZ_CHECK((size_t)t[i].start + t[i].len < size, "string inside the text");
            FUZZ_CHECK(s[t[i].start - 1] == '"' && s[t[i].start + t[i].len] == '"',
                       "string between quotes");
            size_t u = jscan_unescape(s + t[i].start, t[i].len, unesc, unesc_cap);
            FUZZ_CHECK(u <= t[i].len, "unescaped no longer than raw");
            if (!t[i].escaped)
                FUZZ_CHECK(u == t[i].len && memcmp(unesc, s + t[i].start, u) == 0,
                           "an unescaped string is its raw text");
            FUZZ_CHECK(memchr(unesc, '\0', u) == NULL, "no NUL after unescaping");
            break;
        }
        case JSCAN_NUMBER: {
            FUZZ_CHECK(t[i].len >= 1 && t[i].len <= JSCAN_NUMBER_MAX, "number length");
            FUZZ_CHECK((size_t)t[i].start + t[i].len <= size, "number inside the text");
            memcpy(tmp, s + t[i].start, t[i].len);
            tmp[t[i].len] = '\0';
            char *end;
            double want = strtod(tmp, &end);
            FUZZ_CHECK(end == tmp + t[i].len, "strtod reads the whole number");
            double got = jscan_number(s + t[i].start, t[i].len);
            FUZZ_CHECK(memcmp(&got, &want, sizeof got) == 0, "jscan_number == strtod");
            break;
        }
        default:
            break;
        }
    }
    /* object members come in (string name, value) pairs */
    for (size_t i = 0; i < n; i++) {
        if (t[i].type != JSCAN_OBJECT)
            continue;
        size_t end = jscan_next(t, i);
        for (size_t k = i + 1; k < end; k = jscan_next(t, k + 1)) {
            FUZZ_CHECK(t[k].type == JSCAN_STRING, "member name is a string");
            FUZZ_CHECK(k + 1 < end, "member has a value");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jscan_tok small[SMALL_TAPE];
    const char *s = (const char *)data;
    size_t n = 0;
    struct jscan_error err = {.why = JSCAN_TOO_MANY, .pos = (size_t)-1};
    int rc = jscan_parse(s, size, small, SMALL_TAPE, &n, &err);
    if (rc == 0) {
        FUZZ_CHECK(n <= SMALL_TAPE, "ntoks within cap");
        check_tape(s, size, small, n);
    } else {
        FUZZ_CHECK(rc == -EINVAL, "jscan_parse refuses with -EINVAL");
        FUZZ_CHECK(err.why <= JSCAN_TOO_MANY, "why known");
        if (err.why != JSCAN_TOO_MANY)
            FUZZ_CHECK(err.pos < size || (size == 0 && err.pos == 0), "error inside the text");
    }
    /* a tape as long as the text holds any document */
    struct jscan_tok *big = malloc((size + 1) * sizeof *big);
    FUZZ_CHECK(big != NULL, "malloc");
    size_t n2 = 0;
    struct jscan_error err2 = {.why = JSCAN_TOO_MANY, .pos = (size_t)-1};
    int rc2 = jscan_parse(s, size, big, size + 1, &n2, &err2);
    if (rc == 0)
        FUZZ_CHECK(rc2 == 0 && n2 == n && same_tape(big, small, n), "the same tape with more room");
    else if (err.why != JSCAN_TOO_MANY)
        FUZZ_CHECK(rc2 == -EINVAL && err2.why == err.why && err2.pos == err.pos,
                   "the same error with more room");
    if (rc2 == 0) {
        check_tape(s, size, big, n2);
        /* cJSON wants the NUL inside the length to check that nothing follows */
        char *z = malloc(size + 1);
        FUZZ_CHECK(z != NULL, "malloc");
        memcpy(z, s, size);
        z[size] = '\0';
        cJSON *j = cJSON_ParseWithLengthOpts(z, size + 1, NULL, 1);
        free(z);
        FUZZ_CHECK(j != NULL, "cJSON accepts what jscan accepts");
        cJSON_Delete(j);
    } else {
        FUZZ_CHECK(err2.why != JSCAN_TOO_MANY, "a tape as long as the text is enough");
    }
    free(big);
    return 0;
}
