/*
 * Unit tests for the notifier: the exact texts (topic, JSON, line protocol,
 * WeCom and DingTalk bodies in Chinese), grouping by district on a given
 * clock, queue overflow, and webhook delivery with retries against an
 * in-process libmicrohttpd server. notify.c is included to reach its
 * queue; the other notify files come from the library.
 */
#include "../../collector/notify.c"

#include <arpa/inet.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include <cmocka.h>

#define ISO_MS INT64_C(1764380000000) /* 2025-11-29T01:33:20.000Z */

static void set(char *dst, size_t size, const char *s)
{
    snprintf(dst, size, "%s", s);
}
#define SET(a, f, s) set((a)->f, sizeof(a)->f, s)

static struct alert_event offline_event(uint64_t id, const char *district, const char *device)
{
    struct alert_event ev;
    memset(&ev, 0, sizeof ev);
    ev.transition = ALERT_FIRED;
    struct alert *a = &ev.alert;
    a->id = id;
    SET(a, rule, "offline");
    SET(a, device, device);
    SET(a, asset, "A-0012");
    SET(a, category, "manhole_cover");
    SET(a, district, district);
    a->state = ALERT_FIRING;
    a->severity = SEV_CRITICAL;
    a->value = NAN;
    a->threshold = NAN;
    SET(a, summary, "offline: 3 reports missed");
    SET(a, summary_zh, "离线 3 次未上报");
    a->started_ms = ISO_MS - 60000;
    a->fired_ms = ISO_MS;
    a->updated_ms = ISO_MS;
    return ev;
}

static struct alert_event threshold_event(void)
{
    struct alert_event ev = offline_event(42, "九州街道", "JZ-WS-0003");
    struct alert *a = &ev.alert;
    ev.transition = ALERT_RESOLVED_T;
    SET(a, rule, "threshold:low_pressure");
    SET(a, category, "water_supply");
    SET(a, name, "九州社区二次供水泵房");
    SET(a, field, "pressure_out");
    a->state = ALERT_RESOLVED;
    a->severity = SEV_MAJOR;
    a->value = 0.21;
    a->threshold = 0.14;
    a->acknowledged = true;
    SET(a, acked_by, "wang \"ops\"");
    a->acked_ms = ISO_MS + 1000;
    a->resolved_ms = ISO_MS + 2500;
    a->updated_ms = ISO_MS + 2500;
    SET(a, summary, "pressure_out 0.21 MPa back above 0.14");
    SET(a, summary_zh, "出口压力 0.21 MPa 已恢复");
    return ev;
}

/* ---- texts ---------------------------------------------------------------- */

static void test_topic_sanitised(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 4096);
    struct alert_event ev = offline_event(1, "顾官屯镇", "GGT-MC-0012");
    assert_int_equal(notify_topic(&ev.alert, &b), 0);
    assert_string_equal(b.data, "lifeline/alerts/顾官屯镇/manhole_cover/GGT-MC-0012/offline");
    buf_reset(&b);
    SET(&ev.alert, district, "");
    SET(&ev.alert, device, "a+b/#c\n");
    SET(&ev.alert, rule, "threshold:tilt");
    assert_int_equal(notify_topic(&ev.alert, &b), 0);
    assert_string_equal(b.data, "lifeline/alerts/-/manhole_cover/a_b__c_/threshold:tilt");
    assert_true(strncmp(b.data, NOTIFY_TOPIC_PREFIX, strlen(NOTIFY_TOPIC_PREFIX)) == 0);
    buf_free(&b);
}

