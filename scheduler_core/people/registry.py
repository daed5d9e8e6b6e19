"""Long because: tutors and pets are registered together and share the field validators below.

Tutors (pet owners) and their pets: registration, updates, look-ups and search.

Every function takes a session and leaves the commit to the caller. Bad input raises
:class:`~scheduler_core.kernel.errors.ValidationFailed` (code ``validation``) with a pt-BR message
and
the offending field in ``details["field"]``; unknown ids raise
:class:`~scheduler_core.kernel.errors.NotFound`.

Registering a tutor or a pet is audited here ("tutor.create", "pet.create": "Robô cadastrou o
tutor #12."), with the ``actor`` the caller names. Decision: the actor defaults to the bot's,
the caller that names none (the action server); the panel names its staff member, and a caller
that audits the creation itself with details of its own (the API) or seeds data (the demo)
passes ``actor=None``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from scheduler_core.audit.log import BOT_ACTOR, record
from scheduler_core.kernel.cpf import InvalidCPF, digits_only, has_foreign_digits, normalize_cpf
from scheduler_core.kernel.errors import NotFound, ValidationFailed
from scheduler_core.kernel.forms import FieldError, parse_form_date
from scheduler_core.kernel.phones import InvalidPhone, parse_phone, phone_variants, try_parse_phone
from scheduler_core.kernel.text import normalize
from scheduler_core.people.breeds import match_breeds
from scheduler_core.people.labels import SPECIES_LABELS
from scheduler_core.people.models import Breed, Pelagem, Pet, PetStatus, Porte, Species, Tutor
from scheduler_core.shop.models import Shop

MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database
# A breed typed as free text is taken when its best match scores at least this much.
BREED_ACCEPT_SCORE = 80.0
MAX_BREED_TEXT = 100

TUTOR_FIELDS = (
    "name", "cpf", "whatsapp", "wa_user_id", "phone2", "email", "birth_date", "notes",
    "allow_bot", "cep", "street", "number", "complement", "neighborhood", "city", "state",
)  # fmt: skip
PET_FIELDS = (
    "name", "species", "breed_id", "breed", "porte", "pelagem", "sex", "birth_date",
    "weight_grams", "weight_kg", "status", "microchip", "notes",
)  # fmt: skip

_SEX_ALIASES = {
    "macho": "macho", "m": "macho", "male": "macho",
    "femea": "femea", "fêmea": "femea", "f": "femea", "female": "femea",
}  # fmt: skip
_SPECIES_ALIASES = {
    "cao": "cao", "cão": "cao", "cachorro": "cao", "cachorra": "cao", "dog": "cao",
    "gato": "gato", "gata": "gato", "cat": "gato",
    "roedor": "roedor",
}  # fmt: skip


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"field": field})


def _unknown_fields(values: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    extra = sorted(set(values) - set(allowed))
    if extra:
        raise _invalid(extra[0], f"Campo desconhecido: {', '.join(extra)}.")


def _text(values: Mapping[str, Any], field: str, max_len: int = 200) -> str:
    value = values.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(field, f"O campo {field} deve ser um texto.")
    if "\x00" in value:
        raise _invalid(field, f"O campo {field} contém caracteres inválidos.")
    value = value.strip()
    if len(value) > max_len:
        raise _invalid(field, f"O campo {field} aceita no máximo {max_len} caracteres.")
    return value


def _name(values: Mapping[str, Any], what: str) -> str:
    name = _text(values, "name", 120)
    if len(name) < 2:
        raise _invalid("name", f"Informe o nome {what}.")
    return re.sub(r"\s+", " ", name)


def _date(values: Mapping[str, Any], field: str, today: date | None) -> date | None:
    value = values.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = parse_form_date(value)
        except FieldError:
            raise _invalid(field, "Data inválida; use o formato dd/mm/aaaa.") from None
    if not isinstance(value, date):
        raise _invalid(field, "Data inválida; use o formato dd/mm/aaaa.")
    if today is not None and value > today:
        raise _invalid(field, "A data de nascimento não pode estar no futuro.")
    if value.year < 1900:
        raise _invalid(field, "Data de nascimento inválida.")
    return value


def _bool(values: Mapping[str, Any], field: str) -> bool:
    value = values.get(field)
    if not isinstance(value, bool):
        raise _invalid(field, f"O campo {field} deve ser verdadeiro ou falso.")
    return value


# --------------------------------------------------------------------------- tutors


def get_tutor(session: Session, tutor_id: int, shop_id: int | None = None) -> Tutor:
    tutor = session.get(Tutor, tutor_id) if 0 < tutor_id <= MAX_ID else None
    if tutor is None or (shop_id is not None and tutor.shop_id != shop_id):
        raise NotFound("Tutor não encontrado.", details={"tutor_id": tutor_id})
    return tutor


def _apply_tutor(
    session: Session, tutor: Tutor, values: Mapping[str, Any], today: date | None, creating: bool
) -> None:
    _unknown_fields(values, TUTOR_FIELDS)
    if "name" in values or creating:
        tutor.name = _name(values, "do tutor")
    if "cpf" in values:
        _apply_tutor_cpf(session, tutor, values)
    if "whatsapp" in values:
        _apply_tutor_whatsapp(session, tutor, values)
    _apply_tutor_contacts(tutor, values)
    if "birth_date" in values:
        tutor.birth_date = _date(values, "birth_date", today)
    if "notes" in values:
        tutor.notes = _text(values, "notes", 2000)
    if "allow_bot" in values:
        tutor.allow_bot = _bool(values, "allow_bot")
    _apply_tutor_address(tutor, values)


def _apply_tutor_cpf(session: Session, tutor: Tutor, values: Mapping[str, Any]) -> None:
    """A valid CPF no other tutor of the shop has, or empty."""
    raw = _text(values, "cpf", 20)
    if not raw:
        tutor.cpf = ""
        return
    try:
        cpf = normalize_cpf(raw)
    except InvalidCPF as exc:
        raise _invalid("cpf", str(exc)) from None
    clash = session.exec(
        select(Tutor).where(Tutor.shop_id == tutor.shop_id, Tutor.cpf == cpf)
    ).first()
    if clash is not None and clash.id != tutor.id:
        raise _invalid("cpf", "Já existe um tutor cadastrado com este CPF.")
    tutor.cpf = cpf


def _apply_tutor_whatsapp(session: Session, tutor: Tutor, values: Mapping[str, Any]) -> None:
    """A valid phone (E.164) no other tutor of the shop has in any form, or empty."""
    raw = _text(values, "whatsapp", 40)
    if not raw:
        tutor.whatsapp = ""
        return
    try:
        phone = parse_phone(raw)
    except InvalidPhone as exc:
        raise _invalid("whatsapp", str(exc)) from None
    clash = _tutor_by_phones(session, tutor.shop_id, phone_variants(phone))
    if clash is not None and clash.id != tutor.id:
        raise _invalid("whatsapp", "Já existe um tutor cadastrado com este WhatsApp.")
    tutor.whatsapp = phone


def _apply_tutor_contacts(tutor: Tutor, values: Mapping[str, Any]) -> None:
    """The second phone, the WhatsApp user id and the e-mail, when given."""
    if "phone2" in values:
        raw = _text(values, "phone2", 40)
        try:
            tutor.phone2 = parse_phone(raw) if raw else ""
        except InvalidPhone as exc:
            raise _invalid("phone2", str(exc)) from None
    if "wa_user_id" in values:
        tutor.wa_user_id = _text(values, "wa_user_id", 80) or None
    if "email" in values:
        email = _text(values, "email", 200)
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise _invalid("email", "E-mail inválido.")
        tutor.email = email.lower()


def _apply_tutor_address(tutor: Tutor, values: Mapping[str, Any]) -> None:
    """CEP (8 digits, stored 00000-000), street to city, state (two letters), when given."""
    if "cep" in values:
        raw_cep = _text(values, "cep", 12)
        cep = digits_only(raw_cep)
        if has_foreign_digits(raw_cep) or (cep and len(cep) != 8):
            raise _invalid("cep", "CEP inválido: use 8 dígitos, por exemplo 01310-100.")
        tutor.cep = f"{cep[:5]}-{cep[5:]}" if cep else ""
    for field in ("street", "number", "complement", "neighborhood", "city"):
        if field in values:
            setattr(tutor, field, _text(values, field, 200))
    if "state" in values:
        state = _text(values, "state", 2).upper()
        if state and not re.fullmatch(r"[A-Z]{2}", state):
            raise _invalid("state", "Estado inválido: use a sigla, por exemplo SP.")
        tutor.state = state


def create_tutor(
    session: Session,
    shop_id: int,
    values: Mapping[str, Any],
    *,
    today: date | None = None,
    actor: str | None = BOT_ACTOR,
    at: datetime | None = None,
) -> Tutor:
    """Register a tutor, audited as ``actor``'s (none when None) at ``at`` (default: now).
    ``values`` holds :data:`TUTOR_FIELDS`; ``name`` is required, ``cpf`` is optional but must
    be valid, ``whatsapp`` is stored in E.164."""
    if session.get(Shop, shop_id) is None:
        raise NotFound("Loja não encontrada.", details={"shop_id": shop_id})
    tutor = Tutor(shop_id=shop_id, name="")
    _apply_tutor(session, tutor, values, today, creating=True)
    session.add(tutor)
    session.flush()
    if actor is not None:
        record(session, actor=actor, action="tutor.create", entity="tutor", entity_id=tutor.id,
               shop_id=shop_id, at=at)
    return tutor


def update_tutor(
    session: Session,
    tutor_id: int,
    values: Mapping[str, Any],
    *,
    shop_id: int | None = None,
    today: date | None = None,
) -> Tutor:
    """Change the given fields of a tutor (same rules as :func:`create_tutor`)."""
    tutor = get_tutor(session, tutor_id, shop_id)
    _apply_tutor(session, tutor, values, today, creating=False)
    session.add(tutor)
    session.flush()
    return tutor


def _tutor_by_phones(session: Session, shop_id: int, phones: list[str]) -> Tutor | None:
    if not phones:
        return None
    rows = session.exec(
        select(Tutor)
        .where(Tutor.shop_id == shop_id, col(Tutor.whatsapp).in_(phones))
        .order_by(Tutor.id)
    ).all()
    # Prefer the canonical form when both were (wrongly) stored.
    rows = sorted(rows, key=lambda t: (phones.index(t.whatsapp), t.id))
    return rows[0] if rows else None


def find_tutor_by_phone(session: Session, shop_id: int, phone: str) -> Tutor | None:
    """The tutor whose WhatsApp is this number, in any of its forms (with or without the 9th
    digit, with or without +55). Unusable input finds nobody."""
    e164 = try_parse_phone(phone)
    if e164 is None:
        return None
    return _tutor_by_phones(session, shop_id, phone_variants(e164))


def find_tutor_by_wa_user_id(session: Session, shop_id: int, wa_user_id: str) -> Tutor | None:
    """The tutor keyed on Meta's business-scoped user id (BSUID)."""
    if not wa_user_id:
        return None
    return session.exec(
        select(Tutor).where(Tutor.shop_id == shop_id, Tutor.wa_user_id == wa_user_id)
    ).first()


