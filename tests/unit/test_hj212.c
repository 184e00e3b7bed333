#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hj212.h"
#include "utf8.h"

#define RECV INT64_C(1800000000000)
#define EXAMPLE_SEG                                                                                \
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&"        \
    "RtdInterval=30&&"
#define EXAMPLE "##0101" EXAMPLE_SEG "1C80"
#define MN "010000A8900016F000169DC0"

static struct reading rd;
static struct device_ref who;
static enum reason why;
static char detail[256];
static int offset_min = 480;

static int setup(void **state)
{
    (void)state;
    return reading_init(&rd, 4096);
}

static int teardown(void **state)
{
    (void)state;
    reading_free(&rd);
    return 0;
}

/* Decodes from a heap copy of exactly len bytes, without a terminator, so that
 * ASan sees any read past the end. */
static int dec_len(const char *frame, size_t len)
{
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, frame, len);
    struct decoder_input in = {.topic = "t",
                               .topic_len = 1,
                               .payload = p,
                               .len = len,
                               .recv_ms = RECV,
                               .local_offset_min = offset_min};
    why = REASON__COUNT;
    memset(detail, 0, sizeof detail);
    int rc = hj212_decode(&in, &rd, &who, &why, detail, sizeof detail);
    free(p);
    return rc;
}

static int dec(const char *frame)
{
    return dec_len(frame, strlen(frame));
}

/* Frames a data segment the way a station does, then decodes it. */
static int dec_seg(const char *seg)
{
    struct buf b;
    buf_init(&b, 20000);
    assert_int_equal(hj212_frame(&b, seg, strlen(seg)), 0);
    int rc = dec_len(b.data, b.len);
    buf_free(&b);
    return rc;
}

static void ok_seg(const char *seg)
{
    if (dec_seg(seg) != 0)
        fail_msg("refused (%s: %s): %s", reason_name(why), detail, seg);
    assert_int_equal(why, REASON__COUNT);
}

static void bad_rc(int rc, enum reason want, const char *want_detail)
{
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(reason_name(why), reason_name(want));
    assert_string_equal(detail, want_detail);
}

static void bad_seg(const char *seg, enum reason want, const char *want_detail)
{
    bad_rc(dec_seg(seg), want, want_detail);
}

static void want_float(const char *key, double v)
{
    const struct field *f = reading_find(&rd, key);
    if (!f)
        fail_msg("no field %s", key);
    assert_int_equal(f->type, FIELD_FLOAT);
    assert_int_equal(f->key_len, strlen(key));
    assert_int_equal(f->ts_ms, 0);
    assert_true(f->v.f == v);
}

static void want_str(const char *key, const char *v)
{
    const struct field *f = reading_find(&rd, key);
    if (!f)
        fail_msg("no field %s", key);
    assert_int_equal(f->type, FIELD_STRING);
    assert_int_equal(f->key_len, strlen(key));
    assert_string_equal(f->v.s.ptr, v);
    assert_int_equal(f->v.s.len, strlen(v));
}

static void want_who(const char *device, const char *kind)
{
    assert_int_equal(who.device_len, strlen(device));
    assert_memory_equal(who.device, device, who.device_len);
    if (kind) {
        assert_int_equal(who.kind_len, strlen(kind));
        assert_memory_equal(who.kind, kind, who.kind_len);
    } else {
        assert_null(who.kind);
    }
    assert_null(who.category);
    assert_null(who.district);
    assert_null(who.product);
}

static void test_crc_verified_example(void **state)
{
    (void)state;
    assert_int_equal(strlen(EXAMPLE_SEG), 101);
    assert_int_equal(hj212_crc(EXAMPLE_SEG, 101), 0x1C80);
    assert_int_equal(hj212_crc("", 0), 0xFFFF);
}

