/*
 * The texts notifications carry: topic, JSON, line protocol, log details and
 * chat lines. Pure functions of an event, so the unit test can pin every byte.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "timestamp.h"
#include "jsonout.h"
#include "lineproto.h"
#include "notify_impl.h"

/* Text fields of struct alert are arrays; a full one may lack its NUL. */
#define TEXT(a, f) (a)->f, strnlen((a)->f, sizeof(a)->f)

static int topic_level(struct buf *out, const char *s, size_t n)
{
    int rc = buf_putc(out, '/');
    if (n == 0)
        return rc ? rc : buf_putc(out, '-');
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        bool bad = c == '+' || c == '#' || c == '/' || c < 0x20 || c == 0x7f;
        rc = buf_putc(out, bad ? '_' : (char)c);
    }
    return rc;
}

int notify_topic(const struct alert *a, struct buf *out)
{
    int rc = buf_puts(out, "lifeline/alerts");
    if (!rc)
        rc = topic_level(out, TEXT(a, district));
    if (!rc)
        rc = topic_level(out, TEXT(a, category));
    if (!rc)
        rc = topic_level(out, TEXT(a, device));
    if (!rc)
        rc = topic_level(out, TEXT(a, rule));
    return rc;
}

static int kv_text(struct buf *b, const char *key, const char *s, size_t n)
{
    int rc = buf_printf(b, ",\"%s\":", key);
    return rc ? rc : json_append_string(b, s, n);
}

static int kv_time(struct buf *b, const char *key, int64_t ms)
{
    if (ms == 0)
        return buf_printf(b, ",\"%s\":null", key);
    char iso[32];
    ts_format_iso8601(ms, iso);
    return buf_printf(b, ",\"%s\":\"%s\"", key, iso);
}

static int kv_number(struct buf *b, const char *key, double v)
{
    if (!isfinite(v))
        return buf_printf(b, ",\"%s\":null", key);
    char num[LP_FLOAT_MAX];
    size_t n = lp_format_double(num, v);
    return buf_printf(b, ",\"%s\":%.*s", key, (int)n, num);
}

int notify_json_event(const struct alert_event *ev, struct buf *out)
{
    const struct alert *a = &ev->alert;
    int rc = buf_printf(out, "{\"id\":%llu", (unsigned long long)a->id);
    rc = rc ? rc : kv_text(out, "rule", TEXT(a, rule));
    rc = rc ? rc : kv_text(out, "device", TEXT(a, device));
    rc = rc ? rc : kv_text(out, "asset", TEXT(a, asset));
    rc = rc ? rc : kv_text(out, "name", TEXT(a, name));
    rc = rc ? rc : kv_text(out, "category", TEXT(a, category));
    rc = rc ? rc : kv_text(out, "district", TEXT(a, district));
    rc = rc ? rc
            : buf_printf(out, ",\"state\":\"%s\",\"severity\":\"%s\",\"transition\":\"%s\"",
                         alert_state_name(a->state), alert_severity_name(a->severity),
                         alert_transition_name(ev->transition));
    rc = rc ? rc
            : buf_printf(out, ",\"acknowledged\":%s,\"flapping\":%s",
                         a->acknowledged ? "true" : "false", a->flapping ? "true" : "false");
    rc = rc ? rc : kv_text(out, "field", TEXT(a, field));
    rc = rc ? rc : kv_number(out, "value", a->value);
    rc = rc ? rc : kv_number(out, "threshold", a->threshold);
    rc = rc ? rc : kv_text(out, "summary", TEXT(a, summary));
    rc = rc ? rc : kv_text(out, "summary_zh", TEXT(a, summary_zh));
    rc = rc ? rc : kv_time(out, "started_at", a->started_ms);
    rc = rc ? rc : kv_time(out, "fired_at", a->fired_ms);
    rc = rc ? rc : kv_time(out, "resolved_at", a->resolved_ms);
    rc = rc ? rc : kv_time(out, "updated_at", a->updated_ms);
    rc = rc ? rc : kv_text(out, "acked_by", TEXT(a, acked_by));
    rc = rc ? rc : kv_time(out, "acked_at", a->acked_ms);
    return rc ? rc : buf_putc(out, '}');
}

static struct field str_field(const char *key, const char *s, size_t n)
{
    struct field f = {.key = key, .key_len = strlen(key), .type = FIELD_STRING};
    f.v.s.ptr = s;
    f.v.s.len = n;
    return f;
}

static struct field num_field(const char *key, double v)
{
    struct field f = {.key = key, .key_len = strlen(key), .type = FIELD_FLOAT};
    f.v.f = v;
    return f;
}

static struct field bool_field(const char *key, bool v)
{
    struct field f = {.key = key, .key_len = strlen(key), .type = FIELD_BOOL};
    f.v.b = v;
    return f;
}