static void test_json_exact(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8192);
    struct alert_event ev = offline_event(7, "顾官屯镇", "GGT-MC-0012");
    assert_int_equal(notify_json_event(&ev, &b), 0);
    assert_string_equal(
        b.data, "{\"id\":7,\"rule\":\"offline\",\"device\":\"GGT-MC-0012\",\"asset\":\"A-0012\","
                "\"name\":\"\",\"category\":\"manhole_cover\",\"district\":\"顾官屯镇\","
                "\"state\":\"firing\",\"severity\":\"critical\",\"transition\":\"fired\","
                "\"acknowledged\":false,\"flapping\":false,\"field\":\"\",\"value\":null,"
                "\"threshold\":null,\"summary\":\"offline: 3 reports missed\","
                "\"summary_zh\":\"离线 3 次未上报\",\"started_at\":\"2025-11-29T01:32:20.000Z\","
                "\"fired_at\":\"2025-11-29T01:33:20.000Z\",\"resolved_at\":null,"
                "\"updated_at\":\"2025-11-29T01:33:20.000Z\",\"acked_by\":\"\",\"acked_at\":null}");
    buf_reset(&b);
    ev = threshold_event();
    assert_int_equal(notify_json_event(&ev, &b), 0);
    assert_string_equal(
        b.data,
        "{\"id\":42,\"rule\":\"threshold:low_pressure\",\"device\":\"JZ-WS-0003\","
        "\"asset\":\"A-0012\",\"name\":\"九州社区二次供水泵房\",\"category\":\"water_supply\","
        "\"district\":\"九州街道\",\"state\":\"resolved\",\"severity\":\"major\","
        "\"transition\":\"resolved\",\"acknowledged\":true,\"flapping\":false,"
        "\"field\":\"pressure_out\",\"value\":0.21,\"threshold\":0.14,"
        "\"summary\":\"pressure_out 0.21 MPa back above 0.14\","
        "\"summary_zh\":\"出口压力 0.21 MPa 已恢复\",\"started_at\":\"2025-11-29T01:32:20.000Z\","
        "\"fired_at\":\"2025-11-29T01:33:20.000Z\",\"resolved_at\":\"2025-11-29T01:33:22.500Z\","
        "\"updated_at\":\"2025-11-29T01:33:22.500Z\",\"acked_by\":\"wang \\\"ops\\\"\","
        "\"acked_at\":\"2025-11-29T01:33:21.000Z\"}");
    buf_free(&b);
}

static void test_line_and_log_exact(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8192);
    struct alert_event ev = threshold_event();
    const char *why = NULL;
    assert_int_equal(notify_line(&ev, 5, &b, &why), 0);
    assert_string_equal(
        b.data, "alert,asset=A-0012,category=water_supply,device=JZ-WS-0003,district=九州街道,"
                "rule=threshold:low_pressure,severity=major,state=resolved,transition=resolved "
                "id=42i,acknowledged=true,flapping=false,value=0.21,threshold=0.14,"
                "field=\"pressure_out\",name=\"九州社区二次供水泵房\","
                "summary=\"pressure_out 0.21 MPa back above 0.14\","
                "summary_zh=\"出口压力 0.21 MPa 已恢复\",acked_by=\"wang \\\"ops\\\"\" "
                "1764380002500\n");
    buf_reset(&b);
    ev = offline_event(3, "", "GGT-MC-0012");
    ev.alert.updated_ms = 0; /* stamped with now */
    assert_int_equal(notify_line(&ev, 1764380009000, &b, &why), 0);
    assert_string_equal(b.data,
                        "alert,asset=A-0012,category=manhole_cover,device=GGT-MC-0012,rule=offline,"
                        "severity=critical,state=firing,transition=fired "
                        "id=3i,acknowledged=false,flapping=false,"
                        "summary=\"offline: 3 reports missed\",summary_zh=\"离线 3 次未上报\" "
                        "1764380009000\n");
    buf_reset(&b);
    ev = threshold_event();
    assert_int_equal(notify_log_text(&ev, &b), 0);
    assert_string_equal(b.data,
                        "transition=resolved id=42 rule=threshold:low_pressure device=JZ-WS-0003 "
                        "district=九州街道 category=water_supply severity=major state=resolved "
                        "value=0.21 threshold=0.14 acked_by=wang \"ops\" "
                        "summary=\"pressure_out 0.21 MPa back above 0.14\"");
    buf_free(&b);
}

static struct notify_batch batch_of(const char *district, struct alert_event *evs, size_t n,
                                    size_t total)
{
    struct notify_batch b;
    memset(&b, 0, sizeof b);
    set(b.district, sizeof b.district, district);
    b.ev = evs;
    b.n = n;
    b.total = total;
    return b;
}

