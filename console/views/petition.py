"""One petition: its page, and the actions on it (accept, reassign, confirm a triaged petition's agency, answer,
deliver, close, reject, reopen).

Every handler loads the petition through `_visible`, which answers 404 for a code outside the operator's agency
exactly as for an unknown code. Each change is followed by an audit entry with the state before and after.
"""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from console.accounts import Account
from console.answering import NOTICE_LABELS, notice_service
from console.context import ConsoleContext
from console.hotspots import cluster_of
from console.queue import today, urgency
from console.security import NotFound, client_of
from console.templating import DELIVERY_LABELS, flash, render
from console.transcript import Turn
from petitions.models import MAX_ANSWER, TRANSITIONS
from petitions.store import InvalidTransition, PetitionInvalid, PetitionRecord

MAX_REASON = 2000
DENUNCIATION = "to-cao"
NOT_ALLOWED = "Không thể thực hiện thao tác này ở trạng thái hiện tại của hồ sơ."


def shows_identity(account: Account, record: PetitionRecord) -> bool:
    """Whether this account may see who filed the petition (phone, chat, transcript).

    A denunciation (tố cáo) is confidential by law (Luật Tố cáo 2018): the denouncer's identity goes only to the
    agency handling it — not to admins of other agencies, nor to an admin without an agency.
    """
    return record.kind != DENUNCIATION or (account.agency is not None and account.agency == record.agency)


def snapshot(record: PetitionRecord) -> dict[str, Any]:
    return {"status": record.status, "agency": record.agency, "answer": record.answer,
            "delivery_state": record.delivery_state}


def _redirect(record: PetitionRecord | str) -> RedirectResponse:
    code = record if isinstance(record, str) else record.code
    return RedirectResponse(f"/console/p/{code}", status_code=303)


