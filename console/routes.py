"""The console's route table, all in one place, and the translation of its errors into Vietnamese pages."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from console.context import ConsoleContext
from console.security import CsrfRejected, Forbidden, Handler, NotFound, guarded
from console.templating import render
from console.views.audit import AuditViews
from console.views.auth import AuthViews
from console.views.documents import DocumentViews
from console.views.overview import OverviewViews
from console.views.petition import PetitionViews
from console.views.queue import QueueViews

ERRORS = {
    Forbidden: (403, "Không có quyền truy cập", "Tài khoản của bạn không được phép thực hiện thao tác này."),
    NotFound: (404, "Không tìm thấy",
               "Không tìm thấy hồ sơ hoặc trang này, hoặc hồ sơ không thuộc cơ quan của bạn."),
    CsrfRejected: (403, "Yêu cầu không hợp lệ",
                   "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."),
}


def console_routes(ctx: ConsoleContext, templates: Jinja2Templates) -> list[BaseRoute]:
    auth = AuthViews(ctx, templates)
    queue = QueueViews(ctx, templates)
    petition = PetitionViews(ctx, templates)
    overview = OverviewViews(ctx, templates)
    documents = DocumentViews(ctx, templates)
    audit = AuditViews(ctx, templates)

    # The header names the account's agency and commune on every page; looked up when a page is drawn, so building
    # the app still reads no data file.
    templates.env.globals.update(agency_label=lambda code: ctx.agencies.name(code),
                                 commune_label=lambda code: _commune_label(ctx, code))

    def g(handler: Handler, *, admin: bool = False) -> Handler:
        return guarded(ctx, handler, admin=admin)

    return [
        Route("/login", auth.login_page, methods=["GET"], name="console_login"),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", g(auth.logout), methods=["POST"], name="console_logout"),
        Route("/", g(queue.page), methods=["GET"], name="console_queue"),
        Route("/export.csv", g(queue.export), methods=["GET"], name="console_export"),
        Route("/overview", g(overview.page), methods=["GET"], name="console_overview"),
        Route("/routing-corrections.jsonl", g(overview.corrections, admin=True), methods=["GET"]),
        Route("/p/{code}", g(petition.page), methods=["GET"], name="console_petition"),
        Route("/p/{code}/accept", g(petition.accept), methods=["POST"]),
        Route("/p/{code}/reassign", g(petition.reassign), methods=["POST"]),
        Route("/p/{code}/confirm-agency", g(petition.confirm_agency), methods=["POST"]),
        Route("/p/{code}/answer", g(petition.answer), methods=["POST"]),
        Route("/p/{code}/deliver", g(petition.deliver), methods=["POST"]),
        Route("/p/{code}/close", g(petition.close), methods=["POST"]),
        Route("/p/{code}/reject", g(petition.reject), methods=["POST"]),
        Route("/p/{code}/reopen", g(petition.reopen), methods=["POST"]),
        Route("/documents", g(documents.page), methods=["GET"], name="console_documents"),
        Route("/documents", g(documents.upload, admin=True), methods=["POST"]),
        Route("/documents/jobs/{job_id}", g(documents.job), methods=["GET"]),
        Route("/documents/{doc_id}", g(documents.detail), methods=["GET"], name="console_document"),
        Route("/documents/{doc_id}/edit", g(documents.edit, admin=True), methods=["POST"]),
        Route("/documents/{doc_id}/replace", g(documents.replace, admin=True), methods=["POST"]),
        Route("/documents/{doc_id}/remove", g(documents.confirm_remove, admin=True), methods=["GET"]),
        Route("/documents/{doc_id}/remove", g(documents.remove, admin=True), methods=["POST"]),
        Route("/audit", g(audit.page, admin=True), methods=["GET"], name="console_audit"),
    ]


def _commune_label(ctx: ConsoleContext, code: str) -> str:
    commune = ctx.communes.get(code) if ctx.communes is not None else None
    return commune.full_name if commune else code


def error_handlers(templates: Jinja2Templates) -> dict[type[Exception], Callable[..., Awaitable[Response]]]:
    """Exception class -> handler rendering the Vietnamese error page with the right status."""

    async def handler(request: Request, exc: Exception) -> Response:
        status, title, text = ERRORS[type(exc)]
        return render(templates, request, "console/error.html", {"title": title, "text": text, "status": status},
                      status_code=status)

    return {cls: handler for cls in ERRORS}
