"""Settings of the web app only (``MATCHER_WEB_*``); the engine's own are :class:`matcher.settings.Settings`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_WEB_", frozen=True, extra="ignore")

    idle_minutes: float = Field(default=30.0, gt=0, description="a session ends after this long without a request")
    max_hours: float = Field(default=10.0, gt=0, description="and after this long in any case")
    secure_cookies: bool = Field(default=False, description="mark cookies Secure: set it when served over TLS")
    mlflow_ui_url: str = Field(
        default="", description="the data team's link to the MLflow UI (an internal address); none when empty"
    )
