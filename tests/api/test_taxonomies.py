"""Taxonomies (/v1/taxonomies) through HTTP: labels in the language
Accept-Language asks for, the list of taxonomies, and every code the demo
data uses exists.

Every answer is also validated against openapi/openapi.yaml by the `api`
client (conftest.py)."""

import pytest

from partners_util import demo_callers, walk


@pytest.fixture(scope="module")
def who(api):
    """The demo accounts of Erfurt (and Gotha's staff)."""
    return demo_callers(api)


def db_labels(stack, name, locale):
    return dict(stack.sql("SELECT code, labels->>%s FROM ch.taxonomy_term"
                          " WHERE taxonomy = %s", (locale, name)))


@pytest.mark.parametrize("name", ["activity_categories", "language_levels"])
@pytest.mark.parametrize("accept,locale", [
    ("uk", "uk"), ("uk-UA, en;q=0.5", "uk"), ("sw, uk;q=0.8", "uk"),
    ("de;q=0.4, uk;q=0.9", "uk"), ("sw", "de"), ("xx-YY, zz", "de"),
    (None, "de"), ("en", "en"),
])
def test_taxonomy_labels_follow_accept_language(api, stack, name, accept,
                                                locale):
    headers = {"Accept-Language": accept} if accept else {}
    r = api.get("/v1/taxonomies/" + name, headers=headers)
    assert r.status_code == 200
    assert r.headers["Content-Language"] == locale
    body = r.json()
    assert body["name"] == name and body["locale"] == locale
    labels = db_labels(stack, name, locale)
    assert {i["code"]: i["label"] for i in body["items"]} == labels
    assert all(labels.values()), "a label is missing"


def test_ukrainian_labels(api):
    r = api.get("/v1/taxonomies/activity_categories",
                headers={"Accept-Language": "uk"})
    labels = {i["code"]: i["label"] for i in r.json()["items"]}
    assert labels["sport"] == "Спорт і фізична активність"
    assert labels["culture_music"] == "Культура і музика"
    r = api.get("/v1/taxonomies/activity_categories",
                headers={"Accept-Language": "sw"})
    assert {i["code"]: i["label"] for i in r.json()["items"]}["sport"] == \
        "Sport und Bewegung"


def test_taxonomy_list(api, stack):
    items = api.get("/v1/taxonomies").json()["items"]
    by_name = {t["name"]: t for t in items}
    assert set(by_name) == {"activity_categories", "languages",
                            "language_levels", "occupational_fields",
                            "qualification_levels", "problem_categories"}
    for t in items:
        assert t["terms"] == stack.sql(
            "SELECT count(*) FROM ch.taxonomy_term WHERE taxonomy = %s",
            (t["name"],))[0][0]
        assert {"de", "en"} <= set(t["locales"])
    assert "uk" in by_name["activity_categories"]["locales"]
    # What migrants report: every label in every language of the app.
    assert {"de", "en", "uk", "ar", "ru", "fa", "tr"} <= \
        set(by_name["problem_categories"]["locales"])


def test_problem_categories_are_two_levels_deep(api):
    items = api.get("/v1/taxonomies/problem_categories",
                    headers={"Accept-Language": "uk"}).json()["items"]
    top = {i["code"] for i in items if i["parent"] is None}
    assert top == {"housing", "work_recognition", "language_courses",
                   "residence_authorities", "childcare_school", "health",
                   "discrimination_racism", "transport_mobility",
                   "money_benefits", "digital_access", "other"}
    for i in items:
        if i["parent"] is not None:
            assert i["parent"] in top and i["code"].startswith(
                i["parent"] + "_"), i
    # Labels in the asked language: Ukrainian is Cyrillic.
    label = {i["code"]: i["label"] for i in items}["housing"]
    assert any("\u0400" <= ch <= "\u04ff" for ch in label), label


def taxonomy_codes(api, name):
    return {i["code"] for i in api.get("/v1/taxonomies/" + name)
            .json()["items"]}


def test_every_code_of_the_demo_data_exists(api, who, stack):
    categories = taxonomy_codes(api, "activity_categories")
    languages = taxonomy_codes(api, "languages")
    levels = taxonomy_codes(api, "language_levels")
    demo = stack.sql("SELECT category, languages, min_german_level"
                     " FROM ch.offer WHERE id::text LIKE 'd0000000-%'")
    assert demo, "no demo offers"
    for category, langs, level in demo:
        assert category in categories
        assert set(langs) <= languages, langs
        assert level is None or level in levels
    # As clients see them, too.
    items, _ = walk(api, who["mentor"].token, "/v1/offers", limit=100)
    for o in items:
        assert o["category"] in categories
        assert set(o["languages"]) <= languages
    people = stack.sql("SELECT languages, interests FROM ch.participant"
                       " WHERE id::text LIKE 'c0000000-%'")
    assert people, "no demo participants"
    for langs, interests in people:
        assert {x["code"] for x in langs} <= languages, langs
        assert {x["level"] for x in langs} <= levels, langs
        assert set(interests) <= categories, interests
