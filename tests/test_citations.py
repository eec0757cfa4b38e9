import datetime

import pytest
from django.utils import timezone

from events.citations import (
    Name,
    cite_lesson,
    cite_reading,
    initials,
    lesson_citations,
    parse_authors,
    parse_name,
    reading_references,
)
from events.models import Reading

URL = "https://history.example.org/lessons/ussrs-withdrawal-from-china/"
UPDATED = datetime.date(2025, 3, 5)
ACCESSED = datetime.date(2025, 9, 10)

SEED_REFERENCES = {
    "mla": [
        "Shen, Zhihua, and Yafeng Xia. Mao and the Sino-Soviet Partnership, 1945–1959: A New History. "
        "Lexington Books, 2015.",
        "Li, Danhui, and Yafeng Xia. Mao and the Sino-Soviet Split, 1959–1973: A New History. Lexington Books, 2018.",
        "Radchenko, Sergey. Two Suns in the Heavens: The Sino-Soviet Struggle for Supremacy, 1962–1967. "
        "Woodrow Wilson Center Press / Stanford UP, 2009.",
        "Westad, Odd Arne, editor. Brothers in Arms: The Rise and Fall of the Sino-Soviet Alliance, 1945–1963. "
        "Woodrow Wilson Center Press / Stanford UP, 1998.",
    ],
    "apa": [
        "Shen, Z., & Xia, Y. (2015). Mao and the Sino-Soviet Partnership, 1945–1959: A New History. Lexington Books.",
        "Li, D., & Xia, Y. (2018). Mao and the Sino-Soviet Split, 1959–1973: A New History. Lexington Books.",
        "Radchenko, S. (2009). Two Suns in the Heavens: The Sino-Soviet Struggle for Supremacy, 1962–1967. "
        "Woodrow Wilson Center Press; Stanford University Press.",
        "Westad, O. A. (Ed.). (1998). Brothers in Arms: The Rise and Fall of the Sino-Soviet Alliance, 1945–1963. "
        "Woodrow Wilson Center Press; Stanford University Press.",
    ],
    "chicago": [
        "Shen, Zhihua, and Yafeng Xia. Mao and the Sino-Soviet Partnership, 1945–1959: A New History. "
        "Lexington Books, 2015.",
        "Li, Danhui, and Yafeng Xia. Mao and the Sino-Soviet Split, 1959–1973: A New History. Lexington Books, 2018.",
        "Radchenko, Sergey. Two Suns in the Heavens: The Sino-Soviet Struggle for Supremacy, 1962–1967. "
        "Woodrow Wilson Center Press; Stanford University Press, 2009.",
        "Westad, Odd Arne, ed. Brothers in Arms: The Rise and Fall of the Sino-Soviet Alliance, 1945–1963. "
        "Woodrow Wilson Center Press; Stanford University Press, 1998.",
    ],
}


def book(**fields) -> Reading:
    """An unsaved reading: a book by one author, with a publisher and a year, unless told otherwise."""
    return Reading(
        **{"title": "A Short History", "authors": "Jane Smith", "publisher": "Lexington Books", "year": 2018, **fields}
    )


def cite(style: str, **fields) -> str:
    return cite_reading(book(**fields), style).text


def people(count: int) -> str:
    """`count` authors: "Given1 Family1, Given2 Family2, and Given3 Family3"."""
    names = [f"Given{number} Family{number}" for number in range(1, count + 1)]
    return f"{', '.join(names[:-1])}, and {names[-1]}"


# The seed lesson's readings


@pytest.mark.parametrize("style", ["mla", "apa", "chicago"])
def test_seed_readings_as_references_in_each_style(seed_lesson, style):
    references = reading_references(seed_lesson.readings.all(), style)

    assert [reference.text for reference in references] == SEED_REFERENCES[style]
    assert {reference.style for reference in references} == {style}


def test_seed_readings_in_html_have_the_title_in_italics_and_escaped_values(seed_lesson):
    split = seed_lesson.readings.all()[1]
    title = "<i>Mao and the Sino-Soviet Split, 1959–1973: A New History</i>"

    assert cite_reading(split, "mla").html == f"Li, Danhui, and Yafeng Xia. {title}. Lexington Books, 2018."
    assert cite_reading(split, "apa").html == f"Li, D., &amp; Xia, Y. (2018). {title}. Lexington Books."
    assert cite_reading(split, "chicago").html == f"Li, Danhui, and Yafeng Xia. {title}. Lexington Books, 2018."


