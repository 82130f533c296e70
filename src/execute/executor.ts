/**
 * The code executor: untrusted Python runs only here. A pool of `workers` long-lived interpreters
 * (zygotes) each forks one sandboxed child per check; separate judge processes, which never run a
 * sample, compare what the children returned with the expected values. See src/execute/harness for the
 * harness and the README ("Executing code") for what is contained and how.
 */
import * as os from "node:os";
import { ExecutorError } from "../errors.js";
import { rawArrayLength } from "../util/raw-json.js";
import type { Blob, Frame } from "./frames.js";
import { decodeFrames } from "./frames.js";
import { HarnessProcess } from "./harness-process.js";
import { ASSERT_LIMITS, assertDeadline, CANONICAL_LIMITS, EVALPLUS_LIMITS } from "./limits.js";
import { findPython, type PythonInfo } from "./python.js";
import { Slots } from "./slots.js";
import type {
  AssertCheck,
  CheckFailure,
  EncodedValue,
  FunctionCall,
  FunctionCheck,
  Oracle,
  RecordedCall,
  RunEnd,
  SandboxReport,
  StdioCheck,
  Verdict,
} from "./types.js";

export interface ExecutorOptions {
  /** The interpreter: a path, or a name on PATH (default python3). */
  python?: string;
  /** Checks run at once (default: the number of cores). */
  workers?: number;
  /** Address-space limit per check (default 4096 MiB, evalplus's, at most the machine's memory). */
  memoryMb?: number;
  /** Processes and threads per check (default 64). */
  maxProcesses?: number;
  /** Largest file a check may write (default 64 MiB). */
  maxFileMb?: number;
  /** Use network/mount namespaces where the OS allows (default true; false only to test the fallback). */
  namespaces?: boolean;
  /** "fork" (default): each check is forked from a warm interpreter. "spawn": a new interpreter per
   * check, the slower design kept for the benchmark's comparison. */
  mode?: "fork" | "spawn";
}

/** Bytes of one output the child ships on request (larger ones are compared by digest only). */
const SHIP_LIMIT = 32 << 20;
/** Bytes of a canonical output kept in the cache (larger ones keep only their digest). */
export const STORE_LIMIT = 16 << 20;
const WATCHDOG_GRACE_MS = 15_000;

interface ChildRun {
  header: Record<string, unknown>;
  stream: Buffer;
}

export interface ExecutorStats {
  runs: number;
  reruns: number;
  restarts: number;
}

export class Executor {
  readonly stats: ExecutorStats = { runs: 0, reruns: 0, restarts: 0 };
  private closed = false;

  private constructor(
    readonly python: PythonInfo,
    readonly workers: number,
    readonly sandbox: SandboxReport,
    private readonly zygoteOptions: Record<string, unknown>,
    private readonly mode: "fork" | "spawn",
    private readonly zygotes: Slots<{ process: HarnessProcess }>,
    private readonly judges: Slots<{ process: HarnessProcess }>,
    private readonly all: Set<{ process: HarnessProcess }>,
  ) {}

  static async start(options: ExecutorOptions = {}): Promise<Executor> {
    const python = findPython(options.python);
    const workers = Math.max(1, options.workers ?? os.availableParallelism());
    const totalMb = Math.floor(os.totalmem() / (1 << 20));
    const zygoteOptions = {
      memory_bytes: Math.min(options.memoryMb ?? 4096, totalMb) * (1 << 20),
      max_processes: options.maxProcesses ?? 64,
      max_file_bytes: (options.maxFileMb ?? 64) * (1 << 20),
      namespaces: options.namespaces ?? true,
    };
    const mode = options.mode ?? "fork";
    const zygoteCount = mode === "fork" ? workers : 1;
    const holders = [
      ...Array.from({ length: zygoteCount }, () => ({
        process: new HarnessProcess(python.executable, "serve", zygoteOptions),
      })),
      ...Array.from({ length: workers }, () => ({
        process: new HarnessProcess(python.executable, "judge", {}),
      })),
    ];
    let readies: Record<string, unknown>[];
    try {
      readies = await Promise.all(holders.map((h) => h.process.ready));
    } catch (e) {
      for (const h of holders) h.process.kill();
      throw new ExecutorError(`the code executor did not start: ${(e as Error).message}`, {
        hint: `check that ${python.executable} runs src/execute/harness (Python ${python.version})`,
      });
    }
    const sandbox = readies[0]?.sandbox as SandboxReport;
    const zygoteHolders = holders.slice(0, zygoteCount);
    if (mode === "spawn") for (const h of zygoteHolders) await h.process.close();
    const spawnSlots = Array.from({ length: workers }, () => ({ process: zygoteHolders[0]!.process }));
    return new Executor(
      python,
      workers,
      sandbox,
      zygoteOptions,
      mode,
      new Slots(mode === "fork" ? zygoteHolders : spawnSlots),
      new Slots(holders.slice(zygoteCount)),
      new Set(holders),
    );
  }

