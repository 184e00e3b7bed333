/*
 * The summary `lifeline sim` writes at the end:
 *
 * {"seed":1,"format":"json","engine":"paho","qos":1,"connections":1,"inflight":20,
 *  "elapsed_s":1.2,"interrupted":false,
 *  "totals":{"devices":30,"sent":600,"acked":600,"failed":0,"clean":560,
 *            "malformed":6,"silent_devices":2,"rate_per_s":500.0},
 *  "faults":{"silent":2,"range":5,"malformed":6,...},
 *  "by_category":{"water_supply":{"devices":5,"sent":100,"acked":100,"clean":95,
 *                 "faults":{...}},...},
 *  "by_device":{"GGTWS0001":{"category":"water_supply","district":"顾官屯镇",
 *               "name":"...","format":"json","sent":20,"acked":20,"failed":0,
 *               "clean":19,"faults":{"range":1},"first_ts":...,"last_ts":...},...}}
 *
 * "sent" counts messages handed to the broker connection, malformed ones
 * included; "acked" those the broker acknowledged (QoS 1) or that were
 * written to the socket (QoS 0). "clean" readings carry no fault. Fault
 * counts are readings, except "silent": devices that went silent. A reading
 * may carry more than one fault (never with "malformed").
 */
#include <string.h>

#include "jsonout.h"
#include "sim_impl.h"

static int faults_obj(struct buf *b, const uint64_t *n, bool all)
{
    int rc = buf_putc(b, '{');
    bool first = true;
    for (int k = 0; k < SIM_FAULT_COUNT && !rc; k++) {
        if (!all && n[k] == 0)
            continue;
        rc = buf_printf(b, "%s\"%s\":%llu", first ? "" : ",", sim_fault_name((enum sim_fault)k),
                        (unsigned long long)n[k]);
        first = false;
    }
    return rc ? rc : buf_putc(b, '}');
}

struct tally {
    uint64_t devices, sent, acked, failed, clean;
    uint64_t faults[SIM_FAULT_COUNT];
};

static void add(struct tally *t, const struct sim_count *c)
{
    t->devices++;
    t->sent += c->sent;
    t->acked += atomic_load(&((struct sim_count *)c)->acked);
    t->failed += atomic_load(&((struct sim_count *)c)->failed);
    t->clean += c->clean;
    for (int k = 0; k < SIM_FAULT_COUNT; k++)
        t->faults[k] += c->faults[k];
}

static int device(struct buf *b, const struct sim_device *d, const struct sim_count *c)
{
    int rc = json_append_string(b, d->id, strlen(d->id));
    rc = rc ? rc : buf_printf(b, ":{\"category\":\"%s\",", sim_category_name(d->cat));
    rc = rc ? rc : json_append_kv(b, "district", d->district);
    rc = rc ? rc : buf_putc(b, ',');
    rc = rc ? rc : json_append_kv(b, "name", d->name);
    rc = rc ? rc
            : buf_printf(b,
                         ",\"format\":\"%s\",\"sent\":%llu,\"acked\":%llu,\"failed\":%llu,"
                         "\"clean\":%llu,\"faults\":",
                         sim_format_name(d->fmt), (unsigned long long)c->sent,
                         (unsigned long long)atomic_load(&((struct sim_count *)c)->acked),
                         (unsigned long long)atomic_load(&((struct sim_count *)c)->failed),
                         (unsigned long long)c->clean);
    rc = rc ? rc : faults_obj(b, c->faults, false);
    rc = rc ? rc
            : buf_printf(b, ",\"first_ts\":%lld,\"last_ts\":%lld}", (long long)c->first_ts,
                         (long long)c->last_ts);
    return rc;
}

int sim_summary_write(const struct sim_opts *o, const struct sim_fleet *f, double elapsed_s,
                      bool interrupted, struct buf *out)
{
    struct tally total, cat[SIM_CATEGORY_COUNT];
    memset(&total, 0, sizeof total);
    memset(cat, 0, sizeof cat);
    for (size_t i = 0; i < f->n; i++) {
        add(&total, &f->count[i]);
        add(&cat[f->dev[i].cat], &f->count[i]);
    }
    const char *fmt =
        o->format == SIM_FORMAT_MIXED ? "mixed" : sim_format_name((enum sim_format)o->format);
    int rc = buf_printf(
        out,
        "{\"seed\":%llu,\"format\":\"%s\",\"engine\":\"%s\",\"qos\":%d,\"connections\":%u,"
        "\"inflight\":%u,\"elapsed_s\":%.3f,\"interrupted\":%s,\"totals\":{"
        "\"devices\":%llu,\"sent\":%llu,\"acked\":%llu,\"failed\":%llu,"
        "\"clean\":%llu,\"malformed\":%llu,\"silent_devices\":%llu,"
        "\"rate_per_s\":%.1f},\"faults\":",
        (unsigned long long)o->seed, fmt, o->raw ? "raw" : "paho", o->qos, o->connections,
        o->inflight, elapsed_s, interrupted ? "true" : "false", (unsigned long long)total.devices,
        (unsigned long long)total.sent, (unsigned long long)total.acked,
        (unsigned long long)total.failed, (unsigned long long)total.clean,
        (unsigned long long)total.faults[SIM_FAULT_MALFORMED],
        (unsigned long long)total.faults[SIM_FAULT_SILENT],
        elapsed_s > 0 ? (double)total.sent / elapsed_s : 0.0);
    rc = rc ? rc : faults_obj(out, total.faults, true);
    rc = rc ? rc : buf_puts(out, ",\"by_category\":{");
    bool first = true;
    for (int c = 0; c < SIM_CATEGORY_COUNT && !rc; c++) {
        if (!cat[c].devices)
            continue;
        rc = buf_printf(out,
                        "%s\"%s\":{\"devices\":%llu,\"sent\":%llu,\"acked\":%llu,"
                        "\"failed\":%llu,\"clean\":%llu,\"faults\":",
                        first ? "" : ",", sim_category_name((enum sim_category)c),
                        (unsigned long long)cat[c].devices, (unsigned long long)cat[c].sent,
                        (unsigned long long)cat[c].acked, (unsigned long long)cat[c].failed,
                        (unsigned long long)cat[c].clean);
        rc = rc ? rc : faults_obj(out, cat[c].faults, false);
        rc = rc ? rc : buf_putc(out, '}');
        first = false;
    }
    rc = rc ? rc : buf_puts(out, "},\"by_device\":{");
    for (size_t i = 0; i < f->n && !rc; i++) {
        if (i)
            rc = buf_putc(out, ',');
        rc = rc ? rc : device(out, &f->dev[i], &f->count[i]);
    }
    return rc ? rc : buf_puts(out, "}}\n");
}
