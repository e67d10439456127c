"""An app's custom text labels in the engine: learned from examples once, read in pictures and in speech."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.custom_examples import CHILD_WHEREABOUTS, CRYPTO, captioned_png
from vodguard.moderation import CustomLabel, Engine, EngineConfig, Template, labels_template
from vodguard.moderation.custom_labels import CustomHeadCache
from vodguard.moderation.plan import plan_for
from vodguard.moderation.text import get_text_moderator


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def crypto_template(examples: tuple[str, ...] = CRYPTO, *, labels: tuple[str, ...] = ("Ad",)) -> Template:
    return dataclasses.replace(
        labels_template(labels), custom_labels=(CustomLabel("Ad", "Crypto", examples),)
    )


def test_a_custom_label_flags_an_unseen_sentence_of_its_kind_in_a_picture(engine: Engine) -> None:
    picture = captioned_png("Join the channel, next coin pump is tomorrow, get rich quick")
    result = engine.moderate_image(picture, crypto_template())
    assert result.suggestion == "review"  # a custom label asks for a look; it never blocks on its own
    [segment] = result.segments
    assert (segment.form, segment.label, segment.sub_label) == ("OCR", "Ad", "Crypto")
    assert 60 <= segment.confidence <= 80 and "coin pump" in segment.text
    plain = engine.moderate_image(picture, labels_template(["Ad"]))
    assert "Crypto" not in {
        s.sub_label for s in plain.segments
    }  # the sub-label comes from the app's examples


def test_a_custom_label_leaves_ordinary_text_alone(engine: Engine) -> None:
    result = engine.moderate_image(
        captioned_png("I bought some bread and milk at the store this morning"), crypto_template()
    )
    assert (result.suggestion, result.segments) == ("pass", [])


def test_a_custom_label_reads_speech(
    engine: Engine, fixture_file: Callable[[str], Path], truth: Callable[[str], dict[str, Any]]
) -> None:
    # speech.wav opens with "The weather is lovely today, so we are taking the children to the park."
    custom = CustomLabel("Illegal", "ChildWhereabouts", CHILD_WHEREABOUTS)
    template = dataclasses.replace(labels_template(["Illegal"]), custom_labels=(custom,))
    result = engine.moderate_media(fixture_file("speech.wav"), template)
    [segment] = result.segments
    assert (segment.form, segment.label, segment.sub_label) == ("ASR", "Illegal", "ChildWhereabouts")
    spoken = truth("speech.json")["segments"][0]
    assert segment.start < spoken["end"] and segment.end > spoken["start"]
    assert "children" in segment.text
    assert engine.moderate_media(fixture_file("speech.wav"), labels_template(["Illegal"])).segments == []


def test_heads_are_fitted_once_and_again_when_the_examples_change(engine: Engine) -> None:
    [head] = engine.custom_heads(crypto_template())
    assert engine.custom_heads(dataclasses.replace(crypto_template(), definition=10001)) == (head,)
    [edited] = engine.custom_heads(
        crypto_template((*CRYPTO[:-1], "Get rich with the next coin pump tonight"))
    )
    assert edited is not head and not np.array_equal(edited.coef, head.coef)


def test_a_custom_label_under_a_label_the_template_leaves_out_is_not_read(engine: Engine) -> None:
    template = crypto_template(labels=("Porn",))
    assert engine.custom_heads(template) == ()
    result = engine.moderate_image(captioned_png("Join the channel, next coin pump is tomorrow"), template)
    assert result.segments == []


def test_threads_asking_at_once_share_one_fit() -> None:
    cache = CustomHeadCache()
    custom = CustomLabel("Ad", "Crypto", CRYPTO)
    with ThreadPoolExecutor(max_workers=4) as pool:
        heads = list(pool.map(lambda _: cache.head(custom, get_text_moderator()), range(8)))
    assert all(head is heads[0] for head in heads) and len(cache) == 1


def test_the_cache_keeps_the_most_recently_used_heads() -> None:
    cache = CustomHeadCache(size=2)
    moderator = get_text_moderator()
    labels = [CustomLabel("Ad", f"Crypto{i}", CRYPTO) for i in range(3)]
    first = cache.head(labels[0], moderator)
    for custom in labels[1:]:
        cache.head(custom, moderator)
    assert len(cache) == 2
    assert cache.head(labels[0], moderator) is not first  # dropped as the oldest, so fitted again


def test_twenty_examples_are_the_minimum() -> None:
    with pytest.raises(ValueError, match="at least 20"):
        CustomHeadCache().head(CustomLabel("Ad", "Crypto", CRYPTO[:19]), get_text_moderator())


def test_a_custom_label_makes_text_readers_run_for_its_label() -> None:
    config = EngineConfig()
    assert not plan_for(["Moan"], config).ocr  # Moan alone is a matter of sound...
    assert plan_for(["Moan"], config, custom=["Moan"]).ocr  # ...until an app teaches it words
