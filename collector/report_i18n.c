/*
 * The labels of the coverage report in Chinese and English, and the number
 * and time formats all renderers share.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const texts[T_COUNT_][2] = {
    [T_TITLE] = {"城市生命线设备改造覆盖率报告", "Urban lifeline upgrade coverage report"},
    [T_SUBTITLE] = {"已改造、在线并实际交付数据的设备，按类别与街镇统计",
                    "Assets renewed, online and actually delivering data, by category and "
                    "district"},
    [T_PERIOD] = {"统计期间", "Period"},
    [T_GENERATED] = {"生成时间", "Generated"},
    [T_CATEGORY] = {"类别", "Category"},
    [T_DISTRICT] = {"街镇", "District"},
    [T_ASSETS] = {"设施总数", "Assets"},
    [T_UPGRADED] = {"已改造", "Upgraded"},
    [T_PLANNED] = {"计划改造", "Planned"},
    [T_LEGACY] = {"未改造", "Legacy"},
    [T_COVERAGE] = {"改造覆盖率", "Coverage"},
    [T_ONLINE] = {"当前在线", "Online now"},
    [T_COMPLETENESS] = {"数据完整率", "Completeness"},
    [T_EFFECTIVE] = {"有效设备", "Effective"},
    [T_EFF_COVERAGE] = {"有效覆盖率", "Effective coverage"},
    [T_TARGET] = {"目标", "Target"},
    [T_TARGET_DATE] = {"目标日期", "Target date"},
    [T_GAP] = {"差距(台)", "Gap (assets)"},
    [T_PACE_NEEDED] = {"所需进度(台/月)", "Pace needed (/month)"},
    [T_PACE_RECENT] = {"近三月进度(台/月)", "Recent pace (/month)"},
    [T_PROJECTED] = {"按当前进度预计", "Projected at recent pace"},
    [T_ON_TRACK] = {"可达标", "On track"},
    [T_BEHIND] = {"滞后", "Behind"},
    [T_OVERDUE] = {"已逾期", "Overdue"},
    [T_TOTAL] = {"合计", "Total"},
    [T_BY_CATEGORY] = {"按类别", "By category"},
    [T_BY_DISTRICT] = {"按街镇", "By district"},
    [T_DETAIL] = {"类别 × 街镇明细", "Category × district"},
    [T_TREND] = {"月度改造覆盖率趋势及预测", "Monthly coverage trend and projection"},
    [T_TARGETS] = {"目标与差距", "Targets and gaps"},
    [T_WORST_OFFLINE] = {"离线时间最长的设备", "Longest offline"},
    [T_WORST_NEVER] = {"从未上报的已改造设施", "Upgraded but never reported"},
    [T_WORST_LOWEST] = {"数据完整率最低的设备", "Lowest completeness"},
    [T_UNREGISTERED] = {"未登记的上报设备", "Reporting sensors not in the registry"},
    [T_ASSET] = {"设施编号", "Asset"},
    [T_NAME] = {"名称", "Name"},
    [T_DEVICE] = {"设备编号", "Device"},
    [T_LAST_SEEN] = {"最后上报", "Last seen"},
    [T_UPGRADED_ON] = {"改造日期", "Upgraded on"},
    [T_READINGS] = {"入库读数", "Readings"},
    [T_EXPECTED] = {"应报读数", "Expected"},
    [T_NONE] = {"无", "None"},
    [T_NO_DISTRICT] = {"(未填写街镇)", "(no district)"},
    [T_NO_DEVICE_ID] = {"(台账无设备编号)", "(no device_id in the registry)"},
    [T_ACTUAL] = {"实际", "Actual"},
    [T_PROJECTION] = {"预测", "Projection"},
    [T_PER_MONTH] = {"台/月", "/month"},
    [T_DEFINITIONS] = {"口径说明", "Definitions"},
    [T_DEF_TEXT] =
        {"改造覆盖率 = 已改造设施 / 设施总数（不含退役）；当前在线 = 在上报周期 × 离线判定次数内有"
         "上报的已改造设备；数据完整率 = 期间入库读数 / 按上报周期应报读数（单台封顶 100%）；有效"
         "覆盖率 = 数据完整率达到阈值的已改造设施 / "
         "设施总数。改造日期晚于统计截止日的按计划改造计。",
         "Coverage = upgraded assets / assets (retired excluded); online now = upgraded devices "
         "heard from within report interval × offline misses; completeness = readings stored "
         "over the period / readings expected from each device's interval (capped at 100% per "
         "device); effective coverage = upgraded assets whose completeness reaches the "
         "threshold / assets. Assets upgraded after the end of the period count as planned."},
    [T_MORE] = {"未列出的其余项：", "More not shown:"},
    [T_NOTHING_DUE] = {"期间无应报数据", "nothing due in the period"},
    [T_LEVEL] = {"层级", "Level"},
    [T_STATUS] = {"状态", "Status"},
    [T_KPI_ONLINE_OF] = {"已改造设备中在线", "of upgraded devices online"},
    [T_MONTH] = {"月份", "Month"},
};

const char *report_text(enum report_lang lang, enum report_text t)
{
    if ((unsigned)t >= T_COUNT_ || !texts[t][0])
        return "";
    return texts[t][lang == REPORT_EN ? 1 : 0];
}

static const char *const categories[][3] = {
    {"water_supply", "二次供水", "Water supply"},
    {"drainage", "排水防涝", "Drainage"},
    {"sewage", "污水处理", "Sewage"},
    {"manhole_cover", "窨井盖", "Manhole covers"},
    {"bridge_tunnel", "桥梁隧道", "Bridges and tunnels"},
    {"surveillance", "视频监控", "Video surveillance"},
};

const char *report_category(enum report_lang lang, const char *category)
{
    if (!category)
        return report_text(lang, T_TOTAL);
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (strcmp(categories[i][0], category) == 0)
            return categories[i][lang == REPORT_EN ? 2 : 1];
    return category;
}

const char *report_district(enum report_lang lang, const char *district)
{
    if (!district)
        return report_text(lang, T_TOTAL);
    return district[0] ? district : report_text(lang, T_NO_DISTRICT);
}

void report_pct(double ratio, char *out, size_t outsz)
{
    if (isnan(ratio))
        snprintf(out, outsz, "—");
    else
        snprintf(out, outsz, "%.1f%%", ratio * 100.0);
}

void report_time(int64_t ms, char *out, size_t outsz)
{
    if (ms <= 0) {
        snprintf(out, outsz, "—");
        return;
    }
    int64_t local = ms + COV_TZ_OFFSET_MS;
    int32_t day = coverage_day_of(ms);
    int64_t in_day = local - (int64_t)day * COV_DAY_MS;
    char date[16];
    coverage_format_date(day, date, sizeof date);
    snprintf(out, outsz, "%s %02d:%02d", date, (int)(in_day / 3600000), (int)(in_day / 60000 % 60));
}

int report_parse_format(const char *s, enum report_format *out)
{
    static const struct {
        const char *name;
        enum report_format f;
    } names[] = {{"html", REPORT_HTML},
                 {"csv", REPORT_CSV},
                 {"json", REPORT_JSON},
                 {"md", REPORT_MD},
                 {"markdown", REPORT_MD}};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -EINVAL;
}

int report_parse_lang(const char *s, enum report_lang *out)
{
    if (s && strcmp(s, "zh") == 0)
        *out = REPORT_ZH;
    else if (s && strcmp(s, "en") == 0)
        *out = REPORT_EN;
    else
        return -EINVAL;
    return 0;
}

const char *report_content_type(enum report_format f)
{
    switch (f) {
    case REPORT_HTML:
        return "text/html; charset=utf-8";
    case REPORT_CSV:
        return "text/csv; charset=utf-8";
    case REPORT_JSON:
        return "application/json";
    case REPORT_MD:
        return "text/markdown; charset=utf-8";
    }
    return "application/octet-stream";
}

int report_render(const struct coverage *c, enum report_format f, const struct report_meta *m,
                  struct buf *out)
{
    switch (f) {
    case REPORT_HTML:
        return report_html(c, m, out);
    case REPORT_CSV:
        return report_csv(c, m, out);
    case REPORT_JSON:
        return report_json(c, m, out);
    case REPORT_MD:
        return report_md(c, m, out);
    }
    return -EINVAL;
}
