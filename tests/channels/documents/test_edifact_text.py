"""French text through UNOC: transliteration, release escaping by pydifact, and the read-back comparison."""

from __future__ import annotations

import warnings

import pytest
from pydifact.segmentcollection import Interchange, Message
from pydifact.segments import Segment

from channels.documents.edifact_text import EdifactTextError, chunks, compare_texts, to_unoc

HARD_NAMES = [
    "L’Atelier d’Élise & Fils",
    "« Café “Le Zinc” » – Brasserie",
    "Prix + remise : 10 % ? oui… ‘cité’",
    "Œuvres de l'hôpital Saint-Étienne",
    "Description finissant par une apostrophe'",
    "Ends with a release char?",
    "Łódź – Spółka z o.o.",
    "Ça coûte 1 234,56 € (TTC)",
]


@pytest.mark.parametrize(
    ("source", "carried"),
    [
        ("L’Atelier", "L'Atelier"),
        ("“Le Zinc”", '"Le Zinc"'),
        ("coût – 12 €", "coût - 12 EUR"),
        ("Œuvre…", "OEuvre..."),
        ("Łódź", "Lódz"),
        ("1\u202f234", "1 234"),
        ("ligne 1\nligne 2", "ligne 1 ligne 2"),
        ("éàçùîöÿ«»°", "éàçùîöÿ«»°"),  # ISO 8859-1 carries these as they are
    ],
)
def test_transliteration(source, carried):
    assert to_unoc(source) == carried
    to_unoc(source).encode("iso-8859-1")  # strictly encodable


def test_characters_without_equivalent_are_refused_with_their_name():
    with pytest.raises(EdifactTextError, match="U\\+4E2D CJK"):
        to_unoc("Société 中")
    with pytest.raises(EdifactTextError, match="U\\+0007"):
        to_unoc("bell\x07")


def test_chunks_split_without_losing_text():
    assert chunks("a" * 80, 35, 5) == ["a" * 35, "a" * 35, "a" * 10]
    with pytest.raises(EdifactTextError, match="does not fit"):
        chunks("a" * 80, 35, 2)


def _read_back(text: bytes) -> Interchange:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Interchange.from_str(text.decode("iso-8859-1"))


@pytest.mark.parametrize("name", HARD_NAMES)
def test_separators_and_release_characters_survive_a_round_trip_through_pydifact(name):
    carried = to_unoc(name)
    message = Message("1", ["INVOIC", "D", "96A", "UN", "EAN008"])
    message.add_segment(Segment("NAD", "BY", ["1234567890123", "", "9"], "", chunks(carried, 35, 5)))
    message.add_segment(Segment("IMD", "F", "", ["", "", "", carried[:35]]))
    interchange = Interchange(
        sender=["1", "14"], recipient=["2", "14"], control_reference="1", syntax_identifier=("UNOC", 3)
    )
    interchange.add_message(message)
    data = ("UNA:+.? '\n" + interchange.serialize(break_lines=True)).encode("iso-8859-1")

    segments = {s.tag: s for s in _read_back(data).segments}
    name_back = segments["NAD"].elements[3]
    name_back = "".join(name_back) if isinstance(name_back, list) else name_back
    assert (
        compare_texts(
            {"NAD+BY name": carried, "IMD": carried[:35]},
            {"NAD+BY name": name_back, "IMD": segments["IMD"].elements[2][3]},
        )
        == []
    )


def test_compare_texts_names_the_corruption():
    problems = compare_texts({"NAD+BY": "L'Atelier", "IMD 1": "x"}, {"NAD+BY": "LAtelier"})
    assert [where for where, _ in problems] == ["NAD+BY", "IMD 1"]
    assert "first difference at character 2" in problems[0][1]
    assert "missing" in problems[1][1]


def test_what_replace_encoding_did_is_caught():
    # The old writer: "’" encoded with errors="replace" became "?", the release character, which swallowed
    # the next character on reading.
    corrupted = (
        "UNA:+.? '\nUNB+UNOC:3+1:14+2:14+261202:0712+1'\nUNH+1+INVOIC:D:96A:UN:EAN008'\n"
        "NAD+BY+1::9++L?Atelier'\nUNT+3+1'\nUNZ+1+1'"
    )
    back = _read_back(corrupted.encode("iso-8859-1"))
    name = next(s for s in back.segments if s.tag == "NAD").elements[3]
    assert compare_texts({"NAD+BY name": "L'Atelier"}, {"NAD+BY name": name})
