#include "hj212.h"

#include <errno.h>
#include <string.h>

#include "decode_util.h"
#include "numparse.h"
#include "timestamp.h"
#include "utf8.h"

#define FAIL(reason, ...) decode_fail(why, detail, detail_len, reason, __VA_ARGS__)

uint16_t hj212_crc(const char *seg, size_t len)
{
    unsigned crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc = (crc >> 8) ^ (unsigned char)seg[i];
        for (int b = 0; b < 8; b++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    return (uint16_t)crc;
}

int hj212_frame(struct buf *out, const char *seg, size_t len)
{
    if (len > HJ212_MAX_SEG)
        return -EINVAL;
    size_t old = out->len;
    int rc = buf_reserve(out, len + 12);
    if (rc == 0)
        rc = buf_printf(out, "##%04zu", len);
    if (rc == 0)
        rc = buf_append(out, seg, len);
    if (rc == 0)
        rc = buf_printf(out, "%04X\r\n", (unsigned)hj212_crc(seg, len));
    if (rc)
        buf_truncate(out, old);
    return rc;
}

static bool printable_ascii(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x21 || p[i] > 0x7e)
            return false;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Stores a header item's value in its slot; a second one is an error. */
static int header_item(struct hj212_msg *m, const char *k, size_t kn, const char *v, size_t vn,
                       enum reason *why, char *detail, size_t detail_len)
{
    static const char *const names[] = {"QN", "ST", "CN", "PW", "MN"};
    const char **ptr[] = {&m->qn, &m->st, &m->cn, &m->pw, &m->mn};
    size_t *plen[] = {&m->qn_len, &m->st_len, &m->cn_len, &m->pw_len, &m->mn_len};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (kn != 2 || memcmp(k, names[i], 2) != 0)
            continue;
        if (*ptr[i])
            return FAIL(REASON_MALFORMED, "duplicate '%s' in the data segment", names[i]);
        *ptr[i] = v;
        *plen[i] = vn;
        return 0;
    }
    if (kn == 4 && memcmp(k, "Flag", 4) == 0) {
        uint64_t f;
        if (m->has_flag)
            return FAIL(REASON_MALFORMED, "duplicate 'Flag' in the data segment");
        if (num_parse_u64(v, vn, 255, &f) != 0)
            return FAIL(REASON_MALFORMED, "Flag is not a number from 0 to 255");
        m->has_flag = true;
        m->flag = (unsigned)f;
    }
    return 0;
}

/* Splits the header items before CP and finds CP's content. */
static int split_segment(struct hj212_msg *m, enum reason *why, char *detail, size_t detail_len)
{
    const char *s = m->seg;
    size_t n = m->seg_len, i = 0;
    while (i < n) {
        size_t start = i;
        if (n - i >= 3 && memcmp(s + i, "CP=", 3) == 0) {
            const char *cp = s + i + 3;
            size_t cn = n - i - 3;
            if (cn < 2 || memcmp(cp, "&&", 2) != 0)
                return FAIL(REASON_MALFORMED, "CP must start with '&&'");
            if (cn < 4 || memcmp(cp + cn - 2, "&&", 2) != 0)
                return FAIL(REASON_MALFORMED, "CP must end with '&&'");
            m->cp = cp + 2;
            m->cp_len = cn - 4;
            break;
        }
        while (i < n && s[i] != ';')
            i++;
        size_t end = i++;
        if (end == start)
            continue; /* ";;" */
        const char *eq = memchr(s + start, '=', end - start);
        if (!eq)
            return FAIL(REASON_MALFORMED, "data segment item at byte %zu has no '='", start);
        int rc = header_item(m, s + start, (size_t)(eq - (s + start)), eq + 1,
                             end - (size_t)(eq + 1 - s), why, detail, detail_len);
        if (rc)
            return rc;
    }
    if (!m->cn || m->cn_len == 0)
        return FAIL(REASON_MALFORMED, "missing CN");
    if (!m->mn || m->mn_len == 0)
        return FAIL(REASON_MALFORMED, "missing MN");
    if (!printable_ascii(m->mn, m->mn_len))
        return FAIL(REASON_MALFORMED, "MN is not printable ascii");
    return 0;
}

