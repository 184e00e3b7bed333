/*
 * Validation of one reading against its profile; see validate.h for the
 * rules and why each exists.
 */
#include "validate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numparse.h"

#define WAYS 4

struct dup_entry {
    int64_t ts_ms;
    int64_t seen_ms;
    uint64_t digest;
};

struct dup_device {
    uint64_t hash; /* 0: empty */
    uint64_t last_used;
    uint32_t next;
    struct dup_entry e[VALIDATE_DUP_TIMES];
};

struct validator {
    struct validate_opts o;
    uint64_t clock;         /* LRU order */
    struct dup_device *dev; /* VALIDATE_DUP_DEVICES, WAYS per set */
};

struct validator *validator_new(const struct validate_opts *o)
{
    struct validator *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->o = *o;
    if (o->duplicate_window_ms > 0 && !(v->dev = calloc(VALIDATE_DUP_DEVICES, sizeof *v->dev))) {
        free(v);
        return NULL;
    }
    return v;
}

void validator_free(struct validator *v)
{
    if (!v)
        return;
    free(v->dev);
    free(v);
}

/* A 64-bit hash that reads eight bytes at a time (the byte-wise FNV-1a it
 * replaces was half of validate's instructions). Only ever compared with
 * itself within one process: nothing stores it. */
#define MUL1 0x9e3779b97f4a7c15ULL
#define MUL2 0xbf58476d1ce4e5b9ULL

static uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * MUL1;
    return h ^ (h >> 29);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    h = mix(h, n);
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h, w);
    }
    if (n) {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++)
            w |= (uint64_t)s[i] << (8 * i);
        h = mix(h, w);
    }
    return h;
}

static uint64_t finish(uint64_t h)
{
    h = (h ^ (h >> 32)) * MUL2;
    return h ^ (h >> 31);
}

#define SEED 1469598103934665603ULL

/* Order-independent digest of the fields: the same values in another order are the same. */
static uint64_t digest(const struct reading *r)
{
    uint64_t sum = r->nfields;
    for (size_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        uint64_t h = hash_bytes(SEED, f->key, f->key_len);
        h = mix(h, (uint64_t)f->ts_ms);
        h = mix(h, (uint64_t)f->type);
        switch (f->type) {
        case FIELD_FLOAT: {
            uint64_t bits;
            memcpy(&bits, &f->v.f, sizeof bits);
            h = mix(h, bits);
            break;
        }
        case FIELD_INT:
            h = mix(h, (uint64_t)f->v.i);
            break;
        case FIELD_BOOL:
            h = mix(h, f->v.b);
            break;
        case FIELD_STRING:
            h = hash_bytes(h, f->v.s.ptr, f->v.s.len);
            break;
        }
        sum += finish(h) * MUL1;
    }
    return sum;
}

/* The device's slot, made (evicting the least recently used of its set) when `make`. */
static struct dup_device *dup_find(struct validator *v, uint64_t h, bool make)
{
    if (h == 0)
        h = 1;
    struct dup_device *set = &v->dev[(h % (VALIDATE_DUP_DEVICES / WAYS)) * WAYS];
    struct dup_device *victim = &set[0];
    for (int i = 0; i < WAYS; i++) {
        if (set[i].hash == h) {
            set[i].last_used = ++v->clock;
            return &set[i];
        }
        if (set[i].last_used < victim->last_used)
            victim = &set[i];
    }
    if (!make)
        return NULL;
    memset(victim, 0, sizeof *victim);
    victim->hash = h;
    victim->last_used = ++v->clock;
    return victim;
}

void validate_remember(struct validator *v, const struct validate_result *res, int64_t now_ms)
{
    if (!v->dev)
        return;
    struct dup_device *d = dup_find(v, res->device_hash, true);
    for (int i = 0; i < VALIDATE_DUP_TIMES; i++)
        if (d->e[i].seen_ms && d->e[i].ts_ms == res->ts_ms)
            return; /* keep the first: an identical redelivery changes nothing */
    d->e[d->next] = (struct dup_entry){res->ts_ms, now_ms, res->digest};
    d->next = (d->next + 1) % VALIDATE_DUP_TIMES;
}

/* Appends one refusal to res (the first one sets why). */
static void refuse(struct validate_result *res, enum reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void refuse(struct validate_result *res, enum reason why, const char *fmt, ...)
{
    size_t used = strlen(res->detail);
    if (res->nbad++ == 0)
        res->why = why;
    else if (used + 2 < sizeof res->detail) {
        memcpy(res->detail + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail + used, sizeof res->detail - used, fmt, ap);
    va_end(ap);
}

/* Shortest "%g"-like text that reads back as v. */
static void fmt_num(char *out, size_t n, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        double back;
        if (num_parse_double(out, strlen(out), &back) == 0 && back == v)
            return;
    }
}

static void fmt_time(char *out, size_t n, int64_t ms)
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    char date[32];
    if (!gmtime_r(&s, &tm) || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, n, "%lld ms", (long long)ms);
        return;
    }
    snprintf(out, n, "%s.%03dZ", date, (int)(ms - (int64_t)s * 1000));
}

