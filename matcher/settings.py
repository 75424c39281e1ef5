"""Settings of the engine: the one place that reads the environment.

Built once by the CLI or the API's app factory and passed down; nothing reads ``os.environ``
elsewhere. What only the service reads (the body limit, the token files) is in
``api.settings.ServiceSettings``, which extends this class.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher.records.private import sqlite_file


class Settings(BaseSettings):
    """Configuration from the environment (``MATCHER_*``, ``DATABASE_URL``, ``MLFLOW_*``)."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", frozen=True, extra="ignore")

    home: Path = Field(default=Path("var"), description="store, indexes, MLflow store, audit log")
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; default: SQLite file under home",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias="MLFLOW_TRACKING_URI",
        description="default: SQLite tracking store under home",
    )
    encoder: str | None = Field(default=None, description="sentence-transformers model name or path; default: bundled")
    model_name: str = Field(default="kl-matcher-reranker", description="registered model name")
    audit_key_file: Path | None = Field(
        default=None,
        description="HMAC key of the audit log; default $MATCHER_HOME/audit.key (keep it apart in production)",
    )
    # EU AI Act Art. 26(6): deployers keep the logs for at least six months.
    audit_retention_days: int = Field(default=190, ge=183, description="audit records older than this are rotated out")

    # Need-to-know (§ 67c SGB X): a job seeker's team where the export names none, by the longest
    # matching prefix of the municipality key (AGS); see matcher.services.staff.TeamRule and README.
    team_rule: dict[str, str] = Field(
        default_factory=lambda: {"07312": "stadt", "07335": "landkreis"},
        description="AGS prefix -> team of the job seekers living there (JSON)",
    )
    default_team: str = Field(default="zentral", description="team of job seekers no prefix matches")

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'matcher.db').resolve()}"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def artifact_dir(self) -> Path:
        return (self.home / "mlartifacts").resolve()

    @property
    def index_dir(self) -> Path:
        return self.home / "indexes"

    @property
    def cache_dir(self) -> Path:
        """Derived files that are built again when missing (no personal data but the embeddings)."""
        return self.home / "cache"

    @property
    def embedding_cache_dir(self) -> Path:
        """Embeddings of the training run, keyed by encoder fingerprint."""
        return self.cache_dir / "embeddings"

    @property
    def encoder_dir(self) -> Path:
        return self.home / "encoder"

    @property
    def audit_log(self) -> Path:
        return self.home / "audit.log"

    @property
    def audit_key(self) -> Path:
        return self.audit_key_file or self.home / "audit.key"

    @property
    def pseudonym_key(self) -> Path:
        """The key of the employer service's per-vacancy candidate pseudonyms (matcher.services.pseudonyms)."""
        return self.home / "pseudonym.key"

    def private_paths(self) -> list[Path]:
        """The home's files and folders that hold personal data, secrets or what is derived from them
        (for :func:`matcher.records.private.wide_modes`)."""
        paths: list[Path] = []
        for url in (self.store_url, self.tracking_uri):
            db = sqlite_file(url)
            if db is not None:
                paths += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        # The audit key may be kept apart from the home.
        paths += [
            self.audit_log,
            self.home / "audit.key",
            self.audit_key,
            self.pseudonym_key,
            self.home,
            self.index_dir,
            self.artifact_dir,
        ]
        return paths
