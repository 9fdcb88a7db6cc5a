// New prospect (next).