class PetitionViews:
    def __init__(self, ctx: ConsoleContext, templates: Jinja2Templates) -> None:
        self.ctx = ctx
        self.templates = templates

    async def _visible(self, request: Request) -> PetitionRecord:
        account: Account = request.state.account
        record = await run_in_threadpool(self.ctx.store.get_by_code, request.path_params["code"])
        if record is None or not account.sees_record(record):
            raise NotFound()
        return record

    async def _form(self, request: Request) -> dict[str, str]:
        form = await request.form()
        return {k: str(v) for k, v in form.items() if isinstance(v, str)}

    def _audit(self, request: Request, action: str, before: PetitionRecord, after: PetitionRecord | None,
               **extra: Any) -> None:
        account: Account = request.state.account
        after_state = {**snapshot(after), **extra} if after is not None else extra or None
        self.ctx.audit.record(account.username, action, before.code, agency=before.agency,
                              before=snapshot(before), after=after_state, client=client_of(request))

    # -- the page ---------------------------------------------------------------------------------------------

    def _details(self, record: PetitionRecord, account: Account) -> dict[str, Any]:
        identity = shows_identity(account, record)
        transcript: list[Turn] | None = None
        transcript_found = False
        if identity and record.sender_id:
            senders = [record.sender_id]
            if not record.sender_id.startswith(f"{record.channel}:"):
                senders.append(f"{record.channel}:{record.sender_id}")
            transcript = self.ctx.transcripts.turns(senders, record.code, record.created_at)
            transcript_found = bool(transcript)
            if transcript is not None and not transcript:
                # The form's conversation cannot be told apart from the rest of the chat: show what was filed only.
                transcript = [Turn("user", record.text, record.created_at)]
        cluster = [r for r in cluster_of(self.ctx.store, record, self.ctx.config.hotspots)
                   if account.sees_record(r)]
        # Dân giám sát and triage (issue 14 parts 5-6): the citizen's verdicts (a reopen shows its reason) and
        # whether the petition still waits for an operator to confirm its agency.
        ratings = self.ctx.store.ratings_of(record.code)
        triage_pending = record.code in self.ctx.store.awaiting_triage([record.code])
        return {"ratings": ratings, "triage_pending": triage_pending,
                "transcript": transcript, "transcript_found": transcript_found, "show_identity": identity,
                "cluster": cluster, "audit": self.ctx.audit.entries(target=record.code, limit=100),
                "notices": notice_service(self.ctx).notices(record.id), "notice_labels": NOTICE_LABELS}

    async def page(self, request: Request) -> Response:
        record = await self._visible(request)
        account: Account = request.state.account
        details = await run_in_threadpool(self._details, record, account)
        allowed = TRANSITIONS.get(record.status, set())
        agencies = [a for a in self.ctx.agencies.all() if a.code != record.agency]
        return render(self.templates, request, "console/petition.html", {
            "r": record, "urgency": urgency(record, today(), self.ctx.config.near_due_days),
            "agency_name": self.ctx.agencies.name, "agencies": agencies,
            "can": {
                "accept": record.status == "moi",
                "answer": record.status == "da-tra-loi" or "da-tra-loi" in allowed,
                "close": "da-dong" in allowed,
                "reject": "khong-xu-ly" in allowed,
                "reopen": record.status in ("da-tra-loi", "khong-xu-ly", "da-dong"),
                "deliver": record.answer is not None and record.delivery_state in ("pending", "failed"),
            },
            "delivery_label": DELIVERY_LABELS.get(record.delivery_state, record.delivery_state),
            "max_answer": MAX_ANSWER, "max_reason": MAX_REASON, **details,
        })

    # -- status changes ---------------------------------------------------------------------------------------

    async def _transition(self, request: Request, to_status: str, action: str, done: str, *,
                          reason_required: bool) -> Response:
        record = await self._visible(request)
        account: Account = request.state.account
        reason = (await self._form(request)).get("reason", "").strip()
        if reason_required and not reason:
            flash(request, "Vui lòng ghi rõ lý do.", "error")
            return _redirect(record)
        if len(reason) > MAX_REASON:
            flash(request, f"Lý do quá dài (tối đa {MAX_REASON} ký tự).", "error")
            return _redirect(record)
        try:
            updated = await run_in_threadpool(self.ctx.store.transition, record.code, to_status, account.username,
                                              reason or None)
        except InvalidTransition:
            flash(request, NOT_ALLOWED, "error")
            return _redirect(record)
        await run_in_threadpool(self._audit, request, action, record, updated, reason=reason or None)
        flash(request, done)
        return _redirect(updated)

    async def accept(self, request: Request) -> Response:
        return await self._transition(request, "dang-xu-ly", "accept", "Đã tiếp nhận xử lý hồ sơ.",
                                      reason_required=False)

    async def close(self, request: Request) -> Response:
        return await self._transition(request, "da-dong", "close", "Đã kết thúc hồ sơ.", reason_required=False)

    async def reject(self, request: Request) -> Response:
        return await self._transition(request, "khong-xu-ly", "reject",
                                      "Đã chuyển hồ sơ sang trạng thái không thuộc diện xử lý.", reason_required=True)

    async def reopen(self, request: Request) -> Response:
        return await self._transition(request, "dang-xu-ly", "reopen", "Đã mở lại hồ sơ.", reason_required=True)

    async def reassign(self, request: Request) -> Response:
        """Send the petition to another agency; an operator loses sight of it afterwards."""
        record = await self._visible(request)
        account: Account = request.state.account
        form = await self._form(request)
        agency = form.get("agency", "").strip()
        reason = form.get("reason", "").strip()
        if not reason or len(reason) > MAX_REASON:
            flash(request, "Vui lòng ghi rõ lý do chuyển (tối đa 2.000 ký tự).", "error")
            return _redirect(record)
        known = {a.code for a in self.ctx.agencies.all()}
        if agency == record.agency or (known and agency not in known) or not agency:
            flash(request, "Vui lòng chọn một cơ quan khác để chuyển hồ sơ.", "error")
            return _redirect(record)
        try:
            updated = await run_in_threadpool(self.ctx.store.reassign, record.code, agency, account.username, reason)
        except PetitionInvalid:
            flash(request, "Mã cơ quan không hợp lệ.", "error")
            return _redirect(record)
        await run_in_threadpool(self._audit, request, "reassign", record, updated, reason=reason)
        flash(request, f"Đã chuyển hồ sơ {record.code} sang {self.ctx.agencies.name(agency)}.")
        if not account.sees(agency, record.commune_code):
            return RedirectResponse("/console/", status_code=303)
        return _redirect(updated)

    async def confirm_agency(self, request: Request) -> Response:
        """Triage: confirm the agency of a petition the router could not place (or send it to another one); the
        change goes through the store's reassignment, which tells the citizen which agency handles it."""
        record = await self._visible(request)
        account: Account = request.state.account
        form = await self._form(request)
        agency = form.get("agency", "").strip() or record.agency
        note = form.get("reason", "").strip()
        if len(note) > MAX_REASON:
            flash(request, f"Ghi chú quá dài (tối đa {MAX_REASON} ký tự).", "error")
            return _redirect(record)
        known = {a.code for a in self.ctx.agencies.all()}
        if known and agency not in known:
            flash(request, "Vui lòng chọn cơ quan giải quyết.", "error")
            return _redirect(record)
        if record.code not in await run_in_threadpool(self.ctx.store.awaiting_triage, [record.code]):
            flash(request, "Hồ sơ này không còn chờ phân loại.", "error")
            return _redirect(record)
        try:
            updated = await run_in_threadpool(self.ctx.store.confirm_agency, record.code, agency, account.username,
                                              note or "Xác nhận cơ quan giải quyết")
        except PetitionInvalid:
            flash(request, "Mã cơ quan không hợp lệ.", "error")
            return _redirect(record)
        await run_in_threadpool(self._audit, request, "confirm-agency", record, updated, reason=note or None)
        flash(request, f"Đã xác nhận cơ quan giải quyết hồ sơ {record.code}: {self.ctx.agencies.name(agency)}.")
        if not account.sees(agency, record.commune_code):
            return RedirectResponse("/console/", status_code=303)
        return _redirect(updated)

    # -- answering --------------------------------------------------------------------------------------------

    async def answer(self, request: Request) -> Response:
        """Store the answer, then send it to the citizen's chat and record whether that worked."""
        record = await self._visible(request)
        account: Account = request.state.account
        text = (await self._form(request)).get("answer", "").replace("\r\n", "\n").strip()
        if not text:
            flash(request, "Vui lòng nhập nội dung trả lời.", "error")
            return _redirect(record)
        if len(text) > MAX_ANSWER:
            flash(request, f"Nội dung trả lời quá dài (tối đa {MAX_ANSWER:,} ký tự).".replace(",", "."), "error")
            return _redirect(record)
        try:
            updated = await run_in_threadpool(self.ctx.store.set_answer, record.code, text, account.username)
        except InvalidTransition:
            flash(request, NOT_ALLOWED, "error")
            return _redirect(record)
        except PetitionInvalid:
            flash(request, "Nội dung trả lời chứa ký tự không hợp lệ.", "error")
            return _redirect(record)
        await run_in_threadpool(self._audit, request, "answer", record, updated)
        await self._deliver(request, updated)
        return _redirect(updated)

    async def deliver(self, request: Request) -> Response:
        """Try again to send a stored answer whose delivery failed or is pending."""
        record = await self._visible(request)
        if record.answer is None or record.delivery_state not in ("pending", "failed"):
            flash(request, "Không có câu trả lời nào đang chờ gửi.", "error")
            return _redirect(record)
        await self._deliver(request, record, again=True)
        return _redirect(record)

    async def _deliver(self, request: Request, record: PetitionRecord, *, again: bool = False) -> None:
        service = await run_in_threadpool(notice_service, self.ctx)
        send = service.retry_answer if again else service.send_now
        outcome = await send(self.ctx.store, record)
        if outcome.state in ("sent", "failed"):
            await run_in_threadpool(self._audit, request, "deliver", record, outcome.record,
                                    ok=outcome.state == "sent", error=outcome.error)
        messages = {
            "sent": ("Đã lưu câu trả lời và gửi tới người dân.", "ok"),
            "failed": ("Đã lưu câu trả lời nhưng gửi tới người dân chưa thành công; hệ thống sẽ tự thử lại, "
                       "hoặc bấm “Gửi lại”.", "error"),
            "pending": ("Đã lưu câu trả lời; câu trả lời đang chờ gửi tới người dân.", "error"),
            "not-deliverable": ("Đã lưu câu trả lời. Người dân gửi ẩn danh nên không gửi được vào khung trò "
                                "chuyện; người dân tra cứu bằng mã hồ sơ.", "ok"),
        }
        if outcome.state == "failed" and not outcome.retryable:
            messages["failed"] = ("Đã lưu câu trả lời nhưng không gửi được vào khung trò chuyện của người dân "
                                  "(kênh không hỗ trợ hoặc người dân đã chặn). Người dân vẫn tra cứu được câu trả "
                                  "lời bằng mã hồ sơ.", "error")
        text, kind = messages[outcome.state]
        flash(request, text, kind)
