/** The most the bundle of createAccessTokens + createMemoryStore may weigh, gzipped. */
export declare const BUNDLE_LIMIT_BYTES: number;
/** Bundles createAccessTokens + createMemoryStore as resolved from `resolveDir`; sizes in bytes. */
export declare function measureBundle(
  resolveDir: string,
): Promise<{ minified: number; gzipped: number }>;