static void test_chat_bodies(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 16);
    struct alert_event evs[2] = {offline_event(1, "顾官屯镇", "GGT-MC-0012"),
                                 offline_event(2, "顾官屯镇", "GGT-MC-0013")};
    evs[1].transition = ALERT_RESOLVED_T;
    evs[1].alert.state = ALERT_RESOLVED;
    SET(&evs[1].alert, name, "南大街3号井");
    SET(&evs[1].alert, summary_zh, "已恢复上报");
    struct notify_batch nb = batch_of("顾官屯镇", evs, 2, 2);
    assert_int_equal(notify_webhook_body(WEBHOOK_WECOM, NOTIFY_LANG_ZH, &nb, &b), 0);
    assert_string_equal(b.data, "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                                "\"**顾官屯镇 告警 2 条**\\n"
                                "【严重】顾官屯镇 窨井盖 GGT-MC-0012 离线 3 次未上报\\n"
                                "【已恢复】顾官屯镇 窨井盖 南大街3号井 GGT-MC-0013 已恢复上报\"}}");
    buf_reset(&b);
    assert_int_equal(notify_webhook_body(WEBHOOK_DINGTALK, NOTIFY_LANG_ZH, &nb, &b), 0);
    assert_string_equal(b.data,
                        "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":\"顾官屯镇 告警 2 条\","
                        "\"text\":\"#### 顾官屯镇 告警 2 条\\n\\n"
                        "- 【严重】顾官屯镇 窨井盖 GGT-MC-0012 离线 3 次未上报\\n"
                        "- 【已恢复】顾官屯镇 窨井盖 南大街3号井 GGT-MC-0013 已恢复上报\"}}");
    buf_reset(&b);
    /* 25 grouped, 1 stored: the message lists what it has and counts the rest */
    nb = batch_of("顾官屯镇", evs, 1, 25);
    assert_int_equal(notify_webhook_body(WEBHOOK_WECOM, NOTIFY_LANG_EN, &nb, &b), 0);
    assert_string_equal(b.data, "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                                "\"**顾官屯镇: 25 alerts**\\n"
                                "[critical] 顾官屯镇 manhole_cover GGT-MC-0012 offline: 3 reports "
                                "missed\\n... and 24 more\"}}");
    buf_reset(&b);
    nb = batch_of("", evs, 1, 1);
    assert_int_equal(notify_webhook_body(WEBHOOK_JSON, NOTIFY_LANG_ZH, &nb, &b), 0);
    struct buf one;
    buf_init(&one, 8192);
    notify_json_event(&evs[0], &one);
    char want[8192];
    snprintf(want, sizeof want, "{\"district\":\"\",\"count\":1,\"events\":[%s]}", one.data);
    assert_string_equal(b.data, want);
    buf_free(&one);
    buf_free(&b);
}

static void test_webhook_parse(void **state)
{
    (void)state;
    enum webhook_format f;
    const char *url;
    struct buf msg;
    buf_init(&msg, 1024);
    assert_int_equal(webhook_parse("dingtalk=https://oapi.dingtalk.com/robot/send?access_token=x=y",
                                   &f, &url, &msg),
                     0);
    assert_int_equal(f, WEBHOOK_DINGTALK);
    assert_string_equal(url, "https://oapi.dingtalk.com/robot/send?access_token=x=y");
    assert_int_equal(webhook_parse("json=http://h:1/", &f, &url, NULL), 0);
    assert_int_equal(f, WEBHOOK_JSON);
    assert_int_equal(webhook_parse("slack=https://h/", &f, &url, &msg), -EINVAL);
    assert_string_equal(msg.data,
                        "'slack=https://h/' is not FORMAT=URL with FORMAT json, wecom or "
                        "dingtalk; fix: write e.g. "
                        "\"wecom=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY\"");
    buf_reset(&msg);
    assert_int_equal(webhook_parse("wecom=ftp://h/", &f, &url, &msg), -EINVAL);
    assert_string_equal(msg.data,
                        "the URL after 'wecom=' is not http:// or https:// with a "
                        "host; fix: write e.g. \"json=https://ops.example/hooks/lifeline\"");
    assert_int_equal(webhook_parse("wecom https://h/", &f, &url, NULL), -EINVAL);
    assert_int_equal(webhook_parse("wecom=https://", &f, &url, NULL), -EINVAL);
    buf_free(&msg);
}

/* ---- grouping on a given clock -------------------------------------------- */

