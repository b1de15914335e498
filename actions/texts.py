"""Citizen-facing Vietnamese texts that the custom actions compose; static replies live in domain.yml."""
from __future__ import annotations

PETITION_BUTTON: dict[str, str] = {"title": "Gửi phản ánh, kiến nghị", "payload": "/file_petition"}

DECLINE_DEFAULT = "Xin lỗi, các văn bản tôi có hiện chưa đề cập đến nội dung này nên tôi chưa thể trả lời chính xác."
DECLINE_OFFER = (
    "Nếu bạn cần cơ quan có thẩm quyền xem xét, trả lời việc này, bạn có thể gửi phản ánh, kiến nghị ngay tại đây."
)
QUESTION_EMPTY = "Bạn chưa nhập câu hỏi. Bạn cứ gõ câu hỏi về công tác dân vận, có dấu hoặc không dấu đều được."
QUESTION_TOO_LONG = (
    "Câu hỏi dài quá (tối đa {limit} ký tự). Bạn vui lòng hỏi ngắn gọn từng ý; nếu muốn gửi một phản ánh dài, "
    "hãy chọn \"Gửi phản ánh, kiến nghị\"."
)
QUESTION_NO_WORDS = "Tôi chỉ đọc được chữ. Bạn vui lòng gõ câu hỏi bằng tiếng Việt, có dấu hoặc không dấu đều được."
QUESTION_BROKEN = (
    "Tin nhắn có ký tự không đọc được (lỗi mã hóa). Bạn vui lòng gõ lại bằng tiếng Việt, có dấu hoặc không dấu."
)
SERVICE_DOWN = "Xin lỗi, hệ thống đang bận hoặc gặp sự cố. Bạn vui lòng thử lại sau ít phút."

CONSENT_BUTTONS: list[dict[str, str]] = [
    {"title": "Đồng ý", "payload": "/affirm"},
    {"title": "Không, gửi ẩn danh", "payload": "/anonymous"},
]
CONSENT_UNCLEAR = (
    "Theo Luật Bảo vệ dữ liệu cá nhân, tôi cần câu trả lời rõ ràng: bạn trả lời \"Đồng ý\" để đồng ý, "
    "hoặc \"Không\" để gửi ẩn danh."
)
CONSENT_DECLINED = (
    "Bạn đã chọn gửi ẩn danh: tôi sẽ không hỏi và không lưu số điện thoại của bạn. Lưu ý: cơ quan sẽ không thể "
    "liên hệ lại với bạn; kết quả bạn vẫn tra cứu được bằng mã tra cứu từ tài khoản này."
)
CONSENT_NEEDED_FOR_PHONE = (
    "Để lưu số điện thoại, cần bạn đồng ý cho xử lý dữ liệu cá nhân. Tôi hỏi lại nhé."
)

COMMUNE_UNMATCHED = (
    "Tôi chưa tìm thấy \"{typed}\" trong danh mục xã, phường của tỉnh; tôi vẫn ghi nhận đúng như bạn nhập để cán bộ "
    "kiểm tra lại."
)
COMMUNE_CANDIDATES = " (Có thể là: {candidates}.)"

MATTER_DRAFT_QUESTION = "Bạn đã viết:\n«{draft}»\nTôi dùng nội dung này làm nội dung phản ánh nhé?"
MATTER_DRAFT_BUTTONS: list[dict[str, str]] = [
    {"title": "Dùng nội dung này", "payload": "/affirm"},
    {"title": "Nhập nội dung khác", "payload": "/deny"},
]
MATTER_DRAFT_TOO_LONG = (
    "Tin nhắn của bạn dài quá (tối đa 5.000 ký tự) nên tôi chưa dùng được làm nội dung phản ánh; "
    "lát nữa bạn gửi bản tóm tắt những ý chính nhé."
)

EDIT_FIELD_UNCLEAR = "Bạn chọn một mục cần sửa: \"Nội dung\", \"Xã, phường\" hoặc \"Số điện thoại\"."

SUMMARY_BUTTONS: list[dict[str, str]] = [
    {"title": "Xác nhận", "payload": "/affirm"},
    {"title": "Sửa", "payload": "/edit_petition"},
    {"title": "Hủy", "payload": "/stop"},
]
SUMMARY_CHOICES = "Bạn bấm \"Xác nhận\" để gửi, \"Sửa\" để thay đổi, hoặc \"Hủy\" để dừng."
COMMUNE_FLAGGED = "Lưu ý: \"{commune}\" chưa có trong danh mục xã, phường; cán bộ sẽ kiểm tra lại."
MATTER_PREVIEW_CHARS = 600

CANCELLED = "Đã hủy phản ánh. Không có thông tin nào của bạn được lưu. Khi cần, bạn cứ nhắn \"gửi phản ánh\" để bắt đầu lại."
SUBMIT_FAILED = (
    "Xin lỗi, hệ thống lưu trữ đang gặp sự cố nên phản ánh chưa được gửi. Tôi hỏi lại để bạn xác nhận gửi lần nữa."
)

STATUS_ASK_CODE = (
    "Bạn vui lòng nhắn mã tra cứu được cấp khi gửi phản ánh (dạng TN-XXXX-XXXX). Nếu bạn tra cứu từ một tài khoản "
    "khác với tài khoản đã gửi, hãy nhắn mã kèm số điện thoại đã để lại khi gửi."
)
