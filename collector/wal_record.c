/*
 * wal_record: the on-disk record codec and the chunked file reader shared by
 * recovery and wal_read().
 */
#include "wal_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

void wal_put_u16(char *p, uint16_t v)
{
    p[0] = (char)(v & 0xff);
    p[1] = (char)(v >> 8);
}

void wal_put_u32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)((v >> (8 * i)) & 0xff);
}

void wal_put_u64(char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (char)((v >> (8 * i)) & 0xff);
}

static uint16_t get_u16(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint16_t)(u[0] | (u[1] << 8));
}

uint32_t wal_get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] | ((uint32_t)u[1] << 8) | ((uint32_t)u[2] << 16) | ((uint32_t)u[3] << 24);
}

uint64_t wal_get_u64(const char *p)
{
    return (uint64_t)wal_get_u32(p) | ((uint64_t)wal_get_u32(p + 4) << 32);
}

void wal_rec_encode(char *dst, uint64_t seq, int64_t recv_ms, const char *topic, size_t tlen,
                    const void *payload, size_t plen)
{
    char *body = dst + WAL_HDR;
    size_t body_len = WAL_BODY_FIXED + tlen + plen;
    wal_put_u64(body, seq);
    wal_put_u64(body + 8, (uint64_t)recv_ms);
    wal_put_u16(body + 16, (uint16_t)tlen);
    wal_put_u32(body + 18, (uint32_t)plen);
    if (tlen)
        memcpy(body + WAL_BODY_FIXED, topic, tlen);
    if (plen)
        memcpy(body + WAL_BODY_FIXED + tlen, payload, plen);
    uLong crc = crc32(0L, (const Bytef *)body, (uInt)body_len);
    wal_put_u32(dst, WAL_MAGIC);
    wal_put_u32(dst + 4, (uint32_t)body_len);
    wal_put_u32(dst + 8, (uint32_t)crc);
}

int wal_rec_header(const char *p, size_t *rec_len)
{
    if (wal_get_u32(p) != WAL_MAGIC)
        return -EBADMSG;
    size_t body_len = wal_get_u32(p + 4);
    if (body_len < WAL_BODY_FIXED || body_len > WAL_MAX_BODY)
        return -EBADMSG;
    *rec_len = WAL_HDR + body_len;
    return 0;
}

int wal_rec_decode(const char *p, size_t rec_len, struct wal_record *rec)
{
    const char *body = p + WAL_HDR;
    size_t body_len = rec_len - WAL_HDR;
    uLong crc = crc32(0L, (const Bytef *)body, (uInt)body_len);
    if ((uint32_t)crc != wal_get_u32(p + 8))
        return -EBADMSG;
    size_t tlen = get_u16(body + 16);
    size_t plen = wal_get_u32(body + 18);
    if (WAL_BODY_FIXED + tlen + plen != body_len)
        return -EBADMSG;
    rec->seq = wal_get_u64(body);
    rec->recv_ms = (int64_t)wal_get_u64(body + 8);
    rec->topic = body + WAL_BODY_FIXED;
    rec->topic_len = tlen;
    rec->payload = body + WAL_BODY_FIXED + tlen;
    rec->payload_len = plen;
    return 0;
}

void wal_rdbuf_reset(struct wal_rdbuf *rb)
{
    rb->off = 0;
    rb->len = 0;
}

void wal_rdbuf_free(struct wal_rdbuf *rb)
{
    free(rb->data);
    rb->data = NULL;
    rb->cap = 0;
    wal_rdbuf_reset(rb);
}

int wal_rdbuf_get(struct wal_rdbuf *rb, int fd, int64_t pos, size_t n, int64_t limit,
                  const char **out)
{
    if (pos < 0 || (int64_t)n > limit - pos)
        return -ENODATA;
    if (pos >= rb->off && (int64_t)(pos + (int64_t)n) <= rb->off + (int64_t)rb->len) {
        *out = rb->data + (pos - rb->off);
        return 0;
    }
    size_t want = n > WAL_READ_CHUNK ? n : WAL_READ_CHUNK;
    if ((int64_t)want > limit - pos)
        want = (size_t)(limit - pos);
    if (want > rb->cap) {
        /* Only a record larger than any before grows the buffer. */
        char *p = realloc(rb->data, want);
        if (!p)
            return -ENOMEM;
        rb->data = p;
        rb->cap = want;
    }
    rb->off = pos;
    rb->len = 0;
    while (rb->len < want) {
        ssize_t r = pread(fd, rb->data + rb->len, want - rb->len, pos + (int64_t)rb->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        rb->len += (size_t)r;
    }
    if (rb->len < n) {
        wal_rdbuf_reset(rb);
        return -EIO;
    }
    *out = rb->data;
    return 0;
}
