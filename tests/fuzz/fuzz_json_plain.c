/*
 * Fuzz target: the plain JSON decoder, called directly and through
 * dispatch_decode with the default topic template, which must agree.
 * A reading it decodes is compared with what cJSON reads from the same text
 * under json_plain.h's rules (top-level "ts" is the time, objects flattened
 * with '_', null skipped, numbers FIELD_FLOAT): the same fields, the same
 * values bit for bit. Input: the payload.
 */
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dispatch.h"
#include "json_plain.h"

#define TOPIC "lifeline/顾官屯镇/water_supply/泵房-01"
#define RECV INT64_C(1764380000000)

/* Checks that every value under obj is in r under its flattened name; returns how many. */
static size_t expect_fields(const cJSON *obj, const char *prefix, const struct reading *r)
{
    size_t n = 0;
    char key[JSON_PLAIN_KEY_MAX * 2];
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!*prefix && strcmp(c->string, "ts") == 0)
            continue;
        FUZZ_CHECK(strlen(prefix) + strlen(c->string) + 2 <= sizeof key, "cjson key fits");
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "_" : "", c->string);
        if (cJSON_IsNull(c))
            continue;
        if (cJSON_IsObject(c)) {
            n += expect_fields(c, key, r);
            continue;
        }
        const struct field *f = reading_find(r, key);
        FUZZ_CHECK(f != NULL, "every cJSON value is a field");
        if (cJSON_IsNumber(c))
            FUZZ_CHECK(f->type == FIELD_FLOAT &&
                           memcmp(&f->v.f, &c->valuedouble, sizeof(double)) == 0,
                       "number as cJSON reads it");
        else if (cJSON_IsBool(c))
            FUZZ_CHECK(f->type == FIELD_BOOL && f->v.b == cJSON_IsTrue(c),
                       "bool as cJSON reads it");
        else if (cJSON_IsString(c))
            FUZZ_CHECK(f->type == FIELD_STRING && strcmp(f->v.s.ptr, c->valuestring) == 0,
                       "string as cJSON reads it");
        else
            FUZZ_CHECK(false, "no other value type in a decoded reading");
        n++;
    }
    return n;
}

static void compare_with_cjson(const char *payload, size_t size, const struct reading *r)
{
    cJSON *j = cJSON_ParseWithLength(payload, size);
    FUZZ_CHECK(j && cJSON_IsObject(j), "cJSON reads a decoded payload as an object");
    FUZZ_CHECK(expect_fields(j, "", r) == r->nfields, "as many fields as cJSON values");
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dispatch *d;
    if (!d) {
        char *routes[] = {"lifeline/#=json"};
        char err[256];
        d = dispatch_new(routes, 1, "lifeline/{district}/{category}/{device}", err, sizeof err);
        FUZZ_CHECK(d != NULL, "dispatch_new");
    }
    if (size > FUZZ_MAX_PAYLOAD)
        size = FUZZ_MAX_PAYLOAD;
    const char *payload = (const char *)data;
    struct reading *r = fuzz_reading();
    enum reason why = REASON__COUNT;
    char detail[256];
    int rc = json_plain_decode(payload, size, RECV, r, &why, detail, sizeof detail);
    struct device_ref none = {0};
    fuzz_check_decoded(rc, r, &none, why, detail, sizeof detail);
    if (rc == 0 && r->ts_from_receipt)
        FUZZ_CHECK(r->ts_ms == RECV, "a reading without ts has the receive time");
    if (rc == 0)
        compare_with_cjson(payload, size, r);
    size_t nfields = rc == 0 ? r->nfields : 0;
    int64_t ts = r->ts_ms;

    struct decoder_input in = {.topic = TOPIC,
                               .topic_len = strlen(TOPIC),
                               .payload = payload,
                               .len = size,
                               .recv_ms = RECV,
                               .local_offset_min = 480};
    struct device_ref who;
    const char *decoder;
    enum reason why2 = REASON__COUNT;
    char detail2[256];
    int rc2 = dispatch_decode(d, &in, r, &who, &decoder, &why2, detail2, sizeof detail2);
    fuzz_check_decoded(rc2, r, &who, why2, detail2, sizeof detail2);
    FUZZ_CHECK(decoder && strcmp(decoder, "json") == 0, "the json route is chosen");
    FUZZ_CHECK(rc2 == rc, "dispatch returns what the decoder returns");
    if (rc == -EINVAL)
        FUZZ_CHECK(why2 == why && strcmp(detail, detail2) == 0, "same reason and detail");
    if (rc == 0) {
        FUZZ_CHECK(r->nfields == nfields && r->ts_ms == ts, "same reading");
        FUZZ_CHECK(who.device_len == strlen("泵房-01") && who.district && who.category,
                   "identity from the topic");
    }
    return 0;
}