/* True when ts is acceptable; otherwise refuses, naming `what`. */
/* `key` names the field whose own time ts is, or is NULL for the reading's
 * time. The message is only formatted on refusal: this runs for every field. */
static bool check_time(const struct validator *v, int64_t ts, int64_t now, const char *key,
                       struct validate_result *res)
{
    char t[40];
    const char *pre = key ? "field '" : "", *post = key ? "' " : "";
    if (ts > now + v->o.max_future_ms) {
        fmt_time(t, sizeof t, ts);
        refuse(res, REASON_TIMESTAMP,
               "%s%s%stime %s is %lld s in the future (validate.max_future_s %lld)", pre,
               key ? key : "", post, t, (long long)((ts - now) / 1000),
               (long long)(v->o.max_future_ms / 1000));
        return false;
    }
    if (ts < now - v->o.max_age_ms) {
        fmt_time(t, sizeof t, ts);
        refuse(res, REASON_TIMESTAMP, "%s%s%stime %s is %lld s old (validate.max_age_s %lld)", pre,
               key ? key : "", post, t, (long long)((now - ts) / 1000),
               (long long)(v->o.max_age_ms / 1000));
        return false;
    }
    return true;
}

static const char *kind(enum field_type t)
{
    return t == FIELD_BOOL ? "bool" : t == FIELD_STRING ? "string" : "number";
}

/* RSRP sent as a magnitude or x10: back to dBm. True when changed. */
static bool normalise_rsrp(struct field *f)
{
    double x = f->v.f;
    if (x > 0 && x <= 140)
        f->v.f = -x;
    else if ((x >= 440 && x <= 1400) || (x <= -440 && x >= -1400))
        f->v.f = -fabs(x) / 10.0;
    else
        return false;
    return true;
}

/* The field's name for a refusal: "'sent'" or "'sent' (canonical)". Only
 * called to refuse: formatting it for every field cost a fifth of the
 * pipeline's time (docs/performance.md). */
static const char *label(char *a, size_t n, const char *sent, const char *canon)
{
    if (canon)
        snprintf(a, n, "'%s' (%s)", sent, canon);
    else
        snprintf(a, n, "'%s'", sent);
    return a;
}

/* Checks field f against pf; false (with the refusal recorded) when it is bad. */
static bool check_field(const struct validate_subject *s, const struct profile_field *pf,
                        struct field *f, const char *sent, const char *canon,
                        struct validate_result *res)
{
    char a[256], val[40], lo[40], hi[40];
    bool num = f->type == FIELD_FLOAT || f->type == FIELD_INT;
    bool ok = pf->type == PROFILE_FLOAT ? num
              : pf->type == PROFILE_BOOL
                  ? f->type == FIELD_BOOL ||
                        (f->type == FIELD_INT && (f->v.i == 0 || f->v.i == 1)) ||
                        (f->type == FIELD_FLOAT && (f->v.f == 0 || f->v.f == 1))
                  : f->type == FIELD_STRING;
    if (!ok) {
        refuse(res, REASON_TYPE, "field %s is a %s, the %s profile wants a %s",
               label(a, sizeof a, sent, canon), kind(f->type), s->profile->category,
               profile_type_name(pf->type));
        return false;
    }
    if (pf->type == PROFILE_BOOL && f->type != FIELD_BOOL) {
        bool b = f->type == FIELD_INT ? f->v.i == 1 : f->v.f == 1;
        f->type = FIELD_BOOL;
        f->v.b = b;
    }
    if (pf->type != PROFILE_FLOAT)
        return true;
    if (f->type == FIELD_INT) {
        f->type = FIELD_FLOAT;
        f->v.f = (double)f->v.i;
    }
    if (!isfinite(f->v.f)) {
        refuse(res, REASON_NOT_FINITE, "field %s is not a finite number",
               label(a, sizeof a, sent, canon));
        return false;
    }
    if (pf->name[0] == 'r' && strcmp(pf->name, "rsrp") == 0 && normalise_rsrp(f))
        res->rsrp_normalised = true;
    if (f->v.f >= pf->min && f->v.f <= pf->max)
        return true;
    fmt_num(val, sizeof val, f->v.f);
    fmt_num(lo, sizeof lo, pf->min);
    fmt_num(hi, sizeof hi, pf->max);
    const char *sp = pf->unit[0] ? " " : "";
    if (isfinite(pf->min) && isfinite(pf->max))
        refuse(res, REASON_RANGE, "field %s = %s outside %s..%s%s%s",
               label(a, sizeof a, sent, canon), val, lo, hi, sp, pf->unit);
    else if (isfinite(pf->min))
        refuse(res, REASON_RANGE, "field %s = %s below %s%s%s", label(a, sizeof a, sent, canon),
               val, lo, sp, pf->unit);
    else
        refuse(res, REASON_RANGE, "field %s = %s above %s%s%s", label(a, sizeof a, sent, canon),
               val, hi, sp, pf->unit);
    return false;
}

