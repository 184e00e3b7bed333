/*
 * validate: the one place that decides whether a decoded reading may be
 * stored, against its category profile and what the registry knows.
 *
 * Checks, in this order, each refusal with a stable reason (reason.h) and a
 * detail that names the field, the value and the rule:
 *
 *   unknown_device  the registry is loaded, does not know the device, and
 *                   registry.unknown_devices is quarantine
 *   timestamp       the reading's (or a field's own) time is more than
 *                   max_future_ms ahead of now, or older than max_age_ms:
 *                   "time 2026-01-01T00:00:00.000Z is 3600 s in the future
 *                   (validate.max_future_s 300)"; a reading stamped on
 *                   receipt is not judged
 *   unknown_field   not a field or alias of the profile, when
 *                   reject_unknown_fields; otherwise the field is kept as it
 *                   came and counted in nunknown (vendor extras are common,
 *                   and dropping them silently would lose data).
 *                   "field 'x' is not in the water_supply profile"
 *   type            "field 'open' is a string, the manhole_cover profile
 *                   wants a bool". Coercions that lose nothing are made: an
 *                   integer to a float field becomes a float (InfluxDB would
 *                   otherwise refuse later points with a field type
 *                   conflict); 0 and 1 to a bool field become false and true
 *                   (the Alink thing model sends bools that way)
 *   not_finite      NaN or an infinity in a float field (any field)
 *   range           "field 'pressure_out' = 2.3 outside 0..1.6 MPa"
 *   duplicate       the same device and time were accepted less than
 *                   duplicate_window_ms ago with other values. An identical
 *                   redelivery passes: the point overwrites itself.
 *
 * Aliases are renamed to the canonical field name (the key then points into
 * the profile, valid while the profile set lives); a field and its alias in
 * one reading are refused as malformed. RSRP is normalised first: a positive
 * magnitude 1..140 is negated (114 -> -114) and a x10 value (-1400..-440 or
 * 440..1400) is divided by ten (-1140 -> -114); res->rsrp_normalised says so
 * and the pipeline stores a field rsrp_normalised=true with the point.
 *
 * Per-field problems (unknown_field, type, not_finite, range, a field's own
 * timestamp) refuse the whole reading by default. With `partial` the bad
 * fields are removed and the rest is accepted; the caller quarantines the
 * removed ones with res->why and res->detail. A reading left with no field
 * is refused whole.
 *
 * One validator belongs to one thread (the pipeline's). It allocates only in
 * validator_new; the duplicate memory is a fixed-size, set-associative table
 * (VALIDATE_DUP_DEVICES devices x VALIDATE_DUP_TIMES recent timestamps with
 * a digest of their values), least recently used device evicted.
 */
#ifndef LIFELINE_VALIDATE_H
#define LIFELINE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "reading.h"
#include "reason.h"

#define VALIDATE_DUP_DEVICES 16384
#define VALIDATE_DUP_TIMES 8

struct validate_opts {
    bool reject_unknown_fields;
    bool partial;
    bool quarantine_unknown_devices;
    int64_t max_age_ms;          /* older is refused */
    int64_t max_future_ms;       /* further ahead is refused */
    int64_t duplicate_window_ms; /* 0: no duplicate check */
};

/* Who sent the reading and what is known about its category. */
struct validate_subject {
    const char *device;
    size_t device_len;
    const char *category;
    size_t category_len;
    const struct profile *profile; /* NULL: the category has no profile */
    bool unregistered;             /* a registry is loaded and does not list the device */
};

struct validate_result {
    enum reason why;  /* the first refusal */
    char detail[512]; /* every refusal, "; "-separated, cut to fit */
    size_t nbad;      /* fields found bad (removed when partial) */
    size_t nunknown;  /* unknown fields accepted as they came */
    bool rsrp_normalised;
    /* for validate_remember */
    uint64_t device_hash;
    int64_t ts_ms;
    uint64_t digest;
};

/* NULL on out of memory. */
struct validator *validator_new(const struct validate_opts *o);
/* Frees; accepts NULL. */
void validator_free(struct validator *v);
/*
 * Checks and normalises r in place (see above). Returns 0 when r may be
 * stored (with res->nbad > 0 in partial mode: those fields were removed and
 * are to be quarantined), or -EINVAL when the whole reading is refused:
 * res->why and res->detail say why. res is always filled.
 */
int validate_reading(struct validator *v, const struct validate_subject *s, struct reading *r,
                     int64_t now_ms, struct validate_result *res);
/*
 * Records an accepted reading for the duplicate check; call it once the
 * reading is really on its way to the database (so a reading refused later
 * by the encoder does not block a corrected resend).
 */
void validate_remember(struct validator *v, const struct validate_result *res, int64_t now_ms);

#endif
