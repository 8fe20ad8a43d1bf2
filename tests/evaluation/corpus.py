"""A synthetic corpus with planted topics for the themes tests and bench/themes.py: short texts
about one of four topics (traffic, parks, housing, air quality) in English, Spanish or Catalan."""

from __future__ import annotations

import random

# Four planted topics, each with its words in English, Spanish and Catalan.
TOPICS: dict[str, dict[str, list[str]]] = {
    "traffic": {
        "en": ["traffic", "cars", "congestion", "speed", "bus", "parking", "lanes"],
        "es": ["tráfico", "coches", "atascos", "velocidad", "autobús", "aparcamiento"],
        "ca": ["trànsit", "cotxes", "embussos", "velocitat", "autobús", "aparcament"],
    },
    "parks": {
        "en": ["trees", "park", "green", "shade", "benches", "playground", "garden"],
        "es": ["árboles", "parque", "verde", "sombra", "bancos", "jardín"],
        "ca": ["arbres", "parc", "verd", "ombra", "bancs", "jardí"],
    },
    "housing": {
        "en": ["housing", "rent", "homes", "landlords", "affordable", "flats", "eviction"],
        "es": ["vivienda", "alquiler", "pisos", "caseros", "asequible", "desahucios"],
        "ca": ["habitatge", "lloguer", "pisos", "propietaris", "assequible", "desnonaments"],
    },
    "air": {
        "en": ["air", "pollution", "smoke", "asthma", "fumes", "dust", "breathing"],
        "es": ["aire", "contaminación", "humo", "asma", "polvo", "respirar"],
        "ca": ["aire", "contaminació", "fum", "asma", "pols", "respirar"],
    },
}
# Words are not translated, so a topic is one theme across languages only as far as its texts
# share words; as texts about one city do, each topic's texts share place names and loanwords.
ANCHORS = {
    "traffic": ["bus", "metro", "parking", "bici", "diesel"],
    "parks": ["parc", "Montjuïc", "Collserola", "picnic", "gespa"],
    "housing": ["pisos", "airbnb", "hipoteca", "okupa", "renda"],
    "air": ["aire", "asma", "ozono", "smog", "CO2"],
}
FILLER = {
    "en": ["the", "we", "need", "more", "in", "our", "and", "is", "there", "too", "much"],
    "es": ["el", "la", "necesitamos", "más", "en", "nuestro", "y", "es", "hay", "mucho"],
    "ca": ["el", "la", "necessitem", "més", "al", "nostre", "i", "és", "hi", "ha", "molt"],
}
NOISE = ["city", "ciudad", "ciutat", "neighbourhood", "barrio", "barri", "people", "gente"]
SOURCES = ("codesign", "advisory", "appraisals")
SEGMENTS = ("18-34", "35-64", "65+", None)


def planted_corpus(
    count: int, seed: int = 1
) -> tuple[list[str], list[int], list[str | None], list[str | None]]:
    """``count`` short texts: each from one topic in one language, 2-4 topic words and 2 of
    the topic's shared words, filler stop words and a general word now and then; with the
    planted topic, a source and a segment."""
    rng = random.Random(seed)
    names = sorted(TOPICS)
    texts: list[str] = []
    truth: list[int] = []
    sources: list[str | None] = []
    segments: list[str | None] = []
    for _ in range(count):
        topic = rng.randrange(len(names))
        language = rng.choice(("en", "es", "ca"))
        words = rng.sample(TOPICS[names[topic]][language], rng.randint(2, 4))
        words += rng.sample(ANCHORS[names[topic]], 2)
        words += rng.sample(FILLER[language], rng.randint(2, 4))
        if rng.random() < 0.3:
            words.append(rng.choice(NOISE))
        rng.shuffle(words)
        text = " ".join(words)
        texts.append(text[0].upper() + text[1:] + rng.choice((".", "!", "")))
        truth.append(topic)
        sources.append(SOURCES[topic % 3] if rng.random() < 0.7 else rng.choice(SOURCES))
        segments.append(rng.choice(SEGMENTS))
    return texts, truth, sources, segments
