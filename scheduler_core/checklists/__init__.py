"""Checklists per segment and stage (Agendado, Recebido, Finalizado, Entregue): the items a
shop configures (``service.py``), the answers stored per visit and the rule that a required
item blocks a status move (``answers.py``), the photos kept on disk (``photos.py``)."""
