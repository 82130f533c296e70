/**
 * The request journal (src/run-dir/journal.ts) on real files: what its key depends on, recording and
 * replaying (occurrences of identical requests, concurrent ones answered out of order), a replay that
 * runs out and goes on asking, the unit's clock, finish, pruning, torn and damaged files, and a
 * failed write. The kill-and-rerun test through the CLI is test/crash-journal.test.ts.
 */
import { existsSync, readdirSync } from "node:fs";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionRequest, CompletionResult, Llm } from "../src/llm/types.js";
import { openJournal, parseJournal, readJournalDir, requestKey } from "../src/run-dir/journal.js";

let tmp: string;
let runs = 0;

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sra-journal-"));
});

afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

async function runDir(): Promise<string> {
  const dir = path.join(tmp, `run-${runs++}`);
  await fsp.mkdir(dir);
  return dir;
}

const ask = (user: string, extra: Partial<CompletionRequest> = {}): CompletionRequest => ({
  purpose: "propose",
  messages: [
    { role: "system", content: "You plan." },
    { role: "user", content: user },
  ],
  temperature: 0.7,
  topP: 0.95,
  maxTokens: 64,
  seed: 7,
  ...extra,
});

/** A model whose every reply is new (it numbers them), so a replayed reply is told from a fresh one. */
function countingModel(options: { delayMs?: (n: number) => number } = {}) {
  let n = 0;
  const sent: CompletionRequest[] = [];
  const llm: Llm = {
    async complete(request) {
      const k = n++;
      sent.push(request);
      const wait = options.delayMs?.(k) ?? 0;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const user = request.messages.at(-1)?.content ?? "";
      return {
        text: `reply ${k} to ${user}`,
        finishReason: "stop",
        promptTokens: 10 + k,
        completionTokens: 3,
      };
    },
  };
  return { llm, sent };
}

const texts = (rs: CompletionResult[]) => rs.map((r) => r.text);
/** The file holding the unit's journal (found by its header), or undefined. */
async function unitFile(dir: string, unit: string): Promise<string | undefined> {
  return (await readJournalDir(path.join(dir, "journal"))).find((f) => f.unit === unit)?.file;
}

async function parsedUnit(dir: string, unit: string) {
  return parseJournal(await fsp.readFile((await unitFile(dir, unit)) as string), unit);
}

describe("requestKey", () => {
  const base = ask("two-sum");
  it.each<[string, CompletionRequest]>([
    ["purpose", { ...base, purpose: "evaluate" }],
    ["temperature", { ...base, temperature: 0.2 }],
    ["top-p", { ...base, topP: 0.5 }],
    ["max tokens", { ...base, maxTokens: 65 }],
    ["stop", { ...base, stop: ["\n"] }],
    ["seed", { ...base, seed: 8 }],
    ["guided regex", { ...base, guidedRegex: "(10|[0-9])" }],
    ["a message's text", ask("two-sum!")],
    ["a message's role", { ...base, messages: base.messages.map((m) => ({ ...m, role: "user" as const })) }],
    [
      "where one message ends",
      {
        ...base,
        messages: [
          { role: "system", content: "You plan.\nuser 7\ntwo" },
          { role: "user", content: "-sum" },
        ],
      },
    ],
  ])("changes with the %s", (_what, other) => {
    expect(requestKey("m", other)).not.toBe(requestKey("m", base));
  });

  it("changes with the model, and not for an equal request", () => {
    expect(requestKey("m2", base)).not.toBe(requestKey("m", base));
    expect(requestKey("m", ask("two-sum"))).toBe(requestKey("m", base));
  });
});

