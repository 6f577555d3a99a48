"""The targets the bench reports against."""

RECEIVER_P99_US = 1000.0  # a receiver runs inside the LMS request: p99 under 1 ms per event
RECEIVER_MAX_QUERIES = 2  # one upsert (and nothing else) per event; 2 allows a savepoint pair
EVALUATE_RATE = 2000.0  # evaluate_learner events per second, one process
# Backfill memory is "flat" when the peak at the largest scale is within 25% (or 5 MB) of the
# peak at the smallest.
FLAT_RATIO, FLAT_SLACK = 1.25, 5 * 2**20
