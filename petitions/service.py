"""The petition workflow the chat and the console use: check input, preview the routing, submit once, look up.

Rasa actions stay thin: each form slot is checked by one method here, which either returns the clean value or raises
`InputError` carrying the Vietnamese message to show. `submit` is idempotent on the key the chat channel gives
(sender + message id), so a redelivered message never files a second petition. `status` answers only the petition's
owner, or someone who also gives the phone number used when filing; for anyone else it looks exactly like an unknown
code.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from nlp.text import fold, has_diacritics, normalize
from petitions import codes
from petitions.communes import CommuneDirectory, CommuneMatch
from petitions.consent import ConsentRecord, parse_consent
from petitions.deadlines import DeadlinePolicy
from petitions.models import KIND_LABELS, STATUS_LABELS
from petitions.phone import display_phone
from petitions.router import Route, Router
from petitions.routing_text import routing_text
from petitions.store import NewPetition, PetitionRecord, PetitionStore
from petitions.validation import InputError, clean_commune, clean_matter, clean_phone, wants_no_phone
from petitions.vn_time import VN_TZ, vn_date

log = logging.getLogger(__name__)

_NO_DATE = "—"  # a date the petition does not have yet, in the citizen-facing summaries

MSG_BAD_CODE = "Mã tra cứu chưa đúng (có thể gõ nhầm một ký tự). Mã có dạng TN-XXXX-XXXX, ví dụ TN-7K4Q-MX29."
MSG_NOT_FOUND = (
    "Không tìm thấy phản ánh nào với mã này trong tài khoản của bạn. Nếu bạn đã gửi từ một tài khoản khác, "
    "xin cho biết thêm số điện thoại đã để lại khi gửi phản ánh."
)
MSG_PHONE_WITHOUT_CONSENT = (
    "Bạn đã chọn gửi ẩn danh nên hệ thống không lưu số điện thoại. Nếu muốn để lại số điện thoại, "
    "xin đồng ý cho xử lý dữ liệu cá nhân trước."
)

# A petition the router could not place with confidence waits for an operator in the triage queue: the citizen is
# told it is being classified, never the name of a guessed agency (issue 14 part 6).
TRIAGE_DISPLAY = "bộ phận tiếp nhận để phân loại (cơ quan giải quyết sẽ được thông báo cho bạn sau khi xác định)"
TRIAGE_RECEIPT = (
    "Phản ánh của bạn đang được phân loại để chuyển đến đúng cơ quan có thẩm quyền; tôi sẽ báo cho bạn cơ quan "
    "giải quyết ngay khi cán bộ xác định."
)
TRIAGE_STATUS = "Đang phân loại (cán bộ sẽ xác định cơ quan giải quyết)"

_KIND_PATTERNS = (
    ("to-cao", re.compile(r"\btố cáo\b"), re.compile(r"\bto cao\b")),
    ("khieu-nai", re.compile(r"\bkhiếu nại\b"), re.compile(r"\bkhieu nai\b")),
)


def classify_kind(text: str) -> str:
    """khiếu nại, tố cáo, or phản ánh/kiến nghị, from the words the citizen used (the earliest one wins)."""
    accented = has_diacritics(text)
    haystack = normalize(text) if accented else fold(text)
    found: list[tuple[int, str]] = []
    for kind, with_marks, without in _KIND_PATTERNS:
        match = (with_marks if accented else without).search(haystack)
        if match:
            found.append((match.start(), kind))
    return min(found)[1] if found else "phan-anh-kien-nghi"


@dataclass(frozen=True)
class Draft:
    """What the summary step shows before the citizen confirms."""

    text: str
    route: Route
    kind: str
    commune: CommuneMatch | None
    agency_display: str  # "UBND xã Hảo Đước" for commune matters, else the agency name

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def summary_vi(self, phone: str | None = None) -> str:
        excerpt = self.text if len(self.text) <= 300 else self.text[:297].rstrip() + "…"
        lines = [
            "Xin kiểm tra lại phản ánh của bạn:",
            f"• Nội dung: {excerpt}",
            f"• Loại: {self.kind_label}",
            f"• Xã/phường: {self.commune.full_name if self.commune else 'không nêu'}",
            f"• Số điện thoại: {display_phone(phone) if phone else 'không để lại (ẩn danh)'}",
            f"• Chuyển đến: {self.agency_display}",
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Receipt:
    """The outcome of `submit`: the tracking code and where the petition went."""

    code: str
    created: bool  # False when this exact message had been submitted before
    agency: str
    agency_display: str
    topic: str
    kind: str
    due_date: date | None
    commune_name: str | None
    commune_matched: bool
    triage: bool = False  # waiting in the triage queue: no agency is named to the citizen yet

    def message_vi(self) -> str:
        text = f"Đã tiếp nhận phản ánh của bạn. Mã tra cứu: {self.code}\n"
        text += TRIAGE_RECEIPT if self.triage else f"Phản ánh được chuyển đến: {self.agency_display}."
        if self.due_date:
            text += f"\nHạn giải quyết dự kiến: {vn_date(self.due_date, _NO_DATE)}."
        text += "\nBạn có thể gửi mã này bất cứ lúc nào để xem tình trạng giải quyết."
        return text


@dataclass(frozen=True)
class StatusView:
    """What a citizen may see about their own petition."""

    code: str
    status: str
    agency: str
    agency_display: str
    kind: str
    topic: str
    created_at: datetime
    updated_at: datetime
    due_date: date | None
    answer: str | None
    answered_at: datetime | None
    delivered_at: datetime | None = None  # when the answer reached the citizen's chat (the answered notice)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def line_vi(self) -> str:
        """One line of "hồ sơ của tôi": code, date filed, status, agency."""
        return f"• {self.code} — {vn_date(self.created_at, _NO_DATE)} — {self.status_label} ({self.agency_display})"

    def message_vi(self) -> str:
        lines = [
            f"Phản ánh mã {self.code}:",
            f"• Tình trạng: {self.status_label}",
            f"• Cơ quan giải quyết: {self.agency_display}",
            f"• Ngày tiếp nhận: {vn_date(self.created_at, _NO_DATE)}",
            f"• Cập nhật lần cuối: {vn_date(self.updated_at, _NO_DATE)}",
        ]
        if self.due_date and self.status in ("moi", "dang-xu-ly"):
            lines.append(f"• Hạn giải quyết: {vn_date(self.due_date, _NO_DATE)}")
        if self.answer:
            lines.append(f"• Trả lời ({vn_date(self.answered_at, _NO_DATE)}): {self.answer}")
        return "\n".join(lines)


class PetitionService:
    """The workflow around the store, the router, the commune directory and the deadline rules."""

    def __init__(
        self, store: PetitionStore, router: Router, communes: CommuneDirectory, deadlines: DeadlinePolicy,
        *, triage_agency: str | None = None,
    ) -> None:
        self.store = store
        self.router = router
        self.communes = communes
        self.deadlines = deadlines
        # Where petitions the router cannot place go to be classified (DANVAN_TRIAGE_AGENCY); by default the
        # routing table's own fallback queue.
        self.triage_agency = triage_agency or router.table.fallback

    def _triaged(self, route: Route) -> bool:
        """The router's fallback (below its cross-validated threshold, or nothing like any example) means triage."""
        return route.agency == self.router.table.fallback

    # -- form steps: each returns the clean value or raises InputError(message) -----------------------------------

    @staticmethod
    def check_consent(reply: str | None) -> bool:
        """True/False for an explicit yes/no; anything else asks again."""
        answer = parse_consent(reply)
        if answer is None:
            raise InputError(
                "Xin trả lời rõ \"Đồng ý\" nếu bạn đồng ý, hoặc \"Không\" nếu muốn gửi ẩn danh.", "unclear-consent"
            )
        return answer

    @staticmethod
    def check_matter(text: str | bytes | None) -> str:
        return clean_matter(text)

    def check_commune(self, text: str | bytes | None) -> CommuneMatch:
        """The commune as matched; an unknown name is accepted as typed (flagged for an operator)."""
        return self.communes.match(clean_commune(text))

    @staticmethod
    def check_phone(raw: str | None, *, consent_given: bool = True) -> str | None:
        """E.164 phone, or None when the citizen declines to give one."""
        if wants_no_phone(raw):
            return None
        if not consent_given:
            raise InputError(MSG_PHONE_WITHOUT_CONSENT, "phone-without-consent")
        return clean_phone(raw)

    # -- preview and submit ------------------------------------------------------------------------------------------

    @staticmethod
    def content_key(sender_id: str, text: str, commune: str | None = None, phone: str | None = None) -> str:
        """An idempotency key from what was filed, for channels that give no message id of their own.

        The same chat sending the same matter twice (a retried webhook, a double tap on "confirm") gets the same
        key, hence the same petition and code.
        """
        parts = [sender_id, fold(clean_matter(text)), fold(commune or ""), phone or ""]
        return "content:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def _agency_display(self, agency: str, commune: CommuneMatch | None, *, triage: bool = False) -> str:
        if triage:
            return TRIAGE_DISPLAY
        if agency == self.router.table.local_agency:
            if commune is not None and commune.matched:
                return f"UBND {commune.full_name}"
            if commune is not None and commune.name:
                return f"UBND xã/phường {commune.name} (cán bộ sẽ xác nhận địa bàn)"
            return "UBND xã/phường nơi bạn sinh sống (cán bộ sẽ xác nhận địa bàn)"
        return self.router.table.name_of(agency)

    def preview(self, text: str, commune: CommuneMatch | str | None = None) -> Draft:
        """Route a (validated) matter for the summary step."""
        matter = clean_matter(text)
        match = self.communes.match(commune) if isinstance(commune, str) else commune
        route = self.router.route(routing_text(matter))
        display = self._agency_display(route.agency, match, triage=self._triaged(route))
        return Draft(matter, route, classify_kind(matter), match, display)

    def submit(
        self,
        *,
        channel: str,
        sender_id: str,
        text: str,
        consent: ConsentRecord,
        idempotency_key: str,
        commune: CommuneMatch | str | None = None,
        phone: str | None = None,
        kind: str | None = None,
        route: Route | None = None,
        received: datetime | None = None,
    ) -> Receipt:
        """File the petition (once per idempotency key) and return its tracking code."""
        matter = clean_matter(text)
        match = self.communes.match(clean_commune(commune)) if isinstance(commune, str) else commune
        contact = None
        if phone:
            if not consent.given:
                raise InputError(MSG_PHONE_WITHOUT_CONSENT, "phone-without-consent")
            contact = clean_phone(phone)
        route = route or self.router.route(routing_text(matter))
        kind = kind or classify_kind(matter)
        if kind not in KIND_LABELS:
            raise ValueError(f"unknown kind {kind!r}")
        received_on = (received or datetime.now(VN_TZ)).astimezone(VN_TZ).date()
        triage = self._triaged(route)
        result = self.store.create(
            NewPetition(
                channel=channel,
                sender_id=sender_id,
                text=matter,
                agency=self.triage_agency if triage else route.agency,
                kind=kind,
                idempotency_key=idempotency_key,
                consent_given=consent.given,
                consent_text=consent.text_shown if consent.given else None,
                consent_at=consent.at if consent.given else None,
                contact_phone=contact,
                commune_name=match.name if match else None,
                commune_matched=bool(match and match.matched),
                commune_code=match.code if match and match.matched else None,
                topic=route.topic[:200],
                confidence=min(1.0, max(0.0, float(route.confidence))),
                due_date=self.deadlines.due_date(kind, received_on),
            )
        )
        record = result.record
        if triage:  # idempotent: a redelivery never puts back a petition whose agency an operator confirmed
            triage = self.store.mark_for_triage(record.code)
        if result.created:
            log.info("petition %s filed via %s to %s%s", record.code, channel, record.agency,
                     " (triage)" if triage else "")
        return self._receipt(record, result.created, triage=triage)

    def _receipt(self, record: PetitionRecord, created: bool, *, triage: bool = False) -> Receipt:
        match = self._stored_commune(record)
        return Receipt(
            code=record.code,
            created=created,
            agency=record.agency,
            agency_display=self._agency_display(record.agency, match, triage=triage),
            topic=record.topic,
            kind=record.kind,
            due_date=record.due_date,
            commune_name=record.commune_name,
            commune_matched=record.commune_matched,
            triage=triage,
        )

    def _stored_commune(self, record: PetitionRecord) -> CommuneMatch | None:
        if not record.commune_name:
            return None
        commune = self.communes.get(record.commune_code) if record.commune_code else None
        if commune is not None:
            return CommuneMatch(record.commune_name, True, commune.name, commune.code, commune.kind)
        return CommuneMatch(record.commune_name, False, record.commune_name)

    # -- status lookup -----------------------------------------------------------------------------------------------

    def status(self, code: str, sender_id: str | None, phone: str | None = None) -> StatusView | None:
        """The petition's status for its owner (or the filing phone's holder); None for everyone else."""
        record = self.store.lookup_for_citizen(code, sender_id, phone)
        return None if record is None else self._views([record])[0]

    def _views(self, records: list[PetitionRecord]) -> list[StatusView]:
        """What the citizen may see; a petition still in the triage queue names no agency."""
        triaged = self.store.awaiting_triage([r.code for r in records])
        return [self._view(r, triage=r.code in triaged) for r in records]

    def _view(self, record: PetitionRecord, *, triage: bool = False) -> StatusView:
        return StatusView(
            code=record.code,
            status=record.status,
            agency=record.agency,
            agency_display=TRIAGE_STATUS if triage else self._agency_display(record.agency,
                                                                             self._stored_commune(record)),
            kind=record.kind,
            topic=record.topic,
            created_at=record.created_at,
            updated_at=record.updated_at,
            due_date=record.due_date,
            answer=record.answer,
            answered_at=record.answered_at,
            delivered_at=record.delivered_at,
        )

    def mine(self, sender_id: str, *, limit: int = 10) -> list[StatusView]:
        """Petitions filed from this chat identity, newest first, as their owner may see them."""
        return self._views(self.store.for_owner(sender_id, limit=limit))

    # -- rating an answer ("dân giám sát") ----------------------------------------------------------------------------

    def awaiting_rating(self, sender_id: str, *, window_days: float) -> list[StatusView]:
        """Answered petitions of this chat whose answer, given in the last `window_days`, it has not rated yet."""
        since = datetime.now(VN_TZ) - timedelta(days=window_days)
        return self._views(self.store.awaiting_rating(sender_id, since=since))

    def rate(self, code: str, sender_id: str, *, verdict: str, score: int | None = None,
             reason: str | None = None) -> StatusView:
        """Record the owner's verdict; "unresolved" reopens the petition to the same agency, with the reason."""
        record = self.store.rate(code, sender_id, verdict=verdict, score=score, reason=reason)
        return self._views([record])[0]

    def status_message(self, text: str, sender_id: str | None, phone: str | None = None) -> str:
        """The Vietnamese reply to "tra cứu <code>": finds the code inside the sentence and answers safely."""
        code = codes.find_code(text or "")
        if code is None:
            return MSG_BAD_CODE
        view = self.status(code, sender_id, phone)
        return view.message_vi() if view else MSG_NOT_FOUND