static void test_frame(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 20000);
    assert_int_equal(buf_puts(&b, "x"), 0);
    assert_int_equal(hj212_frame(&b, EXAMPLE_SEG, 101), 0);
    assert_string_equal(b.data, "x" EXAMPLE "\r\n");
    buf_free(&b);

    /* Too long for 4 digits, and past the buffer's cap: out unchanged. */
    static char big[HJ212_MAX_SEG + 1];
    memset(big, 'a', sizeof big);
    buf_init(&b, 20000);
    assert_int_equal(hj212_frame(&b, big, sizeof big), -EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    buf_init(&b, 50);
    assert_int_equal(buf_puts(&b, "keep"), 0);
    assert_int_equal(hj212_frame(&b, EXAMPLE_SEG, 101), -E2BIG);
    assert_string_equal(b.data, "keep");
    buf_free(&b);
}

static void test_parse_and_ack(void **state)
{
    (void)state;
    struct hj212_msg m;
    const char *f = EXAMPLE "\r\n";
    assert_int_equal(hj212_parse(f, strlen(f), &m, &why, detail, sizeof detail), 0);
    assert_int_equal(m.seg_len, 101);
    assert_memory_equal(m.qn, "20160801085857223", m.qn_len);
    assert_int_equal(m.qn_len, 17);
    assert_int_equal(m.st_len, 2);
    assert_memory_equal(m.st, "32", 2);
    assert_memory_equal(m.cn, "1062", 4);
    assert_memory_equal(m.pw, "100000", 6);
    assert_int_equal(m.mn_len, strlen(MN));
    assert_memory_equal(m.mn, MN, m.mn_len);
    assert_true(m.has_flag);
    assert_int_equal(m.flag, 5);
    assert_true(hj212_wants_ack(&m));
    assert_int_equal(m.cp_len, strlen("RtdInterval=30"));
    assert_memory_equal(m.cp, "RtdInterval=30", m.cp_len);

    struct buf b;
    buf_init(&b, 1000);
    assert_int_equal(hj212_ack(&b, &m), 0);
    assert_string_equal(b.data, "##0087QN=20160801085857223;ST=91;CN=9014;PW=100000;MN=" MN
                                ";Flag=4;CP=&&&&71C0\r\n");
    buf_free(&b);

    const char *g = "##0021CN=2011;MN=A1;CP=&&&&";
    char frame[64];
    snprintf(frame, sizeof frame, "%s%04x", g, (unsigned)hj212_crc(g + 6, 21));
    assert_int_equal(hj212_parse(frame, strlen(frame), &m, &why, detail, sizeof detail), 0);
    assert_false(m.has_flag);
    assert_false(hj212_wants_ack(&m));
    assert_null(m.qn);
    assert_null(m.pw);
    assert_int_equal(m.cp_len, 0);
    buf_init(&b, 1000);
    assert_int_equal(hj212_ack(&b, &m), -EINVAL);
    buf_free(&b);
}

/* Found by fuzzing (tests/fuzz/corpus/hj212/crash-ack-qn-nul): the reply was
 * printed with %.*s, which stops at a NUL byte in the QN, so it named a
 * different QN than the message, and the length field counted the cut text. */
static void test_ack_names_qn_byte_for_byte(void **state)
{
    (void)state;
    static const char seg[] = "QN=2025\0x;ST=32;CN=2011;PW=1\0;MN=A1;Flag=7;CP=&&&&";
    struct buf b;
    buf_init(&b, 1000);
    assert_int_equal(hj212_frame(&b, seg, sizeof seg - 1), 0);
    struct hj212_msg m;
    assert_int_equal(hj212_parse(b.data, b.len, &m, &why, detail, sizeof detail), 0);
    assert_int_equal(m.qn_len, 6);
    assert_true(hj212_wants_ack(&m));
    struct buf ack;
    buf_init(&ack, 1000);
    assert_int_equal(hj212_ack(&ack, &m), 0);
    static const char want[] = "QN=2025\0x;ST=91;CN=9014;PW=1\0;MN=A1;Flag=4;CP=&&&&";
    char frame[128];
    memcpy(frame, "##0050", 6);
    memcpy(frame + 6, want, sizeof want - 1);
    snprintf(frame + 6 + sizeof want - 1, 7, "%04X\r\n",
             (unsigned)hj212_crc(want, sizeof want - 1));
    assert_int_equal(sizeof want - 1, 50);
    assert_int_equal(ack.len, 6 + 50 + 6);
    assert_memory_equal(ack.data, frame, ack.len);
    buf_free(&ack);
    buf_free(&b);
}

