"""Is a chat reply plausibly a name? The rule behind the bot's "qual é o seu nome?" and "qual é o
nome do seu pet?" questions (pure: text in, a name or a refusal out).

A tutor on WhatsApp answers a name question with the name ("Ana Paula", "meu nome é João",
"oi, sou a Glória"), but also with chatter the question did not ask for: "obrigado", "oi",
"ok", "sim", "não", "👍", "quanto custa o banho?", "quero agendar um banho". Those must not
become a tutor's or a pet's name; the bot asks again instead.

Decisions:

- **Words, not guesses.** A reply is refused when, once the introduction ("meu nome é", "me
  chamo", "sou a", "ele se chama"…) and any greeting or thanks around it are set aside, nothing
  is left but conversational words (thanks, greetings, yes/no, laughter, "tchau"…), or a word
  that never appears in a name and marks a sentence ("quero", "agendar", "você", "meu"…), or
  it has no letters (emojis only), or it is a question ("?" or a question word first).
- **Names that are also words pass**: "Glória", "Vitória", "Felicidade", "Graça", "Luz",
  "Socorro", "Maria do Socorro", "Conceição" are names, not conversation; only words used to
  *reply* are refused.
- **Pets are named more freely**: "Beleza", "Show", "Top", "Joia", "Perfeito", "Pix", "Gata"
  are pet names, so the ok-like slang and a few animal words are refused for people only.
  "sim", "não", "ok", thanks and greetings are refused for both.
- **The NLU's intent never decides.** Measured on our model (2026-12-02): real names get
  near-certain intents of chatter or questions — "Graça" agradecer 1.0, "Paz" afirmar 0.99,
  "Felicidade Santos Lima" preco_servico 0.998, "Maria Aparecida Santos" preco_servico 0.98,
  "Carla Dias" outra_data 0.98, "Ana do Socorro Souza" urgencia 0.90. So the rule reads the words
  only; the bot uses the intent around it (to answer a question asked instead of the name, or
  to hand off on "atendente").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MAX_CHARS = 60
MAX_WORDS = {"tutor": 8, "pet": 5}


class Refusal(StrEnum):
    """Why a reply is not a name (the bot picks its re-ask by it)."""

    EMPTY = "vazio"  # no letters: emojis only, digits, punctuation
    THANKS = "agradecimento"
    GREETING = "cumprimento"
    YES = "sim"
    NO = "nao"
    CHATTER = "conversa"  # laughter, "tchau", "hmm", "menu"…
    QUESTION = "pergunta"
    SENTENCE = "frase"  # a request or a sentence, not a name


@dataclass(frozen=True)
class NameReading:
    """A name (cleaned, capitalised) or, when refused, the reason."""

    name: str = ""
    refusal: Refusal | None = None
    sex: str | None = None  # a pet's, from its article: "a Mel" "femea", "o Thor" "macho"

    @property
    def ok(self) -> bool:
        return self.refusal is None


def _words(*groups: str) -> frozenset[str]:
    return frozenset(_squash(w) for group in groups for w in group.split())


def _squash(word: str) -> str:
    """A word as the lists compare it: lower case, no accents, no repeated letters
    ("Siiim" → "sim", "obrigadaaa" → "obrigada", "okk" → "ok")."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c) and c.isalnum())
    return re.sub(r"(.)\1+", r"\1", plain)


