"""Chart.js configurations of each panel (lines for time, bars for rankings), built from the
figures the core returned: presentation only. Money goes to the charts in reais; the labels
are pt-BR. ``admin/static/reports.js`` draws them (the vendored Chart.js, no CDN)."""

from __future__ import annotations

from datetime import date

from scheduler_core.agenda.labels import ORIGIN_LABELS, STATUS_LABELS

COLORS = ["#2563eb", "#16a34a", "#dc2626", "#f59e0b", "#7c3aed", "#0891b2", "#db2777",
          "#65a30d"]


def _day(d: date) -> str:
    return d.strftime("%d/%m")


def _reais(cents: int) -> float:
    return round(cents / 100, 2)


def line(title: str, labels: list[str], series: dict[str, list], *, money: bool = False
         ) -> dict:
    return {"title": title, "money": money, "type": "line", "labels": labels,
            "datasets": [{"label": k, "data": v, "borderColor": COLORS[i % len(COLORS)],
                          "backgroundColor": COLORS[i % len(COLORS)], "tension": 0.2,
                          "pointRadius": 2}
                         for i, (k, v) in enumerate(series.items())]}


def bar(title: str, labels: list[str], series: dict[str, list], *, money: bool = False,
        horizontal: bool = False) -> dict:
    return {"title": title, "money": money, "type": "bar", "horizontal": horizontal,
            "labels": labels,
            "datasets": [{"label": k, "data": v, "backgroundColor": COLORS[i % len(COLORS)]}
                         for i, (k, v) in enumerate(series.items())]}


def financeiro(r) -> list[dict]:
    days = [_day(d.day) for d in r.by_day]
    return [
        line("Faturado e recebido por dia (R$)", days, {
            "Faturado": [_reais(d.billed_cents) for d in r.by_day],
            "Recebido": [_reais(d.received_cents) for d in r.by_day]}, money=True),
        bar("Por forma de pagamento (R$)", [m.label for m in r.by_method],
            {"Valor": [_reais(m.amount_cents) for m in r.by_method]}, money=True),
    ]


def geral(r) -> list[dict]:
    days = [_day(d.day) for d in r.by_day]
    shown = ["agendado", "confirmado", "finalizado", "entregue", "cancelado", "nao_compareceu"]
    series = {"Total": [d.total for d in r.by_day]}
    series.update({STATUS_LABELS[s]: [d.counts.get(s, 0) for d in r.by_day] for s in shown
                   if r.by_status.get(s)})
    return [
        line("Agendamentos por dia", days, series),
        bar("Ocupação por funcionário (%)", [o.name for o in r.occupancy],
            {"Ocupação": [o.occupancy_pct for o in r.occupancy]}, horizontal=True),
        bar("Origem dos agendamentos", [ORIGIN_LABELS.get(o, o) for o in r.by_origin],
            {"Agendamentos": list(r.by_origin.values())}),
    ]


def clientes(r) -> list[dict]:
    return [bar("Tutores no período", ["Novos", "Ativos", "Voltaram", "Em risco"], {
        "Tutores": [r.new_tutors, r.active_tutors, r.returning_tutors, r.at_risk_count]})]


def funcionarios(r) -> list[dict]:
    names = [e.name for e in r]
    return [bar("Faturamento por funcionário (R$)", names,
                {"Faturamento": [_reais(e.revenue_cents) for e in r]}, money=True,
                horizontal=True),
            bar("Atendimentos por funcionário", names, {"Atendimentos": [e.visits for e in r]},
                horizontal=True)]


def servicos(r) -> list[dict]:
    top = r[:15]
    return [bar("Serviços mais vendidos", [s.name for s in top], {
        "Avulsos": [s.avulso for s in top], "No plano": [s.in_plan for s in top]},
        horizontal=True)]


