"""Who may do what, and where. Every service function that changes state takes an Actor and asks
here, so that the command line, the API and the console enforce the same rules."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from accounts.models import Role


class Action(StrEnum):
    IMPORT_FORECAST = "forecast.import"
    IMPORT_LISTS = "lists.import"
    DRAFT = "warning.draft"
    REQUEST_CHANGE = "warning.change"
    REQUEST_LIFT = "warning.lift"
    WITHDRAW_OWN = "warning.withdraw_own"
    APPROVE = "warning.approve"  # and reject (withdraw) any pending request
    REMIND = "warning.remind"
    INSPECT = "inspection.record"
    ASSIGN = "inspection.assign"  # send an inspector to an enterprise
    PUBLISH_REPORT = "report.publish"
    MANAGE_USERS = "user.manage"


_OFFICE = {Action.REMIND, Action.INSPECT, Action.ASSIGN, Action.PUBLISH_REPORT}
ALLOWED: dict[str, frozenset[Action]] = {
    Role.DUTY_OFFICER: frozenset({Action.IMPORT_FORECAST, Action.IMPORT_LISTS, Action.DRAFT, Action.REQUEST_CHANGE,
                                  Action.REQUEST_LIFT, Action.WITHDRAW_OWN}),
    Role.COMMANDER: frozenset({Action.APPROVE}),
    Role.OFFICE: frozenset(_OFFICE),
    Role.INSPECTOR: frozenset({Action.INSPECT}),
    Role.VIEWER: frozenset(),
    Role.ADMIN: frozenset({Action.MANAGE_USERS, Action.IMPORT_LISTS, *_OFFICE}),
}

ROLE_ZH = {Role.DUTY_OFFICER: "值班员", Role.COMMANDER: "指挥部负责人", Role.OFFICE: "指挥部办公室",
           Role.INSPECTOR: "督查员", Role.VIEWER: "只读用户", Role.ADMIN: "管理员", "system": "系统"}
ACTION_ZH = {Action.IMPORT_FORECAST: "导入预报", Action.IMPORT_LISTS: "导入清单", Action.DRAFT: "起草预警",
             Action.REQUEST_CHANGE: "申请变更预警", Action.REQUEST_LIFT: "申请解除预警", Action.WITHDRAW_OWN: "撤回申请",
             Action.APPROVE: "审批预警", Action.REMIND: "催办", Action.INSPECT: "记录督查", Action.ASSIGN: "分派督查", Action.PUBLISH_REPORT: "发布报告",
             Action.MANAGE_USERS: "管理用户"}
ACTION_EN = {Action.IMPORT_FORECAST: "import forecasts", Action.IMPORT_LISTS: "import lists",
             Action.DRAFT: "draft warnings", Action.REQUEST_CHANGE: "ask to change a warning",
             Action.REQUEST_LIFT: "ask to lift a warning", Action.WITHDRAW_OWN: "withdraw requests",
             Action.APPROVE: "approve or reject warnings", Action.REMIND: "send reminders",
             Action.INSPECT: "record inspections", Action.ASSIGN: "assign inspections", Action.PUBLISH_REPORT: "publish reports", Action.MANAGE_USERS: "manage users"}


class Forbidden(PermissionError):
    """The role may not do this (403 in the API, exit 1 on the command line)."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


class OutOfScope(LookupError):
    """The thing lies outside the user's area: answered as if it did not exist (404)."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Actor:
    """The person acting (or the system): who, in which role, over which area ("/1/5/" path; None = all)."""

    username: str
    role: str
    user_id: int | None = None
    area_id: int | None = None
    area_path: str | None = None
    name: str = ""

    @property
    def system(self) -> bool:
        return self.role == "system"

    def may(self, action: Action) -> bool:
        return self.system or action in ALLOWED.get(self.role, frozenset())

    def require(self, action: Action) -> None:
        """Raises Forbidden when the role may not do the action."""
        if not self.may(action):
            role = ROLE_ZH.get(self.role, self.role)
            raise Forbidden(f"{self.username}（{role}）无权{ACTION_ZH[action]}",
                            f"{self.username} ({self.role}) may not {ACTION_EN[action]}")

    def covers(self, path: str) -> bool:
        """The area of that path is the user's area or lies inside it (enterprises, towns, lists)."""
        return self.area_path is None or path.startswith(self.area_path)

    def sees_warning(self, path: str) -> bool:
        """A warning there concerns the user: inside the user's area, or for an area that contains it."""
        return self.covers(path) or (self.area_path or "").startswith(path)


def system(name: str = "system") -> Actor:
    """The system itself (scheduler, worker, an operator at the server's shell): may do anything."""
    return Actor(username=name, role="system")
