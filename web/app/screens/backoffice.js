// Back-office screens (sync review, tour board, customer base) register their routes here.
// Built on branch pwa-backoffice; see docs/web.md, "Back office".
import { useStyles } from "../backoffice/common.js";
import "../backoffice/review.js";
import "../backoffice/board.js";
import "../backoffice/base.js";

// At start-up, so the nav icons of the back office are styled before any of its screens.
useStyles();
