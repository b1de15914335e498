"""Citizen-facing Vietnamese texts that the custom actions compose; static replies live in domain.yml."""
from __future__ import annotations

PETITION_BUTTON: dict[str, str] = {"title": "Gửi phản ánh, kiến nghị", "payload": "/file_petition"}
MAIN_BUTTONS: list[dict[str, str]] = [
    {"title": "Hỏi về công tác dân vận", "payload": "/help"},
    PETITION_BUTTON,
    {"title": "Tra cứu hồ sơ", "payload": "/check_status"},
]
# Someone writing in English: the service works in Vietnamese, and a petition in English is still accepted.
ENGLISH_POINTER = (
    "Hello! This assistant of Tây Ninh province works in Vietnamese. It can: answer questions about Official "
    "Letter 608/UBND-NCPC (2 April 2019) on mass-mobilisation work; take a complaint or petition and send it to "
    "the right agency (you may write it in English); and look up a petition by its tracking code. Choose below."
)

SOURCE_BUTTON: dict[str, str] = {"title": "Xem nguyên văn", "payload": "/show_source"}
NO_SOURCE_YET = "Bạn hãy đặt câu hỏi trước; tôi sẽ trả lời kèm nguồn và có thể gửi nguyên văn đoạn trích."
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

# The consent question: three short lines on a phone, the legal detail one tap away ("Xem chi tiết").
CONSENT_PROMPT = (
    "Để chuyển phản ánh đến cơ quan có thẩm quyền, tôi cần bạn đồng ý cho xử lý dữ liệu cá nhân (Luật 91/2025/QH15): "
    "tài khoản trò chuyện, nội dung, xã/phường, số điện thoại nếu có, chỉ để giải quyết phản ánh này.\n"
    "Bạn có đồng ý không? Bạn cũng có thể gửi ẩn danh, hoặc không gửi nữa."
)
CONSENT_BUTTONS: list[dict[str, str]] = [
    {"title": "Đồng ý", "payload": "/affirm"},
    {"title": "Gửi ẩn danh", "payload": "/anonymous"},
    {"title": "Không gửi nữa", "payload": "/stop"},
    {"title": "Xem chi tiết", "payload": "/consent_details"},
]
CONSENT_UNCLEAR = (
    "Theo Luật Bảo vệ dữ liệu cá nhân, tôi cần câu trả lời rõ ràng. Bạn chọn: \"Đồng ý\", \"Gửi ẩn danh\" "
    "(không kèm thông tin liên lạc) hoặc \"Không gửi nữa\"."
)
CONSENT_REFUSED_CHOICE = (
    "Dạ, tôi không xử lý thông tin cá nhân của bạn. Bạn muốn gửi ẩn danh (không kèm thông tin liên lạc, cơ quan "
    "sẽ không liên hệ lại được) hay không gửi nữa?"
)
CONSENT_REFUSED_BUTTONS: list[dict[str, str]] = [
    {"title": "Gửi ẩn danh", "payload": "/anonymous"},
    {"title": "Không gửi nữa", "payload": "/stop"},
    {"title": "Đồng ý", "payload": "/affirm"},
]
# Questions about consent asked at the consent step ("nếu tôi không đồng ý thì còn gửi được không?").
CONSENT_FAQ = (
    "Bạn không đồng ý vẫn gửi được: chọn \"Gửi ẩn danh\" thì tôi không hỏi, không lưu số điện thoại và tên tài "
    "khoản của bạn không đi kèm phản ánh; cơ quan sẽ không liên hệ lại được với bạn, còn kết quả bạn vẫn tra cứu "
    "được bằng mã tra cứu. Nếu đồng ý, thông tin của bạn chỉ cán bộ cơ quan giải quyết phản ánh được xem."
)
DEADLINE_FAQ = (
    "Khi gửi xong, bạn nhận mã tra cứu và hạn giải quyết dự kiến: phản ánh, kiến nghị theo thời hạn của tỉnh; "
    "khiếu nại, tố cáo theo thời hạn của Luật Khiếu nại và Luật Tố cáo."
)
RESUME_FORM = "Mình tiếp tục phản ánh đang soạn nhé."
# "Why do you need my commune / phone?" (actions/understanding.py `asks_why_field`): why the form asks, in a few
# words; the form then asks its question again. The commune's reason names no phone: it is asked before the phone.
FIELD_REASONS: dict[str, str] = {
    "commune": (
        "Tôi cần biết sự việc xảy ra ở xã, phường nào để chuyển phản ánh đến đúng cơ quan có thẩm quyền ở địa bàn "
        "đó, và để cán bộ biết nơi cần đến xem xét, giải quyết. Nếu không nhớ tên chính xác, bạn cứ ghi tên gần "
        "đúng, cán bộ sẽ kiểm tra lại."
    ),
    "phone": (
        "Số điện thoại chỉ để cán bộ cơ quan giải quyết liên hệ với bạn khi cần hỏi thêm về phản ánh này hoặc báo "
        "kết quả; không dùng vào việc khác. Để lại số là không bắt buộc: không có số, phản ánh vẫn được gửi và "
        "bạn vẫn tra cứu kết quả bằng mã tra cứu."
    ),
    "matter": (
        "Nội dung giúp cơ quan có thẩm quyền hiểu đúng việc cần giải quyết: việc gì, ở đâu, từ khi nào, ảnh hưởng "
        "thế nào. Nội dung chỉ được chuyển đến cơ quan giải quyết phản ánh của bạn."
    ),
}
CONSENT_DECLINED = (
    "Bạn đã chọn gửi ẩn danh: tôi sẽ không hỏi và không lưu số điện thoại của bạn. Lưu ý: cơ quan sẽ không thể "
    "liên hệ lại với bạn; kết quả bạn vẫn tra cứu được bằng mã tra cứu từ tài khoản này."
)
NOT_FILED = (
    "Dạ, đã dừng: tôi không gửi phản ánh nào và không lưu thông tin cá nhân của bạn. Bạn cứ đặt câu hỏi về "
    "công tác dân vận, hoặc nhắn \"gửi phản ánh\" khi cần."
)
CONSENT_NEEDED_FOR_PHONE = (
    "Để lưu số điện thoại, cần bạn đồng ý cho xử lý dữ liệu cá nhân. Tôi hỏi lại nhé."
)