def find_sender(
    session: Session, shop_id: int, *, wa_user_id: str | None, phone: str | None
) -> Tutor | None:
    """The tutor who wrote on WhatsApp: by Meta's user id (BSUID) first, else by the phone in
    any of its forms (:func:`find_tutor_by_phone`). A tutor found by phone who has no BSUID yet
    is keyed on it from now on (the phone is kept). The one lookup the gateway and the bot's
    actions share, so both always agree on who is writing."""
    tutor = find_tutor_by_wa_user_id(session, shop_id, wa_user_id) if wa_user_id else None
    if tutor is None and phone:
        tutor = find_tutor_by_phone(session, shop_id, phone)
        if tutor is not None and wa_user_id:
            key_on_wa_user_id(session, tutor, wa_user_id)
    return tutor


def key_on_wa_user_id(session: Session, tutor: Tutor, wa_user_id: str) -> None:
    """A tutor known by phone who has no BSUID yet is keyed on it from now on (the phone is
    kept); an existing BSUID is never replaced."""
    if not tutor.wa_user_id:
        tutor.wa_user_id = wa_user_id
        session.add(tutor)


def search_tutors(session: Session, shop_id: int, q: str, limit: int = 20) -> list[Tutor]:
    """Tutors matching ``q`` by name, WhatsApp/phone, CPF or pet name.

    Accent- and case-insensitive; digits match phone numbers (any form) and CPFs by their
    digits. Results are ordered by name.
    """
    query = (q or "").strip()
    if not query:
        return []
    tutors = session.exec(select(Tutor).where(Tutor.shop_id == shop_id)).all()
    digits = digits_only(query)
    letters = normalize(query)
    found: dict[int, Tutor] = {}
    if digits and len(digits) >= 4 and not re.search(r"[A-Za-zÀ-ÿ]", query):
        e164 = try_parse_phone(query)
        phones = set(phone_variants(e164)) if e164 else set()
        variant_digits = [p.lstrip("+") for p in phones]
        for tutor in tutors:
            numbers = [tutor.whatsapp.lstrip("+"), tutor.phone2.lstrip("+")]
            if (
                (tutor.cpf and digits in tutor.cpf)
                or any(n and digits in n for n in numbers)
                or any(v in numbers for v in variant_digits)
            ):
                found[tutor.id] = tutor
    elif letters:
        for tutor in tutors:
            if letters in normalize(tutor.name):
                found[tutor.id] = tutor
        by_id = {t.id: t for t in tutors}
        if by_id:
            pets = session.exec(select(Pet).where(col(Pet.tutor_id).in_(list(by_id)))).all()
            for pet in pets:
                if letters in normalize(pet.name):
                    found[pet.tutor_id] = by_id[pet.tutor_id]
    return sorted(found.values(), key=lambda t: (normalize(t.name), t.id))[:limit]


