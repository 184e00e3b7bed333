#include "metrics.h"

#include <inttypes.h>
#include <stdatomic.h>

static const char *const counter_names[C__COUNT][2] = {
    [C_MESSAGES_RECEIVED] = {"lifeline_messages_received_total",
                             "MQTT messages handed to Lifeline"},
    [C_BYTES_RECEIVED] = {"lifeline_received_bytes_total", "Payload bytes of those messages"},
    [C_READINGS_ACCEPTED] = {"lifeline_readings_accepted_total",
                             "Readings decoded and queued for the database"},
    [C_POINTS_WRITTEN] = {"lifeline_points_written_total", "Lines the database confirmed"},
    [C_BATCHES_WRITTEN] = {"lifeline_batches_written_total", "Batches the database confirmed"},
    [C_WRITE_RETRIES] = {"lifeline_write_retries_total", "Batch attempts that are tried again"},
    [C_MQTT_CONNECTS] = {"lifeline_mqtt_connects_total", "Successful connections to the broker"},
    [C_MQTT_CONNECTION_LOST] = {"lifeline_mqtt_connection_lost_total",
                                "Connections to the broker that were lost"},
    [C_QUARANTINE_WRITE_ERRORS] = {"lifeline_quarantine_write_errors_total",
                                   "Quarantine records that could not be written"},
    [C_HJ212_REPLIES] = {"lifeline_hj212_replies_total",
                         "HJ 212 acknowledgements (CN=9014) published to stations that asked"},
    [C_HJ212_REPLY_FAILURES] = {"lifeline_hj212_reply_failures_total",
                                "HJ 212 acknowledgements due but not sent (no QN, not connected)"},
    [C_HJ212_OWN_REPLIES] = {"lifeline_hj212_own_replies_total",
                             "Messages on Lifeline's own HJ 212 reply topics, skipped"},
};

static const char *const gauge_names[G__COUNT][2] = {
    [G_MQTT_CONNECTED] = {"lifeline_mqtt_connected", "1 while connected to the broker"},
    [G_QUEUE_DEPTH] = {"lifeline_queue_depth",
                       "Messages received and not yet stored or quarantined"},
    [G_LAST_WRITE_OK] = {"lifeline_last_write_ok",
                         "1 when the last database write succeeded or none was needed"},
    [G_PENDING_LINES] = {"lifeline_pending_lines", "Lines in batches waiting for the database"},
};

/* Upper bounds of the batch latency histogram, seconds. */
static const double latency_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1,    2.5,   5,    10,  30};
#define NBOUNDS (sizeof latency_bounds / sizeof latency_bounds[0])
#define MAX_STATUS 600

static _Atomic uint64_t counters[C__COUNT];
static _Atomic int64_t gauges[G__COUNT];
static _Atomic uint64_t rejected[REASON__COUNT];
static _Atomic uint64_t statuses[MAX_STATUS];
static _Atomic uint64_t latency_buckets[NBOUNDS + 1];
static _Atomic uint64_t latency_sum_us;

