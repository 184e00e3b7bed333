/* ingest's failure diagnosis: what OpenSSL's error lines and Paho's protocol
 * trace are turned into, and the CONNACK refusal texts. The network side is
 * covered by tests/integration/test_mqtt_tls.py and test_mqtt_auth.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../collector/ingest.c"

static void ssl_error(const char *line)
{
    on_ssl_error(line, strlen(line), NULL);
}

static void trace(const char *msg)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", msg);
    on_trace(MQTTASYNC_TRACE_PROTOCOL, buf);
}

static void assert_reason(const char *want)
{
    char out[DIAG_MAX * 2 + 160] = "junk";
    tls_reason(out, sizeof out);
    assert_string_equal(out, want);
}

static void test_nothing_known(void **state)
{
    (void)state;
    diag_reset();
    trace("Connecting to serverURI localhost:8883 with MQTT version 4");
    assert_reason("");
}

static void test_openssl_reason_and_data(void **state)
{
    (void)state;
    diag_reset();
    trace("SSL alert write:fatal:unknown CA");
    ssl_error("C006A5C4037F0000:error:0A000086:SSL routines:tls_post_process_server_certificate:"
              "certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n");
    /* the same error again (Paho retries inside one attempt) is said once */
    ssl_error("C006A5C4037F0000:error:0A000086:SSL routines:tls_post_process_server_certificate:"
              "certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n");
    assert_reason(" tls_error=\"tls alert sent: unknown CA; openssl: certificate verify failed\"");

    diag_reset();
    ssl_error(
        "40C7:error:80000002:system library:file_open:reason(2):"
        "../providers/implementations/storemgmt/file_store.c:267:calling stat(/nonexistent)\n");
    assert_reason(" tls_error=\"openssl: reason(2); openssl: calling stat(/nonexistent)\"");

    diag_reset();
    ssl_error("not in openssl's format\n");
    assert_reason(" tls_error=\"openssl: not in openssl's format\"");
}

static void test_host_name_mismatch(void **state)
{
    (void)state;
    diag_reset();
    trace("SSL connect:SSL negotiation finished successfully");
    trace("X509_check_host for hostname broker.example failed, rc 0");
    trace("SSL alert write:warning:close notify");
    assert_reason(" tls_error=\"the broker's certificate is not valid for host name "
                  "broker.example\"");
}

static void test_host_matched_as_ip_address(void **state)
{
    (void)state;
    /* the name check fails for an IP address, the IP check then passes and
     * CONNECT goes out: whatever fails next is not the host name */
    diag_reset();
    trace("SSL connect:SSL negotiation finished successfully");
    trace("X509_check_host for hostname 127.0.0.1 failed, rc 0");
    trace("7 lifeline -> CONNECT version 4 clean: 0 (0)");
    trace("SSL alert read:fatal:unknown");
    assert_reason(" tls_error=\"the broker closed the connection after the tls handshake; it "
                  "may require a client certificate it trusts (mqtt.tls.cert_file)\"");
}

static void test_broker_alert_after_handshake(void **state)
{
    (void)state;
    diag_reset();
    trace("SSL connect:SSL negotiation finished successfully");
    trace("SSL alert read:fatal:bad certificate");
    assert_reason(" tls_error=\"the broker closed the connection after the tls handshake (tls "
                  "alert from the broker: bad certificate); it may require a client certificate "
                  "it trusts (mqtt.tls.cert_file)\"");
}

static void test_long_notes_are_cut(void **state)
{
    (void)state;
    diag_reset();
    char line[600];
    memset(line, 'x', sizeof line - 2);
    line[sizeof line - 2] = '\n';
    line[sizeof line - 1] = '\0';
    ssl_error(line);
    trace("SSL alert write:fatal:unknown CA");
    char out[DIAG_MAX * 2 + 160];
    tls_reason(out, sizeof out);
    assert_true(strlen(out) < DIAG_MAX + 32);
    assert_non_null(strstr(out, " tls_error=\"openssl: xxx"));
}

static void test_connack_reasons(void **state)
{
    (void)state;
    assert_string_equal(connack_reason(4), "bad user name or password");
    assert_string_equal(connack_reason(5), "not authorized");
    assert_string_equal(connack_reason(2), "client identifier rejected");
    assert_null(connack_reason(0));
    assert_null(connack_reason(6));
    assert_null(connack_reason(-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_known),
        cmocka_unit_test(test_openssl_reason_and_data),
        cmocka_unit_test(test_host_name_mismatch),
        cmocka_unit_test(test_host_matched_as_ip_address),
        cmocka_unit_test(test_broker_alert_after_handshake),
        cmocka_unit_test(test_long_notes_are_cut),
        cmocka_unit_test(test_connack_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