# --------------------------------------------------------------------------- pets


def get_pet(session: Session, pet_id: int, shop_id: int | None = None) -> Pet:
    pet = session.get(Pet, pet_id) if 0 < pet_id <= MAX_ID else None
    if pet is not None and shop_id is not None:
        tutor = session.get(Tutor, pet.tutor_id)
        if tutor is None or tutor.shop_id != shop_id:
            pet = None
    if pet is None:
        raise NotFound("Pet não encontrado.", details={"pet_id": pet_id})
    return pet


def pets_of(session: Session, tutor_id: int) -> list[Pet]:
    return list(session.exec(select(Pet).where(Pet.tutor_id == tutor_id).order_by(Pet.id)).all())


def porte_for_weight(shop: Shop, weight_grams: int) -> str | None:
    """The porte whose weight band (Shop.porte_weights, kg, upper bound exclusive) holds it."""
    kg = weight_grams / 1000
    for porte in Porte:
        band = (shop.porte_weights or {}).get(porte.value)
        if band and len(band) == 2 and band[0] <= kg < band[1]:
            return porte.value
    return None


def _choice(
    values: Mapping[str, Any], field: str, allowed: type[StrEnum], label: str
) -> str | None:
    value = values.get(field)
    if value in (None, ""):
        return None
    text = normalize(str(value)).replace(" ", "_")
    if text not in {a.value for a in allowed}:
        options = ", ".join(a.value for a in allowed)
        raise _invalid(field, f"{label}: use {options}.")
    return text


