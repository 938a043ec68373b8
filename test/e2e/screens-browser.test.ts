import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createManualClock } from "patkit";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { DemoClient } from "../../examples/git-server/demo-client.js";
import {
  CHROMIUM_MISSING,
  chromiumInstalled,
  launchChromium,
  SCREEN_STORIES,
} from "../../examples/git-server/screen-stories.js";
import { type DemoServer, startDemoServer } from "../../examples/git-server/server.js";
import { openStorage, type Storage } from "../../examples/git-server/storage.js";
import { e2eStorage } from "./harness.js";

// The screens in a real Chromium (Debian's package, driven by playwright-core): the stories of
// the product page, end to end with the real git. The run refreshes docs/screens/*.png; the
// clock starts at a fixed instant so the images only change when the screens do.
const installed = chromiumInstalled();
if (!installed) console.log(CHROMIUM_MISSING);

const SCREENS = fileURLToPath(new URL("../../docs/screens", import.meta.url));

let browser: Browser;
let server: DemoServer;
let storage: Storage;
let client: DemoClient;
let dataDir: string;

describe.skipIf(!installed)("the token screens in Chromium", () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "patkit-screens-"));
    storage = await openStorage(e2eStorage());
    server = await startDemoServer({
      dataDir,
      storage: { kind: "store", store: storage.store, description: storage.description },
      clock: createManualClock("2026-03-02T09:30:00Z"),
    });
    client = await DemoClient.create(server.url, dataDir);
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await storage?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  for (const story of SCREEN_STORIES) {
    it(story.name, () => story.run({ server, client, browser, screenshots: SCREENS }), 90_000);
  }
});