COMMUNE_ASK_AGAIN = (
    "Tôi chưa tìm thấy \"{typed}\" trong danh mục xã, phường của tỉnh. Bạn chọn tên đúng bên dưới, hoặc nhập lại "
    "tên xã, phường (ví dụ: xã Hảo Đước, phường Tân Ninh)."
)
COMMUNE_ASK_AGAIN_NO_CANDIDATES = (
    "Tôi chưa tìm thấy \"{typed}\" trong danh mục xã, phường của tỉnh. Bạn nhập lại tên xã, phường nơi xảy ra "
    "sự việc nhé (ví dụ: xã Hảo Đước, phường Tân Ninh)."
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

CANCELLED = (
    "Đã hủy phản ánh: không có gì được gửi đến cơ quan nào, và nội dung, xã/phường, số điện thoại bạn đã nhập cho "
    "phản ánh này đã được xóa khỏi dữ liệu của trợ lý. Khi cần, bạn cứ nhắn \"gửi phản ánh\" để bắt đầu lại."
)
FILING_LIMIT = (
    "Bạn đã gửi nhiều phản ánh trong thời gian ngắn nên hệ thống tạm chưa nhận thêm phản ánh mới. Nội dung vừa nhập "
    "chưa được lưu; bạn vui lòng gửi lại sau khoảng một giờ."
)
SUBMIT_FAILED = (
    "Xin lỗi, hệ thống lưu trữ đang gặp sự cố nên phản ánh chưa được gửi. Tôi hỏi lại để bạn xác nhận gửi lần nữa."
)

MY_PETITIONS_HEADER = "Các phản ánh bạn đã gửi từ tài khoản này (mới nhất trước):"
MY_PETITIONS_FOOTER = "Bạn nhắn một mã ở trên để xem chi tiết và câu trả lời của cơ quan."
MY_PETITIONS_NONE = (
    "Tôi chưa thấy phản ánh nào được gửi từ tài khoản trò chuyện này. Nếu bạn đã gửi từ tài khoản khác, hãy nhắn mã "
    "tra cứu kèm số điện thoại đã để lại khi gửi."
)
STATUS_ASK_CODE = (
    "Bạn vui lòng nhắn mã tra cứu được cấp khi gửi phản ánh (dạng TN-XXXX-XXXX). Nếu bạn tra cứu từ một tài khoản "
    "khác với tài khoản đã gửi, hãy nhắn mã kèm số điện thoại đã để lại khi gửi."
)

# Rating an operator's answer ("dân giám sát"): the notice that delivers the answer asks "đã giải quyết chưa?".
RATING_RESOLVED = (
    "Cảm ơn bạn đã cho biết. Tôi đã ghi nhận phản ánh {code} đã được giải quyết. Khi cần, bạn cứ nhắn cho tôi nhé."
)
RATING_NEUTRAL = (
    "Cảm ơn bạn đã chấm {score}/5 cho câu trả lời về phản ánh {code}. Tôi đã ghi nhận để cơ quan giải quyết tham "
    "khảo. Nếu vấn đề chưa được giải quyết, bạn nhắn \"chưa giải quyết\" kèm lý do để phản ánh được xem xét lại."
)
RATING_REOPENED = (
    "Tôi đã ghi nhận ý kiến của bạn và mở lại phản ánh {code}: {agency} sẽ xem xét, giải quyết tiếp. "
    "Bạn sẽ được thông báo khi có kết quả; bạn cũng có thể gửi mã {code} bất cứ lúc nào để xem tình trạng."
)
RATING_REOPENED_REASON = "Lý do bạn nêu đã được chuyển kèm theo: «{reason}»."
RATING_ASK_REASON = (
    "Bạn vui lòng cho biết vì sao vấn đề trong phản ánh {code} chưa được giải quyết (ví dụ: \"đường vẫn còn "
    "ngập\"), để cơ quan xem xét lại cho đúng."
)
RATING_WHICH = "Bạn có {count} phản ánh vừa được trả lời. Bạn đang đánh giá câu trả lời của phản ánh nào?"
RATING_FAILED = "Xin lỗi, hệ thống chưa ghi nhận được đánh giá của bạn. Bạn vui lòng nhắn lại sau ít phút."
# A bare score ("5", "4 sao") when no answer awaits a rating: what can be rated, then the citizen's petitions or
# what the assistant does.
RATING_NOTHING_DUE = (
    "Hiện không có câu trả lời nào đang chờ bạn đánh giá. Khi cơ quan trả lời phản ánh của bạn, tôi sẽ gửi câu trả "
    "lời kèm câu hỏi đánh giá; lúc đó bạn chấm điểm từ 1 đến 5 hoặc trả lời \"đã giải quyết\", \"chưa giải quyết\"."
)
RATING_DROPPED = (
    "Dạ, tôi chưa ghi nhận đánh giá nào. Khi cần, bạn nhắn \"chưa giải quyết\" kèm lý do để phản ánh được xem xét lại."
)
