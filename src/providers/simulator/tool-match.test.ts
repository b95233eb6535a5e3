import { describe, expect, it } from "vitest";
import { requestedTool } from "./tool-match.js";

const weather = { name: "get_weather", description: "Get the current weather for a city." };
const bash = { name: "Bash", description: "Executes a given bash command in a persistent shell session with optional timeout." };
const search = { name: "lookup", description: "Search the internal knowledge base for product documentation and pricing." };
const tools = [bash, weather, search];

describe("requestedTool", () => {
  it("picks the tool the user names, whole or by the words of its name", () => {
    expect(requestedTool(tools, "Use Bash to list the files")).toBe(bash);
    expect(requestedTool(tools, "What is the weather in Paris?")).toBe(weather);
    expect(requestedTool(tools, "please run lookup for widgets")).toBe(search);
  });

  it("matches a description by the user's content words", () => {
    expect(requestedTool(tools, "Find product pricing in the documentation")).toBe(search);
  });

  it("calls nothing for a prompt no tool fits", () => {
    expect(requestedTool(tools, "Say hello and nothing else.")).toBeUndefined();
    expect(requestedTool(tools, "Explain rate limits in nginx")).toBeUndefined();
    expect(requestedTool([], "Use Bash")).toBeUndefined();
  });

  it("does not take a name inside another word", () => {
    expect(requestedTool([{ name: "ash" }], "The bash shell")).toBeUndefined();
  });
});

describe("requestedTool: namespaced tools", () => {
  it("matches a flattened namespace tool by its own name", () => {
    const exec = { name: "functions__exec", description: "Run JavaScript code." };
    expect(requestedTool([{ name: "clock__sleep" }, exec], "Use exec to list the files")).toBe(exec);
  });
});
