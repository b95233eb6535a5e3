import { describe, expect, it } from "vitest";
import { InvalidRequestError } from "../../errors/gateway-error.js";
import { vectorFromBase64, vectorToBase64 } from "../../spec/embedding.js";
import { parseEmbeddingRequest } from "./parse-request.js";

describe("embeddings request", () => {
  it("normalises every input shape to a list", () => {
    expect(parseEmbeddingRequest({ model: "e", input: "one" }).embedding).toEqual({ input: ["one"] });
    expect(parseEmbeddingRequest({ model: "e", input: ["a", "b"], dimensions: 256, encoding_format: "base64" }).embedding).toEqual({ input: ["a", "b"], dimensions: 256, encodingFormat: "base64" });
    expect(parseEmbeddingRequest({ model: "e", input: [1, 2, 3] }).embedding).toEqual({ input: [[1, 2, 3]] });
    expect(parseEmbeddingRequest({ model: "e", input: [[1], [2, 3]] }).embedding).toEqual({ input: [[1], [2, 3]] });
  });

  it("is a canonical request with no messages that never streams, keeping the body for same-format upstreams", () => {
    const body = { model: "e", input: "x", user: "u1", extra_field: true, stream: false };
    expect(parseEmbeddingRequest(body)).toEqual({ model: "e", messages: [], stream: false, includeUsage: false, embedding: { input: ["x"] }, inbound: { api: "openai-embeddings", body } });
  });

  it("rejects streaming and bad inputs with a 400 naming the field", () => {
    for (const [body, param] of [
      [{ model: "e", input: "x", stream: true }, "stream"],
      [{ model: "e", input: [[]] }, "input"],
      [{ model: "e", input: [-1] }, "input"],
      [{ model: "e", input: "x", dimensions: 1.5 }, "dimensions"],
    ] as const) {
      expect(() => parseEmbeddingRequest(body)).toThrow(InvalidRequestError);
      try {
        parseEmbeddingRequest(body);
      } catch (err) {
        expect((err as InvalidRequestError).param).toBe(param);
      }
    }
    expect(() => parseEmbeddingRequest([1])).toThrow(InvalidRequestError);
  });
});

describe("base64 vectors", () => {
  it("are little-endian float32, as OpenAI writes them", () => {
    const vector = [0.0057293195, -0.012727811, 1, 0];
    const text = vectorToBase64(vector);
    expect(Buffer.from(text, "base64")).toEqual(Buffer.from(new Float32Array(vector).buffer));
    expect(vectorFromBase64(text)).toEqual(vector.map(Math.fround));
  });
});