describe("openJournal: record, then replay", () => {
  it("replays a unit's replies in the order they were asked, identical requests by occurrence", async () => {
    const dir = await runDir();
    const first = countingModel();
    const j1 = await openJournal(dir, { model: "m" });
    const u1 = j1.unit("p1", first.llm);
    const asked = [
      await u1.llm.complete(ask("a")),
      await u1.llm.complete(ask("b")),
      await u1.llm.complete(ask("a")),
    ];
    expect(texts(asked)).toEqual(["reply 0 to a", "reply 1 to b", "reply 2 to a"]);
    expect(j1.stats()).toMatchObject({ recorded: 3, replayed: 0 });

    // A new process: the same requests get the same replies, and the model is not asked.
    const second = countingModel();
    const j2 = await openJournal(dir, { model: "m" });
    const u2 = j2.unit("p1", second.llm);
    const again = [
      await u2.llm.complete(ask("a")),
      await u2.llm.complete(ask("b")),
      await u2.llm.complete(ask("a")),
    ];
    expect(again).toEqual(asked);
    expect(second.sent).toHaveLength(0);
    expect(j2.stats()).toMatchObject({ replayed: 3, recorded: 0, resumedUnits: 1 });
    // Past what was recorded, it asks the model and records that too.
    expect((await u2.llm.complete(ask("c"))).text).toBe("reply 0 to c");
    expect(second.sent).toHaveLength(1);
    const parsed = await parsedUnit(dir, "p1");
    expect(parsed.ok && parsed.entries.size).toBe(4);
  });

  it("numbers identical concurrent requests when they are sent, not when they are answered", async () => {
    const dir = await runDir();
    // The first request is answered last.
    const first = countingModel({ delayMs: (n) => (n === 0 ? 30 : 1) });
    const u1 = (await openJournal(dir, { model: "m" })).unit("p", first.llm);
    const asked = await Promise.all([u1.llm.complete(ask("same")), u1.llm.complete(ask("same"))]);
    expect(texts(asked)).toEqual(["reply 0 to same", "reply 1 to same"]);
    const u2 = (await openJournal(dir, { model: "m" })).unit("p", countingModel().llm);
    const again = await Promise.all([u2.llm.complete(ask("same")), u2.llm.complete(ask("same"))]);
    expect(texts(again)).toEqual(texts(asked));
  });

  it("keeps units apart and takes nothing from a journal of another model", async () => {
    const dir = await runDir();
    const j1 = await openJournal(dir, { model: "m" });
    await j1.unit("p1", countingModel().llm).llm.complete(ask("a"));
    const other = countingModel();
    const j2 = await openJournal(dir, { model: "m" });
    await j2.unit("p2", other.llm).llm.complete(ask("a"));
    const j3 = await openJournal(dir, { model: "another" });
    await j3.unit("p1", other.llm).llm.complete(ask("a"));
    expect(other.sent).toHaveLength(2);
  });

  it("a failed or aborted call records nothing, and the next try asks again", async () => {
    const dir = await runDir();
    let fail = true;
    const flaky: Llm = {
      async complete() {
        if (fail) throw new Error("HTTP 503");
        return { text: "ok", finishReason: "stop", promptTokens: 1, completionTokens: 1 };
      },
    };
    const j = await openJournal(dir, { model: "m" });
    const u = j.unit("p", flaky);
    await expect(u.llm.complete(ask("a"))).rejects.toThrow("503");
    expect(j.stats().recorded).toBe(0);
    fail = false;
    // A second identical request is occurrence 1: the failed one used number 0 and is not journaled.
    expect((await u.llm.complete(ask("a"))).text).toBe("ok");
    expect(j.stats().recorded).toBe(1);
  });
});

describe("the unit's clock", () => {
  it("reads the original time of each reply as it is replayed, then runs on from there", async () => {
    const dir = await runDir();
    let t = 1000;
    const now = () => t;
    const slow: Llm = {
      async complete(r) {
        t += 5000; // each reply takes 5 s of the run's clock
        return {
          text: r.messages.at(-1)?.content ?? "",
          finishReason: "stop",
          promptTokens: 1,
          completionTokens: 1,
        };
      },
    };
    const u1 = (await openJournal(dir, { model: "m", now })).unit("p", slow);
    const start1 = u1.now();
    await u1.llm.complete(ask("a"));
    await u1.llm.complete(ask("b"));
    expect(u1.now() - start1).toBe(10_000);

    t = 50_000; // a later process: its own clock
    const u2 = (await openJournal(dir, { model: "m", now })).unit("p", slow);
    const start2 = u2.now();
    await u2.llm.complete(ask("a"));
    expect(u2.now() - start2).toBe(5000);
    await u2.llm.complete(ask("b"));
    expect(u2.now() - start2).toBe(10_000);
    await u2.llm.complete(ask("c")); // asked: 5 s more of the run's clock
    expect(u2.now() - start2).toBe(15_000);
  });
});

describe("descriptors", () => {
  it("keeps at most 256 units' files open, and every unit's entries reach its file", async (ctx) => {
    const openFds = () => readdirSync("/proc/self/fd").length;
    if (!existsSync("/proc/self/fd")) return ctx.skip();
    const dir = await runDir();
    const before = openFds();
    const j = await openJournal(dir, { model: "m" });
    const model = countingModel();
    const units = Array.from({ length: 300 }, (_, i) => j.unit(`p${i}`, model.llm));
    for (const round of ["a", "b"]) for (const u of units) await u.llm.complete(ask(round));
    expect(openFds() - before).toBeLessThanOrEqual(256);
    for (const i of [0, 150, 299]) {
      const parsed = await parsedUnit(dir, `p${i}`);
      expect(parsed.ok && parsed.entries.size).toBe(2);
    }
    await j.close();
    expect(openFds()).toBeLessThanOrEqual(before);
  });
});

