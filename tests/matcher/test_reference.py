from matcher.records.reference import STADT_KL_AGS, ReferenceData, esco_id


def test_kldb_codes_are_zero_padded_with_hierarchy(reference: ReferenceData) -> None:
    kldb = reference.kldb
    assert kldb["level"].value_counts().to_dict() == {1: 10, 2: 37, 3: 144, 4: 703, 5: 1301}
    assert "01104" in reference.kldb5_codes  # leading zero kept
    assert all(len(c) == 5 for c in reference.kldb5_codes)
    # every 5-digit code has its 4-, 3-, 2- and 1-digit parents
    assert all(code[:n] in kldb.index for code in reference.kldb5_codes for n in (1, 2, 3, 4))
    assert reference.kldb_title("51312").startswith("Berufe in der Lagerwirtschaft")


def test_kldb_task_lists_are_split_into_phrases(reference: ReferenceData) -> None:
    tasks = reference.kldb_tasks("21222")
    assert len(tasks) > 3
    assert tasks[1] == "Formen, Schalungen herstellen, flüssige Betonmischungen einbringen und verdichten"


def test_ba_job_titles_map_to_real_kldb_codes(reference: ReferenceData) -> None:
    titles = reference.job_titles
    assert len(titles) > 18000
    assert set(titles["kldb"]) <= reference.kldb5_codes
    assert "51312" in set(titles.loc[titles["title"].str.startswith("Fachlagerist"), "kldb"])


def test_esco_occupations_skills_and_relations(reference: ReferenceData) -> None:
    occupations, skills = reference.esco_occupations, reference.esco_skills
    assert len(occupations) > 3000 and len(skills) > 13000
    relations = reference.occupation_skills
    assert set(relations["relation"]) == {"essential", "optional"}
    assert relations["occupation_id"].isin(occupations.index).mean() > 0.99
    assert (skills["label_de"] != "").mean() > 0.9
    assert all(label for label in skills["label"])  # English fallback fills the gaps


def test_esco_kldb_mapping(reference: ReferenceData) -> None:
    mapping = reference.esco_kldb
    assert mapping["kldb"].str.len().eq(5).all()
    assert mapping["esco_id"].isin(reference.esco_occupations.index).mean() > 0.95
    assert {"exactMatch", "closeMatch", "narrowMatch", "broadMatch"} <= set(mapping["relation"])


def test_municipalities_and_postcodes(reference: ReferenceData) -> None:
    municipalities = reference.municipalities
    assert len(municipalities) == 51
    assert municipalities.loc[STADT_KL_AGS, "population"] == municipalities["population"].max()
    assert reference.municipality_by_name("Kaiserslautern") == STADT_KL_AGS
    assert reference.municipality_by_name("Enkenbach-Alsenborn") == "07335004"
    assert reference.municipality_by_name("Berlin") is None
    assert reference.postcode_municipalities["67661"] == [STADT_KL_AGS]
    for codes in municipalities["postcodes"]:
        assert all(plz in reference.postcodes.index for plz in codes)


def test_esco_id_takes_the_uuid() -> None:
    assert esco_id("http://data.europa.eu/esco/skill/abc-1") == "abc-1"
