import { describe, expect, it } from "vitest";
import { meanPassAtK, passAtK } from "../src/eval/pass-at-k.js";

describe("pass@k, the unbiased estimator 1 - C(n-c, k) / C(n, k)", () => {
  it.each([
    { n: 1, c: 1, k: 1, want: 1 },
    { n: 1, c: 0, k: 1, want: 0 },
    { n: 10, c: 3, k: 1, want: 0.3 }, // c / n
    { n: 10, c: 3, k: 5, want: 1 - 21 / 252 }, // C(7,5) = 21, C(10,5) = 252
    { n: 10, c: 3, k: 10, want: 1 }, // n - c < k: some draw of 10 must pass
    { n: 10, c: 0, k: 10, want: 0 },
    { n: 5, c: 2, k: 2, want: 0.7 }, // 1 - C(3,2)/C(5,2) = 1 - 3/10
    { n: 20, c: 1, k: 10, want: 0.5 }, // 1 - C(19,10)/C(20,10) = 1 - 10/20
  ])("n=$n c=$c k=$k -> $want", ({ n, c, k, want }) => {
    expect(passAtK(n, c, k)).toBeCloseTo(want, 12);
  });

  it("stays finite where the binomials overflow a double (C(200, 100) ~ 9e58)", () => {
    const v = passAtK(200, 1, 100);
    expect(v).toBeCloseTo(0.5, 12); // 1 - C(199,100)/C(200,100) = 1 - 100/200
    expect(Number.isFinite(passAtK(1000, 3, 500))).toBe(true);
  });

  it.each([
    { n: 0, c: 0, k: 1 },
    { n: 5, c: 6, k: 1 },
    { n: 5, c: 1, k: 6 },
    { n: 5, c: -1, k: 1 },
    { n: 5.5, c: 1, k: 1 },
  ])("refuses n=$n c=$c k=$k", ({ n, c, k }) => {
    expect(() => passAtK(n, c, k)).toThrow(RangeError);
  });

  it("averages over tasks, for each k in 1, 5, 10 that every task's n reaches", () => {
    const out = meanPassAtK([
      { n: 10, c: 3 },
      { n: 10, c: 0 },
    ]);
    expect(Object.keys(out)).toEqual(["1", "5", "10"]);
    expect(out["1"]).toBeCloseTo(0.15, 12);
    expect(out["5"]).toBeCloseTo((1 - 21 / 252) / 2, 12);
    expect(out["10"]).toBeCloseTo(0.5, 12);
    expect(
      Object.keys(
        meanPassAtK([
          { n: 10, c: 3 },
          { n: 4, c: 4 },
        ]),
      ),
    ).toEqual(["1"]);
    expect(meanPassAtK([])).toEqual({});
  });
});
