"""Every panel's and FAQ report's figures as tables: what the screens show under the charts and
what the CSV / XLSX exports write. A cell's kind tells the writers how to format it.

Tutor contact (WhatsApp) appears only when ``sensitive`` is true; otherwise the caller's
``mask`` turns it into the masked form the panel shows elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from scheduler_core.agenda.labels import ORIGIN_LABELS, STATUS_LABELS
from scheduler_core.reports.clientes import Clientes
from scheduler_core.reports.financeiro import Financeiro
from scheduler_core.reports.funcionarios import Comissoes, CommissionLine, EmployeeLine
from scheduler_core.reports.geral import Geral
from scheduler_core.reports.leva_e_traz import LevaETraz
from scheduler_core.reports.lists import ActiveClient, CancelledVisit, Sale
from scheduler_core.reports.robo import Robo
from scheduler_core.reports.servicos import ServiceLine

TEXT, INT, MONEY, PCT, DATE, DATETIME = "text", "int", "money", "pct", "date", "datetime"
SCORE = "score"  # a 1–5 average, one decimal
Cell = str | int | float | date | datetime | None



@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[tuple[Cell, ...]]
    #: Set when ``rows`` holds only the first rows (the screen's): how many there are in all.
    total_rows: int | None = None


def _t(key: str, title: str, cols: Iterable[tuple[str, str]], rows: Iterable) -> Table:
    columns = [Column(label, kind) for label, kind in cols]
    return Table(key, title, columns, [tuple(r) for r in rows])


def financeiro_tables(r: Financeiro) -> list[Table]:
    summary = _t("resumo", "Resumo financeiro", [("Indicador", TEXT), ("Valor", MONEY)], [
        ("Faturado", r.billed_cents), ("Recebido", r.received_cents),
        ("Pago das faturas do período", r.settled_cents), ("Em aberto", r.open_cents),
        ("Vencido", r.overdue_cents), ("Ticket médio", r.average_ticket_cents),
        ("Faturado no período anterior", r.previous_billed_cents),
        ("Recebido no período anterior", r.previous_received_cents),
        ("Pago em faturas canceladas (virou crédito)", r.cancelled_paid_cents),
    ])
    methods = _t("formas", "Recebido por forma de pagamento",
                 [("Forma", TEXT), ("Pagamentos", INT), ("Valor", MONEY)],
                 [(m.label + ("" if m.in_received else " (não soma no recebido)"), m.count,
                   m.amount_cents) for m in r.by_method])
    days = _t("dias", "Faturado e recebido por dia",
              [("Data", DATE), ("Faturado", MONEY), ("Recebido", MONEY)],
              [(d.day, d.billed_cents, d.received_cents) for d in r.by_day])
    return [summary, methods, days]


def geral_tables(r: Geral, statuses: list[str]) -> list[Table]:
    days = _t("dias", "Agendamentos por status e dia",
              [("Data", DATE)] + [(STATUS_LABELS.get(s, s), INT) for s in statuses]
              + [("Total", INT)],
              [(d.day, *[d.counts.get(s, 0) for s in statuses], d.total) for d in r.by_day])
    occ = _t("ocupacao", "Ocupação por funcionário",
             [("Funcionário", TEXT), ("Minutos agendados", INT), ("Minutos disponíveis", INT),
              ("Ocupação (%)", PCT)],
             [(o.name, o.booked_min, o.available_min, o.occupancy_pct) for o in r.occupancy])
    rates = _t("taxas", "Taxas e origem", [("Indicador", TEXT), ("Valor", INT), ("%", PCT)], [
        ("Agendamentos", r.total, 100.0 if r.total else 0.0),
        ("Cancelados", r.cancelled, r.cancel_rate_pct),
        ("Não compareceu", r.no_show, r.no_show_rate_pct),
        *[(f"Origem: {ORIGIN_LABELS.get(o, o)}", n, round(100.0 * n / r.total, 1) if r.total
           else 0.0) for o, n in r.by_origin.items()],
    ])
    return [days, occ, rates]


def clientes_tables(r: Clientes, mask: Callable[[str], str]) -> list[Table]:
    summary = _t("resumo", "Clientes", [("Indicador", TEXT), ("Valor", INT)], [
        ("Tutores novos", r.new_tutors), ("Tutores ativos", r.active_tutors),
        ("Tutores que voltaram", r.returning_tutors),
        (f"Em risco (sem visita há {r.risk_days} dias)", r.at_risk_count),
    ])
    survey = _t("pesquisa", "Pesquisa de satisfação",
                [("Respostas", INT), ("Nota média (1 a 5)", SCORE)],
                [(r.survey_answers, r.survey_score)])
    risk = _t("risco", "Tutores em risco",
              [("Tutor", TEXT), ("WhatsApp", TEXT), ("Última visita", DATE), ("Dias", INT)],
              [(t.name, mask(t.whatsapp), t.day, t.days_since) for t in r.at_risk])
    born = _t("aniversarios", "Aniversariantes do mês",
              [("Tutor", TEXT), ("WhatsApp", TEXT), ("Dia", INT)],
              [(t.name, mask(t.whatsapp), t.day.day if t.day else None) for t in r.birthdays])
    return [summary, survey, risk, born]


def funcionarios_table(r: list[EmployeeLine]) -> Table:
    return _t("funcionarios", "Desempenho dos funcionários",
              [("Funcionário", TEXT), ("Atendimentos", INT), ("Minutos", INT),
               ("Duração média (min)", INT), ("Faturamento", MONEY),
               ("Nota média (1 a 5)", SCORE), ("Respostas da pesquisa", INT)],
              [(e.name, e.visits, e.minutes, e.average_min, e.revenue_cents, e.survey_score,
                e.survey_answers) for e in r])


def servicos_table(r: list[ServiceLine], *, key: str = "servicos",
                   title: str = "Serviços mais vendidos") -> Table:
    return _t(key, title,
              [("Serviço", TEXT), ("Quantidade", INT), ("Avulsos", INT), ("No plano", INT),
               ("Faturamento", MONEY), ("Duração da tabela (min)", INT),
               ("Duração real (min)", INT)],
              [(s.name, s.count, s.avulso, s.in_plan, s.revenue_cents, s.table_min, s.real_min)
               for s in r])


def leva_tables(r: LevaETraz) -> list[Table]:
    days = _t("dias", "Leva e Traz por dia",
              [("Data", DATE), ("Atendimentos", INT), ("Viagens", INT), ("Taxas", MONEY)],
              [(d.day, d.visits, d.trips, d.fee_cents) for d in r.by_day])
    zones = _t("zonas", "Leva e Traz por zona",
               [("Zona", TEXT), ("Atendimentos", INT), ("Viagens", INT), ("Taxas", MONEY)],
               [(z.zone, z.visits, z.trips, z.fee_cents) for z in r.by_zone])
    return [zones, days]


def comissoes_tables(r: Comissoes) -> list[Table]:
    totals = _t("totais", "Comissões por funcionário",
                [("Funcionário", TEXT), ("Base realizada", MONEY), ("Comissão realizada", MONEY),
                 ("Comissão prevista", MONEY)],
                [(t.name, t.base_cents, t.earned_cents, t.projected_cents) for t in r.totals])
    lines = _t("linhas", "Comissões: linhas", COMMISSION_COLUMNS, commission_rows(r.lines))
    if len(r.lines) < r.line_count:
        lines = Table(lines.key, lines.title, lines.columns, lines.rows, r.line_count)
    return [totals, lines]


COMMISSION_COLUMNS = [("Data", DATE), ("Atendimento", INT), ("Funcionário", TEXT),
                      ("Serviço", TEXT), ("Base", MONEY), ("%", INT), ("Comissão", MONEY),
                      ("Situação", TEXT)]


def commission_rows(lines: Iterable[CommissionLine]) -> list[tuple[Cell, ...]]:
    return [(c.day, c.appointment_id, c.employee, c.service, c.base_cents, c.pct,
             c.commission_cents, "Realizada" if c.earned else "Prevista") for c in lines]


def robo_tables(r: Robo) -> list[Table]:
    funnel = _t("funil", "Funil do robô", [("Etapa", TEXT), ("Conversas", INT), ("%", PCT)], [
        ("Conversas iniciadas", r.started, 100.0 if r.started else 0.0),
        ("Tutor identificado", r.identified,
         round(100.0 * r.identified / r.started, 1) if r.started else 0.0),
        ("Agendou pelo robô", r.booked, r.booked_pct),
        ("Passou para atendente", r.handed_off, r.handoff_pct),
    ])
    reasons = _t("motivos", "Motivos de transferência", [("Motivo", TEXT), ("Conversas", INT)],
                 r.reasons)
    hours = _t("horas", "Mensagens de tutores por hora", [("Hora", TEXT), ("Mensagens", INT)],
               [(f"{h:02d}h", n) for h, n in enumerate(r.by_hour)])
    missed = _t("nao_entendidas", "Mensagens não entendidas (mais recentes)",
                [("Quando", DATETIME), ("Mensagem", TEXT), ("Intenção", TEXT),
                 ("Confiança", PCT)],
                [(m.at, m.text, m.intent, round(100 * m.confidence, 1))
                 for m in r.latest_misunderstood])
    confidence = _t("confianca", "Confiança do NLU (mensagens digitadas)",
                    [("Faixa", TEXT), ("Mensagens", INT)], r.confidence)
    understood = _t("entendimento", "Entendimento", [("Indicador", TEXT), ("Valor", INT)], [
        ("Mensagens respondidas pelo robô", r.bot_turns),
        ("Não entendidas", r.misunderstood)])
    return [funnel, reasons, understood, missed, confidence, hours]


def cancelled_table(r: list[CancelledVisit], mask: Callable[[str], str],
                    tz_local: Callable[[datetime], datetime]) -> Table:
    return _t("cancelados", "Agendamentos cancelados",
              [("Atendimento", INT), ("Data e hora", DATETIME), ("Tutor", TEXT),
               ("WhatsApp", TEXT), ("Pet", TEXT), ("Situação", TEXT), ("Motivo", TEXT),
               ("Valor", MONEY)],
              [(c.appointment_id, tz_local(c.start), c.tutor, mask(c.whatsapp), c.pet,
                STATUS_LABELS.get(c.status, c.status), c.reason, c.total_cents) for c in r])


def active_table(r: list[ActiveClient], mask: Callable[[str], str]) -> Table:
    return _t("ativos", "Clientes ativos",
              [("Tutor", TEXT), ("WhatsApp", TEXT), ("Atendimentos", INT),
               ("Última visita", DATE), ("Plano ativo", TEXT)],
              [(c.name, mask(c.whatsapp), c.visits, c.last_visit, "Sim" if c.has_plan else "Não")
               for c in r])


def sales_table(r: list[Sale], kind_labels: dict[str, str]) -> Table:
    return _t("vendas", "Vendas do período",
              [("Fatura", INT), ("Data", DATE), ("Tutor", TEXT), ("Tipo", TEXT),
               ("Situação", TEXT), ("Total", MONEY), ("Pago", MONEY), ("Em aberto", MONEY)],
              [(s.number, s.day, s.tutor, kind_labels.get(s.kind, s.kind), s.status,
                s.total_cents, s.paid_cents, s.open_cents) for s in r])
