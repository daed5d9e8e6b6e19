"""Agenda and tutor flows through the panel's HTTP endpoints (aiohttp test client); every
write goes through the booking service, so these check what staff see and what is stored."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, col, select

from scheduler_core.agenda.models import Appointment, AppointmentStatus
from scheduler_core.catalog.models import Service
from scheduler_core.checklists.answers import answer_lines
from scheduler_core.people.models import Pet, Tutor

from .conftest import PIN, logged_in, page_csrf

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def _dog(engine):
    with Session(engine) as session:
        pet = session.exec(select(Pet).where(Pet.species == "cao", col(Pet.porte).is_not(None),
                                             col(Pet.pelagem).is_not(None))
                           .order_by(Pet.id)).first()
        bath = session.exec(select(Service).where(Service.name == "Banho")).one()
        return pet, bath


async def _first_token(client, path_without_date: str, start: date) -> tuple[str, date]:
    day = start
    for _ in range(10):
        body = await (await client.get(f"{path_without_date}&data={day.isoformat()}")).text()
        match = TOKEN_RE.search(body)
        if match:
            return match.group(1), day
        day += timedelta(days=1)
    raise AssertionError("no free slot found in 10 days")


async def test_wizard_books_once_even_when_the_form_is_sent_twice(client, panel_db):
    engine = panel_db[0]
    pet, bath = _dog(engine)
    await logged_in(client, panel_db, "attendant")
    token, day = await _first_token(
        client, f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}",
        date.today() + timedelta(days=5))
    csrf = await page_csrf(client)
    page_body = await (await client.get(
        f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}"
        f"&data={day.isoformat()}")).text()
    agitated = re.search(r'name="(ck_\d+)" value="sim"\s*> Pet agitado / morde', page_body)
    assert agitated, "the default Agendado checklist is on the wizard"
    segment = re.search(r'name="segment_id" value="(\d+)"', page_body).group(1)
    data = {"csrf_token": csrf, "token": token, "idempotency_key": "wizard-abc",
            "notes": "Primeira visita", agitated.group(1): "sim", "segment_id": segment}
    first = await client.post("/admin/agenda/novo", data=data)
    assert first.status == 200
    body = await first.text()
    assert re.search(r"Agendamento #\d+ criado", body)
    second = await client.post("/admin/agenda/novo", data=data)
    assert second.status == 200
    with Session(engine) as session:
        booked = session.exec(select(Appointment).where(
            Appointment.idempotency_key == "wizard-abc")).all()
        assert len(booked) == 1
        assert booked[0].origin == "staff" and booked[0].notes == "Primeira visita"
    assert answer_lines(engine, booked[0].id) == ["Pet agitado / morde: Sim"]


async def test_wizard_repeats_weekly_and_cancels_this_and_following(client, panel_db):
    engine = panel_db[0]
    pet, bath = _dog(engine)
    await logged_in(client, panel_db)
    token, day = await _first_token(
        client, f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}",
        date.today() + timedelta(days=3))
    csrf = await page_csrf(client)
    response = await client.post("/admin/agenda/novo", data={
        "csrf_token": csrf, "token": token, "idempotency_key": "serie-wizard",
        "repetir": "1", "vezes": "3"})
    body = await response.text()
    with Session(engine) as session:
        first = session.exec(select(Appointment).where(
            Appointment.idempotency_key == "serie-wizard")).one()
        series = session.exec(select(Appointment).where(
            Appointment.series_id == first.series_id).order_by(Appointment.start)).all()
    assert first.series_id is not None and len(series) >= 2
    assert f"Série criada: {len(series)} agendamentos" in body
    assert {(a.start - first.start).days % 7 for a in series} == {0}
    page = await (await client.get(f"/admin/agendamentos/{series[0].id}")).text()
    assert "Série (toda semana)" in page and "seguintes da série" in page
    csrf = await page_csrf(client)
    done = await client.post(f"/admin/agendamentos/{series[0].id}/cancelar", data={
        "csrf_token": csrf, "operator_pin": PIN, "escopo": "seguintes"})
    assert done.status == 200
    assert f"{len(series)} agendamentos da série cancelados." in await done.text()
    with Session(engine) as session:
        statuses = {session.get(Appointment, a.id).status for a in series}
    assert statuses == {AppointmentStatus.CANCELADO}


async def test_wizard_repetition_without_an_end_is_a_form_error(client, panel_db):
    engine = panel_db[0]
    pet, bath = _dog(engine)
    await logged_in(client, panel_db)
    token, _day = await _first_token(
        client, f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}",
        date.today() + timedelta(days=3))
    csrf = await page_csrf(client)

    def count() -> int:
        with Session(engine) as session:
            return len(session.exec(select(Appointment)).all())

    before = count()
    response = await client.post("/admin/agenda/novo", data={
        "csrf_token": csrf, "token": token, "repetir": "2", "vezes": "99"})
    assert response.status == 422
    assert "de 2 a 52 vezes" in await response.text()
    assert count() == before  # nothing was booked


async def test_a_forged_slot_token_gets_a_portuguese_answer(client, panel_db):
    await logged_in(client, panel_db)
    csrf = await page_csrf(client)
    response = await client.post("/admin/agenda/novo", data={"csrf_token": csrf,
                                                             "token": "forjado"})
    assert response.status in (410, 422)
    assert "horário" in await response.text()


async def test_reschedule_moves_the_appointment_to_the_chosen_slot(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.AGENDADO,
            Appointment.start > datetime.now(UTC) + timedelta(days=1))
            .order_by(Appointment.start)).first()
        old_start = appt.start
    await logged_in(client, panel_db, "attendant")
    token, _day = await _first_token(client, f"/admin/agendamentos/{appt.id}/remarcar?x=1",
                                     date.today() + timedelta(days=9))
    csrf = await page_csrf(client)
    response = await client.post(f"/admin/agendamentos/{appt.id}/remarcar",
                                 data={"csrf_token": csrf, "token": token})
    assert response.status == 200 and "remarcado" in await response.text()
    with Session(engine) as session:
        moved = session.get(Appointment, appt.id)
        assert moved.start != old_start and moved.status == AppointmentStatus.AGENDADO


async def test_encaixe_shows_conflicts_first_then_books_with_the_pin(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        busy = session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.AGENDADO,
            Appointment.start > datetime.now(UTC) + timedelta(days=1))
            .order_by(Appointment.start)).first()
        from scheduler_core.agenda.models import AppointmentItem
        from scheduler_core.shop.models import Shop

        item = session.exec(select(AppointmentItem).where(
            AppointmentItem.appointment_id == busy.id)).first()
        tz = session.exec(select(Shop)).first().timezone
    from zoneinfo import ZoneInfo

    start = (item.start if item.start.tzinfo else item.start.replace(tzinfo=UTC)).astimezone(
        ZoneInfo(tz))
    pet, bath = _dog(engine)
    await logged_in(client, panel_db, "attendant")
    csrf = await page_csrf(client)
    form = {"csrf_token": csrf, "pet": str(pet.id), "servico": str(bath.id),
            "data": start.date().isoformat(), "hora": start.strftime("%H:%M"),
            f"emp_{bath.id}": str(item.employee_id)}
    preview = await client.post("/admin/encaixe", data=form)
    body = await preview.text()
    assert preview.status == 200 and "Conflitos que serão ignorados" in body
    refused = await client.post("/admin/encaixe", data={**form, "confirm": "1"})
    assert refused.status == 400 and "PIN" in await refused.text()
    done = await client.post("/admin/encaixe", data={**form, "confirm": "1",
                                                     "operator_pin": PIN})
    assert done.status == 200 and "Encaixe #" in await done.text()
    with Session(engine) as session:
        squeezed = session.exec(select(Appointment).where(Appointment.pet_id == pet.id)
                                .order_by(Appointment.id.desc())).first()
        assert squeezed.is_encaixe


async def test_a_restriction_in_the_wizard_points_to_the_encaixe_that_overrides_it(
        client, panel_db):
    engine = panel_db[0]
    pet, bath = _dog(engine)
    from scheduler_core.agenda.models import Restriction
    from scheduler_core.shop.models import Shop

    with Session(engine) as session:
        shop = session.exec(select(Shop)).first()
        session.add(Restriction(shop_id=shop.id, name="Sem banho", scope="ambos",
                                description="Banho só com avaliação da veterinária.",
                                conditions={"service_ids": [bath.id]}))
        session.commit()
    await logged_in(client, panel_db, "attendant")
    day = date.today() + timedelta(days=5)
    day += timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)  # a weekday
    body = await (await client.get(f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}"
                                   f"&servico={bath.id}&data={day.isoformat()}")).text()
    assert "Banho só com avaliação da veterinária." in body
    assert not TOKEN_RE.search(body)
    link = re.search(r'href="(/admin/encaixe\?[^"]+)"', body)
    assert link, body
    form = await client.get(link.group(1).replace("&amp;", "&"))
    page = await form.text()
    assert form.status == 200 and f"Profissional para {bath.name}" in page
    assert f'value="{day.isoformat()}"' in page


async def test_no_show_is_marked_with_the_pin(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.AGENDADO)).first()
    await logged_in(client, panel_db)
    csrf = await page_csrf(client)
    response = await client.post(f"/admin/agendamentos/{appt.id}/falta",
                                 data={"csrf_token": csrf, "operator_pin": PIN})
    assert response.status == 200 and "Não compareceu" in await response.text()
    with Session(engine) as session:
        assert session.get(Appointment, appt.id).status == AppointmentStatus.NAO_COMPARECEU


async def test_only_the_owner_may_move_a_card_back(client, panel_db):
    engine = panel_db[0]
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.CONFIRMADO)).first()
    await logged_in(client, panel_db, "attendant")
    csrf = await page_csrf(client)
    back = await client.post(f"/admin/agendamentos/{appt.id}/status",
                             data={"csrf_token": csrf, "status": "agendado"})
    assert back.status == 409
    client.session.cookie_jar.clear()
    await logged_in(client, panel_db)
    csrf = await page_csrf(client)
    unconfirmed = await client.post(f"/admin/agendamentos/{appt.id}/status",
                                    data={"csrf_token": csrf, "status": "agendado"})
    assert unconfirmed.status == 409
    assert "Voltar o status de Confirmado para Agendado?" in await unconfirmed.text()
    ok = await client.post(f"/admin/agendamentos/{appt.id}/status",
                           data={"csrf_token": csrf, "status": "agendado",
                                 "confirmed_revert": "1"})
    assert ok.status == 200


async def test_free_slot_search_over_a_range_and_its_limits(client, panel_db):
    engine = panel_db[0]
    pet, bath = _dog(engine)
    await logged_in(client, panel_db, "attendant")
    first = date.today() + timedelta(days=3)
    ok = await client.get(f"/admin/horarios?pet={pet.id}&servico={bath.id}"
                          f"&de={first.isoformat()}&ate={(first + timedelta(days=4)).isoformat()}")
    body = await ok.text()
    assert ok.status == 200 and len(TOKEN_RE.findall(body)) > 1
    assert f"{len(TOKEN_RE.findall(body))} horários livres" in body
    too_long = await client.get(f"/admin/horarios?pet={pet.id}&servico={bath.id}"
                                f"&de={first.isoformat()}"
                                f"&ate={(first + timedelta(days=60)).isoformat()}")
    assert too_long.status == 422 and "no máximo 31 dias" in await too_long.text()


async def test_tutor_search_finds_by_pet_name_and_phone_digits(client, panel_db):
    engine = panel_db[0]
    pet, _ = _dog(engine)
    with Session(engine) as session:
        tutor = session.get(Tutor, pet.tutor_id)
    await logged_in(client, panel_db, "attendant")
    by_pet = await (await client.get(f"/admin/tutores?q={pet.name}")).text()
    assert tutor.name in by_pet
    by_phone = await (await client.get(f"/admin/tutores?q={tutor.whatsapp[-8:]}")).text()
    assert tutor.name in by_phone


async def test_new_tutor_with_invalid_cpf_is_refused_and_allow_bot_switch(client, panel_db):
    engine = panel_db[0]
    await logged_in(client, panel_db, "attendant")
    csrf = await page_csrf(client)
    bad = await client.post("/admin/tutores/novo", data={
        "csrf_token": csrf, "name": "Zé", "cpf": "111.111.111-11", "whatsapp": "11987650000"})
    assert bad.status == 422 and "CPF" in await bad.text()
    good = await client.post("/admin/tutores/novo", data={
        "csrf_token": csrf, "name": "Zé Ninguém", "cpf": "529.982.247-25",
        "whatsapp": "(11) 98765-0000", "allow_bot": "1"}, allow_redirects=False)
    assert good.status == 303
    tutor_id = int(good.headers["Location"].rsplit("/", 1)[1])
    off = await client.post(f"/admin/tutores/{tutor_id}/robo",
                            data={"csrf_token": csrf, "allow_bot": "0"})
    assert "robô desligado" in await off.text()
    with Session(engine) as session:
        tutor = session.get(Tutor, tutor_id)
        assert tutor.cpf == "52998224725" and tutor.whatsapp == "+5511987650000"
        assert tutor.allow_bot is False


def _combo_for(engine, pet, name):
    from scheduler_core.catalog import offers as catalog
    from scheduler_core.catalog.models import Combo

    with Session(engine) as session:
        combo = session.exec(select(Combo).where(Combo.name == name)).one()
        shop_id = session.get(Tutor, pet.tutor_id).shop_id
        [offer] = [c for c in catalog.services_for_pet(session, shop_id, pet.id,
                                                       channel="staff").combos
                   if c.id == combo.id]
        return offer


async def test_wizard_books_a_combo_at_the_combo_price(client, panel_db):
    from scheduler_core.kernel.money import format_brl

    engine = panel_db[0]
    pet, _bath = _dog(engine)
    await logged_in(client, panel_db, "attendant")
    for offset, name in ((6, "Banho + Tosa higiênica"), (16, "Dia de Spa")):  # % and R$
        combo = _combo_for(engine, pet, name)
        assert combo.discount_cents and combo.price_cents == (
            combo.full_price_cents - combo.discount_cents)
        step3 = await (await client.get(f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}"
                                         )).text()
        assert f'type="radio" name="combo" value="{combo.id}"' in step3
        path = f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&combo={combo.id}"
        token, day = await _first_token(client, path, date.today() + timedelta(days=offset))
        page = await (await client.get(f"{path}&data={day.isoformat()}")).text()
        assert f"Combo {name}" in page
        shown = f"{format_brl(combo.price_cents)} (combo, desconto de " \
                f"{format_brl(combo.discount_cents)})"
        assert shown.replace("\xa0", " ") in page.replace("\xa0", " ")
        csrf = await page_csrf(client)
        response = await client.post("/admin/agenda/novo", data={
            "csrf_token": csrf, "token": token, "idempotency_key": f"combo-{combo.id}"})
        assert response.status == 200 and re.search(r"Agendamento #\d+ criado",
                                                    await response.text())
        with Session(engine) as session:
            appt = session.exec(select(Appointment).where(
                Appointment.idempotency_key == f"combo-{combo.id}")).one()
            assert appt.combo_id == combo.id
            assert appt.discount_cents == combo.discount_cents
            assert appt.total_cents == combo.price_cents
            from scheduler_core.agenda.models import AppointmentItem

            items = session.exec(select(AppointmentItem).where(
                AppointmentItem.appointment_id == appt.id)).all()
            assert sorted(i.service_id for i in items) == sorted(combo.service_ids)
        window = await (await client.get(f"/admin/agendamentos/{appt.id}")).text()
        assert "Desconto do combo" in window and format_brl(combo.discount_cents) in window


async def test_wizard_lists_a_combo_and_an_extra_in_the_visit_order(client, panel_db):
    """The wizard expands a combo as the booking service does (scheduler_core.catalog.combos):
    the services it shows are the booked visit's items, in their order."""
    from scheduler_core.agenda.models import AppointmentItem

    engine = panel_db[0]
    pet, _bath = _dog(engine)
    combo = _combo_for(engine, pet, "Banho + Tosa higiênica")
    with Session(engine) as session:
        nails = session.exec(select(Service).where(Service.name == "Corte de unhas")).one()
    await logged_in(client, panel_db, "attendant")
    path = (f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={nails.id}"
            f"&combo={combo.id}")
    token, day = await _first_token(client, path, date.today() + timedelta(days=6))
    page = await (await client.get(f"{path}&data={day.isoformat()}")).text()
    shown = re.search(r"Combo Banho \+ Tosa higiênica: (.*?) · <a", page).group(1).split(" + ")
    csrf = await page_csrf(client)
    response = await client.post("/admin/agenda/novo", data={
        "csrf_token": csrf, "token": token, "idempotency_key": "combo-and-extra"})
    assert response.status == 200
    with Session(engine) as session:
        appt = session.exec(select(Appointment).where(
            Appointment.idempotency_key == "combo-and-extra")).one()
        visit = [session.get(Service, it.service_id).name for it in session.exec(
            select(AppointmentItem).where(AppointmentItem.appointment_id == appt.id)
            .order_by(AppointmentItem.position)).all()]
    assert visit == ["Banho", "Tosa higiênica", "Corte de unhas"]
    assert shown == visit