void metrics_add(enum counter c, uint64_t n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

uint64_t metrics_get(enum counter c)
{
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

void metrics_set(enum gauge g, int64_t v)
{
    atomic_store_explicit(&gauges[g], v, memory_order_relaxed);
}

void metrics_gauge_add(enum gauge g, int64_t delta)
{
    atomic_fetch_add_explicit(&gauges[g], delta, memory_order_relaxed);
}

int64_t metrics_gauge(enum gauge g)
{
    return atomic_load_explicit(&gauges[g], memory_order_relaxed);
}

void metrics_rejected(enum reason r)
{
    if ((unsigned)r < REASON__COUNT)
        atomic_fetch_add_explicit(&rejected[r], 1, memory_order_relaxed);
}

uint64_t metrics_rejected_count(enum reason r)
{
    return (unsigned)r < REASON__COUNT ? atomic_load(&rejected[r]) : 0;
}

void metrics_write_status(int status)
{
    if (status < 0 || status >= MAX_STATUS)
        status = 0;
    atomic_fetch_add_explicit(&statuses[status], 1, memory_order_relaxed);
}

uint64_t metrics_write_status_count(int status)
{
    return status >= 0 && status < MAX_STATUS ? atomic_load(&statuses[status]) : 0;
}

void metrics_batch_latency(double seconds)
{
    size_t i = 0;
    while (i < NBOUNDS && seconds > latency_bounds[i])
        i++;
    atomic_fetch_add_explicit(&latency_buckets[i], 1, memory_order_relaxed);
    if (seconds > 0)
        atomic_fetch_add_explicit(&latency_sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void metrics_reset(void)
{
    for (size_t i = 0; i < C__COUNT; i++)
        atomic_store(&counters[i], 0);
    for (size_t i = 0; i < G__COUNT; i++)
        atomic_store(&gauges[i], 0);
    for (size_t i = 0; i < REASON__COUNT; i++)
        atomic_store(&rejected[i], 0);
    for (size_t i = 0; i < MAX_STATUS; i++)
        atomic_store(&statuses[i], 0);
    for (size_t i = 0; i <= NBOUNDS; i++)
        atomic_store(&latency_buckets[i], 0);
    atomic_store(&latency_sum_us, 0);
}

int metrics_render(struct buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < C__COUNT && !rc; i++)
        rc = buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n",
                        counter_names[i][0], counter_names[i][1], counter_names[i][0],
                        counter_names[i][0], metrics_get((enum counter)i));
    for (size_t i = 0; i < G__COUNT && !rc; i++)
        rc = buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %" PRId64 "\n", gauge_names[i][0],
                        gauge_names[i][1], gauge_names[i][0], gauge_names[i][0],
                        metrics_gauge((enum gauge)i));
    if (!rc)
        rc = buf_puts(out, "# HELP lifeline_rejected_total Messages or lines refused, by reason\n"
                           "# TYPE lifeline_rejected_total counter\n");
    for (size_t i = 0; i < REASON__COUNT && !rc; i++)
        rc = buf_printf(out, "lifeline_rejected_total{reason=\"%s\"} %" PRIu64 "\n",
                        reason_name((enum reason)i), metrics_rejected_count((enum reason)i));
    if (!rc)
        rc = buf_puts(out, "# HELP lifeline_write_requests_total Database write requests by HTTP "
                           "status (transport: no HTTP answer)\n"
                           "# TYPE lifeline_write_requests_total counter\n");
    for (int s = 0; s < MAX_STATUS && !rc; s++) {
        uint64_t n = metrics_write_status_count(s);
        if (n == 0 && s != 0 && s != 204)
            continue;
        if (s == 0)
            rc = buf_printf(out,
                            "lifeline_write_requests_total{status=\"transport\"} %" PRIu64 "\n", n);
        else
            rc =
                buf_printf(out, "lifeline_write_requests_total{status=\"%d\"} %" PRIu64 "\n", s, n);
    }
    if (!rc)
        rc = buf_puts(out, "# HELP lifeline_batch_latency_seconds Time from a batch's first write "
                           "attempt to its confirmation\n"
                           "# TYPE lifeline_batch_latency_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t i = 0; i < NBOUNDS && !rc; i++) {
        cum += atomic_load(&latency_buckets[i]);
        rc = buf_printf(out, "lifeline_batch_latency_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                        latency_bounds[i], cum);
    }
    cum += atomic_load(&latency_buckets[NBOUNDS]);
    if (!rc)
        rc = buf_printf(out,
                        "lifeline_batch_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
                        "lifeline_batch_latency_seconds_sum %.6f\n"
                        "lifeline_batch_latency_seconds_count %" PRIu64 "\n",
                        cum, (double)atomic_load(&latency_sum_us) / 1e6, cum);
    return rc;
}

void metrics_render_gauge(struct buf *out, const char *name, const char *help, double v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

void metrics_render_counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, v);
}