int hj212_parse(const char *payload, size_t len, struct hj212_msg *m, enum reason *why,
                char *detail, size_t detail_len)
{
    memset(m, 0, sizeof *m);
    if (len < 2 || payload[0] != '#' || payload[1] != '#')
        return FAIL(REASON_MALFORMED, "frame does not start with '##'");
    size_t end = len;
    if (end >= 2 && payload[end - 2] == '\r' && payload[end - 1] == '\n')
        end -= 2;
    else if (end >= 1 && payload[end - 1] == '\n')
        end -= 1;
    if (end < 10)
        return FAIL(REASON_MALFORMED, "frame of %zu bytes is shorter than '##', length and crc",
                    len);
    uint64_t declared;
    if (num_parse_u64(payload + 2, 4, HJ212_MAX_SEG, &declared) != 0)
        return FAIL(REASON_MALFORMED, "length field is not 4 decimal digits");
    size_t seg_len = end - 10;
    if (declared != seg_len)
        return FAIL(REASON_MALFORMED, "length field says %u, data segment is %zu bytes",
                    (unsigned)declared, seg_len);
    unsigned sent = 0;
    for (size_t i = end - 4; i < end; i++) {
        int h = hexval(payload[i]);
        if (h < 0)
            return FAIL(REASON_MALFORMED, "crc is not 4 hex digits");
        sent = sent << 4 | (unsigned)h;
    }
    m->seg = payload + 6;
    m->seg_len = seg_len;
    unsigned computed = hj212_crc(m->seg, seg_len);
    if (sent != computed)
        return FAIL(REASON_CRC, "crc %04x, computed %04x", sent, computed);
    return split_segment(m, why, detail, detail_len);
}

bool hj212_wants_ack(const struct hj212_msg *m)
{
    return m->has_flag && (m->flag & 1u);
}

int hj212_ack(struct buf *out, const struct hj212_msg *m)
{
    struct buf b;
    if (!m->qn)
        return -EINVAL;
    buf_init(&b, HJ212_MAX_SEG);
    /* Appended, not printed with %.*s: the reply must name the QN byte for byte, and
     * printf would stop at a NUL byte inside it (the header does not refuse one). */
    int rc = buf_puts(&b, "QN=");
    if (rc == 0)
        rc = buf_append(&b, m->qn, m->qn_len);
    if (rc == 0)
        rc = buf_puts(&b, ";ST=91;CN=9014;PW=");
    if (rc == 0 && m->pw)
        rc = buf_append(&b, m->pw, m->pw_len);
    if (rc == 0)
        rc = buf_puts(&b, ";MN=");
    if (rc == 0)
        rc = buf_append(&b, m->mn, m->mn_len);
    if (rc == 0)
        rc = buf_puts(&b, ";Flag=4;CP=&&&&");
    if (rc == 0)
        rc = hj212_frame(out, b.data, b.len);
    buf_free(&b);
    return rc;
}

struct cp_walk {
    const struct decoder_input *in;
    struct reading *r;
    enum reason *why;
    char *detail;
    size_t detail_len;
    bool has_time;
    char key[HJ212_KEY_MAX];
};

#define WFAIL(w, reason, ...)                                                                      \
    decode_fail((w)->why, (w)->detail, (w)->detail_len, reason, __VA_ARGS__)

/* Copies text into out[32] for a detail message: at most 24 bytes, anything
 * but printable ASCII as '?', so that hostile bytes never reach the record. */