def _weight_grams(values: Mapping[str, Any]) -> int | None:
    if values.get("weight_grams") not in (None, ""):
        raw, factor, field = values["weight_grams"], 1, "weight_grams"
    elif values.get("weight_kg") not in (None, ""):
        raw, factor, field = values["weight_kg"], 1000, "weight_kg"
    else:
        return None
    if isinstance(raw, str):
        if has_foreign_digits(raw):
            raise _invalid(field, "Peso inválido: informe um número.")
        try:
            raw = float(raw.replace(",", "."))
        except ValueError:
            raise _invalid(field, "Peso inválido: informe um número.") from None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _invalid(field, "Peso inválido: informe um número.")
    if isinstance(raw, float) and not math.isfinite(raw * factor):  # NaN, Infinity, 1e400
        raise _invalid(field, "Peso inválido: informe um valor entre 0 e 150 kg.")
    grams = round(raw * factor)
    if grams <= 0 or grams > 150_000:
        raise _invalid(field, "Peso inválido: informe um valor entre 0 e 150 kg.")
    return grams


def parse_weight_grams(text: str) -> int | None:
    """A weight a tutor typed ("8,5", "12 kg", "uns 12 quilos") in grams, or None when it is no
    weight between 0 and 150 kg (the same bounds as the pet form's)."""
    match = re.search(r"\d+(?:[.,]\d+)?", text or "")
    if not match:
        return None
    try:
        return _weight_grams({"weight_kg": match.group(0)})
    except ValidationFailed:
        return None


