/*
 * sim_hj212_shim: HJ 212 framing for the simulator until devices/hj212.h
 * (branch h2-decoders) is merged; then this file and sim_hj212_shim.c go
 * and sim_payload.c includes "hj212.h" instead. Same prototypes.
 */
#ifndef LIFELINE_SIM_HJ212_SHIM_H
#define LIFELINE_SIM_HJ212_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The HJ 212 CRC of s[0..len) (DOMAIN.md: not CRC-16/MODBUS). */
uint16_t hj212_crc(const char *s, size_t len);
/* Appends "##" + 4-digit length + seg + 4 uppercase hex CRC + "\r\n" to out.
 * 0, -EINVAL when len > 9999, or the buf error. */
int hj212_frame(struct buf *out, const char *seg, size_t len);

#endif
