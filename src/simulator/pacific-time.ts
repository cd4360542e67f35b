/**
 * Midnight in America/Los_Angeles, when the Gemini API's per-day quotas reset (ai.google.dev rate limits:
 * "Requests per day (RPD) quotas reset at midnight Pacific time"). US rules since 2007: PDT (UTC-7) from the
 * second Sunday of March, 02:00 local, to the first Sunday of November, 02:00 local; PST (UTC-8) otherwise.
 * Computed by hand so it is cheap and does not depend on the runtime's time-zone data.
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** The day of month of the n-th Sunday (1-based) of a month. */
function nthSunday(year: number, month: number, n: number): number {
  const firstWeekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - firstWeekday) % 7) + 7 * (n - 1);
}

/** Pacific time's offset from UTC at an instant: -7 h in daylight time, -8 h in standard time. */
export function pacificOffsetMs(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  const dstStart = Date.UTC(year, 2, nthSunday(year, 2, 2), 10); // 02:00 PST
  const dstEnd = Date.UTC(year, 10, nthSunday(year, 10, 1), 9); // 02:00 PDT
  return ms >= dstStart && ms < dstEnd ? -7 * HOUR_MS : -8 * HOUR_MS;
}

/** The first Pacific midnight strictly after `ms`. */
export function nextPacificMidnight(ms: number): number {
  const offset = pacificOffsetMs(ms);
  const localMidnight = (Math.floor((ms + offset) / DAY_MS) + 1) * DAY_MS;
  const guess = localMidnight - offset;
  // A switch at 02:00 between now and that midnight changes the offset in force there.
  const there = pacificOffsetMs(guess);
  return there === offset ? guess : localMidnight - there;
}