def test_references_are_in_apa_unless_told_otherwise(seed_lesson):
    assert [reference.style for reference in reading_references(seed_lesson.readings.all())] == ["apa"] * 4


# The lesson page


def test_lesson_page_in_each_style():
    mla, apa, chicago = cite_lesson(
        title="USSR's Withdrawal from China", url=URL, updated=UPDATED, accessed=ACCESSED, site="History lessons"
    )

    assert (mla.style, mla.label) == ("mla", "MLA (9th edition)")
    assert mla.text == (
        "“USSR's Withdrawal from China.” History lessons, 5 Mar. 2025, "
        "history.example.org/lessons/ussrs-withdrawal-from-china/. Accessed 10 Sept. 2025."
    )
    assert (apa.style, apa.label) == ("apa", "APA (7th edition)")
    assert apa.text == f"History lessons. (2025, March 5). USSR's Withdrawal from China. {URL}"
    assert (chicago.style, chicago.label) == ("chicago", "Chicago (17th edition)")
    assert chicago.text == f"History lessons. “USSR's Withdrawal from China.” Last modified March 5, 2025. {URL}."


def test_lesson_page_in_html_italicises_the_website_or_the_title_and_escapes_everything():
    mla, apa, chicago = cite_lesson(
        title="<script>alert(1)</script> & Co", url=URL, updated=UPDATED, accessed=ACCESSED, site="Tom & Jerry's"
    )

    assert mla.html.startswith("“&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co.” <i>Tom &amp; Jerry&#x27;s</i>, ")
    assert apa.html == (
        f"Tom &amp; Jerry&#x27;s. (2025, March 5). <i>&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</i>. {URL}"
    )
    assert chicago.html.startswith("Tom &amp; Jerry&#x27;s. “&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co.”")
    assert "<script>" not in mla.html + apa.html + chicago.html


@pytest.mark.parametrize("month, mla_month", [(5, "May"), (6, "June"), (7, "July"), (9, "Sept."), (12, "Dec.")])
def test_mla_abbreviates_months_longer_than_four_letters(month, mla_month):
    mla = cite_lesson(title="T", url=URL, updated=datetime.date(2024, month, 1), accessed=ACCESSED, site="S")[0]

    assert f", 1 {mla_month} 2024, " in mla.text


def test_a_title_ending_in_a_question_mark_gets_no_full_stop_after_it():
    mla, apa, chicago = cite_lesson(
        title="Why Did the Wall Fall?", url=URL, updated=UPDATED, accessed=ACCESSED, site="History lessons"
    )

    assert mla.text.startswith("“Why Did the Wall Fall?” History lessons,")
    assert "(2025, March 5). Why Did the Wall Fall? https://" in apa.text
    assert "“Why Did the Wall Fall?” Last modified" in chicago.text


def test_quotation_marks_inside_a_quoted_title_become_single():
    mla = cite_lesson(title='The "Iron Curtain" Speech', url=URL, updated=UPDATED, accessed=ACCESSED, site="S")[0]

    assert mla.text.startswith("“The ‘Iron Curtain’ Speech.” ")


def test_a_site_name_ending_in_a_full_stop_gets_no_second_one():
    apa = cite_lesson(title="T", url=URL, updated=UPDATED, accessed=ACCESSED, site="History Ltd.")[1]

    assert apa.text.startswith("History Ltd. (2025, March 5).")


@pytest.mark.django_db
def test_lesson_citations_use_the_requested_address_the_last_update_and_today(rf, seed_lesson):
    request = rf.get("/lessons/ussrs-withdrawal-from-china/")

    citations = lesson_citations(request, seed_lesson)

    assert citations == cite_lesson(
        title="USSR's Withdrawal from China",
        url="http://testserver/lessons/ussrs-withdrawal-from-china/",
        updated=timezone.localdate(seed_lesson.updated_at),
        accessed=timezone.localdate(),
        site="History lessons",
    )
    assert "testserver/lessons/ussrs-withdrawal-from-china/. Accessed " in citations[0].text


@pytest.mark.django_db
def test_the_site_name_comes_from_the_site_name_setting(rf, seed_lesson, settings):
    settings.SITE_NAME = "Springfield High History"

    mla, apa, chicago = lesson_citations(rf.get("/"), seed_lesson)

    assert "” Springfield High History, " in mla.text
    assert apa.text.startswith("Springfield High History. (")
    assert chicago.text.startswith("Springfield High History. “USSR's")


