"""The targets the bench reports against."""

RECEIVER_P99_US = 1000.0  # a receiver runs inside the LMS request: p99 under 1 ms per event
RECEIVER_MAX_QUERIES = 2  # one upsert (and nothing else) per event; 2 allows a savepoint pair
EVALUATE_RATE = 2000.0  # evaluate_learner events per second, one process
# Backfill memory is "flat" when the peak at the largest scale is within 25% (or 5 MB) of the
# peak at the smallest.
FLAT_RATIO, FLAT_SLACK = 1.25, 5 * 2**20
# Signing (eddsa-rdfc-2022): Python proof.sign credentials per second on one CPU, divided by the
# reference JavaScript issuer's (@digitalbazaar/vc) on the same CPU, same document, same run.
SIGN_RATIO = 1.0
DELIVERY_RATE = 500.0  # webhook deliveries per second, delivery.drain() in one worker process
DELIVERY_MAX_CONNECTIONS = 2  # TCP connections the receiver sees for a drain (keep-alive: ~1)
