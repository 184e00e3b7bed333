#include "onenet.h"

#include <errno.h>
#include <string.h>

#include "decode_util.h"
#include "thing_model.h"

#define ONENET_LEVELS 7

int onenet_decode(const struct decoder_input *in, struct reading *r, struct device_ref *who,
                  enum reason *why, char *detail, size_t detail_len)
{
    struct decode_level lv[ONENET_LEVELS];

    memset(who, 0, sizeof *who);
    reading_reset(r);
    size_t n = decode_split_topic(in->topic, in->topic_len, lv, ONENET_LEVELS);
    if (n < 3 || !decode_level_is(&lv[0], "$sys") || !decode_name_ok(lv[1].ptr, lv[1].len) ||
        !decode_name_ok(lv[2].ptr, lv[2].len))
        return decode_fail(why, detail, detail_len, REASON_TOPIC,
                           "onenet topic must be $sys/{pid}/{device}/...");
    who->product = lv[1].ptr;
    who->product_len = lv[1].len;
    who->device = lv[2].ptr;
    who->device_len = lv[2].len;
    if (n != 6 || !decode_level_is(&lv[3], "thing") || !decode_level_is(&lv[4], "property") ||
        !decode_level_is(&lv[5], "post"))
        return -ENODATA;
    return thing_model_decode(in->payload, in->len, in->recv_ms, THING_PROPERTIES, r, why, detail,
                              detail_len);
}
