/*
 * The invariants the decoder targets share (fuzz.h), with a small line
 * protocol reader for the round trip: it knows only what lp_write_point
 * writes, which is what it checks.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "lineproto.h"
#include "utf8.h"

_Noreturn void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz: %s:%d: invariant broken: %s\n", file, line, what);
    abort();
}

struct reading *fuzz_reading(void)
{
    static struct reading r;
    static bool ready;
    if (!ready) {
        FUZZ_CHECK(reading_init(&r, 2 * FUZZ_MAX_PAYLOAD + 4096) == 0, "reading_init");
        ready = true;
    }
    return &r;
}

static bool has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return true;
    return false;
}

void fuzz_check_decoded(int rc, const struct reading *r, const struct device_ref *who,
                        enum reason why, const char *detail, size_t cap)
{
    FUZZ_CHECK(rc == 0 || rc == -ENODATA || rc == -EINVAL,
               "decoder returned 0, -ENODATA or -EINVAL");
    if (who->device)
        FUZZ_CHECK(utf8_valid(who->device, who->device_len), "device is UTF-8");
    if (rc == -EINVAL) {
        FUZZ_CHECK((unsigned)why < REASON__COUNT, "why is a reason");
        size_t n = strnlen(detail, cap);
        FUZZ_CHECK(n < cap, "detail is NUL-terminated");
        FUZZ_CHECK(utf8_valid(detail, n), "detail is UTF-8");
        FUZZ_CHECK(n > 0, "detail is not empty");
    }
    if (rc != 0)
        return;
    FUZZ_CHECK(r->nfields >= 1 && r->nfields <= READING_MAX_FIELDS, "1..READING_MAX_FIELDS fields");
    for (size_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        FUZZ_CHECK(f->key && f->key_len > 0, "field key not empty");
        FUZZ_CHECK(strlen(f->key) == f->key_len, "field key NUL-terminated at key_len");
        FUZZ_CHECK(utf8_valid(f->key, f->key_len), "field key is UTF-8");
        FUZZ_CHECK(!has_control(f->key, f->key_len), "field key without control characters");
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(r->fields[j].key, f->key) != 0, "field keys unique");
        switch (f->type) {
        case FIELD_FLOAT:
            FUZZ_CHECK(f->v.f - f->v.f == 0, "float field is finite");
            break;
        case FIELD_STRING:
            FUZZ_CHECK(f->v.s.ptr && strlen(f->v.s.ptr) == f->v.s.len,
                       "string NUL-terminated at len, no NUL inside");
            FUZZ_CHECK(utf8_valid(f->v.s.ptr, f->v.s.len), "string value is UTF-8");
            break;
        case FIELD_INT:
        case FIELD_BOOL:
            break;
        default:
            FUZZ_CHECK(false, "field type known");
        }
    }
    fuzz_check_lineproto(r, who->device, who->device ? who->device_len : 0);
}

/* ---------------------------------------------------------------- thing model */

static size_t count_named(const cJSON *obj, const char *name)
{
    size_t n = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n += strcmp(c->string, name) == 0;
    return n;
}

static bool cj_is_pair(const cJSON *o)
{
    if (!cJSON_IsObject(o) || count_named(o, "value") != 1 || count_named(o, "time") > 1)
        return false;
    for (const cJSON *c = o->child; c; c = c->next)
        if (strcmp(c->string, "value") != 0 && strcmp(c->string, "time") != 0)
            return false;
    return true;
}

static size_t cj_leaves(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return 1;
    size_t n = 0;
    for (const cJSON *c = v->child; c; c = c->next)
        n += cj_leaves(c);
    return n;
}

