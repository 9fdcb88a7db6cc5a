// Back-office screens (sync review, tour board, customer base): filled by their branch.
export default {};