static void test_example_is_not_data(void **state)
{
    (void)state;
    /* CN=1062 sets the real-time interval: no reading, but the frame is
     * checked and the sender named. With, without \r\n, lowercase crc. */
    assert_int_equal(dec(EXAMPLE "\r\n"), -ENODATA);
    want_who(MN, NULL);
    assert_int_equal(dec(EXAMPLE), -ENODATA);
    assert_int_equal(dec("##0101" EXAMPLE_SEG "1c80\n"), -ENODATA);
    assert_int_equal(why, REASON__COUNT);
    assert_int_equal(dec("##0101" EXAMPLE_SEG "1c80"), -ENODATA);
    assert_int_equal(dec_seg("QN=20160801085857223;ST=91;CN=9014;PW=1;MN=" MN ";Flag=4;CP=&&&&"),
                     -ENODATA);
    assert_int_equal(dec_seg("ST=91;CN=9015;MN=A1"), -ENODATA); /* no CP at all */
    want_who("A1", NULL);
}

static void test_realtime(void **state)
{
    (void)state;
    ok_seg("QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=" MN ";Flag=5;CP=&&DataTime="
           "20160801085800;w01018-Rtd=194.2,w01018-Flag=N;w21003-Rtd=1.2,w21003-Flag=N&&");
    want_who(MN, "rtd");
    assert_int_equal(rd.ts_ms, INT64_C(1470013080000));
    assert_false(rd.ts_from_receipt);
    assert_int_equal(rd.nfields, 4);
    assert_string_equal(rd.fields[0].key, "w01018");
    assert_string_equal(rd.fields[1].key, "w01018_flag");
    want_float("w01018", 194.2);
    want_str("w01018_flag", "N");
    want_float("w21003", 1.2);
    want_str("w21003_flag", "N");

    /* The offset is the configured one. */
    offset_min = 0;
    ok_seg("CN=2011;MN=" MN ";CP=&&DataTime=20160801085800;w01018-Rtd=1&&");
    assert_int_equal(rd.ts_ms, INT64_C(1470041880000));
    offset_min = 480;
}

static void test_kinds_and_statistics(void **state)
{
    (void)state;
    ok_seg("QN=20160801085857223;ST=32;CN=2051;PW=123456;MN=A;Flag=4;CP=&&DataTime="
           "20160801085000;w00000-Cou=120.5,w00000-Min=0.1,w00000-Avg=0.2,w00000-Max=0.3,"
           "w00000-Flag=N;w01001-Avg=7.1,w01001-Flag=T&&");
    want_who("A", "min");
    assert_int_equal(rd.nfields, 7);
    want_float("w00000_cou", 120.5);
    want_float("w00000_min", 0.1);
    want_float("w00000_avg", 0.2);
    want_float("w00000_max", 0.3);
    want_str("w00000_flag", "N");
    want_float("w01001_avg", 7.1);
    want_str("w01001_flag", "T");

    ok_seg("CN=2061;MN=A;CP=&&DataTime=20160801080000;w01018-Avg=5&&");
    want_who("A", "hour");
    ok_seg("CN=2031;MN=A;CP=&&DataTime=20160801000000;w01018-Avg=5&&");
    want_who("A", "day");
    /* Status items keep their names, lowercased, '-' as '_'; a number is a
     * float, other text a string; upper-case codes are lowercased. */
    ok_seg("CN=2021;MN=A;CP=&&DataTime=20160801000000;SB1-RS=1;i12001-Info=ok;"
           "W01018-RTD=2.5&&");
    want_who("A", "status");
    assert_int_equal(rd.nfields, 3);
    want_float("sb1_rs", 1);
    want_str("i12001_info", "ok");
    want_float("w01018", 2.5);
}

