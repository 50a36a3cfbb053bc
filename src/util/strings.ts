// Joining strings in linear time and memory. AssemblyScript's Array<string>#join, in the
// size-optimised build tsrun ships (-Oz), appends one element at a time to a growing string;
// with a runtime that never frees, joining thousands of parts (a `list` of many containers,
// a large document) allocates quadratically and exhausts memory.
export function joinStrings(parts: string[], sep: string): string {
  const n = parts.length;
  if (n == 0) return "";
  let units = sep.length * (n - 1);
  for (let i = 0; i < n; i++) units += parts[i].length;
  const buf = new ArrayBuffer(units << 1);
  const base = changetype<usize>(buf);
  let at: usize = 0;
  const sepBytes = <usize>sep.length << 1;
  for (let i = 0; i < n; i++) {
    if (i > 0 && sepBytes > 0) { memory.copy(base + at, changetype<usize>(sep), sepBytes); at += sepBytes; }
    const p = parts[i];
    const bytes = <usize>p.length << 1;
    memory.copy(base + at, changetype<usize>(p), bytes);
    at += bytes;
  }
  return String.UTF16.decodeUnsafe(base, <usize>units << 1);
}

// Whitespace trimmed at both ends. (AssemblyScript 0.28's String#trim stops early when the
// leading run is long relative to the rest: "    MB".trim() is " MB".)
export function trimSpaces(s: string): string {
  return s.trimStart().trimEnd();
}

// The whitespace-separated words of s (spaces, tabs, newlines), without empty ones.
export function words(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x20;
    const space = c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d;
    if (!space && start < 0) start = i;
    else if (space && start >= 0) { out.push(s.substring(start, i)); start = -1; }
  }
  return out;
}
