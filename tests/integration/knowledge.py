"""Shared by the registry, decoder, validation and reload tests: an asset
registry CSV and HJ 212 frames."""

import datetime
import os

HEADER = "asset_id,name,category,district,lat,lon,status,upgraded_on,device_id,model,report_interval_s\n"


def write_registry(path, rows):
    """rows: (asset_id, category, district, device_id, model)"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(HEADER)
        for asset, cat, district, device, model in rows:
            f.write("%s,%s %s,%s,%s,37.39,116.27,upgraded,2026-01-29,%s,%s,\n"
                    % (asset, cat, asset, cat, district, device, model))
    return os.path.abspath(path)


def hj212_crc(seg):
    crc = 0xFFFF
    for b in seg.encode("ascii"):
        crc = (crc >> 8) ^ b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def hj212_frame(seg):
    return "##%04d%s%04X\r\n" % (len(seg), seg, hj212_crc(seg))


def china_time(ms):
    """YYYYMMDDhhmmss of epoch ms in UTC+8 (HJ 212 DataTime)."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone(datetime.timedelta(hours=8)))
    return t.strftime("%Y%m%d%H%M%S")
