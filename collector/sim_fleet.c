/*
 * The simulated fleet: generated devices, or the upgraded assets of a
 * registry CSV. The CSV reader here is a stopgap that reads only the columns
 * the simulator needs; it goes when collector/registry.c is merged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numparse.h"
#include "sim_impl.h"
#include "sim_payload.h"

static const char *const districts[] = {"顾官屯镇", "许营镇", "九州街道"};
static const char *const district_codes[] = {"GGT", "XY", "JZ"};
static const char *const category_codes[SIM_CATEGORY_COUNT] = {"WS", "DR", "SW", "MH", "BT", "SV"};
static const char *const products[SIM_CATEGORY_COUNT] = {
    "a1WaterSupl", "a1Drainage0", "a1SewageHJ2", "a1ManholeCv", "a1BridgeTnl", "a1Surveilnc"};
static const char *const places[] = {"东风路", "人民路", "迎宾大道", "花溪路",
                                     "湖滨路", "新华街", "工业园",   "中心广场"};

static void finish_device(const struct sim_opts *o, struct sim_device *d, size_t i,
                          int64_t interval_ms)
{
    enum sim_category cat = d->cat;
    sim_device_init(d, cat, o->seed, i, interval_ms, &o->faults);
    d->fmt = o->format == SIM_FORMAT_MIXED ? sim_format_for(cat) : (enum sim_format)o->format;
    snprintf(d->product, sizeof d->product, "%s", products[cat]);
    d->conn = (unsigned)(i % o->connections);
}

static int generate(const struct sim_opts *o, struct sim_fleet *f)
{
    unsigned seq[3][SIM_CATEGORY_COUNT] = {{0}};
    for (size_t i = 0; i < f->n; i++) {
        struct sim_device *d = &f->dev[i];
        enum sim_category cat = (enum sim_category)(i % SIM_CATEGORY_COUNT);
        size_t dist = (i / SIM_CATEGORY_COUNT) % 3;
        unsigned k = ++seq[dist][cat];
        d->cat = cat;
        snprintf(d->id, sizeof d->id, "%s%s%04u", district_codes[dist], category_codes[cat], k);
        snprintf(d->district, sizeof d->district, "%s", districts[dist]);
        snprintf(d->name, sizeof d->name, "%s%s%s%u号", districts[dist],
                 places[(k - 1) % (sizeof places / sizeof places[0])], sim_category_label(cat), k);
        finish_device(o, d, i, 0);
    }
    return 0;
}

/* One CSV record: fields into `cell` (pointers into `line`, unquoted in
 * place). Returns the number of fields, or -1 at the end. *pos advances. */
static int csv_record(char *text, size_t len, size_t *pos, char **cell, int max)
{
    size_t i = *pos;
    if (i >= len)
        return -1;
    int n = 0;
    for (;;) {
        char *start = text + i, *w = start;
        if (i < len && text[i] == '"') {
            i++;
            while (i < len) {
                if (text[i] == '"' && i + 1 < len && text[i + 1] == '"') {
                    *w++ = '"';
                    i += 2;
                } else if (text[i] == '"') {
                    i++;
                    break;
                } else {
                    *w++ = text[i++];
                }
            }
        }
        while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
            *w++ = text[i++];
        char sep = i < len ? text[i] : '\n';
        *w = '\0';
        if (n < max)
            cell[n++] = start;
        i++;
        if (sep == '\r' && i < len && text[i] == '\n')
            i++;
        if (sep != ',')
            break;
    }
    *pos = i;
    return n;
}

static int col(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(hdr[i], name) == 0)
            return i;
    return -1;
}

static int from_registry(const struct sim_opts *o, struct sim_fleet *f)
{
    FILE *fp = fopen(o->registry, "rb");
    if (!fp) {
        fprintf(stderr, "lifeline sim: cannot open registry %s: %s\n", o->registry,
                strerror(errno));
        return -errno;
    }
    struct buf text;
    buf_init(&text, (size_t)1 << 30);
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0 && !rc)
        rc = buf_append(&text, chunk, got);
    fclose(fp);
    if (rc || !text.data)
        goto out;
    size_t pos = text.len >= 3 && memcmp(text.data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    char *hdr[32], *cell[32];
    int nh = csv_record(text.data, text.len, &pos, hdr, 32);
    int c_id = col(hdr, nh, "device_id"), c_cat = col(hdr, nh, "category"),
        c_dist = col(hdr, nh, "district"), c_name = col(hdr, nh, "name"),
        c_status = col(hdr, nh, "status"), c_int = col(hdr, nh, "report_interval_s");
    if (c_id < 0 || c_cat < 0 || c_dist < 0 || c_status < 0) {
        fprintf(stderr, "lifeline sim: %s: header needs device_id, category, district and status\n",
                o->registry);
        rc = -EINVAL;
        goto out;
    }
    int n;
    while ((n = csv_record(text.data, text.len, &pos, cell, 32)) >= 0) {
        if (n <= c_id || n <= c_cat || n <= c_dist || n <= c_status || !cell[c_id][0] ||
            strcmp(cell[c_status], "upgraded") != 0)
            continue;
        int cat = sim_category_parse(cell[c_cat]);
        if (cat < 0)
            continue;
        struct sim_device *nd = realloc(f->dev, (f->n + 1) * sizeof *nd);
        if (!nd) {
            rc = -ENOMEM;
            goto out;
        }
        f->dev = nd;
        struct sim_device *d = &f->dev[f->n];
        memset(d, 0, sizeof *d);
        d->cat = (enum sim_category)cat;
        snprintf(d->id, sizeof d->id, "%s", cell[c_id]);
        snprintf(d->district, sizeof d->district, "%s", cell[c_dist]);
        snprintf(d->name, sizeof d->name, "%s", c_name >= 0 && n > c_name ? cell[c_name] : "");
        int64_t interval_s = 0;
        if (c_int >= 0 && n > c_int && cell[c_int][0])
            num_parse_i64(cell[c_int], strlen(cell[c_int]), 0, 365 * 86400, &interval_s);
        finish_device(o, d, f->n, interval_s * 1000);
        f->n++;
    }
    if (f->n == 0) {
        fprintf(stderr, "lifeline sim: %s: no upgraded asset with a device_id\n", o->registry);
        rc = -ENOENT;
    }
out:
    buf_free(&text);
    return rc;
}

int sim_fleet_build(const struct sim_opts *o, struct sim_fleet *f)
{
    memset(f, 0, sizeof *f);
    int rc;
    if (o->registry) {
        rc = from_registry(o, f);
    } else {
        f->n = o->devices;
        f->dev = calloc(f->n, sizeof *f->dev);
        rc = f->dev ? generate(o, f) : -ENOMEM;
    }
    if (!rc) {
        f->count = calloc(f->n, sizeof *f->count);
        f->topic = calloc(f->n, sizeof *f->topic);
        if (!f->count || !f->topic)
            rc = -ENOMEM;
    }
    for (size_t i = 0; i < f->n && !rc; i++) {
        struct buf t;
        buf_init(&t, 4096);
        rc = sim_topic(&f->dev[i], &t);
        f->topic[i] = t.data; /* NUL-terminated; ours now */
        if (!rc && !t.data)
            rc = -ENOMEM;
    }
    if (rc)
        sim_fleet_free(f);
    return rc;
}

void sim_fleet_free(struct sim_fleet *f)
{
    if (!f)
        return;
    for (size_t i = 0; f->topic && i < f->n; i++)
        free(f->topic[i]);
    free(f->topic);
    free(f->dev);
    free(f->count);
    memset(f, 0, sizeof *f);
}
