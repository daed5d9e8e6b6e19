"""What every feature shares: clock, money, errors, phones, CPF, pt-BR dates, settings."""
