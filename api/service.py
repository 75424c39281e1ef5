"""What the API serves from: store, engine, tokens and audit log, and how they change.

``Service.start`` never fails for a missing model, index or encoder: it records why and the app
starts anyway (``/health`` answers, ``/ready`` says what is missing, shortlists answer 503).

Consistency: the engine follows the store's change log (see :mod:`matcher.ranking.engine`). Every request
that reads engine state gets it through :meth:`Service.ready_engine` (or ``index_engine``), which
applies the entries that other workers (or replicas, or ``matcher train``) wrote, so each answer
includes every write that was acknowledged before the request arrived. Writes and model reloads are log entries too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from api.demo import team_rule
from api.errors import AccessReasonRequiredError, NotReadyError, ReloadFailedError
from api.identity import Authenticator, OidcVerifier
from api.security import Principal
from api.settings import ServiceSettings
from matcher.errors import (
    IndexCorruptError,
    IndexMissingError,
    IndexModelMismatchError,
    MatcherError,
    ModelNotFoundError,
    UnknownPseudonymError,
)
from matcher.ranking.encoder import EncoderNotBuiltError
from matcher.ranking.engine import Engine
from matcher.ranking.shortlist import IndexVersion, Shortlist
from matcher.ranking.stages import StageObserver
from matcher.records.reference import ReferenceData
from matcher.records.store import Store
from matcher.services.audit import AuditEntry, AuditLog
from matcher.services.contacts import ContactBook
from matcher.services.pseudonyms import PersonNumbers, Pseudonyms
from matcher.services.serving import ModelInfo, champion_loader, open_audit_log, open_engine, rotate_audit_log
from matcher.services.staff import StaffDirectory, TeamRule

_INDEX_ERRORS = (IndexMissingError, IndexCorruptError, IndexModelMismatchError)


def index_label(version: IndexVersion) -> str:
    """One string per index state for the audit log: kind, encoder, build time, size, log position."""
    return f"{version.kind}:{version.encoder_fingerprint}:{version.built_at}:{version.count}:{version.applied_seq}"


def _warm_up(engine: Engine) -> None:
    """One shortlist before ``/ready`` says ready: the reference labels that reasons use load
    lazily, and the first request otherwise waited 400-650 ms for them."""
    ids = engine.candidates.index.ids()[:1]
    if ids and engine.model is not None:
        with suppress(MatcherError):  # a thin first profile: nothing to warm, nothing wrong
            engine.shortlist_for_candidate(ids[0], k=1)


@dataclass(frozen=True)
class Observers:
    """Who is told how long the service's work took (the metrics, :mod:`api.metrics`; none when off)."""

    stage: StageObserver | None = None  # each stage of each shortlist
    audit_append: Callable[[float], None] | None = None  # each durable audit append, in seconds