static void test_lenient_stations(void **state)
{
    (void)state;
    /* No QN, no Flag, no ST or PW, short MN, lowercase crc, no \r\n. */
    const char *seg = "CN=2011;MN=7;CP=&&DataTime=20160801085800;w01018-Rtd=3&&";
    char frame[128];
    snprintf(frame, sizeof frame, "##%04zu%s%04x", strlen(seg), seg,
             (unsigned)hj212_crc(seg, strlen(seg)));
    assert_int_equal(dec(frame), 0);
    want_who("7", "rtd");
    want_float("w01018", 3);

    /* Without DataTime: the QN time. */
    ok_seg("QN=20160801085857223;CN=2011;MN=7;CP=&&w01018-Rtd=3&&");
    assert_int_equal(rd.ts_ms, INT64_C(1470013137223));
    assert_false(rd.ts_from_receipt);
    /* Without either: receive time, and it says so. */
    ok_seg("CN=2011;MN=7;CP=&&w01018-Rtd=3&&");
    assert_int_equal(rd.ts_ms, RECV);
    assert_true(rd.ts_from_receipt);
    /* Unknown header items, empty items and empty values are skipped. */
    ok_seg("PNUM=1;PNO=1;;CN=2011;MN=7;CP=&&w01018-Rtd=,w01018-Flag=N;;,w21003-Rtd=4&&");
    assert_int_equal(rd.nfields, 2);
    want_str("w01018_flag", "N");
    want_float("w21003", 4);
}

static void test_frame_errors(void **state)
{
    (void)state;
    bad_rc(dec("##0100" EXAMPLE_SEG "1C80\r\n"), REASON_MALFORMED,
           "length field says 100, data segment is 101 bytes");
    bad_rc(dec("##0102" EXAMPLE_SEG "1C80"), REASON_MALFORMED,
           "length field says 102, data segment is 101 bytes");
    bad_rc(dec("##0101" EXAMPLE_SEG "1C81\r\n"), REASON_CRC, "crc 1c81, computed 1c80");
    bad_rc(dec("##0101" EXAMPLE_SEG "1G80\r\n"), REASON_MALFORMED, "crc is not 4 hex digits");
    bad_rc(dec("##01a1" EXAMPLE_SEG "1C80\r\n"), REASON_MALFORMED,
           "length field is not 4 decimal digits");
    bad_rc(dec("#0101" EXAMPLE_SEG "1C80"), REASON_MALFORMED, "frame does not start with '##'");
    bad_rc(dec(""), REASON_MALFORMED, "frame does not start with '##'");
    bad_rc(dec("##00001C8\r\n"), REASON_MALFORMED,
           "frame of 11 bytes is shorter than '##', length and crc");
    bad_rc(dec("##0101" EXAMPLE_SEG "1C80\r\nx"), REASON_MALFORMED,
           "length field says 101, data segment is 104 bytes");
    /* A crc error wins over what the segment says. */
    bad_rc(dec("##0004CN=11234"), REASON_CRC, "crc 1234, computed cc01");
}