  // ------------------------------------------------------------------ running a child

  private async freshZygote(holder: { process: HarnessProcess }): Promise<HarnessProcess> {
    if (holder.process.alive && this.mode === "fork") return holder.process;
    if (this.mode === "fork") this.stats.restarts++;
    holder.process = new HarnessProcess(this.python.executable, "serve", this.zygoteOptions);
    this.all.add(holder);
    await holder.process.ready;
    return holder.process;
  }

  /** One child run: the zygote's reply, or a synthetic "exited" run when the zygote itself died. */
  private async runChild(header: Record<string, unknown>, blobs: readonly Blob[]): Promise<ChildRun> {
    if (this.closed) throw new ExecutorError("the executor is closed");
    this.stats.runs++;
    return this.zygotes.use(async (holder) => {
      const zygote = await this.freshZygote(holder);
      const deadline = Number(header.deadline ?? 10);
      const watchdog = setTimeout(() => zygote.kill(), deadline * 1000 + WATCHDOG_GRACE_MS);
      try {
        const reply: Frame = await zygote.request(header, blobs);
        return { header: reply.header, stream: reply.blobs[0] ?? Buffer.alloc(0) };
      } catch (e) {
        if (!(e instanceof ExecutorError)) throw e;
        // The zygote died under this check (a sample that killed its parent, where the OS let it):
        // the check fails, the next one gets a new zygote.
        return {
          header: { end: "exited", exit: null, seconds: 0, stdout: "", zygote_died: e.message },
          stream: Buffer.alloc(0),
        };
      } finally {
        clearTimeout(watchdog);
        if (this.mode === "spawn") await zygote.close();
      }
    });
  }

  private async judge(
    header: Record<string, unknown>,
    blobs: readonly Blob[],
  ): Promise<Record<string, unknown>> {
    return this.judges.use(async (holder) => {
      for (let attempt = 0; ; attempt++) {
        if (!holder.process.alive) {
          holder.process = new HarnessProcess(this.python.executable, "judge", {});
          await holder.process.ready;
        }
        try {
          return (await holder.process.request(header, blobs)).header;
        } catch (e) {
          if (!(e instanceof ExecutorError) || attempt > 0) throw e;
        }
      }
    });
  }

  private verdictOf(run: ChildRun, judged: Record<string, unknown>): Verdict {
    const failure = judged.failure as CheckFailure | null;
    const stdout = String(run.header.stdout ?? "");
    const verdict: Verdict = {
      status: judged.status as Verdict["status"],
      passed: Number(judged.passed ?? 0),
      total: Number(judged.total ?? 0),
      seconds: Number(run.header.seconds ?? 0),
      end: run.header.end as RunEnd,
    };
    if (failure) {
      verdict.failure = failure;
      if (run.header.zygote_died)
        failure.reason = `the executor process died during this check (${failure.reason})`;
    }
    if (stdout) verdict.stdout = stdout;
    return verdict;
  }

  private runInfo(run: ChildRun, deadline: number): Record<string, unknown> {
    return { end: run.header.end, exit: run.header.exit, deadline };
  }

  // ------------------------------------------------------------------ checks