THANKS = _words(
    "obrigado obrigada obrigadao obrigadinho obrigadinha brigado brigada brigadao brigadinha "
    "obg obgd obgda obgdo obrigadu valeu vlw grato grata gratidao agradeco agradecido "
    "agradecida thanks thank tks thx tmj tamo junto"
)
GREETINGS = _words("oi oie ola opa eai eae salve alo hello hi bom boa dia tarde noite")
YES_BOTH = _words("sim s ok okay okey oka uhum aham ahan yes ta tah blz blza")
YES_PERSON = _words(
    "beleza certo certinho claro isso exato exatamente pode perfeito show top legal "
    "massa joia combinado positivo fechado fechou bora correto otimo entendi"
)
NO = _words("nao n no nops negativo nada nenhum nenhuma nunca nem")
CHATTER = _words(
    "tchau xau flw falou ah eh hm ue oxe vish eita nossa ata hein ei menu voltar inicio sair "
    "ajuda help atendente ola ai"
)
# Refused only when they are the whole reply: "teste" alone is someone trying the bot, while
# "Mariana Teste" (a demo or a real surname) keeps both words.
ALONE_ONLY = _words("teste testando testar")
# Glue around conversation: "muito obrigado", "tudo bem", "por favor", "e aí".
FILLERS = _words(
    "muito mto mt mtu bem tudo por favor pf pfv pfvr msm mesmo demais viu entao e mano cara "
    "parceiro parceira moca moco querida querido"
)
PARTICLES = _words("da de do das dos e d")
# Words that never appear in a Brazilian name and mark a sentence or a request.
SENTENCE_BOTH = _words(
    "quero queria gostaria preciso precisava agendar agenda agendamento marcar remarcar "
    "cancelar desmarcar consulta vacina horario horarios preco precos valor valores custa "
    "quanto quanta qual quais como onde quando porque pq cade voce voces vc vcs eu ele ela "
    "meu minha meus minhas seu sua nosso nossa um uma uns umas com para pra pro pela pelo "
    "tem tenho temos podem posso fazem faz aceita aceitam buscam busca atendimento falar "
    "pessoa humano nome endereco pagamento cartao dinheiro hoje amanha semana me te se lhe "
    "chamar chamo chama"
)
SENTENCE_PERSON = _words("banho tosa cachorro cachorra cao gato gata pet dog bicho filhote pix")
QUESTION_FIRST = _words("quanto quanta quantos quais qual como onde quando cade porque pq")
LAUGH = re.compile(r"^(k+|(rs)+|(ha)+h?|(he)+h?|(hua)+|a?h+|h?u*m+)$")

# Introductions before a name, as squashed word sequences; the name is what follows the last.
INTROS = tuple(
    tuple(_squash(w) for w in phrase.split())
    for phrase in (
        "meu nome e", "o meu nome e", "nome e", "me chamo", "eu me chamo", "chamo", "se chama",
        "chama", "eu sou o", "eu sou a", "eu sou", "sou o", "sou a", "sou", "aqui e o",
        "aqui e a", "aqui e", "nome dele e", "nome dela e", "o nome dele e", "o nome dela e",
        "pode me chamar de", "e o", "e a", "e", "ja falei", "ja disse", "eu ja falei",
        "eu ja disse", "ja te falei", "ja te disse", "como eu disse", "como falei",
    )  # fmt: skip
)
# Introductions that only count at the start ("é o Thor"; "e" joins names elsewhere).
LEADING_ONLY = {("e",), ("e", "o"), ("e", "a")}


ARTICLE_SEX = {"a": "femea", "o": "macho"}
def read_person_name(text: str) -> NameReading:
    """The tutor's name in a reply to "qual é o seu nome?", or why it is not one."""
    return _read(text, "tutor")


def read_pet_name(text: str) -> NameReading:
    """The pet's name in a reply to "qual é o nome do seu pet?", or why it is not one."""
    return _read(text, "pet")


def read_pet_names(text: str) -> list[NameReading]:
    """Several pets named in one reply ("bob e nina", "Thor, Mel e Pipoca"): each one's reading
    when every part is a name, else the one reading of the whole reply. Decision: a pet is
    seldom called "X e Y", so two names joined by "e" or commas are two pets (up to four)."""
    whole = read_pet_name(text)
    if not whole.ok:
        return [whole]
    parts = [p for p in re.split(r"\s*[,;]\s*|\s+e\s+", text.strip(), flags=re.IGNORECASE)
             if p.strip() and tuple(_squash(w) for w in p.split()) not in INTROS]
    if not 2 <= len(parts) <= 4:
        return [whole]
    readings = [read_pet_name(p) for p in parts]
    return readings if all(r.ok for r in readings) else [whole]


