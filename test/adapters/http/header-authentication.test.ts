import {
  parseAuthorization as coreParse,
  DAY_MS,
  StoreUnavailableError,
  ValidationError,
} from "patkit";
import {
  authenticateHeader,
  type HttpAuthResult,
  type HttpRejection,
  parseAuthorization,
  type TokenAuthenticator,
} from "patkit/http";
import { beforeEach, describe, expect, it } from "vitest";
import { alice, aliceOwner, createHarness } from "../../support/host.js";
import {
  basic,
  createHttpFixture,
  type HttpFixture,
  headerValues,
  readR1,
  readR2,
  writeR1,
} from "./fixture.js";

let fx: HttpFixture;
beforeEach(async () => {
  fx = await createHttpFixture();
});

function rejected(result: HttpAuthResult): HttpRejection {
  if (result.ok) throw new Error("expected a rejection");
  return result;
}

describe("authenticateHeader: accepted credentials", () => {
  it("accepts a personal token over Bearer and says who it speaks for", async () => {
    const result = await authenticateHeader(fx.tokens, `Bearer ${fx.personal.secret}`, writeR1);
    expect(result).toMatchObject({
      ok: true,
      scheme: "bearer",
      principal: { kind: "user", userId: "alice", tokenId: fx.personal.id, via: "token" },
      token: { id: fx.personal.id, status: "active" },
    });
  });

  it("accepts a personal token as the password of Basic auth with its owner's username", async () => {
    const result = await authenticateHeader(fx.tokens, basic("alice", fx.personal.secret), readR1);
    expect(result).toMatchObject({ ok: true, scheme: "basic", principal: { userId: "alice" } });
  });

  it("accepts any valid token when there is no requirement", async () => {
    for (const requirement of [null, undefined]) {
      const result = await authenticateHeader(
        fx.tokens,
        `Bearer ${fx.project.secret}`,
        requirement,
      );
      expect(result.ok).toBe(true);
    }
  });
});