void fuzz_check_thing_model(const char *payload, size_t len, int rc, const struct reading *r,
                            bool event)
{
    if (rc != 0)
        return;
    cJSON *j = cJSON_ParseWithLength(payload, len);
    FUZZ_CHECK(j && cJSON_IsObject(j), "cJSON reads a decoded payload as an object");
    /* a second top-level "params" or "time" is ignored, as cJSON_GetObjectItem did
     * (test_alink.c test_escapes_and_firsts): only the first is counted */
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(params, "value");
    if (!(event && cj_is_pair(params) && cJSON_IsObject(ev))) {
        size_t n = 0;
        for (const cJSON *c = params->child; c; c = c->next)
            n += cj_leaves(cj_is_pair(c) ? cJSON_GetObjectItemCaseSensitive(c, "value") : c);
        FUZZ_CHECK(n == r->nfields, "every value in params is a field");
    }
    cJSON_Delete(j);
}

/* ---------------------------------------------------------------- line protocol reader */

struct lpin {
    const char *s, *end;
};

/* Reads an escaped key or tag value up to an unescaped byte of `stops` into out[0..cap);
 * returns its length. lp_write_point escapes ',' '=' ' ' and refuses a backslash
 * before them, so "\X" is X for those three and a literal backslash otherwise. */
static size_t lp_read_name(struct lpin *in, const char *stops, char *out, size_t cap)
{
    size_t n = 0;
    while (in->s < in->end && !strchr(stops, *in->s)) {
        char c = *in->s++;
        if (c == '\\' && in->s < in->end && strchr(", =", *in->s))
            c = *in->s++;
        FUZZ_CHECK(n < cap, "line protocol name fits");
        out[n++] = c;
    }
    return n;
}

static void lp_expect(struct lpin *in, char c, const char *what)
{
    FUZZ_CHECK(in->s < in->end && *in->s == c, what);
    in->s++;
}

/* Compares the value at in with field f. */
static void lp_read_value(struct lpin *in, const struct field *f, char *tmp, size_t cap)
{
    if (f->type == FIELD_STRING) {
        lp_expect(in, '"', "string field opens with a quote");
        size_t n = 0;
        while (in->s < in->end && *in->s != '"') {
            char c = *in->s++;
            if (c == '\\') {
                FUZZ_CHECK(in->s < in->end && (*in->s == '"' || *in->s == '\\'),
                           "only \\\" and \\\\ escaped in a string");
                c = *in->s++;
            }
            FUZZ_CHECK(n < cap, "string fits");
            tmp[n++] = c;
        }
        lp_expect(in, '"', "string field closes with a quote");
        FUZZ_CHECK(n == f->v.s.len && memcmp(tmp, f->v.s.ptr, n) == 0, "string reads back");
        return;
    }
    size_t n = 0;
    while (in->s < in->end && *in->s != ',' && *in->s != ' ') {
        FUZZ_CHECK(n + 1 < cap, "value fits");
        tmp[n++] = *in->s++;
    }
    tmp[n] = '\0';
    if (f->type == FIELD_BOOL) {
        FUZZ_CHECK(strcmp(tmp, f->v.b ? "true" : "false") == 0, "bool reads back");
    } else if (f->type == FIELD_INT) {
        char want[32];
        snprintf(want, sizeof want, "%lldi", (long long)f->v.i);
        FUZZ_CHECK(strcmp(tmp, want) == 0, "integer reads back");
    } else {
        char *e;
        double d = strtod(tmp, &e);
        FUZZ_CHECK(n > 0 && *e == '\0', "float is a number");
        FUZZ_CHECK(memcmp(&d, &f->v.f, sizeof d) == 0, "float reads back bit for bit");
    }
}

