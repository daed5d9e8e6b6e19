"""The reports read side: pure queries behind the dashboards (spec/backoffice.md §5).

Every function takes a read session and a :class:`~scheduler_core.reports.period.ReportFilter`
(shop, local date range in the shop's time zone, segment, employee, date basis) and returns
frozen dataclasses; nothing here writes or reads the clock (``today`` is passed in).

Modules by panel: ``financeiro``, ``geral``, ``clientes``, ``funcionarios`` (also the
commissions), ``servicos``, ``leva_e_traz``, ``robo`` (pure over rows the caller loads: the
channel's tables belong to ``bot/``, which the core may not import), ``lists`` (the FAQ
reports), ``tables`` (each result as a table for the screens and the exports) and ``export``
(CSV and XLSX writers).
"""
