/** One run of the built CLI against a fresh fake server, measured from both sides. */
import { type ChildProcess, spawn } from "node:child_process";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
  type FakeServer,
  type RecordedCall,
  startFakeOpenAiServer,
} from "../../test/support/fake-openai-server.js";
import { createBenchModel, createExploringModel, createProblemMatcher, readQuestions } from "./model.js";
import { cpuBetween, type Probe } from "./probe.js";
import {
  CLI,
  ENDPOINTS,
  FAKE_MODEL,
  flags,
  MODEL,
  PLAN_STEPS,
  ROOT,
  SLOTS,
  TOTAL_SLOTS,
} from "./settings.js";

export interface RunSpec {
  label: string;
  problems: string;
  limit: number;
  concurrency: number;
  maxRequests: number;
  latency: { baseMs: number; perTokenMs: number };
  iterations?: number;
  /** Keep the server's call records (bodies) for the prefix analysis. */
  keepCalls: boolean;
  /** Which repetition (its own run directory: a second run into the same one would only resume). */
  repetition?: number;
  /** More `sra generate` flags (e.g. --no-journal for the journal's A/B). */
  extraArgs?: string[];
}

export interface RunResult {
  label: string;
  problems: number;
  done: number;
  failed: number;
  concurrency: number;
  maxRequests: number;
  /** Decoding slots per fake server, and how many servers. */
  slots: number;
  endpoints: number;
  latency: { baseMs: number; perTokenMs: number };
  iterations: number | null;
  /** sra process lifetime, spawn to exit. */
  processSeconds: number;
  /** First chat request received to last reply sent. */
  activeSeconds: number;
  problemsPerMinute: number;
  llmCalls: number;
  callsPerProblem: number;
  promptTokensPerProblem: number;
  completionTokensPerProblem: number;
  callsByPurpose: Record<string, number>;
  utilisationActive: number;
  utilisationProcess: number;
  /** Busy slot-time over all servers, and that over all their slots: the work-conserving bound. */
  busySlotSeconds: number;
  boundSeconds: number;
  /** From plans.jsonl: mean steps, share reaching <end>, mean score of a chosen step, discarded iterations. */
  plans: PlanFigures;
  serverMaxInFlight: number;
  sraMaxInFlight: number | null;
  sraCpuMs: number;
  sraUserMs: number;
  sraSystemMs: number;
  sraCpuMsPerCall: number;
  /** The same over the active window only (first request to last reply): start-up and exit left out. */
  sraCpuMsPerCallActive: number | null;
  sraPeakRssMb: number;
  serverCpuMsPerCall: number;
  /** RSS (MB) once a second in the sra process. */
  rssTimelineMb: number[];
  heapTimelineMb: number[];
  externalTimelineMb: number[];
  calls?: RecordedCall[];
  exitCode: number | null;
  runDir: string;
}

interface Summary {
  thisRun: { done: number; failed: number; promptTokens: number; completionTokens: number };
  llm: { calls: number; attempts: number; maxInFlight: number } | null;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
}