int notify_line(const struct alert_event *ev, int64_t now_ms, struct buf *out, const char **why)
{
    const struct alert *a = &ev->alert;
    const char *state = alert_state_name(a->state);
    const char *sev = alert_severity_name(a->severity);
    const char *tr = alert_transition_name(ev->transition);
    /* sorted by key, as lineproto requires; empty values are left out */
    struct lp_tag tags[] = {
        {"asset", TEXT(a, asset), false},       {"category", TEXT(a, category), false},
        {"device", TEXT(a, device), false},     {"district", TEXT(a, district), false},
        {"rule", TEXT(a, rule), false},         {"severity", sev, strlen(sev), false},
        {"state", state, strlen(state), false}, {"transition", tr, strlen(tr), false},
    };
    struct field f[10];
    size_t n = 0;
    f[n] = (struct field){.key = "id", .key_len = 2, .type = FIELD_INT};
    f[n++].v.i = (int64_t)a->id;
    f[n++] = bool_field("acknowledged", a->acknowledged);
    f[n++] = bool_field("flapping", a->flapping);
    if (isfinite(a->value))
        f[n++] = num_field("value", a->value);
    if (isfinite(a->threshold))
        f[n++] = num_field("threshold", a->threshold);
    if (a->field[0])
        f[n++] = str_field("field", TEXT(a, field));
    if (a->name[0])
        f[n++] = str_field("name", TEXT(a, name));
    f[n++] = str_field("summary", TEXT(a, summary));
    f[n++] = str_field("summary_zh", TEXT(a, summary_zh));
    if (a->acked_by[0])
        f[n++] = str_field("acked_by", TEXT(a, acked_by));
    int64_t ts = a->updated_ms ? a->updated_ms : now_ms;
    return lp_write_point(out, "alert", 5, tags, sizeof tags / sizeof tags[0], f, n, ts, why);
}

int notify_log_text(const struct alert_event *ev, struct buf *out)
{
    const struct alert *a = &ev->alert;
    int rc = buf_printf(out,
                        "transition=%s id=%llu rule=%.*s device=%.*s district=%.*s "
                        "category=%.*s severity=%s state=%s",
                        alert_transition_name(ev->transition), (unsigned long long)a->id,
                        (int)strnlen(a->rule, sizeof a->rule), a->rule,
                        (int)strnlen(a->device, sizeof a->device), a->device,
                        (int)strnlen(a->district, sizeof a->district), a->district,
                        (int)strnlen(a->category, sizeof a->category), a->category,
                        alert_severity_name(a->severity), alert_state_name(a->state));
    char num[LP_FLOAT_MAX];
    if (!rc && isfinite(a->value))
        rc = buf_printf(out, " value=%.*s", (int)lp_format_double(num, a->value), num);
    if (!rc && isfinite(a->threshold))
        rc = buf_printf(out, " threshold=%.*s", (int)lp_format_double(num, a->threshold), num);
    if (!rc && a->acknowledged)
        rc = buf_printf(out, " acked_by=%.*s", (int)strnlen(a->acked_by, sizeof a->acked_by),
                        a->acked_by);
    if (!rc && a->flapping)
        rc = buf_puts(out, " flapping=true");
    if (!rc)
        rc = buf_puts(out, " summary=");
    return rc ? rc : json_append_string(out, TEXT(a, summary));
}