async def test_wizard_refuses_two_combos_in_one_visit(client, panel_db):
    engine = panel_db[0]
    pet, _bath = _dog(engine)
    first = _combo_for(engine, pet, "Banho + Tosa higiênica")
    second = _combo_for(engine, pet, "Dia de Spa")
    await logged_in(client, panel_db, "attendant")
    response = await client.get(f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}"
                                f"&combo={first.id}&combo={second.id}")
    assert response.status == 422
    assert "Escolha apenas um combo por agendamento" in await response.text()
    search = await client.get(f"/admin/horarios?pet={pet.id}&combo={first.id}"
                              f"&combo={second.id}")
    assert search.status == 422


async def test_free_slot_search_prices_a_combo(client, panel_db):
    from scheduler_core.kernel.money import format_brl

    engine = panel_db[0]
    pet, _bath = _dog(engine)
    combo = _combo_for(engine, pet, "Dia de Spa")
    await logged_in(client, panel_db, "attendant")
    first = date.today() + timedelta(days=3)
    body = await (await client.get(
        f"/admin/horarios?pet={pet.id}&combo={combo.id}&de={first.isoformat()}"
        f"&ate={(first + timedelta(days=4)).isoformat()}")).text()
    count = len(TOKEN_RE.findall(body))
    assert count and (f"{count} horários livres" in body or "1 horário livre" in body)
    assert f"desconto de {format_brl(combo.discount_cents)}" in body


