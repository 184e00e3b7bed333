/*
 * Fuzz target: HJ 212 frames. The input is one message: hj212_decode must
 * hold the decoder invariants; a frame hj212_parse accepts must survive
 * being framed again (hj212_frame) and parsed back, and its data reply
 * (hj212_ack), when asked for, must parse as a CN=9014 frame with the same
 * QN and MN.
 */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "hj212.h"

static bool same(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void check_frames(const char *s, size_t size)
{
    static struct buf out;
    static bool ready;
    if (!ready) {
        buf_init(&out, 1u << 16);
        ready = true;
    }
    struct hj212_msg m, m2;
    enum reason why = REASON__COUNT;
    char detail[256];
    int rc = hj212_parse(s, size, &m, &why, detail, sizeof detail);
    if (rc != 0) {
        FUZZ_CHECK(rc == -EINVAL && (why == REASON_MALFORMED || why == REASON_CRC),
                   "parse refuses a frame as malformed or crc");
        return;
    }
    FUZZ_CHECK(m.seg >= s && m.seg + m.seg_len <= s + size && m.seg_len <= HJ212_MAX_SEG,
               "seg is a slice of the payload");
    FUZZ_CHECK(m.cn && m.cn_len > 0 && m.mn && m.mn_len > 0, "CN and MN present");
    if (m.cp)
        FUZZ_CHECK(m.cp >= m.seg && m.cp + m.cp_len <= m.seg + m.seg_len, "cp inside seg");

    buf_reset(&out);
    FUZZ_CHECK(hj212_frame(&out, m.seg, m.seg_len) == 0, "a parsed segment can be framed");
    rc = hj212_parse(out.data, out.len, &m2, &why, detail, sizeof detail);
    FUZZ_CHECK(rc == 0, "a framed segment parses");
    FUZZ_CHECK(same(m.seg, m.seg_len, m2.seg, m2.seg_len) &&
                   same(m.qn, m.qn_len, m2.qn, m2.qn_len) &&
                   same(m.mn, m.mn_len, m2.mn, m2.mn_len) &&
                   same(m.cn, m.cn_len, m2.cn, m2.cn_len) && m.has_flag == m2.has_flag &&
                   m.flag == m2.flag && same(m.cp, m.cp_len, m2.cp, m2.cp_len),
               "framing round trip");

    if (!hj212_wants_ack(&m))
        return;
    buf_reset(&out);
    rc = hj212_ack(&out, &m);
    if (!m.qn) {
        FUZZ_CHECK(rc == -EINVAL, "no reply without a QN");
        return;
    }
    if (rc == -EINVAL)
        return; /* the reply would be longer than 9999 bytes */
    FUZZ_CHECK(rc == 0, "hj212_ack");
    rc = hj212_parse(out.data, out.len, &m2, &why, detail, sizeof detail);
    FUZZ_CHECK(rc == 0, "the reply parses");
    FUZZ_CHECK(same(m2.cn, m2.cn_len, "9014", 4), "the reply is CN=9014");
    FUZZ_CHECK(same(m.qn, m.qn_len, m2.qn, m2.qn_len), "the reply names the QN");
    FUZZ_CHECK(same(m.mn, m.mn_len, m2.mn, m2.mn_len), "the reply names the MN");
    FUZZ_CHECK(!hj212_wants_ack(&m2), "a reply wants no reply");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_PAYLOAD)
        size = FUZZ_MAX_PAYLOAD;
    const char *s = (const char *)data;
    struct decoder_input in = {.topic = "hj212/station",
                               .topic_len = strlen("hj212/station"),
                               .payload = s,
                               .len = size,
                               .recv_ms = INT64_C(1764380000000),
                               .local_offset_min = 480};
    struct reading *r = fuzz_reading();
    struct device_ref who;
    enum reason why = REASON__COUNT;
    char detail[256];
    int rc = hj212_decode(&in, r, &who, &why, detail, sizeof detail);
    fuzz_check_decoded(rc, r, &who, why, detail, sizeof detail);
    if (rc == 0) {
        FUZZ_CHECK(who.device && who.device_len > 0, "MN is the device");
        for (size_t i = 0; i < who.device_len; i++)
            FUZZ_CHECK(who.device[i] > 0x20 && who.device[i] < 0x7f, "MN is printable ASCII");
        FUZZ_CHECK(who.kind && who.kind_len > 0, "a data CN has a kind");
        for (size_t i = 0; i < r->nfields; i++) {
            const char *k = r->fields[i].key;
            for (size_t j = 0; k[j]; j++)
                FUZZ_CHECK(k[j] > 0x20 && k[j] < 0x7f && !(k[j] >= 'A' && k[j] <= 'Z') &&
                               k[j] != '-',
                           "keys are printable ASCII, lowercase, '-' made '_'");
        }
    }
    check_frames(s, size);
    return 0;
}
