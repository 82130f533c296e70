/** The option-table mechanism (src/util/option-table.ts, src/cli/options.ts) on a small table of its own. */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { tableOption, tableSettings } from "../src/cli/options.js";
import {
  defaultText,
  flagsByPath,
  option,
  partialTableSchema,
  tableDefaults,
  tableEntries,
  tableSchema,
} from "../src/util/option-table.js";

const TABLE = {
  mode: option({ schema: z.enum(["fast", "slow"]).default("fast"), flag: "--mode <m>", help: "how" }),
  work: {
    jobs: option({ schema: z.number().int().min(1).default(4), flag: "--jobs <n>", help: "workers" }),
    budget: option({
      schema: z.number().positive().nullable().default(null),
      flag: "--budget <sec>",
      help: "time per item",
    }),
    name: option({ schema: z.string().min(1), flag: "--name <s>", help: "a name (required)" }),
    quiet: option({
      schema: z.boolean().default(false),
      flag: "--quiet",
      help: "say less",
      showDefault: (q) => (q ? "quiet" : "chatty"),
      alsoSets: ["log.quiet"],
    }),
    hidden: option({ schema: z.number().default(7) }),
  },
  log: { quiet: option({ schema: z.boolean().default(false) }) },
};

describe("option tables", () => {
  it("lists rows depth first with their paths, and maps each flag back to its paths", () => {
    expect(tableEntries(TABLE).map((e) => e.path)).toEqual([
      "mode",
      "work.jobs",
      "work.budget",
      "work.name",
      "work.quiet",
      "work.hidden",
      "log.quiet",
    ]);
    expect(flagsByPath(tableEntries(TABLE))).toEqual({
      mode: "--mode",
      "work.jobs": "--jobs",
      "work.budget": "--budget",
      "work.name": "--name",
      "work.quiet": "--quiet",
      "log.quiet": "--quiet",
    });
  });

  it("takes the defaults from the schemas; a row without one has none", () => {
    expect(tableDefaults(TABLE)).toEqual({
      mode: "fast",
      work: { jobs: 4, budget: null, quiet: false, hidden: 7 },
      log: { quiet: false },
    });
  });

  it("the complete schema requires every value and refuses unknown keys; it fills no default", () => {
    const schema = tableSchema(TABLE);
    const full = {
      mode: "slow",
      work: { jobs: 2, budget: 1.5, name: "x", quiet: true, hidden: 1 },
      log: { quiet: true },
    };
    expect(schema.parse(full)).toEqual(full);
    expect(schema.safeParse({ ...full, work: { ...full.work, hidden: undefined } }).success).toBe(false);
    expect(schema.safeParse({ ...full, extra: 1 }).success).toBe(false);
    expect(schema.safeParse({ ...full, work: { ...full.work, jobs: 0 } }).success).toBe(false);
  });

  it("a settings layer may hold any part, and only what it sets", () => {
    const layer = partialTableSchema(TABLE);
    expect(layer.parse({ work: { jobs: 9 } })).toEqual({ work: { jobs: 9 } });
    expect(layer.parse({})).toEqual({});
    expect(layer.safeParse({ work: { bogus: 1 } }).success).toBe(false);
  });

  it("says defaults as values, null as none, or in the row's own words", () => {
    const rows = Object.fromEntries(tableEntries(TABLE).map((e) => [e.path, e.row]));
    expect(defaultText(rows["work.jobs"]!, 4)).toBe("4");
    expect(defaultText(rows["work.budget"]!, null)).toBe("none");
    expect(defaultText(rows["work.quiet"]!, false)).toBe("chatty");
    expect(defaultText(rows["work.name"]!, undefined)).toBeUndefined();
  });
});

describe("option tables on commander", () => {
  const command = () => {
    const entries = tableEntries(TABLE).filter((e) => e.row.flag !== undefined);
    const c = new Command("t").exitOverride().configureOutput({ writeErr: () => undefined });
    for (const e of entries) c.addOption(tableOption(e, tableDefaults(TABLE)));
    return { c, entries };
  };

  it("writes each default into the help, and a choice list for an enum", () => {
    const help = command().c.helpInformation().replace(/\s+/g, " ");
    expect(help).toContain("--jobs <n> workers (default: 4)");
    expect(help).toContain("--budget <sec> time per item (default: none)");
    expect(help).toContain("--quiet say less (default: chatty)");
    expect(help).toContain('--mode <m> how (default: fast) (choices: "fast", "slow")');
    expect(help).toContain("--name <s> a name (required)");
  });

  it("parses by the schema and sets only the flags given, at their paths", () => {
    const { c, entries } = command();
    c.parse(["--jobs", "3", "--budget", "2.5", "--quiet"], { from: "user" });
    expect(tableSettings(c, entries)).toEqual({
      work: { jobs: 3, budget: 2.5, quiet: true },
      log: { quiet: true },
    });
    const none = command();
    none.c.parse([], { from: "user" });
    expect(tableSettings(none.c, none.entries)).toEqual({});
  });

  it.each([
    [["--jobs", "2.5"], /--jobs must be a whole number/],
    [["--budget", "soon"], /--budget must be a number/],
    [["--mode", "medium"], /Allowed choices are fast, slow/],
  ])("refuses %j", (args, message) => {
    const { c } = command();
    expect(() => c.parse(args, { from: "user" })).toThrow(message);
  });
});
