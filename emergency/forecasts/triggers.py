"""The rule-set evaluator: from forecast days to the highest warning level whose trigger holds, and why."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from config.rulesets import Level, RuleSet, Trigger


@dataclass(frozen=True)
class Day:
    date: date
    aqi: int
    primary: tuple[str, ...] = ()


@dataclass
class Recommendation:
    level: str | None
    rule: str | None  # which rule set, level and alternative, in words
    days: list[date] = field(default_factory=list)  # the run of days that met it
    advisory: list[date] = field(default_factory=list)  # heavy days left out: ozone or dust only

    def to_json(self) -> dict:
        return {"level": self.level, "rule": self.rule, "trigger_days": [d.isoformat() for d in self.days],
                "advisory_only_days": [d.isoformat() for d in self.advisory]}


def counts(rules: RuleSet, day: Day) -> bool:
    """Whether the day may trigger a warning: not an ozone or dust day (health advice only)."""
    return not day.primary or not set(day.primary) <= set(rules.advisory_only)


def runs(days: list[Day], holds) -> list[list[Day]]:
    """Maximal runs of consecutive dates whose day satisfies `holds`."""
    result: list[list[Day]] = []
    for day in sorted(days, key=lambda d: d.date):
        if not holds(day):
            continue
        if result and result[-1][-1].date + timedelta(days=1) == day.date:
            result[-1].append(day)
        else:
            result.append([day])
    return result


def trigger_run(rules: RuleSet, trigger: Trigger, days: list[Day]) -> list[Day] | None:
    """The first run of days on which the trigger holds, or None."""
    for run in runs(days, lambda d: counts(rules, d) and trigger.holds(d.aqi)):
        if len(run) >= trigger.days and all(sum(c.holds(d.aqi) for d in run) >= c.count for c in trigger.within):
            return run
    return None


def describe(rules: RuleSet, level: Level, index: int) -> str:
    alternatives = f" (alternative {index + 1} of {len(level.triggers)})" if len(level.triggers) > 1 else ""
    return f"{rules.name} {level.key}/{level.zh}{alternatives}: {level.triggers[index].text}"


def evaluate(rules: RuleSet, days: list[Day]) -> Recommendation:
    """The highest level whose trigger holds on these days (None when none does), with the rule
    and the days that met it. Dates need not be contiguous: a gap breaks a run."""
    advisory = [d.date for d in days if d.aqi > 200 and not counts(rules, d)]
    for level in reversed(rules.levels):
        for i, trigger in enumerate(level.triggers):
            run = trigger_run(rules, trigger, days)
            if run is not None:
                return Recommendation(level.key, describe(rules, level, i), [d.date for d in run], advisory)
    return Recommendation(None, None, [], advisory)
