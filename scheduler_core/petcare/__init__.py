"""Pet Care: the shop's application protocols (vaccines, dewormers, antiparasitics) and each
pet's doses with their status agendada / atrasada / aplicada (spec/backoffice.md §2.10, W15;
chatbot.md §13). Rules in :mod:`.rules`, use cases in :mod:`.service`, the dose reminders'
planner source in :mod:`.reminders`.

Importing the package registers that source in the notifications planner: every process that
loads the core's tables (``scheduler_core.metadata``) plans Pet Care reminders with the rest.
"""

from scheduler_core.petcare import reminders as reminders