static void test_segment_errors(void **state)
{
    (void)state;
    bad_seg("CN=2011;MN=A;CP=&&w01018-Rtd=abc&&", REASON_TYPE,
            "field 'w01018': 'abc' is not a number");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Rtd=NaN&&", REASON_TYPE,
            "field 'w01018': 'NaN' is not a number");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Avg=inf&&", REASON_TYPE,
            "field 'w01018_avg': 'inf' is not a number");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Rtd=1e999&&", REASON_NOT_FINITE,
            "field 'w01018': '1e999' is out of range");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Rtd=1\x01&&", REASON_TYPE,
            "field 'w01018': '1?' is not a number");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Rtd=1", REASON_MALFORMED, "CP must end with '&&'");
    bad_seg("CN=2011;MN=A;CP=&&", REASON_MALFORMED, "CP must end with '&&'");
    bad_seg("CN=2011;MN=A;CP=&&&", REASON_MALFORMED, "CP must end with '&&'");
    bad_seg("CN=2011;MN=A;CP=w01018-Rtd=1&&", REASON_MALFORMED, "CP must start with '&&'");
    bad_seg("CN=2011;MN=A", REASON_MALFORMED, "missing CP=&&...&&");
    bad_seg("CN=2011;CP=&&a=1&&", REASON_MALFORMED, "missing MN");
    bad_seg("CN=2011;MN=;CP=&&a=1&&", REASON_MALFORMED, "missing MN");
    bad_seg("MN=A;CP=&&a=1&&", REASON_MALFORMED, "missing CN");
    bad_seg("CN=2011;MN=A B;CP=&&a=1&&", REASON_MALFORMED, "MN is not printable ascii");
    bad_seg("CN=2011;CN=2011;MN=A;CP=&&a=1&&", REASON_MALFORMED,
            "duplicate 'CN' in the data segment");
    bad_seg("CN=2011;MN=A;Flag=x;CP=&&a=1&&", REASON_MALFORMED,
            "Flag is not a number from 0 to 255");
    bad_seg("CN=2011;MN=A;Flag=256;CP=&&a=1&&", REASON_MALFORMED,
            "Flag is not a number from 0 to 255");
    bad_seg("CN=2011;MN=A;Flag=;CP=&&a=1&&", REASON_MALFORMED,
            "Flag is not a number from 0 to 255");
    bad_seg("CN=2011;MN;CP=&&a=1&&", REASON_MALFORMED, "data segment item at byte 8 has no '='");
    bad_seg("CN=2011;MN=A;CP=&&a=1;b&&", REASON_MALFORMED, "cp: item at byte 4 has no '='");
    bad_seg("CN=2011;MN=A;CP=&&=1&&", REASON_MALFORMED,
            "cp: item at byte 0: name is empty or not printable ascii");
    bad_seg("CN=2011;MN=A;CP=&&-Rtd=1&&", REASON_MALFORMED,
            "cp: item '-rtd' has no code before '-'");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Rtd=1;w01018-Rtd=2&&", REASON_MALFORMED,
            "field 'w01018': duplicate item");
    bad_seg("CN=2011;MN=A;CP=&&w01018-Flag=\xe4\xb8\xad&&", REASON_TYPE,
            "field 'w01018_flag': flag is not printable ascii");
    bad_seg("CN=2021;MN=A;CP=&&x=\xff&&", REASON_MALFORMED, "field 'x': value is not utf-8 text");
    bad_seg("CN=2011;MN=A;CP=&&DataTime=2016;w01018-Rtd=1&&", REASON_TIMESTAMP,
            "cp: DataTime '2016' is not a valid YYYYMMDDhhmmss");
    bad_seg("CN=2011;MN=A;CP=&&DataTime=20161301000000;w01018-Rtd=1&&", REASON_TIMESTAMP,
            "cp: DataTime '20161301000000' is not a valid YYYYMMDDhhmmss");
    bad_seg("CN=2011;MN=A;CP=&&DataTime=20160801000000;DataTime=20160801000000;a=1&&",
            REASON_MALFORMED, "cp: duplicate DataTime");
    bad_seg("QN=2016;CN=2011;MN=A;CP=&&a=1&&", REASON_TIMESTAMP,
            "no DataTime, and QN '2016' is not a valid time");
    bad_seg("CN=2011;MN=A;CP=&&&&", REASON_NO_FIELDS, "no fields in CP");
    bad_seg("CN=2011;MN=A;CP=&&DataTime=20160801000000;w01018-Rtd=&&", REASON_NO_FIELDS,
            "no fields in CP");
    bad_seg("CN=2011;MN=A;CP=&&a23456789012345678901234567890123456789012345678901234567890"
            "1234=1&&",
            REASON_TOO_LARGE, "cp: item 'a23456789012345678901234...': name longer than 63 bytes");
}

