/*
 * What the category profiles look like to people: the Markdown tables of
 * docs/devices.md, rendered from the loaded profiles so that the document
 * cannot drift from the files in devices/profiles/ (tests/unit/test_profile.c
 * compares them).
 */
#include "profile.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "numparse.h"

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

/* Shortest text that reads back as v: 0.14, not 0.14000000000000001; whole numbers in full. */
static void number(FILE *out, double v)
{
    char text[40];
    if (v == floor(v) && fabs(v) < 1e15) { /* 1000000, not 1e+06 */
        fprintf(out, "%.0f", v);
        return;
    }
    for (int prec = 6; prec <= 17; prec++) {
        double back;
        snprintf(text, sizeof text, "%.*g", prec, v);
        if (num_parse_double(text, strlen(text), &back) == 0 && back == v)
            break;
    }
    fputs(text, out);
}

static void bound(FILE *out, double v)
{
    if (isinf(v))
        fputs("–", out);
    else
        number(out, v);
}

static void alarm(FILE *out, const struct profile_alarm *a)
{
    const char *sep = "";
    if (!isnan(a->below)) {
        fputs("< ", out);
        number(out, a->below);
        sep = " or ";
    }
    if (!isnan(a->above)) {
        fprintf(out, "%s> ", sep);
        number(out, a->above);
        sep = " or ";
    }
    if (a->equals_bool >= 0) {
        fprintf(out, "%s= %s", sep, a->equals_bool ? "true" : "false");
        sep = " or ";
    }
    if (a->equals_str) {
        fprintf(out, "%s= `", sep);
        cell(out, a->equals_str);
        fputc('`', out);
        sep = " or ";
    }
    if (a->not_equals_str) {
        fprintf(out, "%s≠ `", sep);
        cell(out, a->not_equals_str);
        fputc('`', out);
    }
}

/* The aliases that map to f, in the order the file lists them. */
static void aliases(FILE *out, const struct profile *p, const struct profile_field *f)
{
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(p->doc, "aliases"), *a;
    const char *sep = "";
    cJSON_ArrayForEach(a, all)
    {
        if (!cJSON_IsString(a) || strcmp(a->valuestring, f->name) != 0)
            continue;
        fprintf(out, "%s`", sep);
        cell(out, a->string);
        fputc('`', out);
        sep = ", ";
    }
}

static void interval(FILE *out, int32_t s)
{
    fprintf(out, "%d s", (int)s);
    if (s >= 3600 && s % 3600 == 0)
        fprintf(out, " (%d h)", (int)(s / 3600));
    else if (s >= 60 && s % 60 == 0)
        fprintf(out, " (%d min)", (int)(s / 60));
}

static void title(FILE *out, const struct profile *p)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(p->doc, "title");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(t, "en");
    const cJSON *zh = cJSON_GetObjectItemCaseSensitive(t, "zh");
    fprintf(out, "### %s", p->category);
    if (cJSON_IsString(en))
        fprintf(out, ": %s", en->valuestring);
    if (cJSON_IsString(zh))
        fprintf(out, " (%s)", zh->valuestring);
    fputs("\n\n", out);
}

void profile_write_reference(const struct profile *p, FILE *out)
{
    title(out, p);
    fputs("Default report interval: ", out);
    interval(out, p->report_interval_s);
    if (strcmp(p->source, "built-in") == 0)
        fprintf(out, ". File: `devices/profiles/%s.json`.\n\n", p->category);
    else
        fprintf(out, ". File: `%s`.\n\n", p->source);
    fputs("| field | type | unit | min | max | alarm | aliases |\n"
          "|---|---|---|---|---|---|---|\n",
          out);
    for (size_t i = 0; i < p->nfields; i++) {
        const struct profile_field *f = &p->fields[i];
        fputs("| `", out);
        cell(out, f->name);
        fprintf(out, "` | %s | ", profile_type_name(f->type));
        cell(out, f->unit);
        fputs(" | ", out);
        if (f->type == PROFILE_FLOAT) {
            bound(out, f->min);
            fputs(" | ", out);
            bound(out, f->max);
        } else {
            fputs(" | ", out);
        }
        fputs(" | ", out);
        alarm(out, &f->alarm);
        fputs(" | ", out);
        aliases(out, p, f);
        fputs(" |\n", out);
    }
}

void profile_set_write_reference(const struct profile_set *s, FILE *out)
{
    for (size_t i = 0; i < profile_set_count(s); i++) {
        if (i)
            fputc('\n', out);
        profile_write_reference(profile_set_at(s, i), out);
    }
}
