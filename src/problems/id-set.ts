/**
 * The ids seen so far, for duplicate detection over a file of any size: 64 bits of each id's sha256 and
 * where it was first seen, in flat typed arrays (16 bytes a slot, at most half the slots used: 16-32
 * bytes a problem, against ~100 for a Map of strings). Two different ids share 64 hash bits with probability ~n²/2^65 (about
 * 3e-8 for a million problems), the only way this could report a duplicate that is not one.
 *
 * A derived id ("p-" + 16 hex digits, see problemId) already is 64 bits of a sha256, so those digits
 * are its key, without hashing it again. The key depends only on the id's text, so equal ids always
 * meet; a derived-looking id and any other id share a key with the same ~2^-64 odds as above.
 */
import { sha256Hex } from "./sha256.js";

const DERIVED_ID = /^p-[0-9a-f]{16}$/;

export class IdSet {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  /** Where the id was first seen, + 1 (0 = empty slot). */
  private at = new Float64Array(1024);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Where `id` was first seen, or undefined after recording it as seen at `where` (>= 0). */
  addOrGet(id: string, where: number): number | undefined {
    const key = DERIVED_ID.test(id) ? id.slice(2) : sha256Hex(id);
    const hi = Number.parseInt(key.slice(0, 8), 16);
    const lo = Number.parseInt(key.slice(8, 16), 16);
    const found = this.find(hi, lo);
    if (this.at[found] !== 0) return this.at[found]! - 1;
    if ((this.count + 1) * 2 > this.at.length) {
      this.grow();
      return this.insert(hi, lo, where);
    }
    this.hi[found] = hi;
    this.lo[found] = lo;
    this.at[found] = where + 1;
    this.count++;
    return undefined;
  }

  private find(hi: number, lo: number): number {
    const mask = this.at.length - 1;
    let slot = lo & mask;
    while (this.at[slot] !== 0 && (this.hi[slot] !== hi || this.lo[slot] !== lo)) slot = (slot + 1) & mask;
    return slot;
  }

  private insert(hi: number, lo: number, where: number): undefined {
    const slot = this.find(hi, lo);
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.at[slot] = where + 1;
    this.count++;
    return undefined;
  }

  private grow(): void {
    const { hi, lo, at } = this;
    const size = at.length * 2;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.at = new Float64Array(size);
    this.count = 0;
    for (let i = 0; i < at.length; i++) if (at[i] !== 0) this.insert(hi[i]!, lo[i]!, at[i]! - 1);
  }
}
