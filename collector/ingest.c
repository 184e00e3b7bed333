#include "ingest.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "metrics.h"

enum state { ST_IDLE, ST_CONNECTING, ST_CONNECTED, ST_PAUSED, ST_STOPPED };

struct ingest {
    const struct config *cfg;
    MQTTAsync client;
    ingest_message_fn on_message;
    void *ctx;
    atomic_int state;
    atomic_bool was_connected; /* for log lines that speak of reconnection */
    int64_t next_attempt_ms;
    int backoff_s;
    char persist_dir[PATH_MAX];
    int qos[CONFIG_MAX_TOPICS];
};

int64_t ingest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Why the last connection attempt failed, beyond what Paho says. Paho reports
 * every failure from a refused TCP connection to a certificate for another
 * host as "TCP/TLS connect failure": the reason is only in OpenSSL's error
 * queue (handed to ssl_error_cb) and in Paho's protocol trace (the host name
 * check, TLS alerts, the CONNECT packet). Paho's trace is process-wide and its
 * callback has no context pointer, hence file-static state: one ingest per
 * process. The trace is on only while a connection is being made, so that it
 * costs nothing per message.
 */
#define DIAG_MAX 256
static struct {
    pthread_mutex_t lock;
    char why[DIAG_MAX];  /* "; "-separated notes, cleared per attempt */
    char host[DIAG_MAX]; /* host name check that failed, kept apart: see on_trace */
    bool handshake_done; /* our side of the TLS handshake completed */
} diag = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void diag_reset(void)
{
    pthread_mutex_lock(&diag.lock);
    diag.why[0] = diag.host[0] = '\0';
    diag.handshake_done = false;
    pthread_mutex_unlock(&diag.lock);
}

/* Appends "; prefix text" to diag.why unless already there; diag.lock held. */
static void diag_note(const char *prefix, const char *text, size_t len)
{
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    char note[DIAG_MAX];
    int n = snprintf(note, sizeof note, "%s%.*s", prefix, (int)len, text);
    if (n <= 0 || strstr(diag.why, note))
        return;
    size_t used = strlen(diag.why);
    snprintf(diag.why + used, sizeof diag.why - used, "%s%s", used ? "; " : "", note);
}

/* OpenSSL's error lines read "<thread>:error:<code>:<library>:<function>:
 * <reason>:<file>:<line>:<data>"; the reason (and data) is what helps. */
static int on_ssl_error(const char *str, size_t len, void *u)
{
    (void)u;
    const char *f[9] = {0};
    size_t nf = 0;
    for (const char *p = str; p < str + len && nf < 9; p++)
        if (p == str || p[-1] == ':')
            f[nf++] = p;
    pthread_mutex_lock(&diag.lock);
    if (nf >= 6) {
        const char *end = nf > 6 ? f[6] - 1 : str + len;
        diag_note("openssl: ", f[5], (size_t)(end - f[5]));
        if (nf == 9 && f[8] < str + len && f[8][0] != '\n')
            diag_note("openssl: ", f[8], (size_t)(str + len - f[8]));
    } else {
        diag_note("openssl: ", str, len);
    }
    pthread_mutex_unlock(&diag.lock);
    return 1;
}

static void on_trace(enum MQTTASYNC_TRACE_LEVELS level, char *message)
{
    (void)level;
    const char *p;
    pthread_mutex_lock(&diag.lock);
    if ((p = strstr(message, "X509_check_host for hostname "))) {
        /* Paho then tries the name as an IP address, silently at this trace
         * level: only a CONNECT that follows tells that one matched. */
        p += strlen("X509_check_host for hostname ");
        const char *end = strstr(p, " failed");
        snprintf(diag.host, sizeof diag.host,
                 "the broker's certificate is not valid for host name %.*s",
                 (int)(end ? end - p : 0), p);
    } else if ((p = strstr(message, "SSL alert write:fatal:"))) {
        p += strlen("SSL alert write:fatal:");
        diag_note("tls alert sent: ", p, strlen(p));
    } else if ((p = strstr(message, "SSL alert read:fatal:"))) {
        p += strlen("SSL alert read:fatal:");
        /* OpenSSL 3.0 has no name for TLS 1.3's certificate_required */
        if (strcmp(p, "unknown") != 0)
            diag_note("tls alert from the broker: ", p, strlen(p));
    } else if (strstr(message, "SSL negotiation finished successfully")) {
        diag.handshake_done = true;
    } else if (strstr(message, "-> CONNECT")) {
        diag.host[0] = '\0';
    }
    pthread_mutex_unlock(&diag.lock);
}

