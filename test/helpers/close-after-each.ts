import { afterEach } from "vitest";

/**
 * What a test starts and must stop (simulated tenants, servers): registers an afterEach that closes every one the
 * test tracked, and returns the function that tracks one (and hands it back).
 */
export function closeAfterEach<T extends { close(): Promise<unknown> }>(): (item: T) => T {
  let running: T[] = [];
  afterEach(async () => {
    await Promise.all(running.map((item) => item.close()));
    running = [];
  });
  return (item) => {
    running.push(item);
    return item;
  };
}
