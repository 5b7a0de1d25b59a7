/** A duration as users write it: "1h", "90s", "1h30m", "250ms", or a number of nanoseconds. */
export type Duration = string | number;

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
};

const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g;

/** Nanoseconds of a duration, or a message saying what is wrong with it. */
export function parseDuration(value: Duration): number | string {
  if (typeof value === "number") {
    return Number.isInteger(value) && value >= 0 ? value : `must be whole nanoseconds >= 0 (got ${value})`;
  }
  if (typeof value !== "string") return `must be a duration like "90s" or "1h", or nanoseconds`;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(PART)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * UNIT_NS[match[2]];
    consumed += match[0].length;
  }
  if (text.length === 0 || consumed !== text.length) {
    return `"${value}" is not a duration: use a number and a unit (ns, us, ms, s, m, h, d), e.g. "90s", "1h30m"`;
  }
  return Math.round(total);
}

/** The shortest exact human form of a number of nanoseconds: 5_400e9 is "1h30m", 0 is "0s". */
export function formatDuration(ns: number): string {
  if (ns === 0) return "0s";
  let rest = ns;
  let text = "";
  for (const unit of ["h", "m", "s", "ms", "us", "ns"]) {
    const size = UNIT_NS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
