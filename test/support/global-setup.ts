/**
 * Vitest global setup. Without DATABASE_URL the suites that need a PostgreSQL server are skipped;
 * say so once, after the summary, so a newcomer knows the skips are expected and how to run them.
 */
export default function setup(): (() => void) | undefined {
  if (process.env.DATABASE_URL) return undefined;
  return () => {
    console.log(
      "PostgreSQL server tests were skipped (PGlite ran instead): set DATABASE_URL=postgres://user@host:5432/db to run them.",
    );
  };
}
