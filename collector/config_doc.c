/*
 * What the configuration looks like to people: the Markdown reference
 * rendered from the table (so docs/configuration.md cannot drift from the
 * code) and the one-line summary `lifeline check` prints.
 */
#include "config.h"
#include "config_table.h"

#include <inttypes.h>
#include <string.h>

static const char *const type_names[] = {
    [CT_STRING] = "string", [CT_PATH] = "path", [CT_INT] = "integer",          [CT_INT64] = "bytes",
    [CT_BOOL] = "bool",     [CT_ENUM] = "enum", [CT_STRLIST] = "string array",
};

/* Markdown table cells must not contain '|' or line breaks. */
static void cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s == '\n' ? ' ' : *s, out);
    }
}

static void human_bytes(FILE *out, int64_t v)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    int u = -1;
    while (v >= 1024 && v % 1024 == 0 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u >= 0)
        fprintf(out, " (%" PRId64 " %s)", v, units[u]);
}

static void write_default(FILE *out, const struct config_entry *e)
{
    switch (e->type) {
    case CT_STRING:
    case CT_PATH:
    case CT_ENUM:
        if (!e->def_str) {
            fputs("unset", out);
        } else {
            fputs(*e->def_str ? "`" : "`\"\"", out);
            cell(out, e->def_str);
            fputc('`', out);
        }
        break;
    case CT_STRLIST:
        if (!e->def_str) {
            fputs("`[]`", out);
            break;
        }
        fputs("`[\"", out);
        cell(out, e->def_str);
        for (size_t i = 1; e->values && e->values[i]; i++) {
            fputs("\", \"", out);
            cell(out, e->values[i]);
        }
        fputs("\"]`", out);
        break;
    case CT_INT:
        fprintf(out, "%" PRId64, e->def_num);
        break;
    case CT_INT64:
        fprintf(out, "%" PRId64, e->def_num);
        human_bytes(out, e->def_num);
        break;
    case CT_BOOL:
        fputs(e->def_num ? "`true`" : "`false`", out);
        break;
    }
}

static void write_range(FILE *out, const struct config_entry *e)
{
    switch (e->type) {
    case CT_INT:
    case CT_INT64:
        fprintf(out, "%" PRId64 "..%" PRId64, e->min, e->max);
        break;
    case CT_ENUM:
        for (size_t i = 0; e->values[i]; i++)
            fprintf(out, "%s`%s`", i ? ", " : "", e->values[i]);
        break;
    case CT_STRLIST:
        fprintf(out, "%" PRId64 "..%" PRId64 " %s", e->min, e->max,
                e->range_note                      ? "strings"
                : strncmp(e->key, "mqtt.", 5) == 0 ? "topic filters"
                                                   : "entries");
        break;
    case CT_PATH:
        fputs(e->flags & CF_READABLE ? "absolute path of a readable file" : "absolute path", out);
        break;
    case CT_STRING:
        if (!e->range_note)
            fputs(e->flags & CF_NONEMPTY ? "non-empty" : "-", out);
        break;
    case CT_BOOL:
        fputs("`true`, `false`", out);
        break;
    }
    if (e->range_note) {
        if (e->type != CT_STRING)
            fputs("; ", out);
        cell(out, e->range_note);
    }
}

static size_t section_len(const char *key)
{
    const char *dot = strrchr(key, '.');
    return dot ? (size_t)(dot - key) : 0;
}

void config_write_reference(FILE *out)
{
    for (size_t i = 0; i < config_table_len; i++) {
        const char *key = config_table[i].key;
        size_t n = section_len(key);
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = !(section_len(config_table[j].key) == n &&
                      strncmp(config_table[j].key, key, n) == 0);
        if (!first)
            continue;
        if (n)
            fprintf(out, "%s## `%.*s`\n\n", i ? "\n" : "", (int)n, key);
        else
            fprintf(out, "%s## Top level\n\n", i ? "\n" : "");
        fputs("| key | type | default | range/values | description |\n", out);
        fputs("|---|---|---|---|---|\n", out);
        for (size_t j = i; j < config_table_len; j++) {
            const struct config_entry *e = &config_table[j];
            if (section_len(e->key) != n || strncmp(e->key, key, n) != 0)
                continue;
            fprintf(out, "| `%s` | %s | ", e->key, type_names[e->type]);
            write_default(out, e);
            fputs(" | ", out);
            write_range(out, e);
            fputs(" | ", out);
            cell(out, e->help);
            fputs(" |\n", out);
        }
    }
}

int config_summary(const struct config *c, struct buf *out)
{
    int rc = buf_printf(out, "ok: %s: mqtt %s (%zu topic%s, qos %d) -> influx ", c->path,
                        c->mqtt.url, c->mqtt.ntopics, c->mqtt.ntopics == 1 ? "" : "s", c->mqtt.qos);
    if (rc == 0 && c->influx.api == INFLUX_API_V1) {
        size_t n = strlen(c->influx.url);
        rc = buf_printf(out, "v1 %.*s/%s", (int)(n && c->influx.url[n - 1] == '/' ? n - 1 : n),
                        c->influx.url, c->influx.database ? c->influx.database : "");
    } else if (rc == 0) {
        rc = buf_printf(out, "v2 %s bucket %s", c->influx.url,
                        c->influx.bucket ? c->influx.bucket : "");
    }
    if (rc == 0)
        rc = buf_printf(out, ", http %s, data_dir %s", *c->http.listen ? c->http.listen : "off",
                        c->data_dir);
    return rc;
}
