// Visit: check in, report, check out (next).