  private functionHeader(req: FunctionCall, extra: Record<string, unknown>): Record<string, unknown> {
    return {
      kind: "function",
      entry_point: req.entryPoint,
      deadline: req.deadlineSeconds,
      time_limits: req.timeLimits ?? null,
      time_limit: req.timeLimit ?? 4,
      inputs_rule: req.inputsRule ?? null,
      guard: req.guard ?? true,
      solution_class: req.solutionClass ?? false,
      ...extra,
    };
  }

  /** Run a sample on function-call inputs and compare with the expected outputs by evalplus's rules. */
  async checkFunction(req: FunctionCheck): Promise<Verdict> {
    let run = await this.runChild(this.functionHeader(req, { oracle: req.oracle }), [req.code, req.inputs]);
    let judged = await this.judgeFunction(req, run, false);
    if (judged.rerun) {
      // An output over 1 MiB differed from the expected one by digest: run again shipping the bytes,
      // so evalplus's tolerant rules (1 == 1.0, float tolerance, sets) can still pass it.
      this.stats.reruns++;
      run = await this.runChild(this.functionHeader(req, { oracle: req.oracle, keep: SHIP_LIMIT }), [
        req.code,
        req.inputs,
      ]);
      judged = await this.judgeFunction(req, run, true);
    }
    return this.verdictOf(run, judged);
  }

  private judgeFunction(
    req: FunctionCheck,
    run: ChildRun,
    shippedBig: boolean,
  ): Promise<Record<string, unknown>> {
    const blobs: Blob[] = [run.stream];
    const metas = req.expected.map((v) => {
      const meta: Record<string, unknown> = { e: v.e, size: v.size, d: v.d, nan: v.nan };
      if (v.data) {
        meta.b = blobs.length;
        blobs.push(v.data);
      } else if (v.file) meta.file = v.file;
      return meta;
    });
    blobs.push(req.inputs);
    return this.judge(
      {
        rules: "evalplus",
        expected: metas,
        atol: req.atol,
        oracle: req.oracle,
        entry_point: req.entryPoint,
        inputs_rule: req.inputsRule ?? null,
        inputs_blob: blobs.length - 1,
        shipped_big: shippedBig,
        ...this.runInfo(run, req.deadlineSeconds),
      },
      blobs,
    );
  }

  /** A trusted run of a canonical solution: every output (kept up to STORE_LIMIT bytes) and its time. */
  async recordFunction(
    req: Omit<FunctionCall, "deadlineSeconds"> & { deadlineSeconds?: number; oracle?: Oracle },
  ): Promise<RecordedCall> {
    const deadline = req.deadlineSeconds ?? CANONICAL_LIMITS.deadlineSeconds;
    const header = this.functionHeader(
      { timeLimit: CANONICAL_LIMITS.perInputSeconds, ...req, deadlineSeconds: deadline },
      { record: true, keep: STORE_LIMIT, oracle: req.oracle ?? null },
    );
    const run = await this.runChild(header, [req.code, req.inputs]);
    const outputs: EncodedValue[] = [];
    const times: number[] = [];
    let failure: CheckFailure | undefined;
    for (const { header: h, blobs } of decodeFrames(run.stream)) {
      if (h.k === "out") {
        const value: EncodedValue = {
          e: h.e as "p" | "s",
          size: Number(h.size),
          d: String(h.d),
          nan: Boolean(h.nan),
        };
        if (blobs[0]) value.data = Buffer.from(blobs[0]);
        outputs.push(value);
        times.push(Number(h.t));
      } else if (h.k === "exc" || h.k === "error") {
        failure ??= {
          index: (h.i as number | undefined) ?? null,
          reason: "the canonical solution failed",
          error: String(h.error),
        };
      }
    }
    if (!failure && run.header.end !== "done") {
      failure = {
        index: outputs.length,
        reason: `the canonical solution did not finish (${String(run.header.end)})`,
      };
    }
    const recorded: RecordedCall = {
      end: run.header.end as RunEnd,
      seconds: Number(run.header.seconds ?? 0),
      outputs,
      times,
    };
    if (failure) recorded.failure = failure;
    return recorded;
  }