static void test_group_window(void **state)
{
    (void)state;
    struct notify_group *g = notify_group_new(10000, 3);
    struct notify_batch b;
    struct alert_event a = offline_event(1, "顾官屯镇", "D1");
    struct alert_event x = offline_event(2, "许营镇", "D2");
    assert_int_equal(notify_group_deadline(g), INT64_MAX);
    assert_false(notify_group_take(g, 0, false, &b));
    assert_int_equal(notify_group_add(g, &a, 1000), 0);
    assert_int_equal(notify_group_add(g, &x, 3000), 0);
    for (int i = 0; i < 4; i++) /* 5 of one district, 3 stored */
        assert_int_equal(notify_group_add(g, &a, 4000 + i), 0);
    assert_int_equal(notify_group_deadline(g), 11000);
    assert_false(notify_group_take(g, 10999, false, &b));
    assert_true(notify_group_take(g, 11000, false, &b));
    assert_string_equal(b.district, "顾官屯镇");
    assert_int_equal(b.n, 3);
    assert_int_equal(b.total, 5);
    notify_batch_free(&b);
    /* a new event of that district opens a new window */
    assert_int_equal(notify_group_add(g, &a, 11500), 0);
    assert_int_equal(notify_group_deadline(g), 13000);
    assert_false(notify_group_take(g, 12999, false, &b));
    assert_true(notify_group_take(g, 13000, false, &b));
    assert_string_equal(b.district, "许营镇");
    assert_int_equal(b.total, 1);
    notify_batch_free(&b);
    assert_true(notify_group_take(g, 0, true, &b)); /* forced at shutdown */
    assert_string_equal(b.district, "顾官屯镇");
    assert_int_equal(b.total, 1);
    notify_batch_free(&b);
    assert_false(notify_group_take(g, INT64_MAX, true, &b));
    notify_group_free(g);

    g = notify_group_new(0, 10); /* no window: every event alone, at once */
    assert_int_equal(notify_group_add(g, &a, 5), 0);
    assert_true(notify_group_take(g, 5, false, &b));
    notify_batch_free(&b);
    notify_group_free(g);
}

/* ---- queue overflow ------------------------------------------------------- */

struct published {
    pthread_mutex_t lock;
    int calls;
    int fail_first; /* answer -ENOTCONN this many times */
    char topics[16][256];
    char bodies[16][2048];
    int n;
};

static int fake_publish(void *ctx, const char *topic, const void *payload, size_t len, int retained)
{
    struct published *p = ctx;
    assert_int_equal(retained, 1);
    pthread_mutex_lock(&p->lock);
    int rc = 0;
    if (p->calls++ < p->fail_first) {
        rc = -ENOTCONN;
    } else if (p->n < 16) {
        set(p->topics[p->n], sizeof p->topics[0], topic);
        snprintf(p->bodies[p->n], sizeof p->bodies[0], "%.*s", (int)len, (const char *)payload);
        p->n++;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void base_cfg(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->notify.mqtt = true;
    cfg->notify.influx = false;
    cfg->notify.group_window_ms = 100;
    cfg->notify.retry_min_ms = 10;
    cfg->notify.retry_max_ms = 40;
    cfg->notify.retry_attempts = 5;
    cfg->notify.timeout_ms = 2000;
    cfg->notify.lang = NOTIFY_LANG_ZH;
}

static const char *body_of(struct published *p, const char *device)
{
    for (int i = 0; i < p->n; i++)
        if (strstr(p->topics[i], device))
            return p->bodies[i];
    return NULL;
}

static void test_queue_overflow_keeps_latest_state(void **state)
{
    (void)state;
    struct config cfg;
    base_cfg(&cfg);
    struct published pub = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct notify *n = create(&cfg, fake_publish, &pub, 4);
    assert_non_null(n);
    struct alert_event ev1 = offline_event(1, "顾官屯镇", "D1");
    notify_submit(n, &ev1);
    for (uint64_t id = 2; id <= 5; id++) {
        char dev[8];
        snprintf(dev, sizeof dev, "D%llu", (unsigned long long)id);
        struct alert_event ev = offline_event(id, "顾官屯镇", dev);
        notify_submit(n, &ev);
    }
    ev1.transition = ALERT_RESOLVED_T;
    ev1.alert.state = ALERT_RESOLVED;
    notify_submit(n, &ev1); /* never blocks: the oldest events leave the ring */
    assert_int_equal(n->submitted, 6);
    assert_int_equal(n->dropped, 2);
    assert_int_equal(n->count, 4);
    assert_int_equal(n->ring[n->head].alert.id, 3);
    assert_int_equal(n->nst, 5); /* one owed state per alert, the latest */
    assert_int_equal(state_find(n, 1, false)->ev.alert.state, ALERT_RESOLVED);

    /* the broker is away for the first two publishes: retried with the latest */
    pub.fail_first = 2;
    assert_int_equal(start(n), 0);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&pub.lock);
        int got = pub.n;
        pthread_mutex_unlock(&pub.lock);
        if (got == 5)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    notify_free(n);
    assert_int_equal(pub.n, 5);
    assert_int_equal(pub.calls, 7);
    assert_non_null(body_of(&pub, "/D1/"));
    assert_non_null(strstr(body_of(&pub, "/D1/"), "\"state\":\"resolved\""));
    assert_non_null(body_of(&pub, "/D5/"));
    assert_non_null(body_of(&pub, "lifeline/alerts/顾官屯镇/manhole_cover/D1/offline"));
}

/* ---- webhooks against a scripted server ----------------------------------- */

struct server {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t lock;
    int fail_first; /* answer 500 this many times */
    int calls;
    int ok;
    char urls[8][64];
    char bodies[8][4096];
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)method;
    (void)version;
    struct server *s = cls;
    struct buf *raw = *con_cls;
    if (!raw) {
        raw = calloc(1, sizeof *raw);
        buf_init(raw, 1 << 20);
        *con_cls = raw;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        buf_append(raw, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->lock);
    unsigned status = s->calls++ < s->fail_first ? 500 : 200;
    if (status == 200 && s->ok < 8) {
        set(s->urls[s->ok], sizeof s->urls[0], url);
        snprintf(s->bodies[s->ok], sizeof s->bodies[0], "%s", raw->data ? raw->data : "");
        s->ok++;
    }
    pthread_mutex_unlock(&s->lock);
    const char *answer = status == 200 ? "{\"errcode\":0,\"errmsg\":\"ok\"}" : "oops";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(answer), (void *)answer, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct buf *raw = *con_cls;
    if (raw) {
        buf_free(raw);
        free(raw);
        *con_cls = NULL;
    }
}

static void server_start(struct server *s, int fail_first)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->fail_first = fail_first;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
}