async def test_wizard_offers_for_a_cat_only_professionals_who_take_cats(client, panel_db):
    """Diego Almeida does banho but only dogs: the wizard's "choose the professional" does not
    offer him for a cat (the bot and the API ask the same core query)."""
    from scheduler_core.shop.models import Employee

    engine = panel_db[0]
    with Session(engine) as session:
        cat = session.exec(select(Pet).where(Pet.species == "gato", col(Pet.porte).is_not(None),
                                             col(Pet.pelagem).is_not(None))
                           .order_by(Pet.id)).first()
        bath = session.exec(select(Service).where(Service.name == "Banho")).one()
        diego = session.exec(select(Employee).where(Employee.name == "Diego Almeida")).one()
        dog, _ = _dog(engine)
    assert diego.species == ["cao"]
    await logged_in(client, panel_db, "attendant")
    day = (date.today() + timedelta(days=5)).isoformat()
    for_cat = await (await client.get(
        f"/admin/agenda/novo?tutor={cat.tutor_id}&pet={cat.id}&servico={bath.id}&data={day}"
    )).text()
    for_dog = await (await client.get(
        f"/admin/agenda/novo?tutor={dog.tutor_id}&pet={dog.id}&servico={bath.id}&data={day}"
    )).text()
    def offered(body: str) -> str:
        return " ".join(re.findall(r'<select name="prof_\d+">(.*?)</select>', body, re.S))

    assert f'<option value="{diego.id}" >Diego Almeida' in offered(for_dog)
    assert "Diego Almeida" not in offered(for_cat) and offered(for_cat)


