// botfleet dashboard (placeholder until the dashboard lands)
