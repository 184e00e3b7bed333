/*
 * hj212: frames of HJ 212-2017 (污染物在线监控(监测)系统数据传输标准), which
 * sewage and water-quality stations send, often forwarded raw over MQTT:
 *
 *   ## dddd <data segment> CRCC \r\n
 *
 * dddd is the data segment's length in bytes (4 decimal digits), CRCC its
 * checksum (4 hex digits, either case, see hj212_crc); the trailing \r\n may
 * be missing (a lone \n is accepted too). The data segment is
 *
 *   QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A89;Flag=5;
 *   CP=&&DataTime=20160801085800;w01018-Rtd=194.2,w01018-Flag=N;w21003-Rtd=1.2&&
 *
 * Header items are separated by ';' and CP comes last. QN, ST, PW and Flag
 * may be missing (real stations omit them); CN and MN must be present; MN may
 * be of any length. Unknown header items (PNUM, PNO) are ignored.
 *
 * Acknowledgements: Flag bit 0 ("A") set means the station wants a data
 * reply, CN=9014 with the same QN. The decoder does not
 * send it: whoever answers the station parses the frame with hj212_parse,
 * asks hj212_wants_ack and builds the reply with hj212_ack.
 */
#ifndef LIFELINE_HJ212_H
#define LIFELINE_HJ212_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "decoder.h"

#define HJ212_MAX_SEG 9999 /* what 4 decimal digits can say */
#define HJ212_KEY_MAX 64   /* longest field key, NUL included */

/* A parsed frame: slices of the payload, NULL (length 0) when absent. */
struct hj212_msg {
    const char *seg; /* the data segment */
    size_t seg_len;
    const char *qn, *st, *cn, *pw, *mn;
    size_t qn_len, st_len, cn_len, pw_len, mn_len;
    bool has_flag;
    unsigned flag;  /* 0-255 */
    const char *cp; /* between the "&&" of CP=&&...&& */
    size_t cp_len;
};

/*
 * The HJ 212 checksum of seg[0..len): not the standard CRC-16/MODBUS. Start
 * 0xFFFF; for each byte crc = (crc >> 8) ^ byte, then 8 rounds of
 * crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1.
 */
uint16_t hj212_crc(const char *seg, size_t len);

/*
 * Appends the frame "##dddd" + seg + CRC (upper-case hex) + "\r\n" to out.
 * 0; -EINVAL when len > HJ212_MAX_SEG; -E2BIG or -ENOMEM from buf, and then
 * out is left as it was.
 */
int hj212_frame(struct buf *out, const char *seg, size_t len);

/*
 * Checks the frame in payload[0..len) (not NUL-terminated) and splits its
 * header. Fills *m with slices of payload. Returns 0, or -EINVAL with *why
 * and detail: REASON_MALFORMED for a bad frame ("length field says 101,
 * data segment is 99 bytes"), a header item without '=', a duplicate
 * header item, a missing CN or MN, an MN that is not printable ASCII, a
 * Flag that is not a number 0-255, or a CP without "&&" on both sides;
 * REASON_CRC for a wrong checksum ("crc 1c81, computed 1c80"). A frame
 * without CP is accepted here (m->cp NULL): replies and heartbeats have none.
 */
int hj212_parse(const char *payload, size_t len, struct hj212_msg *m, enum reason *why,
                char *detail, size_t detail_len);

/* True when the station asked for a data reply (Flag present with bit 0). */
bool hj212_wants_ack(const struct hj212_msg *m);

/*
 * Appends the data reply for m to out, as a whole frame:
 * "QN=<m's QN>;ST=91;CN=9014;PW=<m's PW>;MN=<m's MN>;Flag=4;CP=&&&&".
 * -EINVAL when m has no QN (the reply could not name the message), and the
 * errors of hj212_frame.
 */
int hj212_ack(struct buf *out, const struct hj212_msg *m);

/*
 * A decoder_fn (decoder.h) for one frame per message.
 *
 * Identity: who->device = MN (a slice of the payload); who->kind from CN:
 * 2011 "rtd", 2051 "min", 2061 "hour", 2031 "day", 2021 "status". Any other
 * CN (9014 replies, 1062 set-interval commands, heartbeats, ...) returns
 * -ENODATA after the frame checks.
 *
 * CP holds groups separated by ';', items within a group by ','. Each item
 * is NAME=VALUE; names are lowercased to make field keys:
 *   DataTime=YYYYMMDDhhmmss   the reading's time, local at
 *                             in->local_offset_min (480 for China)
 *   w01018-Rtd=194.2          "w01018",      FIELD_FLOAT
 *   w01018-Avg/-Min/-Max/-Cou "w01018_avg"... FIELD_FLOAT
 *   w01018-Flag=N             "w01018_flag", FIELD_STRING (printable ASCII)
 *   anything else (SB1-RS=1)  lowercased, '-' -> '_': FIELD_FLOAT when the
 *                             value is a number, else FIELD_STRING
 * A non-numeric value where a number is due (also "NaN", "inf") is
 * REASON_TYPE naming the key, one past the double range REASON_NOT_FINITE.
 * An empty value is skipped (the station had no value). Without DataTime the
 * QN (YYYYMMDDhhmmsszzz, local) is the time, without either recv_ms with
 * ts_from_receipt; an unreadable DataTime or (when used) QN is
 * REASON_TIMESTAMP. Names must be printable ASCII (REASON_MALFORMED), keys at
 * most HJ212_KEY_MAX - 1 bytes (REASON_TOO_LARGE) and unique
 * (REASON_MALFORMED). A data CN without CP is REASON_MALFORMED; a CP
 * without any field REASON_NO_FIELDS.
 */
int hj212_decode(const struct decoder_input *in, struct reading *r, struct device_ref *who,
                 enum reason *why, char *detail, size_t detail_len);

#endif