static void test_every_truncation(void **state)
{
    (void)state;
    const char *f = "##0101" EXAMPLE_SEG "1C80\r\n";
    size_t n = strlen(f);
    for (size_t i = 0; i < n - 2; i++) {
        int rc = dec_len(f, i);
        if (rc != -EINVAL)
            fail_msg("prefix of %zu bytes accepted", i);
    }
}

static uint32_t rng = 12345;
static uint32_t next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Random byte edits of a valid frame, re-framed so that most get past the
 * crc into the segment parser, and also left as they are. Under ASan this
 * shows any read past the payload. */
static void test_fuzz(void **state)
{
    (void)state;
    static const char alphabet[] = "=;,&-#\r\n\x00\xff\xe4\x80 0123456789.eE+NaRtdFlagCP";
    const char *base = "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=" MN ";Flag=5;CP=&&"
                       "DataTime=20160801085800;w01018-Rtd=194.2,w01018-Flag=N;w21003-Avg=1.2,"
                       "w21003-Flag=N&&";
    char seg[512];
    struct buf b;
    buf_init(&b, 4096);
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = strlen(base);
        memcpy(seg, base, n);
        int edits = 1 + (int)(next() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = next() % (n + 1);
            char c = alphabet[next() % (sizeof alphabet - 1)];
            switch (next() % 3) {
            case 0:
                if (at < n)
                    seg[at] = c;
                break;
            case 1:
                if (n + 1 < sizeof seg) {
                    memmove(seg + at + 1, seg + at, n - at);
                    seg[at] = c;
                    n++;
                }
                break;
            default:
                if (at < n) {
                    memmove(seg + at, seg + at + 1, n - at - 1);
                    n--;
                }
            }
        }
        buf_reset(&b);
        assert_int_equal(hj212_frame(&b, seg, n), 0);
        size_t flen = b.len;
        if (next() % 4 == 0 && flen > 0)
            b.data[next() % flen] = alphabet[next() % (sizeof alphabet - 1)];
        int rc = dec_len(b.data, flen);
        assert_true(rc == 0 || rc == -EINVAL || rc == -ENODATA);
        if (rc == -EINVAL) {
            assert_true(why < REASON__COUNT);
            assert_true(detail[0] != '\0');
            assert_true(utf8_valid(detail, strlen(detail)));
        }
        if (rc == 0) {
            accepted++;
            assert_true(rd.nfields > 0);
            for (size_t i = 0; i < rd.nfields; i++) {
                const struct field *f = &rd.fields[i];
                assert_int_equal(strlen(f->key), f->key_len);
                if (f->type == FIELD_STRING)
                    assert_true(utf8_valid(f->v.s.ptr, f->v.s.len));
            }
            assert_true(who.device_len > 0);
        }
    }
    buf_free(&b);
    assert_true(accepted > 100); /* the fuzzing reached the CP parser */
}

int main(void)
{
    /* The decoder fits the pipeline's table of decoders. */
    decoder_fn fn = hj212_decode;
    (void)fn;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_verified_example),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_parse_and_ack),
        cmocka_unit_test(test_ack_names_qn_byte_for_byte),
        cmocka_unit_test(test_example_is_not_data),
        cmocka_unit_test(test_realtime),
        cmocka_unit_test(test_kinds_and_statistics),
        cmocka_unit_test(test_lenient_stations),
        cmocka_unit_test(test_frame_errors),
        cmocka_unit_test(test_segment_errors),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