static const char *echo(const char *p, size_t n, char out[32])
{
    size_t k = n > 24 ? 24 : n;
    for (size_t i = 0; i < k; i++)
        out[i] = (p[i] >= 0x20 && p[i] <= 0x7e) ? p[i] : '?';
    if (n > k) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

static const char *const suffixes[][2] = {
    {"-rtd", ""},     {"-flag", "_flag"}, {"-avg", "_avg"},
    {"-min", "_min"}, {"-max", "_max"},   {"-cou", "_cou"},
};

enum item_kind { ITEM_NUMBER, ITEM_FLAG, ITEM_OTHER };

/* Builds the field key for the lowercased name w->key[0..n) in place and
 * says what type its value must have. */
static int make_key(struct cp_walk *w, size_t n, size_t *klen, enum item_kind *kind)
{
    *kind = ITEM_OTHER;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sn = strlen(suffixes[i][0]);
        if (n < sn || memcmp(w->key + n - sn, suffixes[i][0], sn) != 0)
            continue;
        if (n == sn)
            return WFAIL(w, REASON_MALFORMED, "cp: item '%s' has no code before '-'", w->key);
        size_t rn = strlen(suffixes[i][1]);
        /* The replacement is never longer than the suffix it replaces. */
        memcpy(w->key + n - sn, suffixes[i][1], rn);
        n = n - sn + rn;
        *kind = i == 1 ? ITEM_FLAG : ITEM_NUMBER;
        break;
    }
    for (size_t i = 0; i < n; i++)
        if (w->key[i] == '-')
            w->key[i] = '_';
    w->key[n] = '\0';
    *klen = n;
    return 0;
}

static struct field *add_field(struct cp_walk *w, size_t klen)
{
    struct reading *r = w->r;
    for (size_t i = 0; i < r->nfields; i++) {
        if (r->fields[i].key_len == klen && memcmp(r->fields[i].key, w->key, klen) == 0) {
            WFAIL(w, REASON_MALFORMED, "field '%s': duplicate item", w->key);
            return NULL;
        }
    }
    struct field *f = reading_add_field(r);
    if (!f) {
        WFAIL(w, REASON_TOO_LARGE, "field '%s': more than %d fields", w->key, READING_MAX_FIELDS);
        return NULL;
    }
    f->key = reading_strdup(r, w->key, klen);
    if (!f->key) {
        r->nfields--;
        WFAIL(w, REASON_TOO_LARGE, "field '%s': reading is full (%zu bytes of names and text)",
              w->key, r->arena_cap);
        return NULL;
    }
    f->key_len = klen;
    return f;
}

static int add_string(struct cp_walk *w, size_t klen, const char *v, size_t vn)
{
    struct field *f = add_field(w, klen);
    if (!f)
        return -EINVAL;
    f->type = FIELD_STRING;
    f->v.s.ptr = reading_strdup(w->r, v, vn);
    f->v.s.len = vn;
    if (!f->v.s.ptr) {
        w->r->nfields--;
        return WFAIL(w, REASON_TOO_LARGE,
                     "field '%s': reading is full (%zu bytes of names and text)", w->key,
                     w->r->arena_cap);
    }
    return 0;
}

