"""The "is this plausibly a name?" rule of the bot's name questions: chatter (thanks, greetings,
yes/no, emojis, questions, requests) is refused; real names that are also words pass; pets are
named more freely than people."""

from __future__ import annotations

import pytest

from scheduler_core.people import names
from scheduler_core.people.names import Refusal, read_person_name, read_pet_name


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("obrigado", Refusal.THANKS),
        ("Obrigada!!", Refusal.THANKS),
        ("muito obrigadaaa", Refusal.THANKS),
        ("valeu", Refusal.THANKS),
        ("vlw", Refusal.THANKS),
        ("oi", Refusal.GREETING),
        ("Oi, bom dia!", Refusal.GREETING),
        ("boa tarde", Refusal.GREETING),
        ("sim", Refusal.YES),
        ("Siiim", Refusal.YES),
        ("ok", Refusal.YES),
        ("ok obrigado", Refusal.YES),
        ("blz", Refusal.YES),
        ("beleza", Refusal.YES),
        ("não", Refusal.NO),
        ("nao obg", Refusal.NO),
        ("kkkk", Refusal.CHATTER),
        ("tudo bem", Refusal.CHATTER),
        ("👍", Refusal.EMPTY),
        ("🐶🐶 ❤️", Refusal.EMPTY),
        ("123", Refusal.EMPTY),
        ("", Refusal.EMPTY),
        ("quanto custa o banho?", Refusal.QUESTION),
        ("qual o horário", Refusal.QUESTION),
        ("Ana?", Refusal.QUESTION),
        ("aceita pix", Refusal.SENTENCE),
        ("quero agendar um banho", Refusal.SENTENCE),
        ("meu cachorro precisa de banho", Refusal.SENTENCE),
        ("teste", Refusal.CHATTER),
        ("testando", Refusal.CHATTER),
    ],
)
def test_chatter_is_not_a_tutor_name(text, refusal):
    reading = read_person_name(text)
    assert (reading.ok, reading.name, reading.refusal) == (False, "", refusal)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Maria do Socorro", "Maria do Socorro"),
        ("maria do socorro lima", "Maria do Socorro Lima"),
        ("Glória", "Glória"),
        ("Vitória", "Vitória"),
        ("Felicidade", "Felicidade"),
        ("Graça", "Graça"),
        ("Luz", "Luz"),
        ("Maria das Dores", "Maria das Dores"),
        ("Ana Paula", "Ana Paula"),
        ("João", "João"),
        ("joão da silva", "João da Silva"),
        ("Francisco de Assis", "Francisco de Assis"),
        ("D'Ávila Souza", "D'Ávila Souza"),
        ("Jean-Pierre", "Jean-Pierre"),
        ("ana paula 🐶", "Ana Paula"),
        ("Maria Aparecida dos Santos Oliveira Lima", "Maria Aparecida dos Santos Oliveira Lima"),
        ("Mariana Teste", "Mariana Teste"),
    ],
)
def test_real_names_pass_even_when_they_are_also_words(text, name):
    assert read_person_name(text).name == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Meu nome é Ana", "Ana"),
        ("me chamo Pedro Henrique", "Pedro Henrique"),
        ("Oi, sou a Glória", "Glória"),
        ("boa noite! eu sou o Carlos", "Carlos"),
        ("pode me chamar de Zé", "Zé"),
        ("Ana, obrigada", "Ana"),
    ],
)
def test_the_name_is_found_inside_an_introduction_and_polite_words(text, name):
    assert read_person_name(text).name == name


def test_a_pet_may_be_called_beleza_show_or_gata_but_not_sim_or_obrigado():
    for name in ("Beleza", "Show", "Top", "Joia", "Gata", "Pix", "Thor", "Mel"):
        assert read_pet_name(name).name == name
        assert not read_person_name(name).ok or name in ("Thor", "Mel")
    assert read_pet_name("ele se chama Thor").name == "Thor"
    assert read_pet_name("o nome dela é Mel, obrigada").name == "Mel"
    for chatter in ("sim", "não", "ok", "blz", "obrigado", "oi", "👍", "quanto custa o banho?"):
        assert not read_pet_name(chatter).ok, chatter


def test_names_the_nlu_takes_for_chatter_or_questions_still_pass():
    """Our NLU scored these real names as thanks, yes or a price question at 0.98-1.0: the rule
    reads the words only."""
    for name in ("Graça", "Paz", "Felicidade Santos Lima", "Maria Aparecida Santos",
                 "Carla Dias", "Ana do Socorro Souza", "João Paulo Segundo"):
        assert read_person_name(name).name == name
    for chatter in ("tamo junto mano", "valeu demais mesmo cara", "brigadão moça", "oi tudo certo"):
        assert not read_person_name(chatter).ok, chatter


def test_too_long_is_not_a_name():
    assert read_person_name("Ana " * 9).refusal == Refusal.SENTENCE
    assert read_person_name("A" * 61).refusal == Refusal.SENTENCE


@pytest.mark.parametrize(("text", "name", "sex"), [
    ("a Luna", "Luna", "femea"),
    ("é a Mel", "Mel", "femea"),
    ("o Thor", "Thor", "macho"),
    ("Thor", "Thor", None),
    ("Ana Paula", "Ana Paula", None),
])
def test_a_pet_s_article_is_no_part_of_its_name_and_says_its_sex(text, name, sex):
    reading = names.read_pet_name(text)
    assert (reading.name, reading.sex) == (name, sex)


def test_an_impatient_ja_falei_is_no_part_of_the_pet_s_name():
    assert names.read_pet_name("ja falei, thor").name == "Thor"
    assert names.read_pet_name("já disse: Mel").name == "Mel"


def test_two_or_more_pets_named_at_once_are_each_read():
    assert [r.name for r in names.read_pet_names("bob e nina")] == ["Bob", "Nina"]
    assert [r.name for r in names.read_pet_names("Thor, Mel e Pipoca")] == ["Thor", "Mel", "Pipoca"]
    assert [r.name for r in names.read_pet_names("Thor")] == ["Thor"]
    assert not names.read_pet_names("obrigado")[0].ok