describe("authenticateHeader: RFC 6750 refusals", () => {
  it.each([undefined, null, "", "   "])(
    "answers a missing header (%j) with a bare 401 challenge",
    async (header) => {
      const rejection = rejected(await authenticateHeader(fx.tokens, header, readR1));
      expect(rejection.status).toBe(401);
      expect(rejection.reason).toBe("missing_credentials");
      expect(headerValues(rejection.headers, "WWW-Authenticate")).toEqual([
        'Bearer realm="patkit"',
      ]);
      expect(rejection.body.error.code).toBe("authentication_required");
    },
  );

  it("treats an unsupported scheme as missing credentials (no error code, RFC 6750 3.1)", async () => {
    const rejection = rejected(
      await authenticateHeader(fx.tokens, "Digest username=alice", readR1),
    );
    expect(rejection).toMatchObject({ status: 401, reason: "unsupported_scheme" });
    expect(headerValues(rejection.headers, "WWW-Authenticate")).toEqual(['Bearer realm="patkit"']);
  });

  it.each(["Bearer", "Bearer two words", "Bearer tök", "Basic !!!", "Basic bm9jb2xvbg=="])(
    "answers a malformed header (%j) with 400 invalid_request",
    async (header) => {
      const rejection = rejected(await authenticateHeader(fx.tokens, header, readR1));
      expect(rejection).toMatchObject({ status: 400, reason: "malformed_header" });
      expect(headerValues(rejection.headers, "WWW-Authenticate")).toEqual([
        'Bearer realm="patkit", error="invalid_request"',
      ]);
      expect(rejection.body.error.code).toBe("invalid_request");
    },
  );

  it("answers a token that is not one of ours with 401 invalid_token", async () => {
    const elsewhere = createHarness();
    const foreign = await elsewhere.tokens.create(
      { owner: aliceOwner, name: "foreign", permissions: ["REPO_READ"] },
      alice,
    );
    for (const header of ["Bearer not-a-patkit-token", `Bearer ${foreign.secret}`]) {
      const rejection = rejected(await authenticateHeader(fx.tokens, header, readR1));
      expect(rejection.status).toBe(401);
      expect(["malformed", "unknown"]).toContain(rejection.reason);
      expect(headerValues(rejection.headers, "WWW-Authenticate")).toEqual([
        'Bearer realm="patkit", error="invalid_token"',
      ]);
      expect(rejection.tokenId).toBeUndefined();
    }
  });

  it("answers expired, revoked and inactive-owner tokens alike, keeping the reason for the hook", async () => {
    const expiring = await fx.tokens.create(
      { owner: aliceOwner, name: "short", permissions: ["REPO_READ"], expiryDays: 1 },
      alice,
    );
    await fx.tokens.revoke(fx.repository.id, alice);
    fx.clock.advance(DAY_MS);
    const expired = rejected(
      await authenticateHeader(fx.tokens, `Bearer ${expiring.secret}`, readR1),
    );
    const revoked = rejected(
      await authenticateHeader(fx.tokens, `Bearer ${fx.repository.secret}`, readR1),
    );
    fx.host.deactivate("alice");
    const inactive = rejected(
      await authenticateHeader(fx.tokens, `Bearer ${fx.personal.secret}`, readR1),
    );

    expect([expired.reason, revoked.reason, inactive.reason]).toEqual([
      "expired",
      "revoked",
      "inactive_owner",
    ]);
    expect([expired.tokenId, revoked.tokenId, inactive.tokenId]).toEqual([
      expiring.token.id,
      fx.repository.id,
      fx.personal.id,
    ]);
    for (const rejection of [expired, revoked, inactive]) {
      expect(rejection.status).toBe(401);
      // The client cannot tell them apart: same challenge, same body.
      expect(rejection.headers).toEqual(expired.headers);
      expect(rejection.body).toEqual(expired.body);
      expect(rejection.body.error.code).toBe("invalid_token");
    }
  });

  it("hands tokens.authenticate the credential it parsed, not the header", async () => {
    const seen: unknown[] = [];
    const tokens: TokenAuthenticator = {
      authenticate: (credential, requirement, options) => {
        seen.push(credential);
        return fx.tokens.authenticate(credential, requirement, options);
      },
    };
    const success = await authenticateHeader(tokens, ` bearer ${fx.personal.secret} `, readR1);
    expect(success.ok).toBe(true);
    expect(seen).toEqual([{ ok: true, scheme: "bearer", token: fx.personal.secret }]);
    // A header that does not parse never reaches the core.
    await authenticateHeader(tokens, "Digest username=alice", readR1);
    expect(seen).toHaveLength(1);
  });

  it("refuses a personal token over Basic with another username as unknown", async () => {
    const rejection = rejected(
      await authenticateHeader(fx.tokens, basic("mallory", fx.personal.secret), readR1),
    );
    expect(rejection).toMatchObject({ status: 401, reason: "unknown" });
    expect(rejection.tokenId).toBeUndefined();
    expect(rejection.body.error.code).toBe("invalid_token");
  });

  it("refuses a project or repository token over Basic as an invalid token", async () => {
    for (const secret of [fx.project.secret, fx.repository.secret]) {
      const rejection = rejected(
        await authenticateHeader(fx.tokens, basic("alice", secret), readR1),
      );
      expect(rejection).toMatchObject({ status: 401, reason: "wrong_scheme" });
      expect(rejection.body.error.code).toBe("invalid_token");
    }
  });

  it("answers a valid token without the permission with 403 insufficient_scope", async () => {
    const cases = [
      [fx.project.secret, writeR1],
      [fx.repository.secret, readR2],
    ] as const;
    for (const [secret, requirement] of cases) {
      const rejection = rejected(
        await authenticateHeader(fx.tokens, `Bearer ${secret}`, requirement),
      );
      expect(rejection).toMatchObject({ status: 403, reason: "insufficient_permission" });
      expect(headerValues(rejection.headers, "WWW-Authenticate")).toEqual([
        'Bearer realm="patkit", error="insufficient_scope"',
      ]);
      expect(rejection.body.error.code).toBe("insufficient_scope");
    }
  });

  it("fails closed with 503 and no challenge when the store is unavailable", async () => {
    fx.faulty.failNext("findById");
    const rejection = rejected(
      await authenticateHeader(fx.tokens, `Bearer ${fx.personal.secret}`, readR1),
    );
    expect(rejection).toMatchObject({ status: 503, reason: "store_unavailable" });
    expect(rejection.error).toBeInstanceOf(StoreUnavailableError);
    expect(headerValues(rejection.headers, "WWW-Authenticate")).toEqual([]);
    expect(rejection.body.error.code).toBe("temporarily_unavailable");
  });

  it("sends JSON that is never cached", async () => {
    const rejection = rejected(await authenticateHeader(fx.tokens, undefined, readR1));
    expect(headerValues(rejection.headers, "Content-Type")).toEqual([
      "application/json; charset=utf-8",
    ]);
    expect(headerValues(rejection.headers, "Cache-Control")).toEqual(["no-store"]);
  });
});

