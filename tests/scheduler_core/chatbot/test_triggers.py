"""Keyword triggers: case and accents ignored, whole words for "exata", spaced-out letters for
"contem", list order decides."""

from scheduler_core.chatbot.triggers import first_match, matches

TRIGGERS = [
    {"text": "promo", "match": "exata", "action": "agendar_banho_tosa"},
    {"text": "Vacinação", "match": "contem", "action": "agendar_clinica"},
    {"text": "humano", "match": "contem", "action": "falar_atendente"},
]


def test_exact_needs_whole_words_ignoring_case_and_accents():
    assert matches(TRIGGERS[0], "Quero a PROMO de hoje!")
    assert not matches(TRIGGERS[0], "tem promoção?")
    assert matches({"text": "banho e tosa", "match": "exata"}, "oi, banho  e tosa pfv")


def test_contains_tolerates_accents_and_spaced_letters():
    assert matches(TRIGGERS[1], "preciso de vacinacao pro Thor")
    assert matches(TRIGGERS[1], "v a c i n a ç ã o")
    assert not matches(TRIGGERS[1], "vacina")


def test_first_hit_in_list_order_wins_and_no_hit_is_none():
    assert first_match(TRIGGERS, "promo de vacinação") == "agendar_banho_tosa"
    assert first_match(TRIGGERS, "quero um HUMANO") == "falar_atendente"
    assert first_match(TRIGGERS, "oi") is None
    assert first_match([], "promo") is None
    assert first_match([{"text": "", "match": "contem", "action": "x"}], "qualquer") is None


def test_punctuation_in_the_trigger_or_the_message_is_ignored():
    assert matches({"text": "Promoção!", "match": "exata"}, "quero a promoção")
    assert matches({"text": "banho-e-tosa", "match": "contem"}, "Banho e tosa, por favor")
    assert not matches({"text": "Promo!", "match": "exata"}, "tem promoção?")