def _resolve_breed(session: Session, species: str, values: Mapping[str, Any]) -> Breed | None:
    breed_id = values.get("breed_id")
    if breed_id not in (None, ""):
        if isinstance(breed_id, bool) or not isinstance(breed_id, int):
            raise _invalid("breed_id", "Raça inválida.")
        breed = session.get(Breed, breed_id) if 0 < breed_id <= MAX_ID else None
        if breed is None:
            raise _invalid("breed_id", "Raça não encontrada.")
        if breed.species != species:
            kind = SPECIES_LABELS.get(species, species).lower()
            raise _invalid("breed_id", f"A raça {breed.name} não é de {kind}.")
        return breed
    text = values.get("breed")
    if text in (None, ""):
        return None
    if not isinstance(text, str):
        raise _invalid("breed", "Raça inválida.")
    if len(text) > MAX_BREED_TEXT:  # fuzzy matching costs grow with the text
        raise _invalid("breed", f"Nome de raça longo demais (máximo {MAX_BREED_TEXT} caracteres).")
    matches = match_breeds(session, species, text, limit=3)
    if matches and matches[0].score >= BREED_ACCEPT_SCORE:
        # A tie between different breeds ("bull") is a question, not an answer.
        tied = len(matches) > 1 and matches[1].score >= matches[0].score
        if matches[0].score == 100 or not tied:
            return session.get(Breed, matches[0].id)
    hint = ""
    if matches:
        hint = " Você quis dizer: " + ", ".join(m.name for m in matches) + "?"
    raise ValidationFailed(
        f"Não encontrei a raça “{text.strip()}”.{hint}",
        details={"field": "breed", "suggestions": [{"id": m.id, "name": m.name} for m in matches]},
    )


def _apply_pet(
    session: Session, pet: Pet, values: Mapping[str, Any], today: date | None, creating: bool
) -> None:
    _unknown_fields(values, PET_FIELDS)
    if "name" in values or creating:
        pet.name = _name(values, "do pet")
    _apply_species(pet, values, creating)
    breed = _apply_breed(session, pet, values)
    _apply_porte_pelagem(pet, values, breed)
    if "weight_grams" in values or "weight_kg" in values:
        _apply_weight(session, pet, values)
    if "sex" in values:
        _apply_sex(pet, values)
    if "birth_date" in values:
        pet.birth_date = _date(values, "birth_date", today)
    if "status" in values:
        pet.status = _choice(values, "status", PetStatus, "Situação") or PetStatus.ATIVO.value
    if "microchip" in values:
        pet.microchip = _text(values, "microchip", 40)
    if "notes" in values:
        pet.notes = _text(values, "notes", 2000)