describe("authenticateHeader: options", () => {
  it("offers a Basic challenge too when asked (what Git needs to send a URL's credentials)", async () => {
    const options = { basicChallenge: true, realm: "Git" };
    const missing = rejected(await authenticateHeader(fx.tokens, undefined, readR1, options));
    expect(headerValues(missing.headers, "WWW-Authenticate")).toEqual([
      'Basic realm="Git"',
      'Bearer realm="Git"',
    ]);
    const invalid = rejected(
      await authenticateHeader(fx.tokens, basic("alice", "wrong"), readR1, options),
    );
    expect(headerValues(invalid.headers, "WWW-Authenticate")).toEqual([
      'Basic realm="Git"',
      'Bearer realm="Git", error="invalid_token"',
    ]);
  });

  it("quotes the realm and refuses one that could break the header", async () => {
    const quoted = rejected(
      await authenticateHeader(fx.tokens, undefined, null, { realm: 'a "b" \\c' }),
    );
    expect(headerValues(quoted.headers, "WWW-Authenticate")).toEqual([
      'Bearer realm="a \\"b\\" \\\\c"',
    ]);
    for (const realm of ["line\r\nSet-Cookie: x=1", "", 42]) {
      await expect(
        authenticateHeader(fx.tokens, undefined, null, { realm: realm as string }),
      ).rejects.toThrow(ValidationError);
    }
  });

  it("reports each refusal's reason to onReject, whose failures change nothing", async () => {
    const seen: string[] = [];
    await fx.tokens.revoke(fx.project.id, alice);
    const result = await authenticateHeader(fx.tokens, `Bearer ${fx.project.secret}`, readR1, {
      onReject: (rejection) => {
        seen.push(`${rejection.reason}:${rejection.tokenId}`);
        throw new Error("audit log down");
      },
    });
    expect(seen).toEqual([`revoked:${fx.project.id}`]);
    expect(result).toMatchObject({ ok: false, status: 401 });
    const rejecting = await authenticateHeader(fx.tokens, undefined, readR1, {
      onReject: () => Promise.reject(new Error("async audit log down")),
    });
    expect(rejecting).toMatchObject({ ok: false, status: 401 });
  });

  it("does not call onReject on success", async () => {
    let calls = 0;
    await authenticateHeader(fx.tokens, `Bearer ${fx.personal.secret}`, readR1, {
      onReject: () => calls++,
    });
    expect(calls).toBe(0);
  });
});

describe("authenticateHeader: what is not the client's fault", () => {
  it("rejects an invalid requirement (a host bug) instead of answering 4xx", async () => {
    await expect(
      authenticateHeader(fx.tokens, `Bearer ${fx.personal.secret}`, {
        permission: "ROOT",
        projectId: "",
      } as never),
    ).rejects.toThrow(ValidationError);
  });

  it("rejects with the host callback's own error, for the framework's error handler", async () => {
    const failure = new Error("directory down");
    fx.host.access.hasPermission = () => {
      throw failure;
    };
    await expect(
      authenticateHeader(fx.tokens, `Bearer ${fx.personal.secret}`, readR1),
    ).rejects.toBe(failure);
  });
});

describe("secrets", () => {
  it("never puts the credential in a refusal", async () => {
    await fx.tokens.revoke(fx.personal.id, alice);
    const headers = [
      `Bearer ${fx.personal.secret}`,
      basic("alice", fx.personal.secret),
      basic("alice", fx.project.secret),
      `Bearer ${fx.personal.secret} extra`,
    ];
    for (const header of headers) {
      const rejection = rejected(await authenticateHeader(fx.tokens, header, readR1));
      const text = JSON.stringify(rejection);
      expect(text).not.toContain(fx.personal.secret);
      expect(text).not.toContain(fx.project.secret);
      expect(text).not.toContain(header.split(" ")[1]);
    }
  });
});

describe("parseAuthorization", () => {
  it("is the core's parser, re-exported", () => {
    expect(parseAuthorization).toBe(coreParse);
    expect(parseAuthorization("Bearer abc")).toEqual({ ok: true, scheme: "bearer", token: "abc" });
  });
});
