/** JSON.parse as a success-or-failure value: model output and user files never throw from here. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseJson(text: string): ParseResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
