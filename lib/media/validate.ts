// Argument checks shared by the wrappers: wrong types and ranges fail with a
// TypeError/RangeError in JS, before anything reaches native code.

export function checkInt(owner: string, name: string, v: unknown, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${owner}: ${name} must be an integer`);
  if (v < min || v > max) throw new RangeError(`${owner}: ${name} must be ${min}..${max}, got ${v}`);
}

export function checkDimension(owner: string, name: string, v: unknown): void {
  checkInt(owner, name, v, 1, 16384);
}

export function checkString(owner: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'string') throw new TypeError(`${owner}: ${name} must be a string`);
}

export function checkNumber(owner: string, name: string, v: unknown, min: number, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${owner}: ${name} must be a number`);
  if (v < min || v > max) throw new RangeError(`${owner}: ${name} must be ${min}..${max}, got ${v}`);
}

export function checkRational(owner: string, name: string, v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x > 0))
    throw new TypeError(`${owner}: ${name} must be [num, den] with positive integers`);
}