def leva_e_traz(r) -> list[dict]:
    return [line("Viagens por dia", [_day(d.day) for d in r.by_day],
                 {"Viagens": [d.trips for d in r.by_day]}),
            bar("Viagens por zona", [z.zone for z in r.by_zone],
                {"Viagens": [z.trips for z in r.by_zone]}, horizontal=True)]


def comissoes(r) -> list[dict]:
    names = [t.name for t in r.totals]
    return [bar("Comissões por funcionário (R$)", names, {
        "Realizada": [_reais(t.earned_cents) for t in r.totals],
        "Prevista": [_reais(t.projected_cents) for t in r.totals]}, money=True,
        horizontal=True)]


def robo(r) -> list[dict]:
    return [bar("Funil do robô", ["Iniciadas", "Identificadas", "Agendaram", "Transferidas"],
                {"Conversas": [r.started, r.identified, r.booked, r.handed_off]}),
            bar("Confiança do NLU", [label for label, _ in r.confidence],
                {"Mensagens digitadas": [n for _, n in r.confidence]}),
            bar("Mensagens por hora", [f"{h:02d}h" for h in range(24)],
                {"Mensagens": r.by_hour})]


BUILDERS = {"financeiro": financeiro, "geral": geral, "clientes": clientes,
            "funcionarios": funcionarios, "servicos": servicos, "leva-e-traz": leva_e_traz,
            "comissoes": comissoes, "robo": robo}


def _brl(cents: int) -> str:
    from scheduler_core.kernel.money import format_brl

    return format_brl(cents)


def _pct(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " %"


def _score(average: float | None, answers: int) -> str:
    if average is None:
        return "sem respostas"
    return f"{average:.1f}".replace(".", ",") + f" ({answers} resp.)"


def kpis(name: str, r) -> list[tuple[str, str]]:
    """The few headline numbers shown as cards above a panel's charts."""
    if name == "financeiro":
        return [("Faturado", _brl(r.billed_cents)), ("Recebido", _brl(r.received_cents)),
                ("Em aberto", _brl(r.open_cents)), ("Vencido", _brl(r.overdue_cents)),
                ("Ticket médio", _brl(r.average_ticket_cents)),
                ("Faturado × período anterior", _pct(r.billed_change_pct)),
                ("Recebido × período anterior", _pct(r.received_change_pct))]
    if name == "geral":
        return [("Agendamentos", str(r.total)), ("Cancelamentos", _pct(r.cancel_rate_pct)),
                ("Não compareceu", _pct(r.no_show_rate_pct)),
                ("Pelo robô", str(r.by_origin.get("bot", 0)))]
    if name == "clientes":
        return [("Novos", str(r.new_tutors)), ("Ativos", str(r.active_tutors)),
                ("Taxa de retorno", _pct(r.returning_pct)), ("Em risco", str(r.at_risk_count)),
                ("Nota da pesquisa", _score(r.survey_score, r.survey_answers))]
    if name == "funcionarios":
        return [("Atendimentos", str(sum(e.visits for e in r))),
                ("Faturamento", _brl(sum(e.revenue_cents for e in r)))]
    if name == "servicos":
        return [("Serviços realizados", str(sum(s.count for s in r))),
                ("Avulsos", str(sum(s.avulso for s in r))),
                ("Faturamento", _brl(sum(s.revenue_cents for s in r)))]
    if name == "leva-e-traz":
        return [("Atendimentos", str(r.visits)), ("Viagens", str(r.trips)),
                ("Taxas", _brl(r.fee_cents))]
    if name == "comissoes":
        return [("Comissão realizada", _brl(r.earned_cents)),
                ("Comissão prevista", _brl(r.projected_cents))]
    if name == "robo":
        return [("Conversas", str(r.started)), ("Agendaram", _pct(r.booked_pct)),
                ("Transferidas", _pct(r.handoff_pct)), ("Mensagens recebidas", str(r.messages_in)),
                ("Não entendidas", f"{r.misunderstood} ({_pct(r.misunderstood_pct)})")]
    return []
