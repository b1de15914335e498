"""Map the settings onto the channel bridges' plain config objects (bot/ never reads settings itself)."""
from __future__ import annotations

from typing import Any

from danvan.settings import Settings


def telegram_config(settings: Settings) -> Any:
    from bot.telegram_conversation import TelegramConfig

    return TelegramConfig(
        token=settings.telegram_bot_token.get_secret_value(),
        rasa_url=settings.rasa_url,
        state_path=settings.var_dir / "bot" / "telegram.db",
        base_url=settings.telegram_base_url,
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=settings.telegram_webhook_secret.get_secret_value(),
    )


def zalo_config(settings: Settings) -> Any:
    from bot.zalo_config import ZaloConfig

    return ZaloConfig(
        app_id=settings.zalo_app_id,
        oa_secret=settings.zalo_oa_secret.get_secret_value(),
        rasa_url=settings.rasa_url,
        state_dir=settings.var_dir / "bot",
        app_secret=settings.zalo_app_secret.get_secret_value(),
        access_token=settings.zalo_access_token.get_secret_value(),
        refresh_token=settings.zalo_refresh_token.get_secret_value(),
        api_base=settings.zalo_api_base,
        oauth_base=settings.zalo_oauth_base,
        signature_header=settings.zalo_signature_header,
        signature_recipe=settings.zalo_signature_recipe,
        signature_prefix=settings.zalo_signature_prefix,
        max_event_age_s=float(settings.zalo_max_event_age_s),
        free_window_s=float(settings.zalo_free_window_s),
        zns_base=settings.zalo_zns_base,
        zns_templates=settings.zalo_zns_templates,
    )


def build_deliverer(settings: Settings) -> Any:
    """The outbound sender notices go through, for every configured channel; the web chat's always."""
    from bot.delivery import TelegramDeliveryConfig
    from bot.delivery import build_deliverer as _build
    from petitions.chat_log import WebChatSender, chat_log_config

    telegram = None
    if settings.telegram_enabled:
        telegram = TelegramDeliveryConfig(token=settings.telegram_bot_token.get_secret_value(),
                                          base_url=settings.telegram_base_url)
    zalo = zalo_config(settings) if settings.zalo_enabled else None
    web = WebChatSender.for_database(settings.petitions_url, chat_log_config(settings))
    return _build(telegram=telegram, zalo=zalo, extra=[web])
