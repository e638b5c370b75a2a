"""GB/T 21010-2017 land-use codes and synthetic Chinese place names."""

from __future__ import annotations

import numpy as np

GBT21010_L1: dict[str, str] = {
    "01": "耕地",
    "02": "园地",
    "03": "林地",
    "04": "草地",
    "05": "商服用地",
    "06": "工矿仓储用地",
    "07": "住宅用地",
    "08": "公共管理与公共服务用地",
    "09": "特殊用地",
    "10": "交通运输用地",
    "11": "水域及水利设施用地",
    "12": "其他土地",
}
"""First-level classes of GB/T 21010-2017 and their Chinese names."""

GBT21010_L2: dict[str, str] = {
    "0101": "水田",
    "0102": "水浇地",
    "0103": "旱地",
    "0201": "果园",
    "0202": "茶园",
    "0203": "橡胶园",
    "0204": "其他园地",
    "0301": "乔木林地",
    "0302": "竹林地",
    "0303": "红树林地",
    "0304": "森林沼泽",
    "0305": "灌木林地",
    "0306": "灌丛沼泽",
    "0307": "其他林地",
    "0401": "天然牧草地",
    "0402": "沼泽草地",
    "0403": "人工牧草地",
    "0404": "其他草地",
    "0501": "零售商业用地",
    "0502": "批发市场用地",
    "0503": "餐饮用地",
    "0504": "旅馆用地",
    "0505": "商务金融用地",
    "0506": "娱乐用地",
    "0507": "其他商服用地",
    "0601": "工业用地",
    "0602": "采矿用地",
    "0603": "盐田",
    "0604": "仓储用地",
    "0701": "城镇住宅用地",
    "0702": "农村宅基地",
    "0801": "机关团体用地",
    "0802": "新闻出版用地",
    "0803": "教育用地",
    "0804": "科研用地",
    "0805": "医疗卫生用地",
    "0806": "社会福利用地",
    "0807": "文化设施用地",
    "0808": "体育用地",
    "0809": "公用设施用地",
    "0810": "公园与绿地",
    "0901": "军事设施用地",
    "0902": "使领馆用地",
    "0903": "监教场所用地",
    "0904": "宗教用地",
    "0905": "殡葬用地",
    "0906": "风景名胜设施用地",
    "1001": "铁路用地",
    "1002": "轨道交通用地",
    "1003": "公路用地",
    "1004": "城镇村道路用地",
    "1005": "交通服务场站用地",
    "1006": "农村道路",
    "1007": "机场用地",
    "1008": "港口码头用地",
    "1009": "管道运输用地",
    "1101": "河流水面",
    "1102": "湖泊水面",
    "1103": "水库水面",
    "1104": "坑塘水面",
    "1105": "沿海滩涂",
    "1106": "内陆滩涂",
    "1107": "沟渠",
    "1108": "沼泽地",
    "1109": "水工建筑用地",
    "1110": "冰川及永久积雪",
    "1201": "空闲地",
    "1202": "设施农用地",
    "1203": "田坎",
    "1204": "盐碱地",
    "1205": "沙地",
    "1206": "裸土地",
    "1207": "裸岩石砾地",
}
"""Second-level codes of GB/T 21010-2017 and their Chinese names (DLBM → DLMC)."""

_SURNAMES = (
    "张王李刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎潘杜戴夏钟汪田任姜范方石姚谭廖邹金陆郝孔白崔康毛邱秦江史顾"
    "侯邵孟万段钱汤尹常武乔贺龚"
)
_VILLAGE_SUFFIXES = "庄楼集圩营店湖洼寨桥屯岗口套场园坊埠河"
_VILLAGE_PREFIXES = "大小前后东西南北新老"
_TOWN_FIRST = "青柳泉汴塔茅紫凤鹿龙桃梨杏白金银潘碧丰安宁华"
_TOWN_SECOND = "山泉河湖塘桥集岗林庙坝埠"


def village_names(rng: np.random.Generator, n: int) -> list[str]:
    """Draw ``n`` distinct synthetic natural-village names such as ``张庄`` or ``后李楼``."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        name = (
            _SURNAMES[rng.integers(len(_SURNAMES))]
            + _VILLAGE_SUFFIXES[rng.integers(len(_VILLAGE_SUFFIXES))]
        )
        if name in seen or rng.random() < 0.15:
            name = _VILLAGE_PREFIXES[rng.integers(len(_VILLAGE_PREFIXES))] + name
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def town_names(rng: np.random.Generator, n: int, taken: set[str] | None = None) -> list[str]:
    """Draw ``n`` distinct synthetic two-character town stems such as ``柳泉``."""
    names: list[str] = []
    seen: set[str] = set(taken or ())
    while len(names) < n:
        a = _TOWN_FIRST[rng.integers(len(_TOWN_FIRST))]
        b = _TOWN_SECOND[rng.integers(len(_TOWN_SECOND))]
        name = a + b
        if len(names) > 200:  # very large regions: allow three-character stems
            name = _TOWN_FIRST[rng.integers(len(_TOWN_FIRST))] + name
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names