describe("finish, pruning and close", () => {
  it("finish empties the unit's file for the next unit; a reply that still comes for it is not recorded", async () => {
    const dir = await runDir();
    const j = await openJournal(dir, { model: "m" });
    const u = j.unit("p", countingModel({ delayMs: (n) => (n === 1 ? 20 : 0) }).llm);
    await u.llm.complete(ask("a"));
    const file = (await unitFile(dir, "p")) as string;
    const late = u.llm.complete(ask("b"));
    await j.finish("p");
    await late;
    expect(await fsp.readFile(file, "utf8")).toBe("");
    // The next unit takes the emptied file: no new file per problem.
    await j.unit("q", countingModel().llm).llm.complete(ask("c"));
    expect(await unitFile(dir, "q")).toBe(file);
    await j.finish("q");
    // Closing removes the emptied files, and the directory with them.
    await j.close();
    await expect(fsp.stat(path.join(dir, "journal"))).rejects.toThrow();
  });

  it("opening empties the journals of finished units (and drops headerless files), keeps the rest", async () => {
    const dir = await runDir();
    const j = await openJournal(dir, { model: "m" });
    for (const id of ["done", "failed", "open"]) await j.unit(id, countingModel().llm).llm.complete(ask(id));
    await fsp.writeFile(path.join(dir, "journal", "77.jsonl"), "no header\n");
    const reopened = await openJournal(dir, { model: "m", isFinished: (id) => id !== "open" });
    expect(reopened.stats().pruned).toBe(2);
    const kept = (await readJournalDir(path.join(dir, "journal"))).filter((f) => f.unit !== undefined);
    expect(kept.map((f) => f.unit)).toEqual(["open"]);
    await reopened.close();
    expect(await fsp.readdir(path.join(dir, "journal"))).toEqual([path.basename(kept[0]?.file as string)]);
    // What was kept still replays.
    const model = countingModel();
    await (await openJournal(dir, { model: "m" })).unit("open", model.llm).llm.complete(ask("open"));
    expect(model.sent).toHaveLength(0);
  });
});

describe("damaged journals", () => {
  async function recorded(dir: string): Promise<{ file: string; text: string }> {
    const j = await openJournal(dir, { model: "m" });
    const u = j.unit("p", countingModel().llm);
    for (const q of ["a", "b", "c"]) await u.llm.complete(ask(q));
    const file = (await unitFile(dir, "p")) as string;
    return { file, text: await fsp.readFile(file, "utf8") };
  }

  it.each<[string, (lines: string[]) => string, number]>([
    ["a torn last line", (l) => `${l.slice(0, 3).join("\n")}\n${(l[3] ?? "").slice(0, 40)}`, 2],
    ["a whole last line without its newline", (l) => l.slice(0, 4).join("\n"), 2],
    ["a header only", (l) => `${l[0]}\n`, 0],
  ])("%s: the whole lines are replayed, the rest is cut off and asked again", async (_what, cut, kept) => {
    const dir = await runDir();
    const { file, text } = await recorded(dir);
    await fsp.writeFile(file, cut(text.split("\n")));
    const model = countingModel();
    const u = (await openJournal(dir, { model: "m" })).unit("p", model.llm);
    for (const q of ["a", "b", "c"]) await u.llm.complete(ask(q));
    expect(model.sent).toHaveLength(3 - kept);
    // Appended on a clean line: the file parses whole again.
    const parsed = await parsedUnit(dir, "p");
    expect(parsed.ok && parsed.entries.size).toBe(3);
  });

  it("a damaged line before the last: the file is dropped with a warning and the unit redone", async () => {
    const dir = await runDir();
    const { file, text } = await recorded(dir);
    const lines = text.split("\n");
    lines[1] = "{garbage";
    await fsp.writeFile(file, lines.join("\n"));
    const warnings: string[] = [];
    const model = countingModel();
    const j = await openJournal(dir, { model: "m", warn: (m) => warnings.push(m) });
    const u = j.unit("p", model.llm);
    for (const q of ["a", "b", "c"]) await u.llm.complete(ask(q));
    expect(model.sent).toHaveLength(3);
    expect(j.stats().dropped).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/damaged journal file was dropped/)]);
    const parsed = await parsedUnit(dir, "p");
    expect(parsed.ok && parsed.entries.size).toBe(3);
  });

  it("a write that fails turns the journal off with one warning and frees its files; replies still come back", async () => {
    const dir = await runDir();
    const warnings: string[] = [];
    const j = await openJournal(dir, { model: "m", warn: (m) => warnings.push(m) });
    await j.unit("q", countingModel().llm).llm.complete(ask("q"));
    const q = (await unitFile(dir, "q")) as string;
    // The next file, unit p's, cannot be opened for appending (a directory stands where it goes): EISDIR.
    await fsp.mkdir(path.join(dir, "journal", "1.jsonl"));
    const u = j.unit("p", countingModel().llm);
    expect((await u.llm.complete(ask("a"))).text).toBe("reply 0 to a");
    expect((await u.llm.complete(ask("b"))).text).toBe("reply 1 to b");
    expect(j.stats()).toMatchObject({ recorded: 1, writeError: expect.stringMatching(/EISDIR/) });
    expect(warnings).toEqual([expect.stringMatching(/cannot write, so it is off and its files removed/)]);
    // The space of what it held goes back to the run (on a full disk, to its records).
    await expect(fsp.stat(q)).rejects.toThrow();
  });
});
