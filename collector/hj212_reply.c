#include "hj212_reply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dispatch.h"
#include "hj212.h"
#include "log.h"
#include "metrics.h"
#include "numparse.h"

struct hj212_reply {
    struct dispatch *d; /* mqtt.decoders: which topics are HJ 212 */
    hj212_reply_publish_fn publish;
    void *ctx;
    bool enabled;
    bool has_ph;     /* the template has {topic} */
    char *pre, *suf; /* the template before and after {topic} (all of it without) */
    size_t pre_len, suf_len;
};

struct hj212_reply *hj212_reply_new(const struct config *cfg, hj212_reply_publish_fn publish,
                                    void *ctx)
{
    char err[256];
    struct hj212_reply *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->publish = publish;
    r->ctx = ctx;
    r->d = dispatch_new(cfg->mqtt.decoders, cfg->mqtt.ndecoders, cfg->mqtt.topic_template, err,
                        sizeof err);
    if (!r->d) {
        log_error("hj212", "bad decoder routes error=\"%s\"", err);
        goto err_free;
    }
    const char *t = cfg->hj212.reply_topic ? cfg->hj212.reply_topic : "";
    const char *ph = strstr(t, "{topic}");
    r->enabled = t[0] != '\0';
    r->has_ph = ph != NULL;
    r->pre_len = ph ? (size_t)(ph - t) : strlen(t);
    r->pre = strndup(t, r->pre_len);
    r->suf = strdup(ph ? ph + 7 : "");
    if (!r->pre || !r->suf)
        goto err_free;
    r->suf_len = strlen(r->suf);
    return r;

err_free:
    hj212_reply_free(r);
    return NULL;
}

void hj212_reply_free(struct hj212_reply *r)
{
    if (!r)
        return;
    dispatch_free(r->d);
    free(r->pre);
    free(r->suf);
    free(r);
}

static bool routed_to_hj212(const struct hj212_reply *r, const char *topic, size_t len)
{
    const char *name = dispatch_decoder_for(r->d, topic, len);
    return name && strcmp(name, "hj212") == 0;
}

bool hj212_reply_is_own(const struct hj212_reply *r, const char *topic, size_t len)
{
    if (!r || !r->enabled)
        return false;
    if (!r->has_ph)
        return len == r->pre_len && memcmp(topic, r->pre, len) == 0;
    if (len <= r->pre_len + r->suf_len || memcmp(topic + len - r->suf_len, r->suf, r->suf_len) ||
        memcmp(topic, r->pre, r->pre_len))
        return false;
    return routed_to_hj212(r, topic + r->pre_len, len - r->pre_len - r->suf_len);
}

/* Whether the header of frame p[0..len) has a Flag with bit 0, read without
 * the CRC: most frames want no reply and are then left at this. */
static bool flag_a_hint(const char *p, size_t len)
{
    size_t i = 6; /* "##dddd" */
    while (i + 5 < len) {
        if (memcmp(p + i, "CP=", 3) == 0)
            return false;
        if (memcmp(p + i, "Flag=", 5) == 0) {
            size_t s = i + 5, e = s;
            uint64_t f;
            while (e < len && p[e] >= '0' && p[e] <= '9')
                e++;
            return num_parse_u64(p + s, e - s, 255, &f) == 0 && (f & 1u);
        }
        const char *semi = memchr(p + i, ';', len - i);
        if (!semi)
            return false;
        i = (size_t)(semi - p) + 1;
    }
    return false;
}

int hj212_reply_after_store(struct hj212_reply *r, const char *topic, size_t topic_len,
                            const void *payload, size_t len)
{
    const char *p = payload;
    if (!r || !r->enabled || len < 12 || p[0] != '#' || p[1] != '#' || !flag_a_hint(p, len) ||
        !routed_to_hj212(r, topic, topic_len))
        return 0;
    struct hj212_msg m;
    enum reason why;
    char detail[128];
    if (hj212_parse(p, len, &m, &why, detail, sizeof detail) != 0 || !hj212_wants_ack(&m) ||
        (m.cn_len > 0 && m.cn[0] == '9'))
        return 0; /* refused frames and replies get no reply */

    /* topic, NUL, then the reply frame, in one allocation */
    struct buf b;
    size_t tlen = r->pre_len + (r->has_ph ? topic_len : 0) + r->suf_len;
    buf_init(&b, tlen + 1 + HJ212_MAX_SEG + 12);
    int rc = buf_append(&b, r->pre, r->pre_len);
    if (rc == 0 && r->has_ph)
        rc = buf_append(&b, topic, topic_len);
    if (rc == 0)
        rc = buf_append(&b, r->suf, r->suf_len);
    if (rc == 0)
        rc = buf_putc(&b, '\0');
    if (rc == 0)
        rc = hj212_ack(&b, &m);
    if (rc == 0)
        rc = r->publish(r->ctx, b.data, b.data + tlen + 1, b.len - tlen - 1);
    if (rc == 0) {
        metrics_add(C_HJ212_REPLIES, 1);
        rc = 1;
    } else {
        metrics_add(C_HJ212_REPLY_FAILURES, 1);
        log_warn("hj212", "acknowledgement not sent topic=%.*s mn=%.*s error=\"%s\"",
                 (int)(topic_len < 200 ? topic_len : 200), topic,
                 (int)(m.mn_len < 64 ? m.mn_len : 64), m.mn,
                 rc == -EINVAL ? "the frame has no QN to answer" : strerror(-rc));
    }
    buf_free(&b);
    return rc;
}
