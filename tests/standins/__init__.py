"""Local stand-ins of outside services (Telegram Bot API, Zalo OA API, Rasa REST channel) on 127.0.0.1."""