/* One NAME=VALUE item at byte `at` of CP. */
static int cp_item(struct cp_walk *w, const char *p, size_t n, size_t at)
{
    char e[32];
    const char *eq = memchr(p, '=', n);
    if (!eq)
        return WFAIL(w, REASON_MALFORMED, "cp: item at byte %zu has no '='", at);
    size_t nn = (size_t)(eq - p), vn = n - nn - 1;
    const char *v = eq + 1;
    if (nn == 0 || !printable_ascii(p, nn))
        return WFAIL(w, REASON_MALFORMED,
                     "cp: item at byte %zu: name is empty or not printable "
                     "ascii",
                     at);
    if (nn >= sizeof w->key)
        return WFAIL(w, REASON_TOO_LARGE, "cp: item '%s': name longer than %zu bytes",
                     echo(p, nn, e), sizeof w->key - 1);
    for (size_t i = 0; i < nn; i++)
        w->key[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
    w->key[nn] = '\0';
    if (strcmp(w->key, "datatime") == 0) {
        if (w->has_time)
            return WFAIL(w, REASON_MALFORMED, "cp: duplicate DataTime");
        if (ts_parse_compact_local(v, vn, w->in->local_offset_min, &w->r->ts_ms) != 0)
            return WFAIL(w, REASON_TIMESTAMP, "cp: DataTime '%s' is not a valid YYYYMMDDhhmmss",
                         echo(v, vn, e));
        w->has_time = true;
        return 0;
    }
    size_t klen = 0;
    enum item_kind kind = ITEM_OTHER;
    int rc = make_key(w, nn, &klen, &kind);
    if (rc || vn == 0)
        return rc;
    double d;
    int nrc = num_parse_double(v, vn, &d);
    if (kind == ITEM_NUMBER || (kind == ITEM_OTHER && nrc != -EINVAL)) {
        if (nrc == -ERANGE)
            return WFAIL(w, REASON_NOT_FINITE, "field '%s': '%s' is out of range", w->key,
                         echo(v, vn, e));
        if (nrc)
            return WFAIL(w, REASON_TYPE, "field '%s': '%s' is not a number", w->key,
                         echo(v, vn, e));
        struct field *f = add_field(w, klen);
        if (!f)
            return -EINVAL;
        f->type = FIELD_FLOAT;
        f->v.f = d;
        return 0;
    }
    if (kind == ITEM_FLAG && !printable_ascii(v, vn))
        return WFAIL(w, REASON_TYPE, "field '%s': flag is not printable ascii", w->key);
    if (!decode_name_ok(v, vn))
        return WFAIL(w, REASON_MALFORMED, "field '%s': value is not utf-8 text", w->key);
    return add_string(w, klen, v, vn);
}

static int cp_walk(struct cp_walk *w, const char *cp, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && cp[i] != ';' && cp[i] != ',')
            i++;
        if (i > start) {
            int rc = cp_item(w, cp + start, i - start, start);
            if (rc)
                return rc;
        }
        i++;
    }
    return 0;
}

static const char *kind_of(const char *cn, size_t n)
{
    static const char *const map[][2] = {
        {"2011", "rtd"}, {"2051", "min"}, {"2061", "hour"}, {"2031", "day"}, {"2021", "status"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (n == 4 && memcmp(cn, map[i][0], 4) == 0)
            return map[i][1];
    return NULL;
}

int hj212_decode(const struct decoder_input *in, struct reading *r, struct device_ref *who,
                 enum reason *why, char *detail, size_t detail_len)
{
    struct hj212_msg m;
    struct cp_walk w = {.in = in, .r = r, .why = why, .detail = detail, .detail_len = detail_len};
    char e[32];

    memset(who, 0, sizeof *who);
    reading_reset(r);
    int rc = hj212_parse(in->payload, in->len, &m, why, detail, detail_len);
    if (rc)
        return rc;
    who->device = m.mn;
    who->device_len = m.mn_len;
    const char *kind = kind_of(m.cn, m.cn_len);
    if (!kind)
        return -ENODATA;
    who->kind = kind;
    who->kind_len = strlen(kind);
    if (!m.cp)
        return FAIL(REASON_MALFORMED, "missing CP=&&...&&");
    rc = cp_walk(&w, m.cp, m.cp_len);
    if (rc)
        return rc;
    if (r->nfields == 0)
        return FAIL(REASON_NO_FIELDS, "no fields in CP");
    if (w.has_time)
        return 0;
    if (m.qn) {
        if (ts_parse_compact_local(m.qn, m.qn_len, in->local_offset_min, &r->ts_ms) != 0)
            return FAIL(REASON_TIMESTAMP, "no DataTime, and QN '%s' is not a valid time",
                        echo(m.qn, m.qn_len, e));
        return 0;
    }
    r->ts_ms = in->recv_ms;
    r->ts_from_receipt = true;
    return 0;
}