# Authors and editors


def test_one_author():
    assert cite("mla", authors="Sergey Radchenko").startswith("Radchenko, Sergey. A Short History.")
    assert cite("apa", authors="Sergey Radchenko").startswith("Radchenko, S. (2018). A Short History.")
    assert cite("chicago", authors="Sergey Radchenko").startswith("Radchenko, Sergey. A Short History.")


def test_two_authors():
    authors = "Danhui Li and Yafeng Xia"

    assert cite("mla", authors=authors).startswith("Li, Danhui, and Yafeng Xia. A Short History.")
    assert cite("apa", authors=authors).startswith("Li, D., & Xia, Y. (2018).")
    assert cite("chicago", authors=authors).startswith("Li, Danhui, and Yafeng Xia. A Short History.")


@pytest.mark.parametrize("authors", ["Zhihua Shen, Yafeng Xia and Danhui Li", "Zhihua Shen, Yafeng Xia, & Danhui Li"])
def test_three_authors(authors):
    assert cite("mla", authors=authors).startswith("Shen, Zhihua, et al. A Short History.")
    assert cite("apa", authors=authors).startswith("Shen, Z., Xia, Y., & Li, D. (2018).")
    assert cite("chicago", authors=authors).startswith("Shen, Zhihua, Yafeng Xia, and Danhui Li. A Short History.")


def test_apa_lists_twenty_authors_and_shortens_more_to_the_first_nineteen_and_the_last():
    twenty = cite("apa", authors=people(20))
    twenty_one = cite("apa", authors=people(21))

    assert twenty.startswith("Family1, G., Family2, G., ")
    assert ", Family19, G., & Family20, G. (2018)." in twenty
    assert ", Family19, G., . . . Family21, G. (2018)." in twenty_one
    assert "Family20" not in twenty_one


def test_chicago_lists_ten_authors_and_shortens_more_to_seven_and_et_al():
    ten = cite("chicago", authors=people(10))
    eleven = cite("chicago", authors=people(11))

    assert ten.startswith("Family1, Given1, Given2 Family2, ")
    assert ", Given9 Family9, and Given10 Family10. A Short History." in ten
    assert eleven.startswith(
        "Family1, Given1, Given2 Family2, Given3 Family3, Given4 Family4, Given5 Family5, Given6 Family6, "
        "Given7 Family7, et al. A Short History."
    )


@pytest.mark.parametrize("authors", ["Odd Arne Westad (ed.)", "Odd Arne Westad (Ed.)", "Odd Arne Westad, editor"])
def test_one_editor(authors):
    assert cite("mla", authors=authors).startswith("Westad, Odd Arne, editor. A Short History.")
    assert cite("apa", authors=authors).startswith("Westad, O. A. (Ed.). (2018). A Short History.")
    assert cite("chicago", authors=authors).startswith("Westad, Odd Arne, ed. A Short History.")


def test_two_editors():
    authors = "Odd Arne Westad and Sophie Quinn-Judge (eds.)"

    assert cite("mla", authors=authors).startswith("Westad, Odd Arne, and Sophie Quinn-Judge, editors. A Short")
    assert cite("apa", authors=authors).startswith("Westad, O. A., & Quinn-Judge, S. (Eds.). (2018). A Short")
    assert cite("chicago", authors=authors).startswith("Westad, Odd Arne, and Sophie Quinn-Judge, eds. A Short")


# Publication facts


def test_a_missing_year_is_n_d_in_apa_and_chicago_and_left_out_in_mla():
    assert cite("mla", year=None) == "Smith, Jane. A Short History. Lexington Books."
    assert cite("apa", year=None) == "Smith, J. (n.d.). A Short History. Lexington Books."
    assert cite("chicago", year=None) == "Smith, Jane. A Short History. Lexington Books, n.d."


def test_a_missing_publisher_is_left_out():
    assert cite("mla", publisher="") == "Smith, Jane. A Short History. 2018."
    assert cite("apa", publisher="") == "Smith, J. (2018). A Short History."
    assert cite("chicago", publisher="") == "Smith, Jane. A Short History. 2018."


