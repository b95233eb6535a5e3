import { describe, expect, it } from "vitest";
import { iterableBody, readBytes, readParts } from "./upstream-body.js";

const bytes = (text: string) => new TextEncoder().encode(text);

async function* pieces(...texts: string[]): AsyncGenerator<Uint8Array> {
  for (const text of texts) yield bytes(text);
}

async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("iterableBody", () => {
  it("pushes each piece, then the end", async () => {
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => iterableBody(pieces("a", "b", "c")).listen({ data: (b) => seen.push(Buffer.from(b).toString()), end: resolve, error: reject }));
    expect(seen).toEqual(["a", "b", "c"]);
  });

  it("reads no further while paused, and on from where it was once resumed", async () => {
    const body = iterableBody(pieces("a", "b", "c"));
    const seen: string[] = [];
    let ended = false;
    body.listen({
      data: (b) => {
        seen.push(Buffer.from(b).toString());
        if (seen.length < 3) body.pause();
      },
      end: () => (ended = true),
      error: (err) => {
        throw err;
      },
    });
    await turns();
    expect(seen).toEqual(["a"]);
    body.resume();
    await turns();
    expect(seen).toEqual(["a", "b"]);
    body.resume();
    await turns();
    expect(seen).toEqual(["a", "b", "c"]);
    expect(ended).toBe(true);
  });

  it("gives what the iterable throws as the body's error, with no end", async () => {
    const cut = new Error("other side closed");
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes("a");
      throw cut;
    }
    let ended = false;
    const err = await new Promise((resolve) => iterableBody(broken()).listen({ data: () => undefined, end: () => (ended = true), error: resolve }));
    expect(err).toBe(cut);
    expect(ended).toBe(false);
  });
});

describe("readParts", () => {
  it("keeps each read as it came, a typed array's bytes viewed, not copied", async () => {
    const buffer = Buffer.from("ab");
    const view = new TextEncoder().encode("xcdx").subarray(1, 3);
    const parts = await readParts(
      iterableBody(
        (async function* () {
          yield buffer;
          yield view;
        })(),
      ),
      () => undefined,
      100,
      "truncate",
    );
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(buffer);
    expect(parts[1]!.toString()).toBe("cd");
    expect(parts[1]!.buffer).toBe(view.buffer);
  });
});

describe("readBytes", () => {
  it("joins the pieces", async () => {
    expect((await readBytes(iterableBody(pieces("ab", "cd")), () => undefined, 100, "truncate")).toString()).toBe("abcd");
  });

  it("keeps what fits and stops the body when truncating", async () => {
    let stopped = 0;
    const read = await readBytes(iterableBody(pieces("ab", "cd", "ef")), () => stopped++, 5, "truncate");
    expect(read.toString()).toBe("abcd");
    expect(stopped).toBe(1);
  });

  it("fails past the limit, stopping the body", async () => {
    let stopped = 0;
    await expect(
      readBytes(
        iterableBody(pieces("abc", "def")),
        () => stopped++,
        4,
        (limit) => new Error(`over ${limit}`),
      ),
    ).rejects.toThrow("over 4");
    expect(stopped).toBe(1);
  });

  it("rejects with the body's error", async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes("a");
      throw new Error("reset");
    }
    await expect(readBytes(iterableBody(broken()), () => undefined, 100, "truncate")).rejects.toThrow("reset");
  });
});