def _conversational(word: str, kind: str) -> Refusal | None:
    if word in THANKS:
        return Refusal.THANKS
    if word in GREETINGS:
        return Refusal.GREETING
    if word in YES_BOTH or (kind == "tutor" and word in YES_PERSON):
        return Refusal.YES
    if word in NO:
        return Refusal.NO
    if word in CHATTER or LAUGH.match(word):
        return Refusal.CHATTER
    return None


def _sentence_word(word: str, kind: str) -> bool:
    return word in SENTENCE_BOTH or (kind == "tutor" and word in SENTENCE_PERSON)


def _after_intro(squashed: list[str]) -> int:
    """Index of the first word after the last introduction ("oi, meu nome é Ana" → Ana)."""
    start = 0
    for i in range(len(squashed)):
        for intro in INTROS:
            end = i + len(intro)
            if tuple(squashed[i:end]) != intro or end >= len(squashed):
                continue
            if intro in LEADING_ONLY and i != start:
                continue
            start = max(start, end)
    return start


def _read(text: str, kind: str) -> NameReading:
    raw = (text or "").strip()
    words = [w.strip("-'’") for w in re.sub(r"[^\w'’ -]|_|\d", " ", raw).split()]
    squashed = [_squash(w) for w in words]
    kept = [(w, s) for w, s in zip(words, squashed, strict=True) if s]
    if not kept:
        return NameReading(refusal=Refusal.EMPTY)
    words, squashed = [w for w, _ in kept], [s for _, s in kept]
    if "?" in raw or squashed[0] in QUESTION_FIRST:
        return NameReading(refusal=Refusal.QUESTION)

    # Greetings, thanks and fillers around the name, then the introduction.
    first_kind: Refusal | None = None
    start, end = 0, len(words)
    while start < end:
        intro_end = _after_intro(squashed[start:end])
        if intro_end:
            start += intro_end
            continue
        found = _conversational(squashed[start], kind)
        if found is None and squashed[start] not in FILLERS:
            break
        first_kind = first_kind or found
        start += 1
    while end > start and (
        _conversational(squashed[end - 1], kind) or squashed[end - 1] in FILLERS
    ):
        first_kind = first_kind or _conversational(squashed[end - 1], kind)
        end -= 1
    name_words, name_squashed = words[start:end], squashed[start:end]
    sex = None
    if kind == "pet":
        # "a Mel", "é a Mel", "o Thor": the article is no part of the name, and says the sex.
        if len(name_squashed) > 1 and name_squashed[0] in ARTICLE_SEX:
            sex = ARTICLE_SEX[name_squashed[0]]
            name_words, name_squashed = name_words[1:], name_squashed[1:]
        elif start and squashed[start - 1] in ARTICLE_SEX:
            sex = ARTICLE_SEX[squashed[start - 1]]
    if not name_words or all(s in PARTICLES for s in name_squashed):
        return NameReading(refusal=first_kind or Refusal.CHATTER)
    if all(s in ALONE_ONLY or s in PARTICLES for s in name_squashed):
        return NameReading(refusal=Refusal.CHATTER)
    if any(_sentence_word(s, kind) for s in name_squashed):
        return NameReading(refusal=Refusal.SENTENCE)
    if any(_conversational(s, kind) for s in name_squashed):
        # Chatter in the middle of the words ("Ana obrigada viu Paula"): not a clean name.
        return NameReading(refusal=Refusal.SENTENCE)
    name = " ".join(name_words)
    if len(name) > MAX_CHARS or len(name_words) > MAX_WORDS[kind]:
        return NameReading(refusal=Refusal.SENTENCE)
    return NameReading(name=_capitalise(name_words), sex=sex)


def _capitalise(words: list[str]) -> str:
    """"maria do socorro" → "Maria do Socorro"; a word typed in capitals keeps them."""
    out = []
    for i, word in enumerate(words):
        if i and _squash(word) in PARTICLES and word.islower():
            out.append(word)
        elif word[:1].islower():
            out.append(word[:1].upper() + word[1:])
        else:
            out.append(word)
    return " ".join(out)