export async function runOnce(spec: RunSpec, tmp: string, probeFile: string): Promise<RunResult> {
  const runDir = path.join(tmp, `run-${spec.label}${spec.repetition ? `-${spec.repetition}` : ""}`);
  const probeOut = path.join(tmp, `probe-${spec.label}.json`);
  let calls = 0;
  const byPurpose: Record<string, number> = {};
  const matcher = createProblemMatcher(readQuestions(spec.problems));
  const model =
    FAKE_MODEL === "exploring"
      ? createExploringModel(matcher, PLAN_STEPS)
      : createBenchModel(matcher, PLAN_STEPS);
  // One model behind every server (a request's reply does not depend on which server it reached).
  const servers: FakeServer[] = [];
  for (let e = 0; e < ENDPOINTS; e++) {
    servers.push(
      await startFakeOpenAiServer({
        models: [MODEL],
        slots: SLOTS,
        latency: spec.latency,
        script: (ctx) => {
          calls++;
          byPurpose[ctx.purpose] = (byPurpose[ctx.purpose] ?? 0) + 1;
          return model(ctx);
        },
      }),
    );
  }
  // A long run must not keep every request body: forget finished calls, remembering the window.
  let firstReceived = Number.POSITIVE_INFINITY;
  let lastFinished = 0;
  const forget = (): void => {
    for (const server of servers) {
      const open: RecordedCall[] = [];
      for (const c of server.calls) {
        if (c.finishedAt === 0) open.push(c);
        else {
          firstReceived = Math.min(firstReceived, c.receivedAt);
          lastFinished = Math.max(lastFinished, c.finishedAt);
        }
      }
      server.calls.splice(0, server.calls.length, ...open);
    }
  };
  const purge = spec.keepCalls ? undefined : setInterval(forget, 1000);

  const args = [
    ...(flags["cpu-prof"] && spec.label === "concurrent"
      ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(flags["cpu-prof"])]
      : []),
    "--import",
    pathToFileURL(probeFile).href,
    CLI,
    "generate",
    ...["--model", MODEL, ...servers.flatMap((sv) => ["--base-url", sv.url])],
    ...["--problems", spec.problems, "--out", runDir],
    "--no-progress",
    ...["--limit", String(spec.limit)],
    ...["--concurrency", String(spec.concurrency), "--max-requests", String(spec.maxRequests)],
    ...(spec.iterations === undefined ? [] : ["--iterations", String(spec.iterations)]),
    ...(spec.extraArgs ?? []),
  ];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, SRA_BENCH_PROBE: probeOut, NO_COLOR: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const code = await waitForExit(child);
  const processMs = performance.now() - t0;
  const serverCpu = process.cpuUsage(cpu0);
  if (purge) clearInterval(purge);
  const kept = spec.keepCalls ? servers.flatMap((sv) => sv.calls) : undefined;
  forget();
  const busy = servers.reduce((sum, sv) => sum + sv.busySlotMs(), 0);
  const serverMaxInFlight = servers.reduce((sum, sv) => sum + sv.maxInFlight(), 0);
  await Promise.all(servers.map((sv) => sv.close()));
  if (code !== 0) {
    throw new Error(`sra generate (${spec.label}) exited with ${code}:\n${stderr.slice(-4000)}`);
  }

  const summary = JSON.parse(await fsp.readFile(path.join(runDir, "summary.json"), "utf8")) as Summary;
  const probe = JSON.parse(await fsp.readFile(probeOut, "utf8")) as Probe;
  const done = summary.thisRun.done;
  const activeMs = Math.max(1, lastFinished - firstReceived);
  const sraCpuMs = probe.userMs + probe.systemMs;
  const mb = (b: number): number => Math.round((b / 1024 / 1024) * 10) / 10;
  return {
    label: spec.label,
    problems: spec.limit,
    done,
    failed: summary.thisRun.failed,
    concurrency: spec.concurrency,
    maxRequests: spec.maxRequests,
    slots: SLOTS,
    endpoints: ENDPOINTS,
    latency: spec.latency,
    iterations: spec.iterations ?? null,
    processSeconds: processMs / 1000,
    activeSeconds: activeMs / 1000,
    problemsPerMinute: (done / processMs) * 60_000,
    llmCalls: calls,
    callsPerProblem: calls / Math.max(1, done),
    promptTokensPerProblem: summary.thisRun.promptTokens / Math.max(1, done),
    completionTokensPerProblem: summary.thisRun.completionTokens / Math.max(1, done),
    callsByPurpose: byPurpose,
    utilisationActive: busy / (TOTAL_SLOTS * activeMs),
    utilisationProcess: busy / (TOTAL_SLOTS * processMs),
    busySlotSeconds: busy / 1000,
    boundSeconds: busy / TOTAL_SLOTS / 1000,
    plans: await planFigures(path.join(runDir, "plans.jsonl")),
    serverMaxInFlight,
    sraMaxInFlight: summary.llm?.maxInFlight ?? null,
    sraCpuMs,
    sraUserMs: probe.userMs,
    sraSystemMs: probe.systemMs,
    sraCpuMsPerCall: sraCpuMs / Math.max(1, calls),
    sraCpuMsPerCallActive: ((): number | null => {
      const active = cpuBetween(probe.cpu ?? [], firstReceived, lastFinished);
      return active === null ? null : active / Math.max(1, calls);
    })(),
    sraPeakRssMb: Math.round((probe.maxRssKb / 1024) * 10) / 10,
    serverCpuMsPerCall: (serverCpu.user + serverCpu.system) / 1000 / Math.max(1, calls),
    rssTimelineMb: probe.samples.map((s) => mb(s[1])),
    heapTimelineMb: probe.samples.map((s) => mb(s[2])),
    externalTimelineMb: probe.samples.map((s) => mb(s[3])),
    ...(kept ? { calls: kept } : {}),
    exitCode: code,
    runDir,
  };
}

export interface PlanFigures {
  plans: number;
  meanSteps: number;
  reachedEnd: number;
  /** Mean over plans of the mean 0-10 score of their steps. */
  meanScore: number;
  /** Iterations discarded after an earlier one said <end> (--parallel-iterations), per plan. */
  discardedPerPlan: number;
}

async function planFigures(file: string): Promise<PlanFigures> {
  const text = await fsp.readFile(file, "utf8").catch(() => "");
  let plans = 0;
  let steps = 0;
  let ended = 0;
  let scores = 0;
  let discarded = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const p = JSON.parse(line) as {
      steps: string[];
      reachedEnd: boolean;
      scores: (number | null)[];
      counters?: Record<string, number>;
    };
    plans++;
    steps += p.steps.length;
    if (p.reachedEnd) ended++;
    const s = p.scores.filter((x): x is number => x !== null);
    scores += s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
    discarded += p.counters?.["parallel.discarded"] ?? 0;
  }
  const per = (x: number) => x / Math.max(1, plans);
  return {
    plans,
    meanSteps: per(steps),
    reachedEnd: per(ended),
    meanScore: per(scores),
    discardedPerPlan: per(discarded),
  };
}
