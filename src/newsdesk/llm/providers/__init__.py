"""The built-in providers, registered in :data:`newsdesk.llm.base.providers` by name.

Each factory imports its module only when the provider is opened, so choosing ``extractive`` never imports
transformers, httpx or boto3.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsdesk.llm.base import Provider, providers

if TYPE_CHECKING:
    from newsdesk.settings import Settings

__all__: list[str] = []


@providers.register("local")
def _local(settings: Settings) -> Provider:
    from newsdesk.llm.providers.local import LocalProvider

    return LocalProvider.from_settings(settings)


@providers.register("openai")
def _openai(settings: Settings) -> Provider:
    from newsdesk.llm.providers.openai import OpenAIProvider

    return OpenAIProvider.from_settings(settings)


@providers.register("bedrock")
def _bedrock(settings: Settings) -> Provider:
    from newsdesk.llm.providers.bedrock import BedrockProvider

    return BedrockProvider.from_settings(settings)


@providers.register("extractive")
def _extractive(settings: Settings) -> Provider:
    from newsdesk.llm.providers.extractive import ExtractiveProvider

    return ExtractiveProvider.from_settings(settings)