/* Per-field checks; removes bad fields. False when the reading is malformed as a whole. */
static bool check_fields(const struct validator *v, const struct validate_subject *s,
                         struct reading *r, int64_t now, struct validate_result *res)
{
    unsigned char seen[PROFILE_MAX_FIELDS / 8] = {0};
    size_t keep = 0;
    for (size_t i = 0; i < r->nfields; i++) {
        struct field *f = &r->fields[i];
        bool alias = false, good = true;
        const struct profile_field *pf =
            s->profile ? profile_find_field(s->profile, f->key, f->key_len, &alias) : NULL;
        if (f->ts_ms && !check_time(v, f->ts_ms, now, f->key, res)) {
            good = false;
        } else if (!pf) {
            if (v->o.reject_unknown_fields) {
                if (s->profile)
                    refuse(res, REASON_UNKNOWN_FIELD, "field '%s' is not in the %s profile", f->key,
                           s->profile->category);
                else
                    refuse(res, REASON_UNKNOWN_FIELD, "field '%s': category '%.*s' has no profile",
                           f->key, (int)s->category_len, s->category);
                good = false;
            } else {
                res->nunknown++;
                if (f->type == FIELD_FLOAT && !isfinite(f->v.f)) {
                    refuse(res, REASON_NOT_FINITE, "field '%s' is not a finite number", f->key);
                    good = false;
                }
            }
        } else {
            size_t idx = (size_t)(pf - s->profile->fields);
            if (seen[idx / 8] & (1u << (idx % 8))) {
                res->nbad = 0;
                res->detail[0] = '\0';
                refuse(res, REASON_MALFORMED, "field '%s' names %s a second time", f->key,
                       pf->name);
                return false;
            }
            seen[idx / 8] |= (unsigned char)(1u << (idx % 8));
            good = check_field(s, pf, f, f->key, alias ? pf->name : NULL, res);
            if (alias) {
                f->key = pf->name;
                f->key_len = strlen(pf->name);
            }
        }
        if (good)
            r->fields[keep++] = *f;
    }
    r->nfields = keep;
    return true;
}

int validate_reading(struct validator *v, const struct validate_subject *s, struct reading *r,
                     int64_t now_ms, struct validate_result *res)
{
    memset(res, 0, sizeof *res);
    res->device_hash = finish(hash_bytes(SEED, s->device, s->device_len));
    res->ts_ms = r->ts_ms;
    if (s->unregistered && v->o.quarantine_unknown_devices) {
        refuse(res, REASON_UNKNOWN_DEVICE,
               "device '%.*s' is not in the registry (registry.unknown_devices is quarantine)",
               (int)s->device_len, s->device);
        return -EINVAL;
    }
    if (!r->ts_from_receipt && !check_time(v, r->ts_ms, now_ms, NULL, res))
        return -EINVAL;
    if (!check_fields(v, s, r, now_ms, res))
        return -EINVAL;
    if (res->nbad > 0 && (!v->o.partial || r->nfields == 0))
        return -EINVAL;
    res->digest = digest(r);
    if (!v->dev || r->ts_from_receipt)
        return 0;
    struct dup_device *d = dup_find(v, res->device_hash, false);
    for (int i = 0; d && i < VALIDATE_DUP_TIMES; i++) {
        const struct dup_entry *e = &d->e[i];
        if (!e->seen_ms || e->ts_ms != r->ts_ms || now_ms - e->seen_ms > v->o.duplicate_window_ms)
            continue;
        if (e->digest == res->digest)
            return 0;
        char t[40];
        fmt_time(t, sizeof t, r->ts_ms);
        res->nbad = 0;
        res->detail[0] = '\0';
        refuse(res, REASON_DUPLICATE,
               "device '%.*s' sent time %s again with other values (first %lld s ago)",
               (int)s->device_len, s->device, t, (long long)((now_ms - e->seen_ms) / 1000));
        return -EINVAL;
    }
    return 0;
}