  /** Plain `assert` tests (MBPP's test_list, HumanEval's check(), a problem's own tests). */
  async checkAsserts(req: AssertCheck): Promise<Verdict> {
    const limit = req.timeLimit ?? ASSERT_LIMITS.perTestSeconds;
    // HumanEval's check() holds its tests: count them as the cap allows.
    const count = req.checkFunction
      ? Math.ceil(EVALPLUS_LIMITS.capSeconds / limit)
      : (req.tests?.length ?? 0);
    const deadline = req.deadlineSeconds ?? assertDeadline(count, limit);
    const run = await this.runChild(
      {
        kind: "asserts",
        deadline,
        time_limit: limit,
        guard: req.guard ?? true,
        check_function: req.checkFunction?.name ?? null,
        entry_point: req.checkFunction?.entryPoint ?? null,
      },
      [req.code, req.setup ?? "", JSON.stringify(req.tests ?? [])],
    );
    const judged = await this.judge({ rules: "asserts", n_tests: count, ...this.runInfo(run, deadline) }, [
      run.stream,
    ]);
    return this.verdictOf(run, judged);
  }

  /** APPS-style tests: stdin/stdout pairs, or calls of `fnName`. */
  async checkStdio(req: StdioCheck): Promise<Verdict> {
    const limit = req.timeLimit ?? EVALPLUS_LIMITS.minSeconds;
    const inputs = typeof req.inputs === "string" ? req.inputs : req.inputs.toString("utf8");
    const deadline = req.deadlineSeconds ?? assertDeadline(rawArrayLength(inputs), limit);
    const header: Record<string, unknown> = req.fnName
      ? this.functionHeader(
          {
            code: req.code,
            entryPoint: req.fnName,
            inputs: req.inputs,
            timeLimit: limit,
            deadlineSeconds: deadline,
            solutionClass: true,
            guard: false,
          },
          {},
        )
      : { kind: "stdio", deadline, time_limit: limit };
    const run = await this.runChild(header, [req.code, req.inputs]);
    const judged = await this.judge(
      { rules: req.fnName ? "apps-call" : "apps-stdio", ...this.runInfo(run, deadline) },
      [run.stream, req.outputs],
    );
    return this.verdictOf(run, judged);
  }

  /**
   * The code run on stdin texts, with nothing to compare: what it printed on each (stdout, as text),
   * null where it raised, timed out or never got to it. For self-consistency's example runs, where
   * the outputs are only grouped, never judged (so no judge process is asked).
   */
  async runStdin(req: {
    code: string;
    inputs: readonly string[];
    timeLimit?: number;
  }): Promise<(string | null)[]> {
    const limit = req.timeLimit ?? EVALPLUS_LIMITS.minSeconds;
    const deadline = assertDeadline(req.inputs.length, limit);
    const run = await this.runChild({ kind: "stdio", deadline, time_limit: limit }, [
      req.code,
      JSON.stringify(req.inputs),
    ]);
    const outputs: (string | null)[] = req.inputs.map(() => null);
    for (const { header: h, blobs } of decodeFrames(run.stream)) {
      if (h.k !== "case" || h.error !== undefined) continue;
      const i = Number(h.i);
      if (i >= 0 && i < outputs.length) outputs[i] = Buffer.from(blobs[0] ?? "").toString("utf8");
    }
    return outputs;
  }

  /** Whether the code compiles (a syntax check in the sandbox; nothing of it runs). */
  async compile(code: string): Promise<Verdict> {
    const deadline = 10;
    const run = await this.runChild({ kind: "compile", deadline }, [code]);
    const judged = await this.judge({ rules: "compile", ...this.runInfo(run, deadline) }, [run.stream]);
    return this.verdictOf(run, judged);
  }

  /** The executor's own processes (zygotes and judges), for diagnostics and tests. */
  processIds(): { zygotes: number[]; judges: number[] } {
    const ids = (mode: "serve" | "judge") =>
      [...this.all].filter((h) => h.process.mode === mode && h.process.alive).map((h) => h.process.pid ?? -1);
    return { zygotes: ids("serve"), judges: ids("judge") };
  }

  /** Stop every process the executor started. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((h) => h.process.close()));
  }
}
