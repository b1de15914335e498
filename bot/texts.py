"""What the bridges themselves say to citizens (everything else comes from Rasa).

Kept in one place so the wording stays consistent across Telegram and Zalo and can be reviewed by someone who reads
Vietnamese without reading code.
"""
from __future__ import annotations

START = (
    "Xin chào! Tôi là trợ lý Dân vận của tỉnh Tây Ninh.\n\n"
    "Tôi có thể giúp bạn:\n"
    "• Hỏi đáp về công tác dân vận và các văn bản liên quan, có trích dẫn nguồn.\n"
    "• Gửi phản ánh, kiến nghị đến cơ quan có thẩm quyền giải quyết.\n"
    "• Tra cứu tình trạng xử lý phản ánh, kiến nghị bằng mã hồ sơ.\n\n"
    "Bạn cứ nhắn câu hỏi hoặc nội dung cần phản ánh. Gõ /help để xem hướng dẫn."
)

HELP = (
    "Hướng dẫn sử dụng:\n"
    "• Hỏi đáp: nhắn câu hỏi, ví dụ «Dân vận khéo là gì?»\n"
    "• Gửi phản ánh, kiến nghị: nhắn «Tôi muốn gửi phản ánh» rồi làm theo hướng dẫn.\n"
    "• Tra cứu hồ sơ: gõ /tra_cuu kèm mã hồ sơ, ví dụ /tra_cuu TN-7K4Q-MX29\n"
    "• /start: giới thiệu trợ lý."
)

STATUS_USAGE = "Bạn vui lòng gửi kèm mã hồ sơ, ví dụ: /tra_cuu TN-7K4Q-MX29"

RASA_UNAVAILABLE = (
    "Xin lỗi bạn, hệ thống đang tạm thời gián đoạn. Tin nhắn của bạn đã được ghi nhận "
    "và sẽ được trả lời ngay khi hệ thống hoạt động trở lại."
)

RASA_REFUSED = (
    "Xin lỗi bạn, tôi chưa xử lý được tin nhắn này. Bạn vui lòng thử lại hoặc diễn đạt theo cách khác."
)

GAVE_UP = (
    "Xin lỗi bạn, một tin nhắn bạn gửi trước đó chưa xử lý được do hệ thống gián đoạn lâu. "
    "Bạn vui lòng gửi lại giúp."
)

TEXT_ONLY = "Hiện tôi chỉ đọc được tin nhắn dạng chữ. Bạn vui lòng nhập nội dung bằng chữ giúp."

CHOOSE = "Mời bạn chọn:"

BUTTON_EXPIRED = "Lựa chọn này đã hết hạn. Bạn vui lòng nhắn lại nội dung cần hỏi."

NO_REPLY = (
    "Xin lỗi bạn, hệ thống chưa xử lý được tin nhắn vừa rồi do sự cố kỹ thuật. "
    "Bạn vui lòng gửi lại tin nhắn đó sau ít phút."
)
