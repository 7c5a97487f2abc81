"""Generative products with a verifier: providers, prompts, briefs, headline ideas and ask-the-archive.

- :mod:`newsdesk.llm.base`: the provider protocol and registry;
- :mod:`newsdesk.llm.providers`: ``local``, ``openai``, ``bedrock``, ``extractive``;
- :mod:`newsdesk.llm.grounding`: the verifier that stands between the model and the reader.
"""

from __future__ import annotations

from newsdesk.llm.base import Completion, GenerationOptions, Message, Provider, Usage, open_provider, providers

__all__ = ["Completion", "GenerationOptions", "Message", "Provider", "Usage", "open_provider", "providers"]
