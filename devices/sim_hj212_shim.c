#include "sim_hj212_shim.h"

#include <errno.h>

uint16_t hj212_crc(const char *s, size_t len)
{
    unsigned crc = 0xFFFF;
    for (size_t i = 0; i < len; i++) {
        crc = (crc >> 8) ^ (unsigned char)s[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    return (uint16_t)crc;
}

int hj212_frame(struct buf *out, const char *seg, size_t len)
{
    if (len > 9999)
        return -EINVAL;
    int rc = buf_printf(out, "##%04zu", len);
    if (!rc)
        rc = buf_append(out, seg, len);
    if (!rc)
        rc = buf_printf(out, "%04X\r\n", (unsigned)hj212_crc(seg, len));
    return rc;
}
