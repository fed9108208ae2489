"""The billing module's pages, one module per concern: orders generated from a contract, a
renewal or a ticket (orders), "Fattura attività" runs (runs), Configurazione fatturazione
(configuration) and Gestione Utenti (users)."""
