/**
 * `patkit/memory`: a token store in process memory, for tests, demos and single processes.
 *
 * @packageDocumentation
 * @module patkit/memory
 */
export { createMemoryStore, type MemoryStore } from "./memory-store.js";
