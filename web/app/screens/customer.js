// Customer sheet (next).
