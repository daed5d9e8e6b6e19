"""Services, prices by porte × pelagem or breed, combos, add-ons, Leva e Traz zones."""
