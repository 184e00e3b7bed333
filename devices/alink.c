#include "alink.h"

#include <errno.h>
#include <string.h>

#include "decode_util.h"
#include "thing_model.h"

/* The longest topic we recognise has 9 levels (the pack post); one more
 * tells "longer" apart. */
#define ALINK_LEVELS 10

int alink_decode(const struct decoder_input *in, struct reading *r, struct device_ref *who,
                 enum reason *why, char *detail, size_t detail_len)
{
    struct decode_level lv[ALINK_LEVELS];

    memset(who, 0, sizeof *who);
    reading_reset(r);
    size_t n = decode_split_topic(in->topic, in->topic_len, lv, ALINK_LEVELS);
    if (n < 4 || lv[0].len != 0 || !decode_level_is(&lv[1], "sys") ||
        !decode_name_ok(lv[2].ptr, lv[2].len) || !decode_name_ok(lv[3].ptr, lv[3].len))
        return decode_fail(why, detail, detail_len, REASON_TOPIC,
                           "alink topic must be /sys/{productKey}/{deviceName}/...");
    who->product = lv[2].ptr;
    who->product_len = lv[2].len;
    who->device = lv[3].ptr;
    who->device_len = lv[3].len;

    bool event_topic =
        n >= 6 && decode_level_is(&lv[4], "thing") && decode_level_is(&lv[5], "event");
    if (event_topic && n == 9 && decode_level_is(&lv[6], "property") &&
        decode_level_is(&lv[7], "pack") && decode_level_is(&lv[8], "post"))
        return decode_fail(why, detail, detail_len, REASON_TOPIC,
                           "alink gateway batches (thing/event/property/pack/post) are not "
                           "supported");
    if (!event_topic || n != 8 || !decode_level_is(&lv[7], "post"))
        return -ENODATA;

    enum thing_model_shape shape = THING_PROPERTIES;
    if (!decode_level_is(&lv[6], "property")) {
        if (!decode_name_ok(lv[6].ptr, lv[6].len))
            return decode_fail(why, detail, detail_len, REASON_TOPIC,
                               "alink event identifier is empty or not text");
        who->kind = lv[6].ptr;
        who->kind_len = lv[6].len;
        shape = THING_EVENT;
    }
    return thing_model_decode(in->payload, in->len, in->recv_ms, shape, r, why, detail, detail_len);
}