/* Waits (at most 10 s) until the server has accepted `want` messages. */
static int wait_ok(struct server *s, int want)
{
    int got = 0;
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&s->lock);
        got = s->ok;
        pthread_mutex_unlock(&s->lock);
        if (got >= want)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return got;
}

static const char *body_for(struct server *s, const char *path, const char *word)
{
    for (int i = 0; i < s->ok; i++)
        if (strcmp(s->urls[i], path) == 0 && strstr(s->bodies[i], word))
            return s->bodies[i];
    return NULL;
}

static void test_webhooks_grouped(void **state)
{
    (void)state;
    struct server srv;
    server_start(&srv, 0);
    struct config cfg;
    base_cfg(&cfg);
    char wecom[128], json[128];
    snprintf(wecom, sizeof wecom, "wecom=http://127.0.0.1:%u/wecom", srv.port);
    snprintf(json, sizeof json, "json=http://127.0.0.1:%u/json?k=a=b", srv.port);
    cfg.notify.webhooks[0] = wecom;
    cfg.notify.webhooks[1] = json;
    cfg.notify.nwebhooks = 2;
    /* wide enough that a stalled test thread on a loaded machine still submits
     * all five events inside one window */
    cfg.notify.group_window_ms = 1000;
    struct notify *n = notify_new(&cfg, NULL, NULL);
    assert_non_null(n);
    const char *devs[] = {"GGT-MC-0012", "GGT-MC-0013", "GGT-MC-0014"};
    for (uint64_t i = 0; i < 3; i++) {
        struct alert_event ev = offline_event(i + 1, "顾官屯镇", devs[i]);
        notify_submit(n, &ev);
    }
    struct alert_event upd = offline_event(1, "顾官屯镇", devs[0]);
    upd.transition = ALERT_UPDATED; /* not for chat */
    notify_submit(n, &upd);
    struct alert_event other = offline_event(9, "许营镇", "XY-MC-0001");
    notify_submit(n, &other);
    assert_int_equal(wait_ok(&srv, 4), 4);
    struct buf m;
    buf_init(&m, 1 << 16);
    notify_render_metrics(n, &m);
    notify_free(n);
    assert_int_equal(srv.calls, 4); /* two districts x two destinations, no more */
    assert_string_equal(body_for(&srv, "/wecom", "顾官屯镇"),
                        "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                        "\"**顾官屯镇 告警 3 条**\\n"
                        "【严重】顾官屯镇 窨井盖 GGT-MC-0012 离线 3 次未上报\\n"
                        "【严重】顾官屯镇 窨井盖 GGT-MC-0013 离线 3 次未上报\\n"
                        "【严重】顾官屯镇 窨井盖 GGT-MC-0014 离线 3 次未上报\"}}");
    assert_string_equal(body_for(&srv, "/wecom", "许营镇"),
                        "{\"msgtype\":\"markdown\",\"markdown\":{\"content\":"
                        "\"**许营镇 告警 1 条**\\n"
                        "【严重】许营镇 窨井盖 XY-MC-0001 离线 3 次未上报\"}}");
    const char *j = body_for(&srv, "/json", "顾官屯镇");
    assert_non_null(j);
    const char *head = "{\"district\":\"顾官屯镇\",\"count\":3,\"events\":[{\"id\":1,";
    assert_true(strncmp(j, head, strlen(head)) == 0);
    assert_non_null(strstr(m.data, "lifeline_notify_events_total 5\n"));
    assert_non_null(strstr(m.data, "lifeline_notify_dropped_total 0\n"));
    buf_free(&m);
    MHD_stop_daemon(srv.d);
}