@dataclass
class Service:
    """Everything a request needs; held in ``app.state.service``."""

    settings: ServiceSettings
    store: Store
    reference: ReferenceData
    audit_log: AuditLog
    authenticator: Authenticator
    oidc: OidcVerifier | None  # None: no identity provider configured (tokens only)
    teams: TeamRule
    pseudonyms: Pseudonyms
    contacts: ContactBook
    observers: Observers = field(default_factory=Observers)
    engine: Engine | None = None  # None: encoder or indexes missing (``problems`` says which)
    problems: dict[str, str] = field(default_factory=dict)
    _start_lock: threading.Lock = field(default_factory=threading.Lock)
    # (change-log position, number -> customer number): rebuilt only when the store changed
    _numbers: tuple[int, PersonNumbers] | None = None
    _numbers_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, settings: ServiceSettings, observers: Observers = Observers()) -> Service:
        """Open the store, the audit log (recovering a torn tail, rotating expired records) and
        load encoder, indexes and the @champion; record what is missing."""
        store = Store(settings.store_url)
        oidc = OidcVerifier(settings.oidc) if settings.oidc is not None else None
        authenticator, teams = Authenticator(StaffDirectory(store), oidc), team_rule(settings)
        pseudonyms, contacts = Pseudonyms.from_file(settings.pseudonym_key), ContactBook(store)
        audit_log = open_audit_log(settings, store)
        recovered = audit_log.recover()
        rotate_audit_log(settings, audit_log)
        parts = (audit_log, authenticator, oidc, teams, pseudonyms, contacts)
        service = cls(settings, store, ReferenceData(), *parts, observers)
        if recovered is not None:
            service.problems["audit_log"] = (
                f"torn final line ({recovered.bytes} bytes) moved to {recovered.quarantine.name}; "
                f"appends go on after record #{recovered.after_seq}"
            )
        service._open()
        return service

    def _open(self) -> None:
        try:
            self.engine = open_engine(self.settings, store=self.store, reference=self.reference)
        except EncoderNotBuiltError as exc:
            self.problems["encoder"] = str(exc)
        except _INDEX_ERRORS as exc:
            self.problems["indexes"] = str(exc)
        if self.engine is None:  # say whether a model would be there once the indexes are
            try:
                champion_loader(self.settings)()
            except ModelNotFoundError as exc:
                self.problems["model"] = str(exc)
        else:
            for name in ("encoder", "indexes", "model"):
                self.problems.pop(name, None)
            _warm_up(self.engine)  # before the observer: the warm-up is no request
            self.engine.stage_observer = self.observers.stage

    def close(self) -> None:
        self.store.close()

    # --- readiness ---------------------------------------------------------------------------
    @property
    def model(self) -> ModelInfo | None:
        return None if self.engine is None else self.engine.model

    def all_problems(self) -> dict[str, str]:
        return {**self.problems, **(self.engine.problems if self.engine else {})}

    @property
    def ready(self) -> bool:
        return self.engine is not None and self.engine.model is not None

    def index_engine(self) -> Engine:
        """The engine, synced with the change log (record writes need no model).

        Raises:
            NotReadyError: the indexes are not loaded (says why).
        """
        if self.engine is None:
            reason = self.problems.get("indexes") or self.problems.get("encoder") or "not loaded"
            raise NotReadyError(f"the indexes are not loaded ({reason}); run `matcher index`")
        self.engine.sync()
        return self.engine

    def ready_engine(self) -> Engine:
        """The synced engine, if it can rank (indexes and model loaded).

        Raises:
            NotReadyError: with what is missing and how to fix it.
        """
        engine = self.engine
        if engine is not None:
            engine.sync()
        if engine is None or engine.model is None:
            missing = "; ".join(f"{k}: {v}" for k, v in self.all_problems().items()) or "still loading"
            raise NotReadyError(f"the service cannot rank yet ({missing})")
        return engine

    # --- model -------------------------------------------------------------------------------
    def reload_model(self) -> tuple[ModelInfo | None, ModelInfo]:
        """Switch every worker to the registry's current @champion; on failure nothing changes.

        The switch is a change-log entry: this worker applies it at once, every other one before
        its next answer.

        Returns:
            (the model before, the model now).

        Raises:
            ReloadFailedError: the champion cannot be loaded (says which model still serves).
        """
        if self.engine is None:
            with self._start_lock:  # indexes missing at start may have been built since
                if self.engine is None:
                    self._open()
        engine = self.index_engine()
        before = engine.model
        self.store.log_model_change(self.settings.model_name, "champion")
        engine.sync()
        problem = engine.problems.get("model")
        if problem is not None or engine.model is None:
            serving = before.version if before else None
            keeps = f"; version {serving} keeps serving" if serving else ""
            raise ReloadFailedError(f"reload failed: {problem}{keeps}", serving)
        return before, engine.model

    # --- pseudonyms ----------------------------------------------------------------------------
    def pseudonym(self, vacancy_id: str, candidate_id: str) -> str:
        """The job seeker's pseudonym on the employer service's cards of this vacancy."""
        return self.pseudonyms.of(vacancy_id, candidate_id)

    def unmask(self, vacancy_id: str, pseudonyms: Sequence[str]) -> dict[str, str]:
        """Pseudonym -> customer number for cards of one vacancy (server side only).

        Raises:
            UnknownPseudonymError: one of them names nobody (or two people) on this vacancy's cards.
        """
        numbers = self.person_numbers()
        found = {}
        for pseudonym in pseudonyms:
            person = self.pseudonyms.person(vacancy_id, pseudonym, numbers)
            if person is None:
                raise UnknownPseudonymError(vacancy_id, pseudonym)
            found[pseudonym] = person
        return found

    def person_numbers(self) -> PersonNumbers:
        """The map that deciphered pseudonyms are looked up in, as of the store's last change.

        Built once per change-log position (every worker and replica sees a write in the log), so
        a lookup costs a ``max(seq)`` query and four hashes, whatever a caller sends.
        """
        seq = self.store.last_change()
        with self._numbers_lock:
            if self._numbers is None or self._numbers[0] != seq:
                self._numbers = (seq, self.pseudonyms.numbers(self.store.candidate_ids()))
            return self._numbers[1]

    def card_person(self, vacancy_id: str, pseudonym: str) -> tuple[str, str]:
        """(stored vacancy id, customer number) behind a card of a vacancy's shortlist.

        Raises:
            UnknownVacancyError: no such vacancy; UnknownPseudonymError: no such card on it.
        """
        vacancy_id = self.store.resolve_vacancy_id(vacancy_id)
        self.store.get_vacancy(vacancy_id)
        return vacancy_id, self.unmask(vacancy_id, [pseudonym])[pseudonym]

    # --- people, teams and audit --------------------------------------------------------------
    def authenticate(self, token: str) -> Principal:
        """The caller behind a bearer token.

        Raises:
            AuthenticationError: unknown, expired, revoked or forged; the message says which.
        """
        return self.authenticator.principal(token)

    def may_fetch_keys(self, token: str) -> bool:
        """Whether checking ``token`` may fetch the provider's keys (a JWT not verified yet)."""
        return self.authenticator.may_fetch_keys(token)

    def team_of(self, candidate_id: str) -> str:
        """The team in charge of a stored job seeker (UnknownCandidateError if there is none)."""
        return self.teams.of(self.store.get_candidate(candidate_id))

    def reach(self, who: Principal, candidate_id: str) -> Principal:
        """The caller, cleared to reach this job seeker (need-to-know, § 67c SGB X).

        Their own teams' job seekers they reach as they are; another team's only with a stated
        reason, and the principal returned then carries the team reached, so that the audit record
        of the request names the reason and the team (a break-glass read).

        Raises:
            UnknownCandidateError: no such job seeker (404);
            AccessReasonRequiredError: another team's, and no reason given (403).
        """
        return self.reach_all(who, [candidate_id])

    def reach_all(self, who: Principal, candidate_ids: Sequence[str]) -> Principal:
        """:meth:`reach` for several job seekers at once (the teams reached are all named)."""
        if who.in_team(None):  # roles and people whom need-to-know does not bound by team
            return who
        foreign = sorted({t for t in map(self.team_of, dict.fromkeys(candidate_ids)) if not who.in_team(t)})
        if not foreign:
            return who
        if who.reason is None:
            raise AccessReasonRequiredError(",".join(foreign))
        return who.reaching(",".join(foreign))

    def visible_teams(self, who: Principal) -> tuple[str, ...] | None:
        """The teams whose job seekers a listing shows this caller (None: every team): their own,
        or every team when they gave a reason (the listing's audit record then says so)."""
        if who.in_team(None) or who.reason is not None:
            return None
        return tuple(sorted(who.teams))

    def audit(
        self,
        principal: Principal,
        endpoint: str,
        query_id: str,
        items: Sequence[tuple[str, float | None]],
        model_version: str = "-",
        index_version: str = "-",
        kind: str = "shortlist",
    ) -> None:
        """Append one record to the audit log (ids, scores and versions only); returns once durable."""
        entry = AuditEntry(
            principal.role.value,
            principal.user_id,
            endpoint,
            query_id,
            items,
            model_version,
            index_version,
            kind,
            team=principal.team_label,
            reason=None if principal.reached is None else principal.reason,
            reached_team=principal.reached,
        )
        start = time.perf_counter()
        self.audit_log.append(entry)
        if self.observers.audit_append is not None:
            self.observers.audit_append(time.perf_counter() - start)

    def audit_shortlist(self, principal: Principal, endpoint: str, result: Shortlist) -> None:
        """Audit one shortlist answer: its query, the returned ids (customer numbers) and scores, the
        model and the index; before the answer is presented (:func:`api.present.present_shortlist`)."""
        items = [(i.id, i.score) for i in result.items]
        self.audit(principal, endpoint, result.query_id, items, result.scorer, index_label(result.index))
