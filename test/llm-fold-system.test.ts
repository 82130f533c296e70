import { describe, expect, it } from "vitest";
import { foldSystemIntoUser } from "../src/llm/fold-system.js";
import type { ChatMessage } from "../src/llm/types.js";

const sys = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const asst = (content: string): ChatMessage => ({ role: "assistant", content });

describe("foldSystemIntoUser", () => {
  it.each<[string, ChatMessage[], ChatMessage[]]>([
    ["no system message: unchanged", [user("q")], [user("q")]],
    ["system then user", [sys("S"), user("q")], [user("S\n\nq")]],
    [
      "multi-turn: only the first user turn gets it",
      [sys("S"), user("q1"), asst("a1"), user("q2")],
      [user("S\n\nq1"), asst("a1"), user("q2")],
    ],
    ["several system messages, in order", [sys("A"), sys("B"), user("q")], [user("A\n\nB\n\nq")]],
    [
      "a system message later on moves up too",
      [user("q1"), asst("a1"), sys("S"), user("q2")],
      [user("S\n\nq1"), asst("a1"), user("q2")],
    ],
    ["system only: becomes the user turn", [sys("S")], [user("S")]],
    ["assistant first: a user turn is put before it", [sys("S"), asst("a")], [user("S"), asst("a")]],
    ["empty system text is dropped", [sys("  "), user("q")], [user("q")]],
    ["empty user text", [sys("S"), user("")], [user("S")]],
  ])("%s", (_name, input, expected) => {
    const before = JSON.stringify(input);
    expect(foldSystemIntoUser(input)).toEqual(expected);
    expect(JSON.stringify(input)).toBe(before); // pure
  });

  it("never leaves a system message", () => {
    const out = foldSystemIntoUser([sys("a"), user("b"), sys("c"), asst("d"), sys("e")]);
    expect(out.some((m) => m.role === "system")).toBe(false);
    expect(out[0]?.role).toBe("user");
  });
});