static bool tls_url(const char *url)
{
    return strncmp(url, "ssl://", 6) == 0 || strncmp(url, "mqtts://", 8) == 0 ||
           strncmp(url, "wss://", 6) == 0;
}

/* Writes ` tls_error="..."` for the failed attempt to out, or "" if nothing is known. */
static void tls_reason(char *out, size_t size)
{
    out[0] = '\0';
    pthread_mutex_lock(&diag.lock);
    if (diag.host[0])
        snprintf(out, size, " tls_error=\"%s%s%s\"", diag.host, diag.why[0] ? "; " : "", diag.why);
    else if (diag.handshake_done)
        /* TLS 1.3 completes the client's side of the handshake before the
         * broker has checked our certificate: its refusal is an alert or a
         * closed connection right after the handshake. */
        snprintf(out, size,
                 " tls_error=\"the broker closed the connection after the tls handshake%s%s%s; "
                 "it may require a client certificate it trusts (mqtt.tls.cert_file)\"",
                 diag.why[0] ? " (" : "", diag.why, diag.why[0] ? ")" : "");
    else if (diag.why[0])
        snprintf(out, size, " tls_error=\"%s\"", diag.why);
    pthread_mutex_unlock(&diag.lock);
}

static const char *connack_reason(int code)
{
    switch (code) {
    case 1:
        return "unacceptable protocol version";
    case 2:
        return "client identifier rejected";
    case 3:
        return "server unavailable";
    case 4:
        return "bad user name or password";
    case 5:
        return "not authorized";
    default:
        return NULL;
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_arrived(void *context, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct ingest *in = context;
    size_t tlen = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    size_t plen = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
    int rc = in->on_message(in->ctx, topic, tlen, m->payload, plen, ingest_now_ms());
    if (rc) {
        /* Paho keeps the message and calls again; the daemon has logged why. */
        return 0;
    }
    metrics_add(C_MESSAGES_RECEIVED, 1);
    metrics_add(C_BYTES_RECEIVED, plen);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void schedule_retry(struct ingest *in)
{
    int64_t delay = (int64_t)in->backoff_s * 1000;
    /* Up to a quarter of jitter, so that a fleet of collectors does not
     * reconnect in lockstep after a broker restart. */
    delay += (int64_t)(rand() % (int)(delay / 4 + 1));
    in->next_attempt_ms = mono_ms() + delay;
    in->backoff_s = in->backoff_s * 2 > in->cfg->mqtt.reconnect_max_s
                        ? in->cfg->mqtt.reconnect_max_s
                        : in->backoff_s * 2;
}

static void on_lost(void *context, char *cause)
{
    struct ingest *in = context;
    metrics_add(C_MQTT_CONNECTION_LOST, 1);
    metrics_set(G_MQTT_CONNECTED, 0);
    log_warn("ingest", "connection lost url=%s cause=\"%s\"", in->cfg->mqtt.url,
             cause ? cause : "unknown");
    int expected = ST_CONNECTED;
    if (atomic_compare_exchange_strong(&in->state, &expected, ST_IDLE)) {
        in->backoff_s = in->cfg->mqtt.reconnect_min_s;
        in->next_attempt_ms = mono_ms() + (int64_t)in->backoff_s * 1000;
    }
}

static void on_subscribed(void *context, MQTTAsync_successData *resp)
{
    struct ingest *in = context;
    const struct config *c = in->cfg;
    for (size_t i = 0; i < c->mqtt.ntopics; i++) {
        int granted = c->mqtt.ntopics == 1 ? resp->alt.qos : resp->alt.qosList[i];
        if (granted == 0x80)
            log_error("ingest", "subscription refused by the broker topic=%s", c->mqtt.topics[i]);
        else if (granted < c->mqtt.qos)
            log_warn("ingest", "broker granted a lower qos topic=%s requested=%d granted=%d",
                     c->mqtt.topics[i], c->mqtt.qos, granted);
    }
    log_info("ingest", "subscribed topics=%zu qos=%d", c->mqtt.ntopics, c->mqtt.qos);
}

static void on_subscribe_failed(void *context, MQTTAsync_failureData *resp)
{
    struct ingest *in = context;
    log_error("ingest", "subscribe failed code=%d error=\"%s\"", resp ? resp->code : 0,
              resp && resp->message ? resp->message : "");
    /* Without subscriptions the session is useless: drop it and retry. */
    MQTTAsync_disconnect(in->client, NULL);
    on_lost(in, "subscribe failed");
}

static void subscribe_all(struct ingest *in)
{
    const struct config *c = in->cfg;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess = on_subscribed;
    ro.onFailure = on_subscribe_failed;
    ro.context = in;
    int rc = MQTTAsync_subscribeMany(in->client, (int)c->mqtt.ntopics,
                                     (char *const *)c->mqtt.topics, in->qos, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        log_error("ingest", "subscribe request failed rc=%d", rc);
}

static void on_connected(void *context, MQTTAsync_successData *resp)
{
    struct ingest *in = context;
    int session = resp ? resp->alt.connect.sessionPresent : 0;
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
    int expected = ST_CONNECTING;
    if (!atomic_compare_exchange_strong(&in->state, &expected, ST_CONNECTED)) {
        /* Paused or stopped while connecting: let go again, the session stays. */
        MQTTAsync_disconnect(in->client, NULL);
        return;
    }
    in->backoff_s = in->cfg->mqtt.reconnect_min_s;
    metrics_add(C_MQTT_CONNECTS, 1);
    metrics_set(G_MQTT_CONNECTED, 1);
    log_info("ingest", "%s url=%s client_id=%s session_present=%d",
             atomic_exchange(&in->was_connected, true) ? "reconnected" : "connected",
             in->cfg->mqtt.url, in->cfg->mqtt.client_id, session);
    /* With a session the broker kept our subscriptions and queued messages;
     * without one (first start, or the broker lost it) subscribe again. */
    if (!session)
        subscribe_all(in);
}

static void on_connect_failed(void *context, MQTTAsync_failureData *resp)
{
    struct ingest *in = context;
    int expected = ST_CONNECTING;
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
    if (!atomic_compare_exchange_strong(&in->state, &expected, ST_IDLE))
        return;
    const struct config *c = in->cfg;
    int code = resp ? resp->code : 0;
    const char *refused = code > 0 ? connack_reason(code) : NULL;
    if (refused) {
        /* The broker answered and said no: almost always configuration. */
        log_error("ingest",
                  "connect refused by the broker url=%s code=%d reason=\"%s\" username=%s "
                  "retry_in_s=%d%s",
                  c->mqtt.url, code, refused, c->mqtt.username ? c->mqtt.username : "(none)",
                  in->backoff_s,
                  code == 4 || code == 5 ? " fix=\"check mqtt.username, the password and the "
                                           "broker's acl\""
                                         : "");
        schedule_retry(in);
        return;
    }
    char why[DIAG_MAX * 2 + 160] = "";
    if (tls_url(c->mqtt.url))
        tls_reason(why, sizeof why);
    log_warn("ingest", "connect failed url=%s code=%d error=\"%s\"%s retry_in_s=%d", c->mqtt.url,
             code, resp && resp->message ? resp->message : "no answer", why, in->backoff_s);
    schedule_retry(in);
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    return -errno;
}

struct ingest *ingest_new(const struct config *cfg, ingest_message_fn on_message, void *ctx)
{
    struct ingest *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->cfg = cfg;
    in->on_message = on_message;
    in->ctx = ctx;
    in->backoff_s = cfg->mqtt.reconnect_min_s;
    atomic_init(&in->state, ST_IDLE);
    for (size_t i = 0; i < cfg->mqtt.ntopics; i++)
        in->qos[i] = cfg->mqtt.qos;

    int n = snprintf(in->persist_dir, sizeof in->persist_dir, "%s/mqtt", cfg->data_dir);
    if (n < 0 || (size_t)n >= sizeof in->persist_dir || make_dir(in->persist_dir) != 0) {
        log_error("ingest", "cannot create session directory path=%s/mqtt error=\"%s\"",
                  cfg->data_dir, strerror(errno));
        goto err_free;
    }

    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    co.MQTTVersion = MQTTVERSION_3_1_1;
    int rc = MQTTAsync_createWithOptions(&in->client, cfg->mqtt.url, cfg->mqtt.client_id,
                                         MQTTCLIENT_PERSISTENCE_DEFAULT, in->persist_dir, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        log_error("ingest", "cannot create mqtt client url=%s rc=%d", cfg->mqtt.url, rc);
        goto err_free;
    }
    /* Off (errors only) until a connection attempt: see diag. */
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
    MQTTAsync_setTraceCallback(on_trace);
    rc = MQTTAsync_setCallbacks(in->client, in, on_lost, on_arrived, NULL);
    if (rc != MQTTASYNC_SUCCESS) {
        log_error("ingest", "cannot set mqtt callbacks rc=%d", rc);
        goto err_destroy;
    }
    return in;

err_destroy:
    MQTTAsync_destroy(&in->client);
err_free:
    free(in);
    return NULL;
}

static void start_connect(struct ingest *in)
{
    const struct config *c = in->cfg;
    MQTTAsync_connectOptions opts = MQTTAsync_connectOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    opts.keepAliveInterval = c->mqtt.keepalive_s;
    opts.cleansession = 0;
    opts.automaticReconnect = 0; /* ours: we need sessionPresent on every connect */
    opts.connectTimeout = 10;
    opts.MQTTVersion = MQTTVERSION_3_1_1;
    opts.onSuccess = on_connected;
    opts.onFailure = on_connect_failed;
    opts.context = in;
    if (c->mqtt.username && c->mqtt.username[0])
        opts.username = c->mqtt.username;
    if (c->mqtt.password)
        opts.password = c->mqtt.password;
    if (tls_url(c->mqtt.url)) {
        ssl.trustStore = c->mqtt.tls_ca_file;
        ssl.keyStore = c->mqtt.tls_cert_file;
        ssl.privateKey = c->mqtt.tls_key_file;
        ssl.enableServerCertAuth = c->mqtt.tls_verify;
        ssl.verify = c->mqtt.tls_verify; /* without it the host name is not checked */
        ssl.ssl_error_cb = on_ssl_error;
        opts.ssl = &ssl;
    }
    diag_reset();
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_PROTOCOL);
    atomic_store(&in->state, ST_CONNECTING);
    int rc = MQTTAsync_connect(in->client, &opts);
    if (rc != MQTTASYNC_SUCCESS) {
        MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
        atomic_store(&in->state, ST_IDLE);
        log_warn("ingest", "connect request failed url=%s rc=%d retry_in_s=%d", c->mqtt.url, rc,
                 in->backoff_s);
        schedule_retry(in);
    }
}

static void disconnect_now(struct ingest *in)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer;
    d.timeout = 2000;
    MQTTAsync_disconnect(in->client, &d);
}

void ingest_tick(struct ingest *in)
{
    if (atomic_load(&in->state) != ST_IDLE)
        return;
    if (mono_ms() < in->next_attempt_ms)
        return;
    start_connect(in);
}

void ingest_stop(struct ingest *in)
{
    if (!in)
        return;
    int prev = atomic_exchange(&in->state, ST_STOPPED);
    if (prev == ST_STOPPED)
        return;
    if (MQTTAsync_isConnected(in->client)) {
        disconnect_now(in);
        /* Paho disconnects on its own thread: wait until it has let go, so that
         * no message arrives after ingest_stop returns. */
        for (int i = 0; i < 40 && MQTTAsync_isConnected(in->client); i++) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    metrics_set(G_MQTT_CONNECTED, 0);
}

void ingest_pause(struct ingest *in)
{
    int prev = atomic_load(&in->state);
    do {
        if (prev == ST_PAUSED || prev == ST_STOPPED)
            return;
    } while (!atomic_compare_exchange_weak(&in->state, &prev, ST_PAUSED));
    metrics_set(G_MQTT_CONNECTED, 0);
    /* A connect in progress is let go in on_connected, which sees ST_PAUSED. */
    if (MQTTAsync_isConnected(in->client))
        disconnect_now(in);
}

void ingest_resume(struct ingest *in)
{
    int expected = ST_PAUSED;
    if (!atomic_compare_exchange_strong(&in->state, &expected, ST_IDLE))
        return;
    in->backoff_s = in->cfg->mqtt.reconnect_min_s;
    in->next_attempt_ms = 0;
}

bool ingest_paused(const struct ingest *in)
{
    return atomic_load(&((struct ingest *)in)->state) == ST_PAUSED;
}

void ingest_free(struct ingest *in)
{
    if (!in)
        return;
    ingest_stop(in);
    MQTTAsync_destroy(&in->client);
    free(in);
}

bool ingest_connected(const struct ingest *in)
{
    return atomic_load(&((struct ingest *)in)->state) == ST_CONNECTED;
}

int ingest_publish(struct ingest *in, const char *topic, const void *payload, size_t len, int qos,
                   int retained)
{
    if (!in || !topic || !topic[0] || qos < 0 || qos > 2 || len > INT32_MAX)
        return -EINVAL;
    if (atomic_load(&in->state) != ST_CONNECTED)
        return -ENOTCONN;
    MQTTAsync_message m = MQTTAsync_message_initializer;
    m.payload = (void *)payload;
    m.payloadlen = (int)len;
    m.qos = qos;
    m.retained = retained ? 1 : 0;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc = MQTTAsync_sendMessage(in->client, topic, &m, &ro);
    if (rc == MQTTASYNC_SUCCESS)
        return 0;
    if (rc == MQTTASYNC_DISCONNECTED)
        return -ENOTCONN;
    log_warn("ingest", "publish refused topic=%s rc=%d", topic, rc);
    return -EIO;
}
