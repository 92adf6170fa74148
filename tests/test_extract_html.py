"""The bundled listing page, read with the bundled selectors."""

from __future__ import annotations

from datetime import UTC, date, datetime

from feedhub.categories import CategoryMap
from feedhub.extract import extract
from feedhub.fetch import FetchLimits, read_file
from feedhub.model import Config, Item
from feedhub.normalise import normalise_entries

EXPECTED = [
    ("Partnership for improving prospects for forcibly displaced persons and host communities",
     "/global/programmes-and-projects/prospects/WCMS_794352/lang--en/index.htm",
     date(2021, 5, 26), "Animated video"),
    ("MoU signed between ILO and Korea’s Ministry of Employment and Labour to promote SSE on a "
     "global scale", "/global/about-the-ilo/newsroom/news/WCMS_794290/lang--en/index.htm",
     date(2021, 5, 26), "News"),
    ("COVID-19 appeal update: ILO’s Response to the Venezuelan Displacement Crisis",
     "/global/about-the-ilo/how-the-ilo-works/departments-and-offices/partnerships/"
     "WCMS_793859/lang--en/index.htm", date(2021, 5, 19), "ILO Appeal"),
    ("ILO teams with J.P Morgan to support women entrepreneurs",
     "/global/about-the-ilo/newsroom/news/WCMS_793628/lang--en/index.htm",
     date(2021, 5, 18), "Press release"),
    ("Climate Action for Jobs initiative launches in Africa",
     "/africa/about-us/offices/abidjan/WCMS_789882/lang--en/index.htm",
     date(2021, 4, 22), None),
    ("Launching of a web portal for eligible textile and garment sector employers to register "
     "and participate in a job retention programme",
     "/africa/about-us/offices/addis-ababa/WCMS_789624/lang--en/index.htm",
     date(2021, 4, 21), "Press release"),
    ("From migrant worker to labour unionist",
     "/global/about-the-ilo/how-the-ilo-works/multilateral-system/WCMS_789510/lang--en/index.htm",
     date(2021, 4, 21), "Our impact, their voices"),
    ("Now I know the great feeling of having decent work",
     "/global/about-the-ilo/newsroom/news/WCMS_788871/lang--en/index.htm",
     date(2021, 4, 16), "Disability and work"),
    ("Strengthening employability of female youth in the STEM sector",
     "/asia/media-centre/articles/WCMS_788608/lang--en/index.htm",
     date(2021, 4, 15), "Women in STEM"),
    ("The Swedish Government and the International Labour Organization (ILO) launch Skills for "
     "Energy in Southern Africa (SESA) project",
     "/africa/media-centre/pr/WCMS_787957/lang--en/index.htm", date(2021, 4, 8),
     "Press release"),
]

CATEGORY = {
    "Animated video": "features", "News": "news", "ILO Appeal": "news",
    "Press release": "press-releases", None: "news", "Our impact, their voices": "features",
    "Disability and work": "features", "Women in STEM": "features",
}


def test_sample_page_gives_ten_items(config: Config) -> None:
    source = config.source("ilo-newsroom")
    assert source is not None
    fetched = read_file(source.id, source.location, config.root, FetchLimits())
    entries = extract(source, fetched)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    items = normalise_entries(entries, source, CategoryMap.from_categories(config.categories),
                              fetched.url, now)
    assert_sample_items(items)
    assert all(item.sources == ("ilo-newsroom",) for item in items)


def assert_sample_items(items: list[Item]) -> None:
    """The ten items of examples/newsroom.html, however they were found."""
    assert len(items) == 10
    for item, (title, path, day, label) in zip(items, EXPECTED, strict=True):
        assert item.title == title
        assert item.link == "https://www.ilo.org" + path
        assert item.published == datetime(day.year, day.month, day.day, tzinfo=UTC)
        assert item.labels == ((label,) if label else ())
        assert item.categories == (CATEGORY[label],)
    assert [i.categories for i in items].count(("press-releases",)) == 3
    assert items[4].labels == () and items[4].categories == ("news",)
    assert items[2].image == ("https://www.ilo.org/wcmsp5/groups/public/---dgreports/---dcomm/"
                              "images/pic_venezuela.jpg")
    assert items[0].summary.startswith("Financially supported by the Ministry")