async def test_agenda_and_wizard_show_the_creche_places_taken_that_day(client, panel_db):
    from scheduler_core.catalog.models import ServiceCategory
    from scheduler_core.scheduling import occupancy
    from scheduler_core.shop.models import Segment

    engine = panel_db[0]
    pet, bath = _dog(engine)
    with Session(engine) as session:  # the demo's grooming segment run as a day care
        segment = session.get(Segment, session.get(ServiceCategory, bath.category_id).segment_id)
        segment.kind, segment.daily_capacity = "creche", 40
        session.add(segment)
        session.commit()
        shop_id, name = segment.shop_id, segment.name
    await logged_in(client, panel_db)
    token, day = await _first_token(
        client, f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}",
        date.today() + timedelta(days=1))
    with Session(engine) as session:
        [places] = occupancy.day_occupancy(session, shop_id, day)
    assert places.capacity == 40
    agenda = await (await client.get(f"/admin/agenda?data={day.isoformat()}")).text()
    assert f"{name}: {places.used}/40 {day:%d/%m}" in agenda
    wizard = await (await client.get(
        f"/admin/agenda/novo?tutor={pet.tutor_id}&pet={pet.id}&servico={bath.id}"
        f"&data={day.isoformat()}")).text()
    assert f"{name}: {places.used}/40 em {day:%d/%m}" in wizard
    today_page = await (await client.get("/admin/agenda")).text()
    assert f"{name}: " in today_page and "hoje</span>" in today_page


async def test_the_stay_form_answers_bad_dates_in_portuguese_and_never_500(client, panel_db):
    engine = panel_db[0]
    pet, bath = _dog(engine)
    await logged_in(client, panel_db)
    assert (await client.get("/admin/hospedagem/nova?pet=999999999")).status == 404
    csrf = await page_csrf(client)
    for entrada, saida, message in (
        ("", "", "Informe as datas de entrada e saída"),
        ("31/02/2027", "03/03/2027", "Informe as datas de entrada e saída"),
        ("10/03/2027", "10/03/2027", "pelo menos um dia depois"),
        ("01/03/2027", "10/03/2029", "no máximo 60 diárias"),
        ("01/03/2027", "03/03/2027", "não é de hotel"),
    ):
        response = await client.post("/admin/hospedagem/nova", data={
            "csrf_token": csrf, "pet": str(pet.id), "servico": str(bath.id),
            "entrada": entrada, "saida": saida})
        assert response.status == 422, (entrada, saida)
        assert message in await response.text()
