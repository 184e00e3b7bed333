/*
 * alert_rules: what the alert engine looks for in a reading, and the rules
 * file operators write (docs/alerts.md).
 *
 * A rule set is built from two sources: the alarm entries of the category
 * profiles (devices/profiles/, "below"/"above" become
 * threshold:<field>_low/_high, "equals"/"not_equals" become fault:<field>,
 * battery_pct/battery_v become battery_low:<field>, rsrp becomes weak_radio)
 * and the operator rules of alerts.rules_file (rule:<name>). A set is
 * immutable once built; a reload builds a new one.
 *
 * The rules file:
 *   {"rules": [{"name": "outlet_pressure_low",   [a-z0-9_], unique, required
 *               "field": "pressure_out",          canonical field name, required
 *               "comparison": "<",                < <= > >= == !=, required
 *               "threshold": 0.2,                 number, bool or string, required
 *               "clear": 0.25,                    optional (numbers only): hysteresis
 *               "hold_s": 60,                     optional, default 0
 *               "severity": "major",              critical|major|minor|warning, default major
 *               "category": ["water_supply"],     optional scope lists: a string or an
 *               "district": ["许营镇"],           array; empty or absent matches all
 *               "model": ["PX-300"],
 *               "assets": ["WS-001", "dev-7"],    asset ids or device ids
 *               "summary": "text", "summary_zh": "文字"}]}   optional
 */
#ifndef LIFELINE_ALERT_RULES_H
#define LIFELINE_ALERT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "buf.h"
#include "profile.h"
#include "reading.h"

enum alert_cmp { CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_EQ, CMP_NE };
enum alert_kind { AK_NUMBER, AK_BOOL, AK_STRING };

struct alert_scope {
    size_t n;
    char **v; /* owned by the rule set */
};

struct alert_rule {
    char id[64];    /* the alert's rule: "threshold:ph_high", "rule:outlet_pressure_low", ... */
    char field[64]; /* canonical field name */
    enum alert_cmp cmp;
    enum alert_kind kind;
    double threshold; /* AK_NUMBER */
    double clear;     /* AK_NUMBER: where an active condition ends; == threshold: no hysteresis */
    bool bval;        /* AK_BOOL */
    char sval[64];    /* AK_STRING */
    int64_t hold_ms;
    enum alert_severity severity;
    char unit[16];
    char summary[128], summary_zh[128]; /* operator text, or "" */
    struct alert_scope category, district, model, assets;
};

struct alert_rules {
    size_t n;
    struct alert_rule *rules;
};

/* The knobs of the built-in conditions (from the alerts.* keys). */
struct alert_defaults {
    double battery_low_pct;
    double battery_low_v;
    double rsrp_min_dbm;
    int64_t rsrp_hold_ms;
};

/*
 * Parses the rules file at `path`. Every problem is appended to `errors`
 * (may be NULL) as "FILE: rules[I].KEY: problem; fix: ..." and counted in
 * *nerrors. NULL when there was any error. A file with {"rules": []} is an
 * empty set.
 */
struct alert_rules *alert_rules_load(const char *path, struct buf *errors, int *nerrors);
/* The same from text[0..len) (not NUL-terminated); `source` names it in errors. */
struct alert_rules *alert_rules_parse(const char *source, const char *text, size_t len,
                                      struct buf *errors, int *nerrors);
/*
 * The full set: the rules of every profile in `ps` (may be NULL), then a
 * copy of every rule of `ops` (may be NULL). NULL on out of memory.
 */
struct alert_rules *alert_rules_build(const struct profile_set *ps, const struct alert_rules *ops,
                                      const struct alert_defaults *d);
/* Frees; accepts NULL. */
void alert_rules_free(struct alert_rules *r);

/*
 * Checks the operator rules (from alert_rules_parse/_load) against the
 * category profiles: every category of a rule's scope must have a profile;
 * a field that is only an alias (readings carry canonical names), or whose
 * profile type cannot match the threshold's, is an error, since the rule
 * could never fire; a field no profile in scope has is an error when
 * extras_accepted is false (validate.unknown_fields reject: no reading can
 * carry it), else a warning (it may be a vendor extra). Each problem is one
 * line "SOURCE: rules[i].KEY: problem; fix: ..." appended to errors or
 * warnings (either may be NULL), with the nearest field name suggested.
 * Returns the number of errors.
 */
int alert_rules_check(const struct alert_rules *rules, const struct profile_set *ps,
                      bool extras_accepted, const char *source, struct buf *errors,
                      struct buf *warnings);

/* What the rule is matched against. Strings may be NULL or "". */
struct alert_target {
    const char *category;
    const char *district;
    const char *model;
    const char *asset;
    const char *device;
};
/* True when the rule applies to the target (scope lists; profile rules: category). */
bool alert_rule_applies(const struct alert_rule *r, const struct alert_target *t);
/*
 * Evaluates the rule on field f. `active` is whether the condition was true
 * so far (hysteresis: an active numeric condition ends only past `clear`).
 * Returns 1 true, 0 false, -1 when f has a type the rule cannot judge.
 * *value is the number seen (NAN for strings; 0/1 for bools).
 */
int alert_rule_eval(const struct alert_rule *r, const struct field *f, bool active, double *value);
/* "<", "<=", ... */
const char *alert_cmp_name(enum alert_cmp c);

#endif