/* Chinese names of the built-in categories; others are shown by their id. */
static const char *category_zh(const char *id)
{
    static const char *const names[][2] = {
        {"water_supply", "二次供水"}, {"drainage", "排水防涝"},      {"sewage", "污水处理"},
        {"manhole_cover", "窨井盖"},  {"bridge_tunnel", "桥梁隧道"}, {"surveillance", "视频监控"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(id, names[i][0]) == 0)
            return names[i][1];
    return id;
}

static const char *const severity_zh[] = {"严重", "重要", "次要", "提示"};

/* "【严重】", "【严重·提醒】", "【已恢复】", ... or the English "[critical]" forms. */
static int chat_tag(const struct alert_event *ev, enum notify_lang lang, struct buf *out)
{
    bool zh = lang == NOTIFY_LANG_ZH;
    unsigned s = (unsigned)ev->alert.severity < 4 ? (unsigned)ev->alert.severity : 3;
    const char *sev = zh ? severity_zh[s] : alert_severity_name(ev->alert.severity);
    switch (ev->transition) {
    case ALERT_RESOLVED_T:
        return buf_puts(out, zh ? "【已恢复】" : "[resolved]");
    case ALERT_ACKNOWLEDGED:
        return buf_puts(out, zh ? "【已确认】" : "[acknowledged]");
    case ALERT_FLAPPING:
        return buf_printf(out, zh ? "【%s·频繁变化】" : "[%s, flapping]", sev);
    case ALERT_REMINDER:
        return buf_printf(out, zh ? "【%s·未确认提醒】" : "[%s, reminder]", sev);
    case ALERT_UPDATED:
        return buf_printf(out, zh ? "【%s·更新】" : "[%s, updated]", sev);
    case ALERT_FIRED:
    default:
        return buf_printf(out, zh ? "【%s】" : "[%s]", sev);
    }
}

/* Appends " " and s unless s is empty. */
static int word(struct buf *out, const char *s, size_t n, bool *first)
{
    if (n == 0)
        return 0;
    int rc = *first ? 0 : buf_putc(out, ' ');
    *first = false;
    return rc ? rc : buf_append(out, s, n);
}

int notify_chat_line(const struct alert_event *ev, enum notify_lang lang, struct buf *out)
{
    const struct alert *a = &ev->alert;
    bool zh = lang == NOTIFY_LANG_ZH;
    int rc = chat_tag(ev, lang, out);
    bool first = zh; /* "【严重】顾官屯镇", but "[critical] 顾官屯镇" */
    char category[sizeof a->category];
    snprintf(category, sizeof category, "%.*s", (int)strnlen(a->category, sizeof a->category),
             a->category);
    const char *cat = zh ? category_zh(category) : category;
    rc = rc ? rc : word(out, TEXT(a, district), &first);
    rc = rc ? rc : word(out, cat, strlen(cat), &first);
    rc = rc ? rc : word(out, TEXT(a, name), &first);
    rc = rc ? rc : word(out, TEXT(a, device), &first);
    if (zh && a->summary_zh[0])
        rc = rc ? rc : word(out, TEXT(a, summary_zh), &first);
    else
        rc = rc ? rc : word(out, TEXT(a, summary), &first);
    if (!rc && ev->transition == ALERT_ACKNOWLEDGED && a->acked_by[0]) {
        rc = buf_puts(out, zh ? "（确认人 " : " (by ");
        rc = rc ? rc : buf_append(out, TEXT(a, acked_by));
        rc = rc ? rc : buf_puts(out, zh ? "）" : ")");
    }
    return rc;
}

static int chat_title(enum notify_lang lang, const struct notify_batch *b, struct buf *out)
{
    bool zh = lang == NOTIFY_LANG_ZH;
    const char *d = b->district[0] ? b->district : zh ? "未知区域" : "(no district)";
    if (zh)
        return buf_printf(out, "%s 告警 %zu 条", d, b->total);
    return buf_printf(out, "%s: %zu alert%s", d, b->total, b->total == 1 ? "" : "s");
}

/* The markdown text: title line, then one line per event. */
static int chat_text(enum webhook_format fmt, enum notify_lang lang, const struct notify_batch *b,
                     struct buf *t)
{
    /* DingTalk's markdown needs a blank line or a list to break lines. */
    bool ding = fmt == WEBHOOK_DINGTALK;
    int rc = buf_puts(t, ding ? "#### " : "**");
    rc = rc ? rc : chat_title(lang, b, t);
    rc = rc ? rc : buf_puts(t, ding ? "\n\n" : "**\n");
    size_t shown = b->n < NOTIFY_CHAT_LINES ? b->n : NOTIFY_CHAT_LINES;
    for (size_t i = 0; i < shown && !rc; i++) {
        rc = buf_puts(t, ding ? "- " : "");
        rc = rc ? rc : notify_chat_line(&b->ev[i], lang, t);
        rc = rc ? rc : buf_puts(t, i + 1 < shown || shown < b->total ? "\n" : "");
    }
    if (!rc && shown < b->total)
        rc = buf_printf(t, lang == NOTIFY_LANG_ZH ? "%s…另有 %zu 条" : "%s... and %zu more",
                        ding ? "- " : "", b->total - shown);
    return rc;
}

int notify_webhook_body(enum webhook_format fmt, enum notify_lang lang,
                        const struct notify_batch *b, struct buf *out)
{
    int rc = 0;
    if (fmt == WEBHOOK_JSON) {
        rc = buf_puts(out, "{\"district\":");
        rc = rc ? rc : json_append_string(out, b->district, strlen(b->district));
        rc = rc ? rc : buf_printf(out, ",\"count\":%zu,\"events\":[", b->total);
        for (size_t i = 0; i < b->n && !rc; i++) {
            rc = i ? buf_putc(out, ',') : 0;
            rc = rc ? rc : notify_json_event(&b->ev[i], out);
        }
        return rc ? rc : buf_puts(out, "]}");
    }
    struct buf text;
    buf_init(&text, out->max);
    rc = chat_text(fmt, lang, b, &text);
    if (!rc && fmt == WEBHOOK_WECOM) {
        rc = buf_puts(out, "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":");
        rc = rc ? rc : json_append_string(out, text.data, text.len);
        rc = rc ? rc : buf_puts(out, "}}");
    } else if (!rc) {
        struct buf title;
        buf_init(&title, 1024);
        rc = chat_title(lang, b, &title);
        rc = rc ? rc : buf_puts(out, "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":");
        rc = rc ? rc : json_append_string(out, title.data, title.len);
        rc = rc ? rc : buf_puts(out, ",\"text\":");
        rc = rc ? rc : json_append_string(out, text.data, text.len);
        rc = rc ? rc : buf_puts(out, "}}");
        buf_free(&title);
    }
    buf_free(&text);
    return rc;
}
