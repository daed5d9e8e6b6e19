"""WhatsApp notifications (issue 13; spec/chatbot.md §13, backoffice.md §3.6).

Modules, each with its own decisions in its docstring:

- ``texts.py`` (pure): the kinds (:class:`~.texts.Kind`, pt-BR labels and categories), the
  TecPet variables "(NOME_PET)" … (:data:`~.texts.VARIABLES`), default texts, template defaults,
  :func:`~.texts.render`, :func:`~.texts.validate_text`;
- ``settings.py``: per shop and kind (:class:`~.models.NotificationSetting`: on/off, text,
  template name / language / ordered parameters, offset hours or days, send time) and per shop
  (:class:`~.models.NotificationPrefs`: quiet hours, late-drop delay): ``get_setting``,
  ``list_settings``, ``save_setting``, ``get_prefs``, ``save_prefs``;
- ``optout.py``: ``set_opt_out`` / ``is_opted_out`` (the tutor's "parar");
- ``outbox.py``: the :class:`~.models.Notification` rows, unique per (event key, kind,
  recipient), the atomic claim, receipts, at-most-once after a crash;
- ``planner.py``: the registry of per-kind sources (``register``; Pet Care adds its own) and
  the variables of a visit or an invoice;
- ``sending.py``: the decision for a claimed row (drop / postpone / send);
- ``service.py``: the sender's units of work (the app's loop is app/notify.py, the channel
  side bot/output_channel.py ``Output.notify``);
- ``queries.py``: the panel's read side (``upcoming``, ``history``, ``preview``) and
  ``send_invoice_now``.

Decisions:

- The outbox is a table, not a queue library: nothing well kept covers both SQLite and
  PostgreSQL with the clock injected; the claim is the standard conditional UPDATE (plus
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), no lock of our own, Redis not needed.
- At most once: a row left ``enviando`` by a crash is marked ``falhou``, never resent.
- Texts are read at send time (an edit applies to rows already planned); the variables' values
  are frozen when the row is planned (the source's check drops a row whose event changed).
- Quiet hours carry a due row to their end; a row whose event would be over by then is dropped.
  Anything more than ``late_drop_hours`` late is dropped with the reason, never sent late.
- Window vs template: inside the 24-hour window free text (with the confirmation's buttons);
  outside, or when Meta answers 131047 (synchronously or in the "failed" status webhook), the
  kind's approved template with its parameters in order. The default template names are
  ``petbot_<kind>``: a shop registers them with Meta or sets its own.
- The per-user pace is one notification per 6 s to the same number (Meta's pair rate limit,
  131056); the next is postponed, not dropped.
"""
