import { createMemoryStore } from "patkit/memory";
import { testTokenStore } from "patkit/testing";

testTokenStore("memory store", () => createMemoryStore());
