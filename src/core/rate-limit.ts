import { asStoreError } from "./store-calls.js";

/** A token bucket per token id, in this instance's memory. */
export interface TokenBucketOptions {
  /** The most requests in a burst: the bucket's size (a whole number, 1 or more). */
  readonly capacity: number;
  /** Requests per second the bucket refills with (more than 0; fractions allowed). */
  readonly refillPerSecond: number;
}

/**
 * A limiter shared by many instances, with `rate-limiter-flexible`'s meaning: `consume(key)`
 * resolves when the request may go ahead, and rejects with an object whose `msBeforeNext` is
 * the wait when it may not. Any other rejection (its store is down) fails the verify closed,
 * as a `StoreUnavailableError`. A `RateLimiterPostgres` or `RateLimiterRedis` fits as it is.
 */
export interface SharedRateLimiter {
  /** Takes one request from `key`'s budget (patkit passes the token id). */
  consume(key: string): PromiseLike<unknown>;
}

/** The `rateLimit` option: a bucket per token in this instance, or a shared limiter. */
export type RateLimitOption = TokenBucketOptions | SharedRateLimiter;

/** 0 when the token may go ahead, else how many milliseconds until it may (1 or more). */
export type RateLimitCheck = (tokenId: string, nowMs: number) => number | Promise<number>;

/** Above this many buckets, full ones (as good as none) are swept, and the bar doubles. */
const SWEEP_FROM = 10_000;

/** The check for `option`. */
export function createRateLimit(option: RateLimitOption): RateLimitCheck {
  if ("consume" in option && typeof option.consume === "function") return sharedLimit(option);
  return tokenBuckets(option as TokenBucketOptions);
}

/**
 * Buckets by token id. Each holds two numbers: the tokens left at the last take, and when. A
 * full bucket equals a missing one, so sweeping the full ones loses nothing; sweeps run when the
 * map outgrows a bar that doubles (amortized O(1) per take), so memory follows the tokens used
 * within `capacity / refillPerSecond` seconds: about 75 bytes a bucket plus its id string, some
 * 110 MB for a million tokens in use at once (docs/benchmarks.md).
 */
function tokenBuckets({ capacity, refillPerSecond }: TokenBucketOptions): RateLimitCheck {
  const buckets = new Map<string, Bucket>();
  const perMs = refillPerSecond / 1000;
  let sweepAt = SWEEP_FROM;

  function sweep(nowMs: number): void {
    for (const [id, bucket] of buckets)
      if (bucket.tokens + (nowMs - bucket.at) * perMs >= capacity) buckets.delete(id);
    sweepAt = Math.max(SWEEP_FROM, buckets.size * 2);
  }

  return (tokenId, nowMs) => {
    let bucket = buckets.get(tokenId);
    if (bucket === undefined) {
      if (buckets.size >= sweepAt) sweep(nowMs);
      bucket = { tokens: capacity, at: nowMs };
      buckets.set(tokenId, bucket);
    } else {
      // A clock set back refills nothing (and takes nothing away).
      const elapsed = Math.max(0, nowMs - bucket.at);
      bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * perMs);
      bucket.at = Math.max(bucket.at, nowMs);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs));
  };
}

interface Bucket {
  tokens: number;
  at: number;
}

function sharedLimit(limiter: SharedRateLimiter): RateLimitCheck {
  return async (tokenId) => {
    try {
      await limiter.consume(tokenId);
      return 0;
    } catch (outcome) {
      const wait = (outcome as { msBeforeNext?: unknown } | null)?.msBeforeNext;
      if (typeof wait === "number" && Number.isFinite(wait)) return Math.max(1, Math.ceil(wait));
      throw asStoreError("rateLimit", outcome);
    }
  };
}
