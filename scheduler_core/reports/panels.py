"""One call per screen and per export: a panel's (or FAQ report's) figures and its tables.

The panel and the exports both go through :func:`panel` / :func:`faq`, so a CSV always holds
what the screen shows. ``mask`` renders a tutor's WhatsApp (the caller masks it for staff
without the sensitive-data permission); ``robo_rows`` are the channel's rows the panel loads
(see ``robo``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from scheduler_core.billing.models import InvoiceKind
from scheduler_core.reports import (
    clientes,
    financeiro,
    funcionarios,
    geral,
    leva_e_traz,
    lists,
    servicos,
    tables,
)
from scheduler_core.reports import robo as robo_mod
from scheduler_core.reports.period import ReportFilter, month_of, previous_month
from scheduler_core.reports.tables import Table

PANELS: dict[str, str] = {
    "financeiro": "Financeiro",
    "geral": "Geral",
    "clientes": "Clientes",
    "funcionarios": "Funcionários",
    "servicos": "Serviços",
    "leva-e-traz": "Leva e Traz",
    "comissoes": "Comissões",
    "robo": "Robô",
}
#: Panels and reports with money per person or the shop's takings (the financial permission).
FINANCIAL = frozenset({"financeiro", "funcionarios", "comissoes", "fechamento", "vendas",
                       "desempenho"})

FAQ: dict[str, str] = {
    "avulsos": "Serviços avulsos",
    "fechamento": "Fechamento do mês anterior",
    "ativos": "Clientes ativos",
    "cancelados": "Agendamentos cancelados",
    "desempenho": "Desempenho dos funcionários",
    "vendas": "Vendas do mês",
}

#: The date basis each panel states on its screen.
BASIS_NOTES: dict[str, str] = {
    "financeiro": "Faturado, ticket médio, em aberto e vencido pela base escolhida; recebido "
                  "e formas de pagamento pela data do pagamento.",
    "geral": "Atendimentos pela data do atendimento (execução), todos os status.",
    "clientes": "Novos pela data do cadastro; ativos e retorno pela data dos atendimentos "
                "finalizados ou entregues; em risco pela data do último atendimento.",
    "funcionarios": "Atendimentos finalizados ou entregues, pela data do atendimento.",
    "servicos": "Atendimentos finalizados ou entregues, pela data do atendimento.",
    "leva-e-traz": "Atendimentos com Leva e Traz (sem cancelados e faltas), pela data do "
                   "atendimento.",
    "comissoes": "Pela data do atendimento: realizada (finalizado ou entregue) e prevista "
                 "(ainda agendado ou em andamento).",
    "robo": "Conversas pela data de início, agendamentos pela data em que o robô agendou, "
            "transferências pela data em que começaram, mensagens pela hora de chegada; a "
            "confiança do NLU só nas mensagens digitadas (botões não passam pelo NLU).",
}

KIND_LABELS = {InvoiceKind.AGENDAMENTO: "Atendimento", InvoiceKind.PLANO: "Plano",
               InvoiceKind.AVULSA: "Avulsa", InvoiceKind.VOUCHER: "Vale-crédito"}


@dataclass(frozen=True)
class RoboRows:
    conversations: list[robo_mod.ConversationRow]
    by_hour: list[int]  # tutor messages per shop-local hour, counted by the database
    handoffs: list[robo_mod.HandoffRow] = field(default_factory=list)


@dataclass(frozen=True)
class PanelResult:
    name: str
    title: str
    figures: object  # the panel's dataclass (financeiro.Financeiro, geral.Geral, ...)
    tables: list[Table]
    basis_note: str


def panel(session: Session, name: str, f: ReportFilter, *, today: date,
          mask: Callable[[str], str], robo_rows: RoboRows | None = None,
          line_limit: int | None = None) -> PanelResult:
    """The figures and tables of panel ``name`` (a key of :data:`PANELS`). ``line_limit``
    keeps only the first detail lines of Comissões (the screen's; the table's ``total_rows``
    says how many there are and :func:`table_page` reads them all for an export)."""
    figures: object
    if name == "financeiro":
        figures = financeiro.financeiro(session, f, today)
        tabs = tables.financeiro_tables(figures)
    elif name == "geral":
        figures = geral.geral(session, f)
        tabs = tables.geral_tables(figures, geral.STATUS_ORDER)
    elif name == "clientes":
        figures = clientes.clientes(session, f)
        tabs = tables.clientes_tables(figures, mask)
    elif name == "funcionarios":
        figures = funcionarios.funcionarios(session, f)
        tabs = [tables.funcionarios_table(figures)]
    elif name == "servicos":
        figures = servicos.servicos(session, f)
        tabs = [tables.servicos_table(figures)]
    elif name == "leva-e-traz":
        figures = leva_e_traz.leva_e_traz(session, f)
        tabs = tables.leva_tables(figures)
    elif name == "comissoes":
        figures = funcionarios.comissoes(session, f, line_limit=line_limit)
        tabs = tables.comissoes_tables(figures)
    elif name == "robo":
        rows = robo_rows or RoboRows([], [0] * 24)
        figures = robo_mod.robo(session, f, rows.conversations, rows.by_hour,
                                rows.handoffs)
        tabs = tables.robo_tables(figures)
    else:
        raise KeyError(name)
    return PanelResult(name, PANELS[name], figures, tabs, BASIS_NOTES[name])


#: The tables a screen may show only in part, read in full page by page for an export.
PAGED: frozenset[tuple[str, str]] = frozenset({("comissoes", "linhas")})


def table_page(session: Session, name: str, key: str, f: ReportFilter,
               after: funcionarios.LineCursor | None, size: int
               ) -> tuple[list[tuple], funcionarios.LineCursor | None]:
    """Up to ``size`` rows of table ``key`` of panel ``name`` (one of :data:`PAGED`) after
    the cursor ``after`` (None: from the first), and the cursor of the next page (None: the
    last page)."""
    if (name, key) != ("comissoes", "linhas"):
        raise KeyError((name, key))
    lines, cursor = funcionarios.commission_page(session, f, after, size)
    return tables.commission_rows(lines), cursor


def table_rows(session: Session, name: str, key: str, f: ReportFilter, *, size: int = 2000
               ) -> Iterator[tuple]:
    """Every row of a :data:`PAGED` table, read ``size`` at a time (for the XLSX writer)."""
    after = None
    while True:
        page, after = table_page(session, name, key, f, after, size)
        yield from page
        if after is None:
            return


def faq_period(report: str, f: ReportFilter, today: date) -> ReportFilter:
    """The period a FAQ report covers: the previous month for the closing, the filter's
    otherwise (the screen's default period is the current month)."""
    if report == "fechamento":
        start, end = previous_month(today)
        return ReportFilter(f.shop_id, start, end, f.tz, f.segment_id, f.employee_id, f.basis)
    return f


def faq(session: Session, report: str, f: ReportFilter, *, today: date,
        mask: Callable[[str], str]) -> list[Table]:
    """The tables of FAQ report ``report`` (a key of :data:`FAQ`)."""
    f = faq_period(report, f, today)
    if report == "avulsos":
        return [tables.servicos_table(servicos.servicos(session, f, avulso_only=True),
                                      key="avulsos", title=FAQ["avulsos"])]
    if report == "fechamento":
        return tables.financeiro_tables(financeiro.financeiro(session, f, today))
    if report == "ativos":
        return [tables.active_table(lists.active_clients(session, f), mask)]
    if report == "cancelados":
        return [tables.cancelled_table(lists.cancelled_visits(session, f), mask,
                                       lambda at: at.astimezone(f.zone))]
    if report == "desempenho":
        return [tables.funcionarios_table(funcionarios.funcionarios(session, f))]
    if report == "vendas":
        return [tables.sales_table(lists.sales(session, f), KIND_LABELS)]
    raise KeyError(report)


def default_period(today: date) -> tuple[date, date]:
    """The calendar month of ``today`` (a month is what the FAQ asks about)."""
    return month_of(today)
