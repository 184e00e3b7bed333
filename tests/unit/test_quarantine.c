#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "buf.h"
#include "jsonout.h"
#include "metrics.h"
#include "quarantine.h"
#include "utf8.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/lifeline-q-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/quarantine.jsonl", dir);
    metrics_reset();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(dir);
    return 0;
}

/* Reads line n (0-based) of the quarantine file as JSON. */
static cJSON *read_line(int n)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char line[1 << 16];
    for (int i = 0; i <= n; i++)
        assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    return j;
}

static void test_records(void **state)
{
    (void)state;
    struct quarantine *q = quarantine_open(path);
    assert_non_null(q);
    const char *p1 = "{\"a\": 1,";
    assert_int_equal(quarantine_add(q, 1764380000123, REASON_MALFORMED, "invalid json at byte 8",
                                    "lifeline/顾官屯镇/water_supply/泵房\"1", p1, strlen(p1)),
                     0);
    const char p2[] = {'\xff', '\xfe', 'a', '\0', 'b'};
    assert_int_equal(quarantine_add(q, 0, REASON_TOPIC, "no", "t", p2, sizeof p2), 0);
    assert_int_equal(quarantine_add(q, 0, REASON_DB_REJECTED, "type conflict", NULL, "m v=1", 5),
                     0);
    quarantine_close(q);

    cJSON *j = read_line(0);
    assert_string_equal(cJSON_GetObjectItem(j, "time")->valuestring, "2025-11-29T01:33:20.123Z");
    assert_string_equal(cJSON_GetObjectItem(j, "topic")->valuestring,
                        "lifeline/顾官屯镇/water_supply/泵房\"1");
    assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring, "malformed");
    assert_string_equal(cJSON_GetObjectItem(j, "detail")->valuestring, "invalid json at byte 8");
    assert_string_equal(cJSON_GetObjectItem(j, "payload")->valuestring, p1);
    assert_null(cJSON_GetObjectItem(j, "payload_b64"));
    cJSON_Delete(j);

    j = read_line(1);
    assert_null(cJSON_GetObjectItem(j, "payload"));
    assert_string_equal(cJSON_GetObjectItem(j, "payload_b64")->valuestring, "//5hAGI=");
    cJSON_Delete(j);

    j = read_line(2);
    assert_string_equal(cJSON_GetObjectItem(j, "topic")->valuestring, "");
    assert_string_equal(cJSON_GetObjectItem(j, "reason")->valuestring, "db_rejected");
    cJSON_Delete(j);

    assert_int_equal(metrics_rejected_count(REASON_MALFORMED), 1);
    assert_int_equal(metrics_rejected_count(REASON_TOPIC), 1);
    assert_int_equal(metrics_rejected_count(REASON_DB_REJECTED), 1);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(utf8_valid("九州街道", strlen("九州街道")));
    assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));  /* emoji */
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xe4\xb9", 2));         /* cut */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
}

static void test_json_escape(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_int_equal(json_append_string(&b, "a\"b\\c\n\x01中", strlen("a\"b\\c\n\x01中")), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001中\"");
    buf_reset(&b);
    const char *cases[][2] = {{"", "\"\""},
                              {"f", "\"Zg==\""},
                              {"fo", "\"Zm8=\""},
                              {"foo", "\"Zm9v\""},
                              {"foob", "\"Zm9vYg==\""}};
    for (size_t i = 0; i < 5; i++) {
        buf_reset(&b);
        assert_int_equal(json_append_base64(&b, cases[i][0], strlen(cases[i][0])), 0);
        assert_string_equal(b.data, cases[i][1]);
    }
    buf_free(&b);
}

static void test_metrics_render(void **state)
{
    (void)state;
    metrics_reset();
    metrics_add(C_MESSAGES_RECEIVED, 3);
    metrics_rejected(REASON_RANGE);
    metrics_write_status(204);
    metrics_write_status(0);
    metrics_write_status(503);
    metrics_batch_latency(0.02);
    metrics_batch_latency(100);
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(metrics_render(&b), 0);
    assert_non_null(strstr(b.data, "\nlifeline_messages_received_total 3\n"));
    assert_non_null(strstr(b.data, "\nlifeline_rejected_total{reason=\"range\"} 1\n"));
    assert_non_null(strstr(b.data, "\nlifeline_rejected_total{reason=\"malformed\"} 0\n"));
    assert_non_null(strstr(b.data, "\nlifeline_write_requests_total{status=\"204\"} 1\n"));
    assert_non_null(strstr(b.data, "\nlifeline_write_requests_total{status=\"503\"} 1\n"));
    assert_non_null(strstr(b.data, "\nlifeline_write_requests_total{status=\"transport\"} 1\n"));
    assert_non_null(strstr(b.data, "\nlifeline_batch_latency_seconds_bucket{le=\"0.025\"} 1\n"));
    assert_non_null(strstr(b.data, "\nlifeline_batch_latency_seconds_bucket{le=\"30\"} 1\n"));
    assert_non_null(strstr(b.data, "\nlifeline_batch_latency_seconds_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(b.data, "\nlifeline_batch_latency_seconds_count 2\n"));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records, setup, teardown),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_metrics_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
