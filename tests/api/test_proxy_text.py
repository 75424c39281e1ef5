"""Proxies in the text: no sentence of a profile text that names family, health, age or origin
reaches the text the encoder embeds (childcare, for one, carries gender into the embedding)."""

from __future__ import annotations

import re

from matcher.records.reference import ReferenceData
from matcher.records.render import PROXY_PHRASES, RenderConfig, drop_proxy_phrases, render_candidate
from matcher.records.store import Store
from tests.api.conftest import World
from tests.factories import make_candidate

SENTENCE = re.compile(r"(?<=[.!?])\s+")


def test_no_proxy_sentence_of_the_world_reaches_the_rendered_text(api_world: World) -> None:
    reference = ReferenceData()
    store = Store(api_world.settings.store_url)
    people = store.candidates()
    store.close()
    leaked, dropped = [], 0
    for person in people:
        rendered = render_candidate(person, reference)
        for sentence in SENTENCE.split(person.profile_text):
            if PROXY_PHRASES.search(sentence):
                dropped += 1
                if sentence[:60] in rendered:
                    leaked.append(sentence)
    assert dropped >= 50, "the world should hold childcare sentences for this test to mean anything"
    assert not leaked, leaked[:5]
    # and with the filter off (the measurement's other arm) they are there
    unfiltered = RenderConfig(drop_proxies=False)
    markers = ("Wegen Kinderbetreuung", "Kinderbetreuung: Teilzeit")  # the generator's childcare sentences
    shown = [p for p in people if any(m in render_candidate(p, reference, unfiltered) for m in markers)]
    assert shown  # some within the rendered start of the text, where it reaches the encoder
    assert not any(m in render_candidate(p, reference) for p in shown for m in markers)


def test_the_filter_keeps_occupations_and_structured_facts() -> None:
    text = (
        "Sucht Arbeit als Kinderpfleger/in oder Gesundheits- und Krankenpfleger/in. "
        "Wegen Kinderbetreuung nur Teilzeit möglich (20 Std./Woche). Aus gesundheitlichen Gründen keine Nachtschicht. "
        "Bezieht eine Rente. Muttersprache Arabisch. Mobil mit eigenem PKW. Sofort verfügbar."
    )
    assert drop_proxy_phrases(text) == (
        "Sucht Arbeit als Kinderpfleger/in oder Gesundheits- und Krankenpfleger/in. "
        "Mobil mit eigenem PKW. Sofort verfügbar."
    )
    person = make_candidate(profile_text=text, working_time="part_time", hours_per_week=20)
    rendered = render_candidate(person, ReferenceData())
    assert "Teilzeit 20 Std./Woche" in rendered  # the hours are a structured fact, kept
    assert not PROXY_PHRASES.search(rendered.split("Kinderpfleger/in")[-1])
