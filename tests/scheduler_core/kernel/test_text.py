"""The one text fold: what breeds, neighbourhoods, searches, triggers and the dialogue compare."""

from scheduler_core.kernel.text import normalize


def test_case_accents_and_punctuation_fold_to_single_spaces():
    assert normalize("  Lulu-da-Pomerânia! ") == "lulu da pomerania"
    assert normalize("São  JOÃO") == "sao joao"
    assert normalize(None) == ""


def test_dates_and_times_keep_their_punctuation():
    assert normalize("Amanhã  às 14:30", keep_punctuation=True) == "amanha as 14:30"
    assert normalize("dia 12/05", keep_punctuation=True) == "dia 12/05"
