"""Pet Care: the shop's application protocols (vaccines, dewormers, antiparasitics) and each
pet's doses with their status agendada / atrasada / aplicada (spec/backoffice.md §2.10, W15;
chatbot.md §13). Rules in :mod:`.rules`, use cases in :mod:`.service`."""
