"""The ``language`` and ``reading_time`` components: values, edge cases and recorded versions."""

from __future__ import annotations

import pytest

from newsdesk.articles.model import Article
from newsdesk.errors import InvalidInput
from newsdesk.nlp import get_component
from newsdesk.nlp.language import LanguageComponent, ReadingTimeComponent, detect_language
from newsdesk.settings import NlpSettings, Settings


def art(headline: str, body: str = "", n: int = 0) -> Article:
    return Article.create(source="t", source_id=f"a{n}", headline=headline, body=body)


@pytest.fixture(scope="module")
def language() -> LanguageComponent:
    return LanguageComponent.from_settings(Settings())


def test_registered_under_their_names(settings: Settings) -> None:
    assert isinstance(get_component("language", settings), LanguageComponent)
    assert isinstance(get_component("reading_time", settings), ReadingTimeComponent)


@pytest.mark.parametrize(
    ("headline", "body", "code"),
    [
        ("Bank holds interest rates", "The central bank kept its main rate unchanged on Thursday, citing "
         "slowing inflation and a weaker labour market.", "en"),
        ("Le gouvernement présente son budget", "Le ministre des finances a présenté mardi un budget qui "
         "prévoit une baisse des dépenses publiques.", "fr"),
        ("Regierung beschließt Klimagesetz", "Die Bundesregierung hat am Mittwoch in Berlin ein neues Gesetz "
         "zum Klimaschutz beschlossen.", "de"),
        ("El Gobierno aprueba la reforma", "El Consejo de Ministros aprobó el martes una reforma de las "
         "pensiones que entrará en vigor en enero.", "es"),
        ("東京で地震", "東京で強い地震が発生しましたが、被害の報告はありません。", "ja"),
    ],
)
def test_detects_the_language_with_a_probability(
    language: LanguageComponent, headline: str, body: str, code: str
) -> None:
    [out] = language.transform([art(headline, body)])
    assert out.value["code"] == code
    assert 0.5 < out.value["probability"] <= 1.0
    assert out.confidence == out.value["probability"]


def test_text_without_letters_is_undetermined(language: LanguageComponent) -> None:
    [out] = language.transform([art("2024", "12:30 - 45%")])
    assert out.value == {"code": "und", "probability": 0.0}


def test_short_text_is_classified_with_low_confidence(language: LanguageComponent) -> None:
    [short] = language.transform([art("Storm")])
    [long] = language.transform([art("Storm warning", "Forecasters warned that a severe storm would bring "
                                     "strong winds and heavy rain to the coast on Friday night.")])
    assert isinstance(short.value["code"], str) and short.value["code"]
    assert short.value["probability"] < long.value["probability"]


def test_empty_batch_huge_text_and_order(language: LanguageComponent) -> None:
    assert language.transform([]) == []
    huge = art("Report", "The committee published its findings today. " * 50_000, 1)  # ~2.3M characters
    french = art("Les prix", "Les prix de l'énergie ont fortement augmenté cette année en France.", 2)
    outs = language.transform([huge, french])
    assert [o.value["code"] for o in outs] == ["en", "fr"]


def test_language_version_names_the_library(language: LanguageComponent) -> None:
    from importlib.metadata import version

    assert language.model_identity() == f"py3langid-{version('py3langid')}"
    assert language.version.startswith(f"1+py3langid-{version('py3langid')}+")
    assert language.ref == f"language@{language.version}"
    assert LanguageComponent().version == language.version


def test_detect_language_function() -> None:
    assert detect_language("") == ("und", 0.0)
    code, probability = detect_language("Il a annoncé une réforme des retraites la semaine dernière.")
    assert code == "fr" and probability > 0.5


def test_reading_time_counts_words_at_the_configured_speed() -> None:
    body = " ".join(["word"] * 458)
    [out] = ReadingTimeComponent.from_settings(Settings()).transform([art("Two words", body)])
    assert out.value == {"minutes": round(460 / 230, 1), "words": 460}
    slow = ReadingTimeComponent.from_settings(Settings(nlp=NlpSettings(words_per_minute=100)))
    assert slow.transform([art("Two words", body)])[0].value["minutes"] == 4.6


def test_reading_time_edge_cases() -> None:
    component = ReadingTimeComponent(words_per_minute=230)
    assert component.transform([]) == []
    chinese_article = art("上海股市", "上海证券交易所综合指数周三上涨。", 2)
    [headline_only, huge, chinese] = component.transform(
        [art("Storm"), art("Long", "word " * 1_000_000, 1), chinese_article]
    )
    assert headline_only.value == {"minutes": 0.0, "words": 1}
    assert huge.value["words"] == 1_000_001 and huge.value["minutes"] == round(1_000_001 / 230, 1)
    assert chinese.value["words"] >= 2  # scripts without spaces count as runs of letters


def test_reading_time_version_records_the_speed() -> None:
    default = ReadingTimeComponent.from_settings(Settings())
    assert default.config.words_per_minute == 230 and default.version.startswith("1+")
    assert ReadingTimeComponent(words_per_minute=230).version == default.version  # derived, not written
    fast = ReadingTimeComponent.from_settings(Settings(nlp=NlpSettings(words_per_minute=300)))
    assert fast.words_per_minute == 300 and fast.version != default.version
    assert fast.ref == f"reading_time@{fast.version}"
    assert get_component("reading_time", Settings(), words_per_minute=300).version == fast.version
    with pytest.raises(InvalidInput):
        ReadingTimeComponent(words_per_minute=10)
