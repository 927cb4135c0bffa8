"""What a workbook import reports: errors (nothing is written) and warnings (reported only)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    severity: Severity
    sheet: str
    row: int  # as Excel shows it; 0 = the workbook or sheet as a whole
    column: str  # the header as the spec names it; "" = the whole row
    message_zh: str
    message: str

    @classmethod
    def error(cls, sheet: str, row: int, column: str, zh: str, en: str) -> "Issue":
        return cls(Severity.ERROR, sheet, row, column, zh, en)

    @classmethod
    def warning(cls, sheet: str, row: int, column: str, zh: str, en: str) -> "Issue":
        return cls(Severity.WARNING, sheet, row, column, zh, en)

    def where(self) -> str:
        place = self.sheet or "工作簿"
        if self.row:
            place += f" 第{self.row}行"
        if self.column:
            place += f" [{self.column}]"
        return place

    def __str__(self) -> str:
        return f"{self.where()}: {self.message_zh} | {self.message}"

    def to_json(self) -> dict:
        data = asdict(self)
        del data["severity"]
        return data
