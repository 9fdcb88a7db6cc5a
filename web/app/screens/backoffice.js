// Back-office screens (sync review, tour board, customer base) register their routes here.
// Built on branch pwa-backoffice; see docs/web.md.