def _apply_species(pet: Pet, values: Mapping[str, Any], creating: bool) -> None:
    """The given species (aliases accepted); cão for a new pet that names none."""
    if "species" in values and values["species"] not in (None, ""):
        species = _SPECIES_ALIASES.get(str(values["species"]).strip().lower())
        if species is None:
            raise _invalid("species", "Espécie inválida: use cao, gato ou roedor.")
        pet.species = species
    elif creating:
        pet.species = Species.CAO.value


def _apply_breed(session: Session, pet: Pet, values: Mapping[str, Any]) -> Breed | None:
    """The newly chosen breed (None when none is given); the kept breed must match the species."""
    if "breed_id" in values or "breed" in values:
        breed = _resolve_breed(session, pet.species, values)
        pet.breed_id = breed.id if breed else None
        return breed
    if pet.breed_id is not None:
        current = session.get(Breed, pet.breed_id)
        if current is not None and current.species != pet.species:
            raise _invalid(
                "species", "A espécie não combina com a raça cadastrada; informe a raça."
            )
    return None


def _apply_porte_pelagem(pet: Pet, values: Mapping[str, Any], breed: Breed | None) -> None:
    """The given porte and pelagem; a newly chosen breed fills in what the caller did not give."""
    if "porte" in values:
        pet.porte = _choice(values, "porte", Porte, "Porte")
    if "pelagem" in values:
        pet.pelagem = _choice(values, "pelagem", Pelagem, "Pelagem")
    if breed is not None:
        if "porte" not in values or pet.porte is None:
            pet.porte = breed.default_porte
        if "pelagem" not in values or pet.pelagem is None:
            pet.pelagem = breed.default_pelagem


def _apply_weight(session: Session, pet: Pet, values: Mapping[str, Any]) -> None:
    """The weight; the shop's weight bands decide the porte (Parâmetros de Cobrança)."""
    pet.weight_grams = _weight_grams(values)
    if pet.weight_grams is not None:
        shop = _shop_of_tutor(session, pet.tutor_id)
        derived = porte_for_weight(shop, pet.weight_grams) if shop else None
        if derived:
            pet.porte = derived


def _apply_sex(pet: Pet, values: Mapping[str, Any]) -> None:
    sex = values.get("sex")
    if sex in (None, ""):
        pet.sex = None
        return
    pet.sex = _SEX_ALIASES.get(str(sex).strip().lower())
    if pet.sex is None:
        raise _invalid("sex", "Sexo inválido: use macho ou femea.")


def _shop_of_tutor(session: Session, tutor_id: int) -> Shop | None:
    tutor = session.get(Tutor, tutor_id)
    return session.get(Shop, tutor.shop_id) if tutor else None


def create_pet(
    session: Session,
    tutor_id: int,
    values: Mapping[str, Any],
    *,
    shop_id: int | None = None,
    today: date | None = None,
    actor: str | None = BOT_ACTOR,
    at: datetime | None = None,
) -> Pet:
    """Register a pet for a tutor, audited as ``actor``'s (none when None) at ``at``.

    ``values`` holds :data:`PET_FIELDS`: ``name`` (required), ``species`` (default cão),
    ``breed_id`` or ``breed`` (free text, fuzzy-matched), ``porte``/``pelagem`` (default: the
    breed's), ``weight_kg``/``weight_grams`` (the weight decides the porte through the shop's
    bands, over the breed's default and an explicit porte), ``sex``, ``birth_date``,
    ``status``, ``microchip``, ``notes``.
    """
    tutor = get_tutor(session, tutor_id, shop_id)
    pet = Pet(tutor_id=tutor_id, name="")
    _apply_pet(session, pet, values, today, creating=True)
    session.add(pet)
    session.flush()
    if actor is not None:
        record(session, actor=actor, action="pet.create", entity="pet", entity_id=pet.id,
               shop_id=tutor.shop_id, at=at)
    return pet


def update_pet(
    session: Session,
    pet_id: int,
    values: Mapping[str, Any],
    *,
    shop_id: int | None = None,
    today: date | None = None,
) -> Pet:
    pet = get_pet(session, pet_id, shop_id)
    _apply_pet(session, pet, values, today, creating=False)
    session.add(pet)
    session.flush()
    return pet