def test_without_publisher_or_year():
    assert cite("mla", publisher="", year=None) == "Smith, Jane. A Short History."
    assert cite("apa", publisher="", year=None) == "Smith, J. (n.d.). A Short History."
    assert cite("chicago", publisher="", year=None) == "Smith, Jane. A Short History. n.d."


def test_a_doi_is_given_as_a_doi_org_address_and_an_isbn_never():
    fields = {"doi": "doi:10.1017/S0305741000000000", "isbn": "9781498511667"}

    assert cite("mla", **fields) == (
        "Smith, Jane. A Short History. Lexington Books, 2018, https://doi.org/10.1017/S0305741000000000."
    )
    assert cite("apa", **fields) == (
        "Smith, J. (2018). A Short History. Lexington Books. https://doi.org/10.1017/S0305741000000000"
    )
    assert cite("chicago", **fields) == (
        "Smith, Jane. A Short History. Lexington Books, 2018. https://doi.org/10.1017/S0305741000000000."
    )


def test_a_url_is_given_only_for_a_work_without_a_publisher():
    # With a publisher, a reading's URL is a catalogue page, not where the work is.
    assert "example" not in cite("apa", url="https://example.org/catalogue/1")

    fields = {"url": "https://example.org/essay", "publisher": ""}
    assert cite("mla", **fields) == "Smith, Jane. A Short History. 2018, example.org/essay."
    assert cite("apa", **fields) == "Smith, J. (2018). A Short History. https://example.org/essay"
    assert cite("chicago", **fields) == "Smith, Jane. A Short History. 2018. https://example.org/essay."


def test_mla_shortens_university_press_and_keeps_co_publishers_apart():
    fields = {"publisher": "Harvard University Press; Belknap Press"}

    assert cite("mla", **fields) == "Smith, Jane. A Short History. Harvard UP / Belknap Press, 2018."
    assert cite("apa", **fields) == "Smith, J. (2018). A Short History. Harvard University Press; Belknap Press."
    assert cite("chicago", **fields) == "Smith, Jane. A Short History. Harvard University Press; Belknap Press, 2018."


def test_a_title_ending_in_a_question_mark_keeps_it_alone():
    assert cite("mla", title="Who Lost China?") == "Smith, Jane. Who Lost China? Lexington Books, 2018."
    assert cite("apa", title="Who Lost China?") == "Smith, J. (2018). Who Lost China? Lexington Books."


def test_reading_values_are_escaped_in_html():
    html = cite_reading(book(title="<b>Bold</b> & Co", authors="Jane <Smith>"), "apa").html

    assert html == "&lt;Smith&gt;, J. (2018). <i>&lt;b&gt;Bold&lt;/b&gt; &amp; Co</i>. Lexington Books."


# Names


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Sergey Radchenko", Name("Sergey", "Radchenko")),
        ("Odd Arne Westad", Name("Odd Arne", "Westad")),
        ("Lorenz M. Lüthi", Name("Lorenz M.", "Lüthi")),
        ("Ludwig van Beethoven", Name("Ludwig", "Beethoven", particle="van")),
        ("Martin Luther King Jr.", Name("Martin Luther", "King", suffix="Jr.")),
        ("Plato", Name("", "Plato")),
    ],
)
def test_parse_name(name, expected):
    assert parse_name(name) == expected


def test_a_suffix_after_a_comma_belongs_to_the_name_before_it():
    assert parse_authors("Martin Luther King, Jr., and Coretta Scott King") == (
        [Name("Martin Luther", "King", suffix="Jr."), Name("Coretta Scott", "King")],
        False,
    )


@pytest.mark.parametrize(
    "given, expected",
    [("Odd Arne", "O. A."), ("Jean-Paul", "J.-P."), ("J.R.R.", "J. R. R."), ("Lorenz M.", "L. M."), ("", "")],
)
def test_initials(given, expected):
    assert initials(given) == expected


def test_names_in_each_form():
    king = Name("Martin Luther", "King", suffix="Jr.")
    beethoven = Name("Ludwig", "Beethoven", particle="van")

    assert (king.inverted(), king.natural(), king.with_initials()) == (
        "King, Martin Luther, Jr.",
        "Martin Luther King, Jr.",
        "King, M. L., Jr.",
    )
    assert (beethoven.inverted(), beethoven.natural(), beethoven.with_initials()) == (
        "Beethoven, Ludwig van",
        "Ludwig van Beethoven",
        "van Beethoven, L.",
    )
    assert Name("", "Plato").with_initials() == "Plato"