void fuzz_check_lineproto(const struct reading *r, const char *dev, size_t dev_len)
{
    static struct buf out;
    static char *tmp;
    const size_t cap = 4 * FUZZ_MAX_PAYLOAD + 4096;
    if (!tmp) {
        buf_init(&out, 1u << 24);
        tmp = malloc(cap);
        FUZZ_CHECK(tmp != NULL, "malloc");
    }
    buf_reset(&out);
    FUZZ_CHECK(buf_puts(&out, "prefix\n") == 0, "buf_puts");
    size_t before = out.len;
    struct lp_tag tag = {.key = "device", .value = dev, .value_len = dev_len};
    const char *why = NULL;
    int rc = lp_write_point(&out, "m", 1, &tag, 1, r->fields, r->nfields, r->ts_ms, &why);
    if (rc != 0) {
        FUZZ_CHECK(rc == -EINVAL, "lp_write_point refuses with -EINVAL");
        FUZZ_CHECK(why && *why, "a refusal says why");
        FUZZ_CHECK(out.len == before && memcmp(out.data, "prefix\n", before + 1) == 0,
                   "a refused point leaves the buffer as it was");
        return;
    }
    FUZZ_CHECK(why == NULL, "why is NULL on success");
    struct lpin in = {out.data + before, out.data + out.len};
    FUZZ_CHECK(in.end > in.s && in.end[-1] == '\n', "line ends with a newline");
    FUZZ_CHECK(memchr(in.s, '\n', (size_t)(in.end - in.s) - 1) == NULL, "one line");
    FUZZ_CHECK(memchr(in.s, '\r', (size_t)(in.end - in.s)) == NULL, "no CR");
    in.end--;
    lp_expect(&in, 'm', "measurement");
    if (dev_len) {
        lp_expect(&in, ',', "tag separator");
        size_t n = lp_read_name(&in, "=", tmp, cap);
        FUZZ_CHECK(n == 6 && memcmp(tmp, "device", 6) == 0, "tag key reads back");
        lp_expect(&in, '=', "tag =");
        n = lp_read_name(&in, ", ", tmp, cap);
        FUZZ_CHECK(n == dev_len && memcmp(tmp, dev, n) == 0, "device tag reads back");
    }
    lp_expect(&in, ' ', "space before the fields");
    for (size_t i = 0; i < r->nfields; i++) {
        if (i)
            lp_expect(&in, ',', "field separator");
        size_t n = lp_read_name(&in, "=", tmp, cap);
        FUZZ_CHECK(n == r->fields[i].key_len && memcmp(tmp, r->fields[i].key, n) == 0,
                   "field key reads back");
        lp_expect(&in, '=', "field =");
        lp_read_value(&in, &r->fields[i], tmp, cap);
    }
    lp_expect(&in, ' ', "space before the time");
    char ts[32];
    snprintf(ts, sizeof ts, "%lld", (long long)r->ts_ms);
    FUZZ_CHECK((size_t)(in.end - in.s) == strlen(ts) && memcmp(in.s, ts, strlen(ts)) == 0,
               "time reads back");
}

void fuzz_thing_topic(const uint8_t *data, size_t size, const char *dflt, decoder_fn fn)
{
    if (size > FUZZ_MAX_PAYLOAD)
        size = FUZZ_MAX_PAYLOAD;
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    struct decoder_input in = {.topic = dflt,
                               .topic_len = strlen(dflt),
                               .payload = s,
                               .len = size,
                               .recv_ms = INT64_C(1764380000000),
                               .local_offset_min = 480};
    if (nl) {
        in.topic = s;
        in.topic_len = (size_t)(nl - s);
        in.payload = nl + 1;
        in.len = size - in.topic_len - 1;
    }
    struct reading *r = fuzz_reading();
    struct device_ref who;
    enum reason why = REASON__COUNT;
    char detail[256];
    int rc = fn(&in, r, &who, &why, detail, sizeof detail);
    fuzz_check_decoded(rc, r, &who, why, detail, sizeof detail);
    fuzz_check_thing_model(in.payload, in.len, rc, r, who.kind != NULL);
    if (who.device) {
        FUZZ_CHECK(who.device >= in.topic && who.device + who.device_len <= in.topic + in.topic_len,
                   "device is a slice of the topic");
        FUZZ_CHECK(who.device_len > 0 && who.product && who.product_len > 0, "device and product");
    }
}
