"""Stored forecasts: one row per area and day per import. Nothing is overwritten: for an area and
day, the forecast issued last supersedes the earlier ones, which stay for the record."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from config.db import Base, UTCDateTime


class ForecastImport(Base):
    __tablename__ = "forecast_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]


class Forecast(Base):
    __tablename__ = "forecasts"
    __table_args__ = (Index("ix_forecasts_area_issued", "area_id", "issued_at"),
                      Index("ix_forecasts_area_date", "area_id", "date"))

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("forecast_imports.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    aqi: Mapped[int]
    aqi_given: Mapped[bool] = mapped_column(Boolean)  # as published, else computed from the concentrations
    primary: Mapped[str] = mapped_column(String(50), default="")  # pollutant keys, comma-separated
    pm25: Mapped[float | None] = mapped_column(Float)
    pm10: Mapped[float | None] = mapped_column(Float)
    so2: Mapped[float | None] = mapped_column(Float)
    no2: Mapped[float | None] = mapped_column(Float)
    co: Mapped[float | None] = mapped_column(Float)
    o3_8h: Mapped[float | None] = mapped_column(Float)
