"""The adequacy check against a hand-computed example.

Enterprise 1 (黄村镇): baseline SO2 10, NOx 20, PM 30, VOCs 40; red cuts 1+1, 8, 12, 4.
Enterprise 2 (西红门镇): baseline SO2 30, NOx 60, PM 10, VOCs 60; red cuts 4, 4, 5, 20.
District 大兴区 at red: SO2 6/40 = 15 %, NOx 12/80 = 15 %, PM 17/40 = 42.5 %, VOCs 24/100 = 24 %."""
from __future__ import annotations

import pytest

from config import rulesets
from config.settings import AppConfig, AreaConfig
from lists import service
from tests.factories import make_enterprise, make_measure, run_import, write_xlsx


@pytest.fixture
def lists(session, tmp_path):
    def cut(n, so2, nox, pm, vocs, target="1号线"):
        return make_measure(n, "红色", 0, action="停产", limit_pct=None, target=target,
                            so2_cut=so2, nox_cut=nox, pm_cut=pm, vocs_cut=vocs)

    records = {
        "enterprises": [make_enterprise(1, town="黄村镇"),
                        make_enterprise(2, town="西红门镇", so2_base=30, nox_base=60, pm_base=10, vocs_base=60)],
        "contacts": [],
        "measures": [cut(1, 1, 8, 12, 4), cut(1, 1, 0, 0, 0, "2号线"), cut(2, 4, 4, 5, 20),
                     make_measure(1, "黄色", 0.05)],
    }
    result = run_import(session, write_xlsx(tmp_path / "l.xlsx", records))
    assert result.written, [str(e) for e in result.plan.errors]
    return session


def check(session, level="red", area=None, config=AppConfig(), rules="national-2024"):
    return service.adequacy(session=session, rules=rulesets.load(rules), config=config, level=level, area=area)


def test_district_figures_match_the_hand_computation(lists):
    result = check(lists, area="大兴区")
    got = {p: (c.baseline, c.cut, c.ratio, c.required, c.ok) for p, c in result.pollutants.items()}
    assert got == {"so2": (40, 6, 0.15, 0.3, False), "nox": (80, 12, 0.15, 0.3, False),
                   "pm": (40, 17, 0.425, 0.3, True), "vocs": (100, 24, 0.24, 0.3, False)}
    assert (result.enterprises, result.ok) == (2, False)


def test_a_town_counts_only_its_own_enterprises(lists):
    result = check(lists, area="黄村镇")
    assert result.enterprises == 1
    assert {p: c.ratio for p, c in result.pollutants.items()} == {"so2": 0.2, "nox": 0.4, "pm": 0.4, "vocs": 0.1}


def test_lower_level_uses_its_own_measures_and_ratio(lists):
    result = check(lists, level="黄色")
    assert result.level == "yellow"
    assert {p: (c.cut, c.required) for p, c in result.pollutants.items()} == \
           {"so2": (0.5, 0.1), "nox": (1.0, 0.1), "pm": (1.5, 0.1), "vocs": (2.0, 0.1)}


def test_inventory_total_replaces_the_lists_as_base_and_area_ratio_overrides(lists):
    config = AppConfig(areas={"大兴区": AreaConfig(inventory={"so2": 20.0}, required={"red": 0.4})})
    result = check(lists, area="大兴区", config=config)
    so2, pm = result.pollutants["so2"], result.pollutants["pm"]
    assert (so2.baseline, so2.base, so2.ratio, so2.required, so2.ok) == (20.0, "inventory", 0.3, 0.4, False)
    assert (pm.base, pm.required, pm.ok) == ("lists", 0.4, True)


def test_trading_judges_so2_and_nox_together(lists, tmp_path):
    base = (rulesets.RULES_DIR / "national-2024.toml").read_text().replace("trade_so2_nox = false", "trade_so2_nox = true")
    for required, ok in (("0.15", True), ("0.16", False)):
        path = tmp_path / f"trade-{required}.toml"
        path.write_text(base.replace("required = 0.30", f"required = {required}"))
        result = check(lists, rules=str(path))
        assert result.traded and result.pollutants["so2"].ok is ok and result.pollutants["nox"].ok is ok


def test_unknown_level_and_area_are_refused(lists):
    with pytest.raises(KeyError):
        check(lists, level="blue")
    with pytest.raises(service.UnknownArea, match="大兴区"):
        check(lists, area="朝阳区")


def test_empty_database_gives_zero_baselines_and_no_ratio(session):
    result = check(session)
    assert result.enterprises == 0 and all(c.ratio is None and c.ok for c in result.pollutants.values())