static void test_webhook_retried_then_delivered_once(void **state)
{
    (void)state;
    struct server srv;
    server_start(&srv, 2); /* 500, 500, then 200 */
    struct config cfg;
    base_cfg(&cfg);
    char dest[128];
    snprintf(dest, sizeof dest, "dingtalk=http://127.0.0.1:%u/robot/send", srv.port);
    cfg.notify.webhooks[0] = dest;
    cfg.notify.nwebhooks = 1;
    cfg.notify.group_window_ms = 0;
    struct notify *n = notify_new(&cfg, NULL, NULL);
    assert_non_null(n);
    struct alert_event ev = offline_event(1, "顾官屯镇", "GGT-MC-0012");
    notify_submit(n, &ev); /* returns at once although the robot fails */
    assert_int_equal(wait_ok(&srv, 1), 1);
    /* the server counts its answer before the sender has read it */
    struct webhook_stats ws = {0};
    for (int i = 0; i < 1000; i++) {
        webhook_stats(n->wh, &ws);
        if (ws.delivered)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    notify_free(n);
    assert_int_equal(srv.calls, 3);
    assert_int_equal(ws.delivered, 1);
    assert_int_equal(ws.retries, 2);
    assert_int_equal(ws.failed, 0);
    assert_string_equal(srv.urls[0], "/robot/send");
    assert_string_equal(srv.bodies[0],
                        "{\"msgtype\":\"markdown\",\"markdown\":{\"title\":\"顾官屯镇 告警 1 条\","
                        "\"text\":\"#### 顾官屯镇 告警 1 条\\n\\n"
                        "- 【严重】顾官屯镇 窨井盖 GGT-MC-0012 离线 3 次未上报\"}}");
    MHD_stop_daemon(srv.d);
}

static void test_webhook_gives_up(void **state)
{
    (void)state;
    struct server srv;
    server_start(&srv, 1000);
    struct webhook_opts o = {
        .retry_min_ms = 5, .retry_max_ms = 10, .attempts = 3, .timeout_ms = 2000, .queue_max = 4};
    struct webhook *w = webhook_new(&o);
    assert_non_null(w);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/x", srv.port);
    assert_int_equal(webhook_post(w, WEBHOOK_JSON, url, "json#0", "{}", 2), 0);
    struct webhook_stats ws = {0};
    for (int i = 0; i < 1000 && ws.failed == 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
        webhook_stats(w, &ws);
    }
    webhook_free(w, 0);
    assert_int_equal(ws.failed, 1);
    assert_int_equal(ws.retries, 2);
    assert_int_equal(srv.calls, 3);
    MHD_stop_daemon(srv.d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_sanitised),
        cmocka_unit_test(test_json_exact),
        cmocka_unit_test(test_line_and_log_exact),
        cmocka_unit_test(test_chat_bodies),
        cmocka_unit_test(test_webhook_parse),
        cmocka_unit_test(test_group_window),
        cmocka_unit_test(test_queue_overflow_keeps_latest_state),
        cmocka_unit_test(test_webhooks_grouped),
        cmocka_unit_test(test_webhook_retried_then_delivered_once),
        cmocka_unit_test(test_webhook_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
