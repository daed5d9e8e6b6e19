"""What tutors type about their pet: "minha cachorra", "dog kkk", "media, uns 12 kg",
"curtinha", "qualquer um"."""

from __future__ import annotations

from scheduler_core.people import pet_answers as pa


def test_the_words_for_the_pet_say_its_species_and_a_feminine_one_its_sex():
    assert pa.pet_hints("quero banho pra minha cachorra") == ("cao", "femea")
    assert pa.pet_hints("meu gato precisa de tosa") == ("gato", None)
    assert pa.pet_hints("dog kkk") == ("cao", None)
    assert pa.pet_hints("tenho um cachorro e um gato") == (None, None)  # which one?
    assert pa.pet_hints("quero agendar") == (None, None)


def test_porte_pelagem_and_sex_in_everyday_words():
    assert pa.porte_of("media, uns 12 kg") == "medio"
    assert pa.porte_of("é pequenininho") == "pequeno"
    assert pa.porte_of("entre pequeno e médio") is None  # two: asked again
    assert pa.pelagem_of("curtinha") == "curta"
    assert pa.pelagem_of("bem peludo") == "longa"
    assert pa.pelagem_of("sei lá") is None
    assert pa.sex_of("é uma menina") == "femea" and pa.sex_of("macho") == "macho"
    assert pa.means_anyone("qualquer um") and pa.means_anyone("tanto faz")
    assert not pa.means_anyone("com a Ana")
